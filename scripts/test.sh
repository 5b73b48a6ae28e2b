#!/usr/bin/env bash
# Installs what is missing, builds, and runs the test suite.
#   scripts/test.sh           every test except those labelled `slow`: first the fast
#                             (`unit`) tests built with ASan+UBSan (clang), then everything
#                             in the regular build; ctest's summary is the last output.
#   scripts/test.sh --slow    only the long tests (label `slow`: long simulations, soaks).
# Set CAIRN_SKIP_SANITIZE=1 to skip the sanitizer build during local iteration.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
# Let ccache hit across clones in different folders (CI builds in a fresh clone).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
configure() {  # configure <dir> <cmake args...>
  local dir=$1
  shift
  cmake -G Ninja -S . -B "$dir" "$@" >/dev/null
}

if [ "${1:-}" = "--slow" ]; then
  configure build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build
  exec ctest --test-dir build -L slow --output-on-failure -j "$jobs"
fi

if [ "${CAIRN_SKIP_SANITIZE:-0}" != "1" ]; then
  echo "== ASan+UBSan build of the unit tests (clang-14) =="
  # -O1 with line tables only: sanitizer reports keep file:line, compiles stay quick.
  configure build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
    -DCAIRN_SANITIZE=ON -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14
  cmake --build build-asan --target unit_tests
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -L unit --output-on-failure -j "$jobs"
fi

if [ "${CAIRN_SKIP_SANITIZE:-0}" != "1" ]; then
  echo "== ThreadSanitizer build of the concurrent reader/writer tests (clang-14) =="
  tsan_tests=(base_watch_test base_persistent_map_test base_metrics_test kv_concurrency_test
              catalog_catalog_test)
  configure build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
    -DCAIRN_TSAN=ON -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14
  cmake --build build-tsan --target "${tsan_tests[@]}"
  TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure -j "$jobs" \
    -R "^(base_watch|base_persistent_map|base_metrics|kv_concurrency|catalog_catalog):"
fi

echo "== Regular build, all tests but the slow ones =="
configure build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
ctest --test-dir build -LE slow --output-on-failure -j "$jobs"
