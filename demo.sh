#!/usr/bin/env bash
# Builds Haven and runs `haven demo`. Needs only the .NET 10 SDK.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build src/Host -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet src/Host/bin/Release/net10.0/haven.dll demo "$@"
