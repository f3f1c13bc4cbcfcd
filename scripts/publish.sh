#!/usr/bin/env bash
# Publishes the `haven` executable into OUT (default artifacts/haven), the layout an install copies under /usr:
#   OUT/bin/haven        the client verbs (status, cluster, ip, vm, events, fence, config get|set|reset, ha,
#                        health, ...), compiled ahead of time (NativeAOT): each answers in milliseconds
#   OUT/lib/haven/       the full assembly (framework-dependent; needs the .NET 10 runtime): daemon, demo,
#                        simulate, config check, help, completion, --help — OUT/bin/haven execs OUT/lib/haven/haven
#                        for those, so `haven VERB` means the same whichever verb it is
# Needs the .NET 10 SDK and gcc (the NativeAOT linker). Takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/haven}
quiet=(--nologo -v quiet -clp:ErrorsOnly)
dotnet publish src/Cli -c Release -r linux-x64 "${quiet[@]}" -o "$out/bin"
rm -f "$out/bin/"*.dbg "$out/bin/"*.pdb
dotnet publish src/Host -c Release "${quiet[@]}" -o "$out/lib/haven"
echo "published $out/bin/haven (client, NativeAOT) and $out/lib/haven/ (full assembly)"
