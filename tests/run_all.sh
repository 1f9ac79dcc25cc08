#!/usr/bin/env bash
# run_all.sh - README command (b): install what is missing, build with ASan+UBSan (and a plain
# build for valgrind), start PostgreSQL and MariaDB on loopback in a temporary folder, run every
# test through ctest, and stop the servers by pid whatever happens.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
t0=$(date +%s)
bash tools/install-deps.sh test
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMC_TESTS=OFF >/dev/null
cmake --build build -j"$jobs" >/dev/null
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DEMC_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
t1=$(date +%s)
echo "build: $((t1 - t0)) s"

tmp=$(mktemp -d /tmp/glance-emc-test.XXXXXX)
chmod 755 "$tmp"
cleanup() {
    bash "$root/tests/servers.sh" stop "$tmp/servers" || true
    rm -rf "$tmp"
}
trap cleanup EXIT
bash tests/servers.sh start "$tmp/servers"
# shellcheck disable=SC1091
source "$tmp/servers/env"
export EMC_TEST_TMP="$tmp/work"
mkdir -p "$EMC_TEST_TMP"
chmod 777 "$EMC_TEST_TMP"
export EMC_PLAIN_BIN="$root/build/glance-emc"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rc=0
(cd build-asan && ctest --output-on-failure -j"$jobs" "$@") || rc=$?
t2=$(date +%s)
echo "tests: $((t2 - t1)) s, total: $((t2 - t0)) s"
exit $rc
