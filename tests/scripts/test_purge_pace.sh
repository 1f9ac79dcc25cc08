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
    "$EMC_BIN" --database-url "$U2" --batch-size 300 --json db purge --max_rows -1 \
        > "$WORK/fixed.json" 2> "$WORK/fixed.err" || bad "$b: purge --batch-size 300 failed: $(tail -3 "$WORK/fixed.err")"
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
