#!/usr/bin/env bash
# Runs every test of Haven (unit, actor, persistence contract against in-memory, SQLite and a throwaway
# PostgreSQL, CLI and daemon). Needs the .NET 10 SDK and, for the PostgreSQL tests, Debian's
# postgresql package (.ci/run installs it). Prints one closing line: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
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
