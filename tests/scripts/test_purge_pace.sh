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
# - on the servers, a statement held up by another session's row lock: cancelled at the
#   statement cap, the purge goes on once the lock is let go, and fails with one clear line
#   when it is not.
# - on the servers, an image tagged by another session while purge_images_table's batch waits
#   for it: the batch runs again and leaves that image alone.
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
# A batch held up on the servers: a service holds the row lock of an eligible image_properties
# row mid-table. On PostgreSQL the statement that meets it is cancelled by the server at the
# statement cap (0.45 s after its batch began, 0.2 s at the least), instead of waiting out
# lock_timeout (3 s) with its batch's locks held: a later statement of a batch goes back to its
# savepoint and the batch commits what came before; a batch's first statement fails the batch,
# which runs again after a backoff. On MariaDB, where the purge runs without the cap, the
# statement waits --lock-timeout (3 s; the server's default is InnoDB's 50 s), then the batch
# runs again the same way. The holder lets go a second after the first retry, and the purge
# finishes. A holder that outlasts the retries (six attempts, 7.75 s of backoff): exit 1, one
# line that says what it means and that a re-run continues, which it does. Fixed batches
# (--batch-size) have no cap on either server: they wait --lock-timeout, then are retried (the
# server's default is InnoDB's 50 s, PostgreSQL's forever).
LOCKER="/usr/bin/python3 $EMC_SOURCE_DIR/tests/tools/row_locker.py"
for b in $(backends); do
    [ "$b" = sqlite ] && continue # one write lock for the whole file: no row to wait on
    for holder in brief long fixed; do
        U=$(new_db "$b" "purge_held_$b")
        "$EMC_BIN" --database-url "$U" db sync > /dev/null 2>&1
        /usr/bin/python3 "$SEEDER" "$U" --images 1500 --seed 5 > /dev/null
        CUTOFF=$(date -u -d '30 days ago 1 minute ago' '+%Y-%m-%d %H:%M:%S')
        n=$(eligible "$b" "$U" image_properties)
        rm -f "$WORK/flag"
        : > "$WORK/held.err"
        # what the first retry of a held-up batch says: the cap's cancellation on PostgreSQL
        # (paced batches), the lock timeout otherwise
        capped=false
        [ "$b" = postgresql ] && [ "$holder" != fixed ] && capped=true
        if $capped; then first="was cancelled"; else first="waited too long for a row lock"; fi
        case $holder in
        brief) pattern=$first linger=1.0 opts=() ;;
        long) pattern="ERROR:" linger=0 opts=() ;;
        fixed) pattern=$first linger=0.5 opts=(--batch-size 300) ;;
        esac
        $LOCKER "$U" image_properties "WHERE deleted_at < '$CUTOFF' ORDER BY id LIMIT 1 OFFSET $((n / 2))" \
            "$WORK/held.err" "$WORK/flag" "$pattern" "$linger" > "$WORK/locker" &
        lpid=$!
        for _ in $(seq 1 300); do [ -s "$WORK/flag" ] && break; sleep 0.1; done
        [ -s "$WORK/flag" ] || bad "$b: the row locker never locked its row"
        set +e
        "$EMC_BIN" --database-url "$U" "${opts[@]}" --json db purge --max_rows -1 > "$WORK/held.json" 2> "$WORK/held.err"
        rc=$?
        set -e
        wait "$lpid" || bad "$b $holder: the row locker failed"
        grep -qE '^held [0-9]+\.[0-9] s$' "$WORK/locker" || bad "$b $holder: locker: $(cat "$WORK/locker")"
        if $capped; then
            grep -q 'ran past the statement cap and was cancelled' "$WORK/held.err" ||
                bad "$b $holder: no statement was cancelled at the cap: $(tail -3 "$WORK/held.err")"
            range="0 < t < 1.0" # the cap, never the lock timeout
            last='was cancelled 6 time\(s\) at the statement cap \(.+\): another session holds locks on these rows, or the server is overloaded'
        else
            grep -qE 'image_properties: a batch waited too long for a row lock \(rolled back\); retrying in 0.25 s \(retry 1 of 5\)' "$WORK/held.err" ||
                bad "$b $holder: no lock-timeout retry: $(tail -3 "$WORK/held.err")"
            ! grep -q 'statement cap' "$WORK/held.err" || bad "$b $holder: a statement cap where none is set"
            range="2.5 < t < 5.0" # the 3 s lock timeout, not the holder's
            last='waited more than --lock-timeout \(3 s\) 6 time\(s\) \(.+\): another session holds locks on these rows'
        fi
        if [ "$holder" != long ]; then
            [ "$rc" = 0 ] || bad "$b $holder: the held-up purge exited $rc: $(tail -3 "$WORK/held.err")"
            [ "$(summary "$WORK/held.json" image_properties deleted)" = "$n" ] ||
                bad "$b $holder: the held-up purge deleted $(summary "$WORK/held.json" image_properties deleted) of $n"
            longest=$(summary "$WORK/held.json" image_properties longest_txn_s)
            python3 -c "import sys; t = float(sys.argv[1]); sys.exit(not ($range))" "$longest" ||
                bad "$b $holder: the longest transaction took $longest s, not $range"
        else
            [ "$rc" = 1 ] || bad "$b: a purge held past its retries exited $rc"
            [ "$(grep -c '^ERROR' "$WORK/held.err")" = 1 ] &&
                grep -qE "^ERROR: .*a batch of image_properties $last; nothing of that batch was kept, and running the command again continues\$" "$WORK/held.err" ||
                bad "$b: held past the retries: $(grep ERROR "$WORK/held.err")"
            left=$(eligible "$b" "$U" image_properties)
            [ "$left" -ge $((n - n / 2)) ] || # the held row and those after it are kept
                bad "$b: held past the retries: $left of $n eligible rows left"
            "$EMC_BIN" --database-url "$U" db purge --max_rows -1 > /dev/null 2> "$WORK/again.err" ||
                bad "$b: the re-run failed: $(tail -3 "$WORK/again.err")"
            [ "$(eligible "$b" "$U" image_properties)" = 0 ] || bad "$b: the re-run left eligible rows"
        fi
    done
    echo "$b: held rows done"
done
# An image referenced while its batch runs: once `db purge` has taken the children, a service
# tags an eligible image mid-list in a transaction it keeps open, holding the image's row in
# share mode (the foreign key's check), where the purge's key read cannot see the new row. The
# batch's DELETE (fixed batches: no statement cap) waits for that lock; the service commits a
# second later, and the foreign key refuses the DELETE. The batch must run again, leaving the
# now referenced image alone (one blocked image in the summary), and the purge succeed; before,
# the purge failed on the foreign key (exit 1).
for b in $(backends); do
    [ "$b" = sqlite ] && continue # one write lock for the whole file: the tag waits its turn
    U=$(new_db "$b" "purge_ref_$b")
    "$EMC_BIN" --database-url "$U" db sync > /dev/null 2>&1
    /usr/bin/python3 "$SEEDER" "$U" --images 1500 --seed 5 > /dev/null
    "$EMC_BIN" --database-url "$U" db purge --max_rows -1 > /dev/null 2> "$WORK/ref.err" ||
        bad "$b: db purge before the images failed: $(tail -3 "$WORK/ref.err")"
    CUTOFF=$(date -u -d '30 days ago 1 minute ago' '+%Y-%m-%d %H:%M:%S')
    n=$(eligible "$b" "$U" images)
    [ "$n" -gt 100 ] || bad "$b: only $n eligible images"
    # the seed's blocked images: deleted, with rows that are not
    refs=""
    for t in $CHILDREN; do refs="$refs OR EXISTS (SELECT 1 FROM $t c WHERE c.image_id = i.id)"; done
    pre=$(sql "$b" "$U" "SELECT COUNT(*) FROM images i WHERE i.deleted_at < '$CUTOFF' AND (1 = 0$refs)")
    held=$(sql "$b" "$U" "SELECT i.id FROM images i WHERE i.deleted_at < '$CUTOFF' AND NOT (1 = 0$refs) ORDER BY i.deleted_at, i.id LIMIT 1 OFFSET $((n / 2))")
    rm -f "$WORK/flag"
    : > "$WORK/ref.err"
    $LOCKER "$U" images "WHERE id = '$held'" "$WORK/ref.err" "$WORK/flag" \
        "Purging deleted rows older than" 1.0 reference > "$WORK/locker" &
    lpid=$!
    for _ in $(seq 1 300); do [ -s "$WORK/flag" ] && break; sleep 0.1; done
    [ -s "$WORK/flag" ] || bad "$b: the tagger never tagged its image"
    set +e
    "$EMC_BIN" --database-url "$U" --batch-size 300 --json db purge_images_table --age_in_days 30 \
        --max_rows -1 > "$WORK/ref.json" 2> "$WORK/ref.err"
    rc=$?
    set -e
    wait "$lpid" || bad "$b: the tagger failed"
    [ "$rc" = 0 ] || bad "$b: purge_images_table with an image tagged meanwhile exited $rc: $(grep -v OSSN "$WORK/ref.err" | tail -3)"
    if [ "$b" = mysql ]; then
        # MariaDB reads every eligible image's key unchecked; the first of the seed's blocked
        # images makes the foreign key refuse its batch, which runs again checked, as do all
        # after it (the tagged image's included: its check or its foreign key leaves it alone)
        [ "$pre" -gt 0 ] || bad "$b: the seed left no blocked image"
        grep -qE '^INFO.* images: a batch met an image that rows still reference \(rolled back; .+\); from now on every batch checks its images$' "$WORK/ref.err" ||
            bad "$b: no checked batches after the foreign key refused one: $(grep -v OSSN "$WORK/ref.err" | tail -3)"
    else
        grep -qE '^WARN.* images: an image of a batch became referenced while the batch ran \(rolled back; .+\); retrying, leaving referenced images alone \(retry 1 of 5\)$' "$WORK/ref.err" ||
            bad "$b: no retry after the foreign key refused a batch: $(grep -v OSSN "$WORK/ref.err" | tail -3)"
    fi
    [ "$(summary "$WORK/ref.json" images deleted)" = "$((n - pre - 1))" ] && [ "$(summary "$WORK/ref.json" images blocked)" = "$((pre + 1))" ] ||
        bad "$b: deleted $(summary "$WORK/ref.json" images deleted) of $n images, $(summary "$WORK/ref.json" images blocked) blocked (expected $((n - pre - 1)), $((pre + 1)))"
    [ "$(sql "$b" "$U" "SELECT COUNT(*) FROM images WHERE deleted_at < '$CUTOFF'")" = "$((pre + 1))" ] &&
        [ "$(sql "$b" "$U" "SELECT COUNT(*) FROM images WHERE id = '$held'")" = 1 ] ||
        bad "$b: the tagged image is gone, or other eligible images are left"
    echo "$b: referenced image done"
done
[ "$fail" = 0 ] || exit 1
echo "ok"
