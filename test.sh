#!/usr/bin/env bash
# Runs every test of Haven: unit and actor tests, the 10,000-seed cluster simulation, persistence
# contracts (in-memory, SQLite, a throwaway PostgreSQL), SNMP/fencing against snmpd and fence_dummy,
# CLI and daemon, and a real Corosync cluster in network namespaces. Needs the .NET 10 SDK; as root it
# first installs the Debian packages the tests use (scripts/test-deps.sh). Prints one closing line:
# "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -eq 0 ]; then
  scripts/test-deps.sh || { echo "installing the test dependencies failed" >&2; exit 1; }
else
  echo "not root: the namespace, corosync and PostgreSQL tests need root and the packages scripts/test-deps.sh installs" >&2
fi
# The published `haven` (NativeAOT client + full assembly): tests/Host.Tests/PublishedClientTests runs it.
scripts/publish.sh || { echo "publishing haven (scripts/publish.sh) failed" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test Actors.sln -c Release --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "tests: $passed passed, $failed failed"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
