#!/usr/bin/env bash
# Issue 4, bad input: steps out of order. `db migrate` and `db contract` before `db expand`, and
# `db contract` while data remains to migrate, give the reference's message and exit code, on
# every backend, and change nothing: the Glance schema and data, and the journal, are as they
# were. The first two are compared live with Debian's glance-manage on SQLite; the third is the
# reference's own message (GLANCE_REFERENCE.md), which the reference never prints for Newton
# data: it looks for data migrations of the current release only, finds none, and its contract
# dies on the NULL visibilities (IntegrityError, a traceback, exit 1), shown here too.
# (A lock held by another run, a lock timeout that runs out: test_locks.sh; a user without
# trigger rights: test_trigger_rights.sh; SIGINT and SIGTERM mid-step: test_migrate_batches.sh.)
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers
tmp=${EMC_TEST_TMP:-/tmp}/upbad.$$
mkdir -p "$tmp"
DUMP="/usr/bin/python3 $EMC_SOURCE_DIR/tests/tools/schema_dump.py"

# outcome TOOL URL ARGS...: "exit|stdout|last stderr line" (the reference's log lines left out)
outcome() {
    local tool=$1 u=$2; shift 2
    local out rc err
    set +e
    if [ "$tool" = ref ]; then
        out=$(ref_manage "$u" "$@" 2>"$tmp/err")
    else
        out=$("$EMC_BIN" --database-url "$u" "$@" 2>"$tmp/err")
    fi
    rc=$?
    set -e
    err=$(grep -v -E 'INFO|WARNING|DEBUG|^\s*$' "$tmp/err" | tail -1 || true)
    err=${err//glance-emc db /glance-manage db }
    printf '%s|%s|%s' "$rc" "$out" "$err"
}

seed() { # backend url: Newton-era images still to migrate
    local t=1 f=0
    [ "$1" = postgresql ] && t=true && f=false
    sql "$1" "$2" "INSERT INTO images (id, name, status, is_public, created_at, deleted, min_disk, min_ram, protected) VALUES
      ('b0000000-0000-0000-0000-000000000001', 'pub', 'active', $t, '2016-01-01 00:00:00', $f, 0, 0, $f),
      ('b0000000-0000-0000-0000-000000000002', 'priv', 'active', $f, '2016-01-01 00:00:00', $f, 0, 0, $f)"
}

# snapshot BACKEND URL: Glance's schema and data (schema_dump.py), and the journal's rows
snapshot() {
    $DUMP "$2"
    sql "$1" "$2" "SELECT * FROM images ORDER BY id"
    sql "$1" "$2" "SELECT id, outcome FROM emc_journal ORDER BY id" 2>/dev/null || true
}

# refused NAME BACKEND URL EXPECTED ARGS...: the outcome is EXPECTED and nothing changed
refused() {
    local name=$1 b=$2 u=$3 want=$4; shift 4
    snapshot "$b" "$u" >"$tmp/before"
    expect_eq "$name" "$want" "$(outcome emc "$u" "$@")"
    snapshot "$b" "$u" >"$tmp/after"
    check "$name: nothing changed" diff -q "$tmp/before" "$tmp/after"
}

# the reference's words, on SQLite where it runs them
r=$(new_db sqlite upbad_ref)
ref_manage "$r" db upgrade --version mitaka02 >/dev/null 2>&1
seed sqlite "$r"
want_migrate=$(outcome ref "$r" db migrate)
want_contract=$(outcome ref "$r" db contract)
ref_manage "$r" db expand >/dev/null 2>&1
check "reference: migrate before expand exits 1" test "${want_migrate%%|*}" = 1
set +e
ref_manage "$r" db contract >/dev/null 2>"$tmp/ref.err"
rc=$?
set -e
check "reference: contract with data pending dies" test "$rc" = 1
check "reference: on the NULL visibilities" grep -q 'IntegrityError' "$tmp/ref.err"
want_pending='1||Database contraction did not run. Database contraction cannot be run before data migration is complete. Run data migration using "glance-manage db migrate".' 

for b in $(backends); do
    u=$(new_db "$b" "upbad_$b")
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    seed "$b" "$u"
    refused "$b: migrate before expand" "$b" "$u" "$want_migrate" db migrate
    refused "$b: contract before expand" "$b" "$u" "$want_contract" db contract
    "$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
    refused "$b: contract with data pending" "$b" "$u" "$want_pending" db contract
    expect_eq "$b: check says migrate" "4" "$("$EMC_BIN" --database-url "$u" db check >/dev/null 2>&1; echo $?)"
    "$EMC_BIN" --database-url "$u" db migrate >/dev/null 2>&1
    expect_eq "$b: then in order, it goes" "0" "$("$EMC_BIN" --database-url "$u" db contract >/dev/null 2>&1; echo $?)"
done
finish
