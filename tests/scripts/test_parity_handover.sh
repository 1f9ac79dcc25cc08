#!/usr/bin/env bash
# Issue 3 item 6: parity with the reference glance-manage through the command line, on every
# backend. (a) `db upgrade --version wallaby_contract01` builds the schema `glance-manage db
# sync` builds; (b) a database changes hands both ways: the reference builds to mitaka02 and
# glance-emc finishes; glance-emc upgrades to wallaby_expand01, the reference reads it as its
# own (version, check) and contracts it. Schemas are compared as normalized dumps.
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers
DUMP="/usr/bin/python3 $EMC_SOURCE_DIR/tests/tools/schema_dump.py"
tmp=${EMC_TEST_TMP:-/tmp}/handover.$$
mkdir -p "$tmp"

same_schema() { # name url_a url_b
    # Trigger bodies are glance-emc's own words (not copied), so their text hash is left out
    # here; test_parity_sql.sh proves the triggers behave as the reference's, case by case.
    $DUMP "$(ref_url "$2")" | sed 's/ body_sha256=[0-9a-f]*//' > "$tmp/a.txt"
    $DUMP "$(ref_url "$3")" | sed 's/ body_sha256=[0-9a-f]*//' > "$tmp/b.txt"
    if ! diff -u "$tmp/a.txt" "$tmp/b.txt" > "$tmp/diff.txt"; then
        echo "FAIL: $1: schemas differ" >&2
        head -40 "$tmp/diff.txt" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
}

for b in $(backends); do
    ref=$(new_db "$b" "ho_ref_$b")
    ref_manage "$ref" db sync >/dev/null 2>&1
    expect_eq "$b: reference synced" "wallaby_contract01" "$(ref_manage "$ref" db version 2>/dev/null)"

    # (a) same schema
    emc=$(new_db "$b" "ho_emc_$b")
    out=$("$EMC_BIN" --database-url "$emc" db upgrade --version wallaby_contract01 2>/dev/null)
    expect_eq "$b: upgrade message" "Upgraded database to: wallaby_contract01, current revision(s): wallaby_contract01" "$out"
    same_schema "$b: (a) emc upgrade = reference sync" "$ref" "$emc"

    # (b1) reference to mitaka02, glance-emc finishes
    h1=$(new_db "$b" "ho_one_$b")
    ref_manage "$h1" db upgrade --version mitaka02 >/dev/null 2>&1
    expect_eq "$b: emc reads reference's mitaka02" "mitaka02" "$("$EMC_BIN" --database-url "$h1" db version)"
    "$EMC_BIN" --database-url "$h1" db upgrade --version wallaby_contract01 >/dev/null 2>&1
    same_schema "$b: (b1) reference then emc = reference sync" "$ref" "$h1"
    "$EMC_BIN" --database-url "$h1" db sync >/dev/null 2>&1
    expect_eq "$b: emc takes it on to the latest" "2024_1_contract01" "$("$EMC_BIN" --database-url "$h1" db version)"

    # (b2) glance-emc expands to wallaby_expand01; the reference reads it and contracts it
    h2=$(new_db "$b" "ho_two_$b")
    "$EMC_BIN" --database-url "$h2" db upgrade --version wallaby_expand01 >/dev/null 2>&1
    r2=$(new_db "$b" "ho_two_ref_$b")
    ref_manage "$r2" db upgrade --version wallaby_expand01 >/dev/null 2>&1
    same_schema "$b: (b2) expanded state equals the reference's" "$r2" "$h2"
    expect_eq "$b: reference version of emc's expand" "wallaby_expand01" "$(ref_manage "$h2" db version 2>/dev/null)"
    set +e
    ref_check=$(ref_manage "$h2" db check 2>/dev/null); rc_emc_db=$?
    ref_check_own=$(ref_manage "$r2" db check 2>/dev/null); rc_ref_db=$?
    set -e
    expect_eq "$b: reference check reads emc's db as its own" "$rc_ref_db $ref_check_own" "$rc_emc_db $ref_check"
    if [ "$b" = postgresql ]; then
        ref_manage "$h2" db upgrade >/dev/null 2>&1   # the reference refuses contract on PostgreSQL
    else
        ref_manage "$h2" db contract >/dev/null 2>&1
    fi
    expect_eq "$b: reference contracted it" "wallaby_contract01" "$(ref_manage "$h2" db version 2>/dev/null)"
    same_schema "$b: (b2) final schema equals a fresh sync" "$ref" "$h2"
done
rm -rf "$tmp"
finish
