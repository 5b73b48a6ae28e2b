#!/usr/bin/env bash
# Installs what is missing, builds the `cairn` binary and runs it.
#   scripts/run.sh              prints cairn's help, version and a fresh gossip key
#   scripts/run.sh <args...>    runs `cairn <args...>`
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target cairn
cairn=build/tools/agent/cairn
if [ $# -gt 0 ]; then
  exec "$cairn" "$@"
fi
"$cairn" --help
echo
echo "\$ cairn version"
"$cairn" version
echo
echo "\$ cairn keygen"
"$cairn" keygen
