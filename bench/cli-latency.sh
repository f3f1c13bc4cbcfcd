#!/usr/bin/env bash
# Times `haven status` and `haven cluster status --json` as whole processes against a running one-host daemon,
# with hyperfine: the published client (scripts/publish.sh: NativeAOT) and, for comparison, the same verbs run by
# the full assembly (`dotnet lib/haven/haven.dll`, what every verb cost before). Prints the load average before
# and after: on a shared machine the figures move with it. Needs hyperfine (apt-get install hyperfine) and
# whatever scripts/publish.sh needs. Takes well under a minute.
#   bench/cli-latency.sh [RUNS]     RUNS per command for the client (default 100; the full assembly gets 10)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
command -v hyperfine >/dev/null || { echo "cli-latency: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
scripts/publish.sh >/dev/null
out=$PWD/artifacts/haven
work=$(mktemp -d /tmp/haven-cli-bench.XXXXXX)
daemon=
cleanup() {
  if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cat >"$work/haven.conf" <<CONF
haven {
  cluster { name = bench, node-name = b1 }
  journal.sqlite.path = "$work/journal.db"
  control.socket = "$work/haven.sock"
  logging { console = off, file.path = "$work/haven.log" }
}
CONF
chmod 600 "$work/haven.conf"
"$out/bin/haven" daemon --config "$work/haven.conf" &
daemon=$!
for _ in $(seq 150); do "$out/bin/haven" status --socket "$work/haven.sock" >/dev/null 2>&1 && break; sleep 0.2; done
"$out/bin/haven" status --socket "$work/haven.sock" >/dev/null || { echo "cli-latency: the daemon did not start (log: $work/haven.log)" >&2; exit 1; }

sock=(--socket "$work/haven.sock")
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N --warmup 5 --runs "$runs" \
  -n "haven status" "$out/bin/haven status ${sock[*]}" \
  -n "haven cluster status --json" "$out/bin/haven cluster status --json ${sock[*]}"
hyperfine -N --warmup 1 --runs 10 \
  -n "full assembly: status" "dotnet $out/lib/haven/haven.dll status ${sock[*]}" \
  -n "full assembly: cluster status --json" "dotnet $out/lib/haven/haven.dll cluster status --json ${sock[*]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
