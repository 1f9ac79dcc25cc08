#!/usr/bin/env bash
# test_bench_smoke.sh - the benchmarks in tests/bench/ still run, at a size that takes seconds:
# purge_bench.sh and migrate_bench.sh with 300 images on every backend. Nothing here is timed;
# what is checked is that each benchmark produces its whole table with live numbers: a row for
# each tool on each backend, the concurrent writer alive throughout (a writer that dies prints
# "-", as writer.py did once when a helper it imported was renamed), glance-emc deleting the
# rows the reference deletes, and the data migration leaving no image without a visibility.
source "$(dirname "$0")/lib.sh"
require_servers

make_work bench-smoke
fail=0
bad() {
    echo "FAIL: $*" >&2
    fail=1
}
num() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

# --- purge_bench.sh -------------------------------------------------------------------------
EMC_TEST_TMP=$WORK bash "$EMC_SOURCE_DIR/tests/bench/purge_bench.sh" 300 sqlite postgresql mysql \
    > "$WORK/purge.out" 2> "$WORK/purge.err" || bad "purge_bench.sh exited $?"
for b in sqlite postgresql mysql; do
    for tool in "glance-emc (batched)" "glance-manage (reference)" "raw DELETE in client"; do
        line=$(grep -F "$tool" "$WORK/purge.out" | awk -v b="$b" '$1 == b') || true
        if [ -z "$line" ]; then
            bad "purge_bench: no row for $b / $tool"
            continue
        fi
        # the last four columns: longest txn s, writer p99 ms, writer max ms, failed
        read -r txn p99 max failed <<< "$(awk '{print $(NF-3), $(NF-2), $(NF-1), $NF}' <<< "$line")"
        num "$txn" || bad "purge_bench $b / $tool: longest transaction '$txn'"
        num "$p99" && num "$max" || bad "purge_bench $b / $tool: the writer died ($p99 / $max)"
        if [ "$tool" = "glance-emc (batched)" ] && [ "$failed" != 0 ]; then
            bad "purge_bench $b: $failed of the writer's transactions failed during glance-emc's purge"
        fi
    done
done
# "deleted A + B images (reference: C + D)", one line per backend
n=0
while read -r a b c d; do
    n=$((n + 1))
    [ "$a $b" = "$c $d" ] || bad "purge_bench: glance-emc deleted $a + $b, the reference $c + $d"
    [ "${a:-0}" -gt 0 ] || bad "purge_bench: nothing deleted"
done < <(sed -nE 's/.*deleted ([0-9]+) \+ ([0-9]+) images \(reference: ([0-9]+) \+ ([0-9]+)\).*/\1 \2 \3 \4/p' \
    "$WORK/purge.out")
[ "$n" = 3 ] || bad "purge_bench: $n summary lines instead of 3"

# --- migrate_bench.sh -----------------------------------------------------------------------
EMC_TEST_TMP=$WORK bash "$EMC_SOURCE_DIR/tests/bench/migrate_bench.sh" 300 \
    > "$WORK/migrate.out" 2> "$WORK/migrate.err" || bad "migrate_bench.sh exited $?"
for b in sqlite postgresql mysql; do
    for how in emc ref raw; do
        # backend how rows wall_s rows/s longest_tx_s w_ops w_p50ms w_p99ms w_max_ms w_err null
        line=$(awk -v b="$b" -v h="$how" '$1 == b && $2 == h' "$WORK/migrate.out")
        if [ -z "$line" ]; then
            bad "migrate_bench: no row for $b / $how"
            continue
        fi
        read -r _ _ rows _ _ txn ops _ p99 _ werr nulls <<< "$line"
        num "$rows" && num "$txn" || bad "migrate_bench $b / $how: rows '$rows', longest '$txn'"
        [ "${ops:-0}" -gt 0 ] 2> /dev/null && num "$p99" ||
            bad "migrate_bench $b / $how: the writer did not write ($ops ops, p99 '$p99')"
        [ "$nulls" = 0 ] || bad "migrate_bench $b / $how: $nulls image(s) left without a visibility"
        if [ "$how" = emc ] && [ "$werr" != 0 ]; then
            bad "migrate_bench $b: $werr of the writer's writes failed during glance-emc's migration"
        fi
    done
done

if [ "$fail" != 0 ]; then
    echo "--- purge_bench.sh" >&2
    cat "$WORK/purge.out" >&2
    tail -20 "$WORK/purge.err" >&2
    echo "--- migrate_bench.sh" >&2
    cat "$WORK/migrate.out" >&2
    tail -20 "$WORK/migrate.err" >&2
    exit 1
fi
echo "ok: both benchmarks ran on the three backends with their writers alive"
