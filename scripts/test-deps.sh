#!/usr/bin/env bash
# Installs and prepares what the tests start or call for real (Debian 12, as root). Idempotent and
# quick when everything is already there; ./test.sh runs it first.
set -euo pipefail

# Debian packages the tests start or call for real: PostgreSQL; corosync (libcpg.so.4,
# libvotequorum.so.8, corosync-quorumtool), iproute2 (ip netns) and util-linux (unshare) for the
# real-cluster e2e tests in tests/Host.Tests/E2e; iputils-ping for the heuristics; snmpd and
# fence-agents (fence_dummy) and python3 for the fencing tests (snmpd runs a python pass_persist emulator);
# iputils-arping (not the package "arping") for floating addresses; libvirt0 (libvirt.so.0, whose test
# driver the hypervisor tests use in process); conntrackd and nftables (a rule makes the kernel track
# connections) for the conntrack tests inside network namespaces; gcc and libc6-dev link the NativeAOT client
# (scripts/publish.sh, which ./test.sh runs first); chromium (headless) for the web view's browser test
# (tests/Host.Tests/Web, driven over the DevTools protocol).
packages=(postgresql corosync iproute2 util-linux iputils-ping iputils-arping snmpd fence-agents python3 libvirt0 conntrackd nftables gcc libc6-dev chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The packaged cluster is not needed (tests start throwaway servers); keep it from holding port 5432.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | awk '$4=="online"{print $1, $2}' | while read -r v c; do pg_ctlcluster "$v" "$c" stop || true; done
fi

# The packaged corosync service is not wanted: the e2e harness starts one per network namespace.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet corosync 2>/dev/null; then systemctl stop corosync || true; fi
# Nor is a packaged keepalived service (installed by hand for tests/e2e/failover-bench.sh, not by CI).
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet keepalived 2>/dev/null; then systemctl stop keepalived || true; fi
