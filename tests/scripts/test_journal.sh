#!/usr/bin/env bash
# Issue 4 item 5: the journal (emc_journal), on every backend. A rolling upgrade (expand,
# migrate, contract) of a Newton-era database records one 'run' row per command and one row per
# step: revision or data migration, phase (E, M, C), start, end, rows, outcome, operator
# (user@host), pid, tool version; `db journal` prints it as a table, `--json` as JSON, `--limit`
# the newest rows. A failed step is recorded failed with the error, a killed run crashed, an
# interrupted one interrupted (test_migrate_batches.sh). Reading the journal changes nothing
# (no table is created), and parity dumps leave it out.
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers
tmp=${EMC_TEST_TMP:-/tmp}/journal.$$
mkdir -p "$tmp"
BULK="/usr/bin/python3 $EMC_SOURCE_DIR/tests/tools/bulk_mitaka.py"
me="$(id -un)@$(hostname)"
version=$("$EMC_BIN" --version | awk '{print $2}')

# q JSON-FILE PYTHON-EXPR: evaluate EXPR over rows (the parsed journal) and print it
q() {
    /usr/bin/python3 -c 'import json, sys; rows = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

for b in $(backends); do
    u=$(new_db "$b" "journal_$b")
    expect_eq "$b: empty database, empty journal" "[]" "$("$EMC_BIN" --database-url "$u" --json db journal | tr -d ' \n')"
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    $BULK "$u" 1000
    "$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
    "$EMC_BIN" --database-url "$u" --batch-size 300 db migrate >/dev/null 2>&1
    "$EMC_BIN" --database-url "$u" db contract >/dev/null 2>&1
    "$EMC_BIN" --database-url "$u" --json db journal >"$tmp/j.json"

    expect_eq "$b: one run row per command" "upgrade expand migrate contract" \
        "$(q "$tmp/j.json" '" ".join(r["command"] for r in rows if r["kind"] == "run")')"
    expect_eq "$b: every row done" "done" "$(q "$tmp/j.json" '",".join(sorted({r["outcome"] for r in rows}))')"
    expect_eq "$b: operator user@host" "$me" "$(q "$tmp/j.json" '",".join(sorted({r["operator"] for r in rows}))')"
    expect_eq "$b: tool version" "$version" "$(q "$tmp/j.json" '",".join(sorted({r["tool_version"] for r in rows}))')"
    expect_eq "$b: times are UTC text, ends after starts" "True" \
        "$(q "$tmp/j.json" 'all(len(r["started_at"]) == 19 and r["finished_at"] >= r["started_at"] for r in rows)')"
    expect_eq "$b: pids" "True" "$(q "$tmp/j.json" 'all(r["pid"] > 0 for r in rows)')"
    expect_eq "$b: expand's revisions, phase E" "ocata_expand01 pike_expand01 queens_expand01 rocky_expand01 rocky_expand02 train_expand01 ussuri_expand01 wallaby_expand01 xena_expand01 yoga_expand01 zed_expand01 2023_1_expand01 2024_1_expand01" \
        "$(q "$tmp/j.json" '" ".join(r["step"] for r in rows if r["command"] == "expand" and r["kind"] == "schema" and r["phase"] == "E")')"
    expect_eq "$b: contract's revisions, phase C" "13" \
        "$(q "$tmp/j.json" 'sum(1 for r in rows if r["command"] == "contract" and r["kind"] == "schema" and r["phase"] == "C")')"
    expect_eq "$b: the data migration: phase M, its rows and batches" "ocata_migrate01 M 1000 4" \
        "$(q "$tmp/j.json" '" ".join("%s %s %d %d" % (r["step"], r["phase"], r["rows"], r["statements"]) for r in rows if r["kind"] == "data")')"
    expect_eq "$b: a schema step counts its statements" "True" \
        "$(q "$tmp/j.json" '[r["statements"] > 0 for r in rows if r["step"] == "ocata_expand01"] == [True]')"

    "$EMC_BIN" --database-url "$u" db journal >"$tmp/j.txt"
    check "$b: text: a header" grep -qE '^ +ID +STARTED \(UTC\) +FINISHED \(UTC\) +COMMAND +KIND +STEP +P +ROWS +OUTCOME +OPERATOR$' "$tmp/j.txt"
    check "$b: text: the data step" grep -qE " migrate +data +ocata_migrate01 +M +1000 +done +$me\$" "$tmp/j.txt"
    expect_eq "$b: --limit 3" "4" "$("$EMC_BIN" --database-url "$u" db journal --limit 3 | wc -l)"
    expect_eq "$b: --limit: the newest" "2024_1_contract01" "$("$EMC_BIN" --database-url "$u" db journal --limit 1 | tail -1 | awk '{print $8}')"
done

# a failed step: recorded failed, with the error; its run too
u=$(new_db sqlite journal_fail)
"$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
sql sqlite "$u" "CREATE VIEW _alembic_tmp_images AS SELECT 1 AS x"
set +e
"$EMC_BIN" --database-url "$u" db expand >/dev/null 2>"$tmp/err"
rc=$?
set -e
expect_eq "failed step: exit 1" "1" "$rc"
"$EMC_BIN" --database-url "$u" --json db journal >"$tmp/j.json"
expect_eq "failed step: the step row" "ocata_expand01 failed True" \
    "$(q "$tmp/j.json" '" ".join("%s %s %s" % (r["step"], r["outcome"], "_alembic_tmp_images" in r.get("detail", "")) for r in rows if r["kind"] == "schema" and r["outcome"] != "done")')"
expect_eq "failed step: the run row" "failed" "$(q "$tmp/j.json" '[r["outcome"] for r in rows if r["kind"] == "run"][-1]')"

# a killed run: crashed, once the next run has the lock
u=$(new_db sqlite journal_crash)
uc=$u
"$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
# point 5: the first write of the expand (its first revision, after the run row is committed)
(EMC_CRASH_AT=5 "$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1) 2>/dev/null || true
expect_eq "killed run: left running" "running" "$(sql sqlite "$u" "SELECT outcome FROM emc_journal WHERE kind = 'run' ORDER BY id DESC LIMIT 1")"
"$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
expect_eq "killed run: crashed" "crashed done" "$(sql sqlite "$u" "SELECT outcome FROM emc_journal WHERE kind = 'run' AND command = 'expand' ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"

# reading the journal of a database that has none creates nothing
u=$(new_db sqlite journal_read)
"$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
sql sqlite "$u" "DROP TABLE emc_journal"
"$EMC_BIN" --database-url "$u" db journal >/dev/null
expect_eq "reading creates no table" "0" "$(sql sqlite "$u" "SELECT count(*) FROM sqlite_master WHERE name = 'emc_journal'")"
check "parity dumps leave the journal out" bash -c "! /usr/bin/python3 '$EMC_SOURCE_DIR/tests/tools/schema_dump.py' '$uc' | grep -q emc_journal"
finish
