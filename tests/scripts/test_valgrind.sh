#!/usr/bin/env bash
# No valgrind errors and no definite or indirect leaks in the plain (non-sanitized) build, on
# the commands an operator runs most (the purge previews with their second thread included),
# on every backend. tests/run_all.sh builds that binary
# and exports EMC_PLAIN_BIN.
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers
if [ -z "${EMC_PLAIN_BIN:-}" ] || [ ! -x "$EMC_PLAIN_BIN" ]; then
    echo "FAIL: EMC_PLAIN_BIN (a build without sanitizers) is not set; run through tests/run_all.sh" >&2
    exit 1
fi
command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed" >&2; exit 1; }
log=${EMC_TEST_TMP:-/tmp}/valgrind.$$
vg() { # name args...
    local name=$1; shift
    set +e
    valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=99 --log-file="$log" "$EMC_PLAIN_BIN" "$@" >/dev/null 2>&1
    local rc=$?
    set -e
    if [ "$rc" = 99 ]; then
        echo "FAIL: $name: valgrind reports errors or leaks" >&2
        cat "$log" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
}
for b in $(backends); do
    u=$(new_db "$b" "vg_$b")
    vg "$b: upgrade to mitaka02" --database-url "$u" db upgrade --version mitaka02
    vg "$b: expand" --database-url "$u" db expand
    vg "$b: migrate" --database-url "$u" db migrate
    vg "$b: contract" --database-url "$u" db contract
    vg "$b: version" --database-url "$u" db version
    vg "$b: check --json" --database-url "$u" --json db check
    vg "$b: history" --database-url "$u" db history
    vg "$b: journal" --database-url "$u" --json db journal
    # a population with blocked images: the previews' passes run on two connections in two
    # threads (on SQLite with the probe that marks the blocked images)
    /usr/bin/python3 "$EMC_SOURCE_DIR/tests/tools/seed.py" "$u" --images 60 --seed 3 --blocked-share 0.2 > /dev/null
    vg "$b: purge --preview" --database-url "$u" db purge --preview
    vg "$b: purge_images_table --preview" --database-url "$u" db purge_images_table --preview
    vg "$b: purge" --database-url "$u" db purge
    vg "$b: refused" --database-url "$u" db version_control
done
vg "bad url" --database-url 'postgresql://x:y@127.0.0.1:1/z' db version
vg "help" --help
rm -f "$log"
finish
