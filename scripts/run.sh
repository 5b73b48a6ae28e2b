#!/usr/bin/env bash
# Installs what is missing, builds the `cairn` binary and runs it.
#   scripts/run.sh              starts a dev agent: HTTP API on 127.0.0.1:8500, DNS on
#                               127.0.0.1:8600, everything in memory (Ctrl-C stops it)
#   scripts/run.sh <args...>    runs `cairn <args...>` instead, e.g. `scripts/run.sh members`
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target cairn
cairn=build/tools/agent/cairn
if [ $# -gt 0 ]; then
  exec "$cairn" "$@"
fi
exec "$cairn" agent -dev
