#!/usr/bin/env bash
# test_purge_cli.sh - `db purge` / `db purge_images_table` on the command line, on SQLite:
# every validation case of the reference gives the reference's exit code and line (argparse's
# for option values that are not integers), values that overflow included, and deletes nothing;
# values the reference accepts are accepted and purge the same rows; the log lines are the
# reference's; a database that is not under migration control or at an unknown revision gets
# one clear line; --preview (text and JSON) counts what SQL counts and changes nothing;
# --dry-run; Ctrl-C stops between batches (whole batches of the chosen rows deleted, in key
# order), with a summary, and the same command goes on; the journal records purge steps.
source "$(dirname "$0")/lib.sh"

SEEDER="$EMC_SOURCE_DIR/tests/tools/seed.py"
make_work purge-cli
TABLES="images image_properties image_tags image_locations image_members tasks task_info"
keycol() { if [ "$1" = task_info ]; then echo task_id; else echo id; fi; }
fingerprint() {
    local t
    for t in $TABLES; do
        echo "$t $(sql sqlite "$1" "SELECT $(keycol "$t") FROM $t ORDER BY 1" | md5sum | cut -c1-12)"
    done
}

U0=$(new_db sqlite purge_cli_tpl)
"$EMC_BIN" --database-url "$U0" db sync > /dev/null 2>&1
/usr/bin/python3 "$SEEDER" "$U0" --images 600 --seed 3 > /dev/null
TPL=${U0#sqlite:///}
copy() { cp "$TPL" "$WORK/$1.db"; echo "sqlite:///$WORK/$1.db"; }
A=$(copy ref)
B=$(copy emc)
PROG=$(basename "$EMC_BIN")

# --- validation: the reference's exit codes and lines, nothing deleted -----------------------
days=$(python3 -c 'import time; print(int(time.time()) // 86400)')
case_line() { # CMD ARGS...: compare exit code and message with the reference
    local cmd=$1; shift
    set +e
    ref_manage "$A" db "$cmd" "$@" > "$WORK/r.out" 2> "$WORK/r.err"
    local rrc=$?
    "$EMC_BIN" --database-url "$B" db "$cmd" "$@" > "$WORK/e.out" 2> "$WORK/e.err"
    local erc=$?
    set -e
    expect_eq "db $cmd $*: exit code" "$rrc" "$erc"
    if [ "$rrc" -eq 2 ]; then
        expect_eq "db $cmd $*: argparse line" "$(tail -1 "$WORK/r.err" | sed "s/^glance-manage /$PROG /")" \
            "$(tail -1 "$WORK/e.err")"
        check "db $cmd $*: usage line" grep -q "^usage: $PROG db $cmd " "$WORK/e.err"
    elif [ "$rrc" -eq 1 ]; then
        expect_eq "db $cmd $*: message" "$(cat "$WORK/r.err")" "$(cat "$WORK/e.err")"
    fi
    expect_eq "db $cmd $*: same rows afterwards" "$(fingerprint "$A")" "$(fingerprint "$B")"
}
before=$(fingerprint "$B")
case_line purge --age_in_days -1
case_line purge --age_in_days abc
case_line purge --max_rows -2
case_line purge --age_in_days 999999
case_line purge --max_rows 2147483648
case_line purge --age_in_days 99999999999999999999
case_line purge --max_rows 99999999999999999999
case_line purge --age_in_days -99999999999999999999
case_line purge --max_rows -99999999999999999999
case_line purge --age_in_days -1 --max_rows -2
case_line purge --age_in_days 999999 --max_rows -2
case_line purge --age_in_days $((days + 1))
case_line purge abc
case_line purge 5 xyz
case_line purge --max_rows 1.5
case_line purge --max_rows
case_line purge_images_table --max_rows 2147483648
case_line purge_images_table --age_in_days -1
case_line purge_images_table --age_in_days x
expect_eq "no validation case deleted a row" "$before" "$(fingerprint "$B")"
# what the reference accepts, we accept (and purge the same rows)
case_line purge --age_in_days "$days" --max_rows 0
case_line purge --max_rows 1_0
case_line purge --age 40 --max 30
case_line purge " 70 " " 20 "
case_line purge -- 60 25
check "the accepted cases purged rows" [ "$before" != "$(fingerprint "$B")" ]

# an unknown option, a value given twice: one line, nothing deleted
set +e
"$EMC_BIN" --database-url "$B" db purge --bogus > /dev/null 2> "$WORK/e.err"; rc=$?
set -e
expect_eq "unknown option: exit 2" 2 "$rc"
check "unknown option: argparse line" grep -q "^$PROG db purge: error: unrecognized arguments: --bogus" "$WORK/e.err"
set +e
"$EMC_BIN" --database-url "$B" db purge 10 --age_in_days 5 > /dev/null 2> "$WORK/e.err"; rc=$?
"$EMC_BIN" --database-url "$B" db purge 1 2 3 > /dev/null 2>> "$WORK/e.err"; rc2=$?
set -e
expect_eq "age twice: exit 1 as the reference" 1 "$rc"
expect_eq "three values: exit 1 as the reference" 1 "$rc2"
expect_eq "one line each, no traceback" 2 "$(wc -l < "$WORK/e.err")"

# --- log lines: the reference's, in its order ---------------------------------------------------
A=$(copy ref2)
B=$(copy emc2)
ref_manage "$A" db purge > "$WORK/r.out" 2> "$WORK/r.err"
"$EMC_BIN" --database-url "$B" db purge > "$WORK/e.out" 2> "$WORK/e.err"
pick() { grep -o '\(Purging deleted rows older than\|Deleted\) [0-9]* .*from table [a-z_]*' || true; }
expect_eq "log lines as the reference's" "$(pick < "$WORK/r.err")" "$(pick < "$WORK/e.err")"
check "log lines are not empty" [ "$(pick < "$WORK/e.err" | wc -l)" -eq 12 ]
expect_eq "stdout of --no-batch is the reference's (empty)" "" \
    "$("$EMC_BIN" --database-url "$B" db purge --no-batch 2> /dev/null)"

# --- databases purge must refuse ----------------------------------------------------------------
E=$(new_db sqlite purge_cli_empty)
sqlite3 "${E#sqlite:///}" "VACUUM"
set +e
"$EMC_BIN" --database-url "$E" db purge > "$WORK/e.out" 2> "$WORK/e.err"; rc=$?
set -e
expect_eq "empty database: exit 1" 1 "$rc"
check "empty database: one line saying it is not under migration control" \
    grep -q "^ERROR: the database is not under migration control" "$WORK/e.err"
expect_eq "empty database: one line" 1 "$(wc -l < "$WORK/e.err")"
expect_eq "empty database: no table created" "" "$(sqlite3 "${E#sqlite:///}" .tables)"
X=$(copy unknown)
sqlite3 "${X#sqlite:///}" "UPDATE alembic_version SET version_num = 'zzz_unknown01'"
before=$(fingerprint "$X")
set +e
"$EMC_BIN" --database-url "$X" db purge --max_rows -1 > /dev/null 2> "$WORK/e.err"; rc=$?
"$EMC_BIN" --database-url "$X" db purge --preview > /dev/null 2>> "$WORK/e.err"; rc2=$?
set -e
expect_eq "unknown revision: exit 1" 1 "$rc"
expect_eq "unknown revision, preview: exit 1" 1 "$rc2"
check "unknown revision: names it" grep -q "zzz_unknown01" "$WORK/e.err"
expect_eq "unknown revision: nothing deleted" "$before" "$(fingerprint "$X")"
set +e
"$EMC_BIN" --database-url "sqlite:///$WORK/missing.db" db purge > /dev/null 2> "$WORK/e.err"; rc=$?
set -e
expect_eq "missing file: exit 1" 1 "$rc"
check "missing file: not created" [ ! -e "$WORK/missing.db" ]
set +e
"$EMC_BIN" --database-url "$B" --sql db purge > /dev/null 2> "$WORK/e.err"; rc=$?
set -e
expect_eq "--sql is refused" 2 "$rc"

# --- preview: what SQL counts; read-only ----------------------------------------------------------
P=$(copy preview)
before=$(fingerprint "$P")
"$EMC_BIN" --database-url "$P" db purge --preview --age_in_days 45 --max_rows 70 > "$WORK/pv.txt"
check "preview text has the matrix" grep -q "^table .*<30d .*30-90d .*>365d .*would go" "$WORK/pv.txt"
check "preview text has image_properties" grep -q "^image_properties " "$WORK/pv.txt"
"$EMC_BIN" --database-url "$P" --json db purge --preview --age_in_days 45 --max_rows 70 > "$WORK/pv.json"
expect_eq "preview changes nothing" "$before" "$(fingerprint "$P")"
py() { python3 -c "import json,sys; d=json.load(open('$WORK/pv.json')); t={x['table']: x for x in d['tables']}; print($1)"; }
cutoff=$(py "d['cutoff']")
for t in image_properties image_tags image_locations image_members tasks; do
    expect_eq "preview $t eligible" "$(sql sqlite "$P" "SELECT COUNT(*) FROM $t WHERE deleted_at < '$cutoff'")" \
        "$(py "t['$t']['eligible']")"
    expect_eq "preview $t buckets sum to rows with deleted_at" \
        "$(sql sqlite "$P" "SELECT COUNT(*) FROM $t WHERE deleted_at IS NOT NULL")" "$(py "sum(t['$t']['buckets'])")"
    expect_eq "preview $t would delete" \
        "$(sql sqlite "$P" "SELECT MIN(70, COUNT(*)) FROM $t WHERE deleted_at < '$cutoff'")" \
        "$(py "t['$t']['would_delete']")"
    expect_eq "preview $t oldest" "$(sql sqlite "$P" "SELECT substr(MIN(deleted_at), 1, 19) FROM $t")" \
        "$(py "t['$t']['oldest']")"
done
expect_eq "preview task_info follows its task" \
    "$(sql sqlite "$P" "SELECT COUNT(*) FROM task_info ti JOIN tasks t ON t.id = ti.task_id WHERE t.deleted_at < '$cutoff'")" \
    "$(py "t['task_info']['eligible']")"
expect_eq "preview >365d bucket" \
    "$(sql sqlite "$P" "SELECT COUNT(*) FROM image_tags WHERE deleted_at < datetime('now', '-365 days')")" \
    "$(py "t['image_tags']['buckets'][4]")"
expect_eq "preview: images not in scope of db purge" "False 0" "$(py "t['images']['in_scope'], t['images']['would_delete']")"
check "preview JSON names the database" grep -q '"database":"sqlite:///' "$WORK/pv.json"

# --- dry run: the preview's numbers, nothing deleted ----------------------------------------------
"$EMC_BIN" --database-url "$P" --json db purge --dry-run --age_in_days 45 --max_rows 70 > "$WORK/dr.json" 2> /dev/null
expect_eq "dry run changes nothing" "$before" "$(fingerprint "$P")"
expect_eq "dry run counts what the preview counts" \
    "$(py "[t[x]['would_delete'] for x in ['task_info','image_properties','image_tags','image_locations','image_members','tasks']]")" \
    "$(python3 -c "import json; d=json.load(open('$WORK/dr.json')); print([x['would_delete'] for x in d['tables']])")"

# --- batched: progress and summary; Ctrl-C between batches ----------------------------------------
C=$(copy ctrlc)
"$EMC_BIN" --database-url "$C" --json db purge --preview --max_rows -1 > "$WORK/pv.json"
cutoff=$(py "d['cutoff']")
sql sqlite "$C" "SELECT ti.task_id FROM task_info ti JOIN tasks t ON t.id = ti.task_id WHERE t.deleted_at < '$cutoff' ORDER BY ti.rowid" > "$WORK/ti_order"
check "enough task_info rows for several batches" [ "$(wc -l < "$WORK/ti_order")" -gt 12 ]
sql sqlite "$C" "SELECT task_id FROM task_info ORDER BY 1" > "$WORK/ti_before"
"$EMC_BIN" --database-url "$C" --batch-size 3 db purge --max_rows -1 --sleep 0.4 > "$WORK/c.out" 2> "$WORK/c.err" &
pid=$!
sleep 1.5
kill -INT "$pid"
set +e
wait "$pid"; rc=$?
set -e
expect_eq "Ctrl-C: exit 130" 130 "$rc"
check "Ctrl-C: summary printed" grep -q "^Interrupted: " "$WORK/c.out"
check "Ctrl-C: summary has task_info" grep -q "^task_info " "$WORK/c.out"
sql sqlite "$C" "SELECT task_id FROM task_info ORDER BY 1" > "$WORK/ti_after"
gone=$(comm -23 "$WORK/ti_before" "$WORK/ti_after" | wc -l)
check "Ctrl-C: some but not all rows deleted ($gone)" [ "$gone" -gt 0 -a "$gone" -lt "$(wc -l < "$WORK/ti_order")" ]
expect_eq "Ctrl-C: the rows deleted are whole batches of the chosen ones, in rowid order" \
    "$(head -n "$gone" "$WORK/ti_order" | sort)" \
    "$(comm -23 "$WORK/ti_before" "$WORK/ti_after")"
expect_eq "Ctrl-C: the summary counts them" "$gone" "$(awk '$1 == "task_info" {print $2}' "$WORK/c.out")"
expect_eq "Ctrl-C: tables after the stop untouched" "$(sql sqlite "$U0" "SELECT COUNT(*) FROM image_tags")" \
    "$(sql sqlite "$C" "SELECT COUNT(*) FROM image_tags")"
expect_eq "journal: the run is interrupted" "interrupted" \
    "$(sql sqlite "$C" "SELECT outcome FROM emc_journal WHERE kind = 'run' ORDER BY id DESC LIMIT 1")"
# go on: the same command finishes the job
"$EMC_BIN" --database-url "$C" --batch-size 50 db purge --max_rows -1 > "$WORK/c.out" 2> "$WORK/c.err"
check "batched: plain progress lines off a terminal" grep -q "image_properties: .*100.0%" "$WORK/c.err"
check "batched: summary with batches" grep -q "^image_properties  *[0-9]*  *-  *[0-9]" "$WORK/c.out"
expect_eq "journal: one purge step per table, phase P" \
    "task_info|P|done image_properties|P|done image_tags|P|done image_locations|P|done image_members|P|done tasks|P|done" \
    "$(sql sqlite "$C" "SELECT step || '|' || phase || '|' || outcome FROM emc_journal WHERE kind = 'purge' AND run_id = (SELECT run_id FROM emc_journal ORDER BY id DESC LIMIT 1) ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "after going on: no eligible row left" 0 \
    "$(sql sqlite "$C" "SELECT COUNT(*) FROM image_properties WHERE deleted_at < '$cutoff'")"
finish
