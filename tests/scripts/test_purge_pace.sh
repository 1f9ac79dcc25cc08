#!/usr/bin/env bash
# test_purge_pace.sh - how a batched purge cuts its work into transactions, on every backend
# (PostgreSQL and MariaDB delete key ranges, SQLite key lists):
# - --txn-seconds S: the batch size adapts so that a transaction takes about S s, and a batch
#   commits early once its next statement, at the pace of the last, would take it past 1.5 S.
#   With S far below any statement's time, the first batch (1000 keys, one statement) is the
#   only large one: the statements shrink to the floor of 100 keys and each batch then ends
#   after its first, so a table of N rows takes 1 + ceil((N - 1000) / 100) batches. Before a
#   batch could end between the statements of a key range, the batches of a range went
#   1000, 500, 250, 125, then 100: a range was one statement, however long it took.
# - --batch-size B alone: fixed batches of B rows, never cut.
# - bad values of --txn-seconds: the usage line, exit 2, nothing deleted.
# - the journal, read while fixed batches run: the running step's rows_done moves, and is always
#   what some number of committed batches deleted, never more than is committed.
# Every eligible row goes either way, and nothing else.
source "$(dirname "$0")/lib.sh"
if [ "${CI:-}" = true ]; then require_servers; fi

SEEDER="$EMC_SOURCE_DIR/tests/tools/seed.py"
make_work purge-pace
CHILDREN="image_properties image_tags image_locations image_members"
fail=0
bad() {
    echo "FAIL: $*" >&2
    fail=1
}

# eligible BACKEND URL TABLE: rows a purge at 30 days deletes
eligible() {
    sql "$1" "$2" "SELECT COUNT(*) FROM $3 WHERE deleted_at < '$CUTOFF'"
}

# watch_journal BACKEND URL: "ROWS_DONE LEFT" of a running purge of image_properties, read in
# one statement (nothing when no such step runs)
watch_journal() {
    local q="SELECT j.rows_done, (SELECT COUNT(*) FROM image_properties WHERE deleted_at < '$CUTOFF') FROM emc_journal j WHERE j.step = 'image_properties' AND j.outcome = 'running'"
    if [ "$1" = sqlite ]; then
        sqlite3 -batch -separator ' ' -cmd '.timeout 5000' "${2#sqlite:///}" "$q"
    else
        sql "$1" "$2" "$q" | tr '\t' ' '
    fi
}

# summary FILE TABLE FIELD: a field of a table's row in a --json purge summary
summary() {
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print([t for t in d['tables'] if t['table'] == sys.argv[2]][0][sys.argv[3]])" "$1" "$2" "$3"
}

for b in $(backends); do
    U=$(new_db "$b" "purge_pace_$b")
    "$EMC_BIN" --database-url "$U" db sync > /dev/null 2>&1
    /usr/bin/python3 "$SEEDER" "$U" --images 1500 --seed 5 > /dev/null
    # a cutoff a minute younger than the purge's: the seed's deleted_at values are whole days old
    CUTOFF=$(date -u -d '30 days ago 1 minute ago' '+%Y-%m-%d %H:%M:%S')
    declare -A want=()
    for t in $CHILDREN; do want[$t]=$(eligible "$b" "$U" "$t"); done
    [ "${want[image_properties]}" -gt 1100 ] || bad "$b: only ${want[image_properties]} eligible image_properties rows"

    # bad values: exit 2, nothing deleted
    before=$(for t in $CHILDREN; do sql "$b" "$U" "SELECT COUNT(*) FROM $t"; done)
    for v in -1 5000 nan x; do
        set +e
        "$EMC_BIN" --database-url "$U" db purge --max_rows -1 --txn-seconds "$v" > "$WORK/o" 2> "$WORK/e"
        rc=$?
        set -e
        [ "$rc" = 2 ] || bad "$b: --txn-seconds $v exited $rc, not 2"
        [ "$(wc -l < "$WORK/e")" -le 3 ] && grep -q "txn-seconds\|target transaction time" "$WORK/e" ||
            bad "$b: --txn-seconds $v: $(cat "$WORK/e")"
    done
    after=$(for t in $CHILDREN; do sql "$b" "$U" "SELECT COUNT(*) FROM $t"; done)
    [ "$before" = "$after" ] || bad "$b: a refused --txn-seconds deleted rows"

    # a target below any statement's time
    "$EMC_BIN" --database-url "$U" --json db purge --max_rows -1 --txn-seconds 0.000001 \
        > "$WORK/pace.json" 2> "$WORK/pace.err" || bad "$b: purge --txn-seconds failed: $(tail -3 "$WORK/pace.err")"
    for t in $CHILDREN; do
        n=${want[$t]}
        got=$(summary "$WORK/pace.json" "$t" deleted)
        [ "$got" = "$n" ] || bad "$b $t: deleted $got of $n eligible rows"
        exp_batches=$((n <= 1000 ? (n > 0 ? 1 : 0) : 1 + (n - 1000 + 99) / 100))
        exp_max=$((n < 1000 ? n : 1000))
        got_b=$(summary "$WORK/pace.json" "$t" batches)
        got_m=$(summary "$WORK/pace.json" "$t" max_batch)
        [ "$got_b" = "$exp_batches" ] && [ "$got_m" = "$exp_max" ] ||
            bad "$b $t: $got_b batches, the largest $got_m, for $n rows (expected $exp_batches, $exp_max)"
        left=$(eligible "$b" "$U" "$t")
        [ "$left" = 0 ] || bad "$b $t: $left eligible rows left"
    done

    # fixed batches of 300 on a fresh copy of the data: never cut
    U2=$(new_db "$b" "purge_pace2_$b")
    "$EMC_BIN" --database-url "$U2" db sync > /dev/null 2>&1
    /usr/bin/python3 "$SEEDER" "$U2" --images 1500 --seed 5 > /dev/null
    # with a pause between batches, and the journal watched meanwhile: a batch writes its
    # step's progress (at most once a second, the first batch always) in its own transaction,
    # so a reader (one statement, one snapshot) finds rows_done at a batch boundary, never
    # ahead of what is committed, and moving while the table is purged
    "$EMC_BIN" --database-url "$U2" --batch-size 300 --json db purge --max_rows -1 --sleep 0.25 \
        > "$WORK/fixed.json" 2> "$WORK/fixed.err" &
    purge_pid=$!
    : > "$WORK/watch"
    while kill -0 "$purge_pid" 2>/dev/null; do
        watch_journal "$b" "$U2" >> "$WORK/watch" 2>/dev/null || true
        sleep 0.1
    done
    wait "$purge_pid" || bad "$b: purge --batch-size 300 failed: $(tail -3 "$WORK/fixed.err")"
    n=${want[image_properties]}
    seen=$(awk -v n="$n" 'NF == 2 && $1 > 0 && $1 < n { print $1 }' "$WORK/watch" | sort -un | wc -l)
    off=$(awk -v n="$n" 'NF == 2 && ($1 + $2 > n || ($1 % 300 != 0 && $1 != n))' "$WORK/watch" | head -3)
    [ "$seen" -ge 2 ] || bad "$b: rows_done took $seen value(s) mid-table: $(sort -u "$WORK/watch" | tr '\n' ' ')"
    [ -z "$off" ] || bad "$b: rows_done off a batch boundary or ahead of the commits (rows_done left; $n eligible): $off"
    for t in $CHILDREN; do
        n=${want[$t]}
        got_b=$(summary "$WORK/fixed.json" "$t" batches)
        got_m=$(summary "$WORK/fixed.json" "$t" max_batch)
        [ "$got_b" = "$(((n + 299) / 300))" ] && [ "$got_m" = "$((n < 300 ? n : 300))" ] ||
            bad "$b $t: fixed batches of 300: $got_b batches, the largest $got_m, for $n rows"
    done
    unset want
    echo "$b: done"
done
[ "$fail" = 0 ] || exit 1
echo "ok"
