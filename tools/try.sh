#!/usr/bin/env bash
# try.sh - README command (a): install what is missing, build, create the SQLite demo database
# and open the console on it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash tools/install-deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMC_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
db=${1:-$root/glance-demo.sqlite}
[ -e "$db" ] || ./build/glance-emc demo "$db"
exec ./build/glance-emc --database-url "sqlite:///$db" console
