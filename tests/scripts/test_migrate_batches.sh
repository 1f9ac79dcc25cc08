#!/usr/bin/env bash
# Issue 4 item 2: batched data migrations, on every backend. 20000 Newton-era images (a third
# public, some with members) at mitaka02, expanded; `db migrate --batch-size 500` is sent SIGINT
# once its progress shows: it finishes the batch it is in, says how far it got, exits 130, and
# leaves exactly the committed batches done (never a partial one); `check` then says migrate and
# `contract` refuses; `migrate` again finishes, every visibility right; the journal has the step
# interrupted, then done, with batches of at most 500 rows. Also: the progress lines (rows done
# and left, rows/s, ETA), the bar on a terminal, SIGTERM between schema steps, and on the
# servers a batch held up on a row lock: cancelled at the statement cap, run again narrower.
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers
tmp=${EMC_TEST_TMP:-/tmp}/migbatch.$$
mkdir -p "$tmp"
BULK="/usr/bin/python3 $EMC_SOURCE_DIR/tests/tools/bulk_mitaka.py"
N=20000

# journal_field BACKEND URL STEP OUTCOME FIELD: FIELD of the newest journal row of STEP with OUTCOME
journal_field() {
    "$EMC_BIN" --database-url "$2" --json db journal | /usr/bin/python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["step"] == sys.argv[1] and r["outcome"] == sys.argv[2]]
print(rows[-1][sys.argv[3]] if rows else "none")' "$3" "$4" "$5"
}

# wait_for FILE PATTERN: until FILE holds PATTERN, at most 60 s
wait_for() {
    local i
    for i in $(seq 1 600); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "FAIL: '$2' never appeared in $1: $(cat "$1")" >&2
    exit 1
}

for b in $(backends); do
    u=$(new_db "$b" "migbatch_$b")
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    $BULK "$u" $N
    "$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1

    rm -f "$tmp/out" "$tmp/err"
    "$EMC_BIN" --database-url "$u" --batch-size 500 db migrate >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    wait_for "$tmp/err" 'rows done'
    kill -INT "$pid"
    set +e
    wait "$pid"
    rc=$?
    set -e
    expect_eq "$b: interrupted migrate exits 130" "130" "$rc"
    check "$b: progress line: done, left, rows/s, ETA" \
        grep -qE 'ocata_migrate01: [0-9]+ rows done \([0-9.]+%\), [0-9]+ left, [0-9]+ rows/s, ETA [0-9]' "$tmp/err"
    line=$(grep 'interrupted' "$tmp/err")
    check "$b: the summary says how far it got" \
        grep -qE "^ERROR: interrupted: ocata_migrate01 stopped after [0-9]+ of $N row\(s\) in [0-9]+ batch\(es\).*run .glance-emc db migrate. again" <<<"$line"
    done1=$(sed -E 's/.*stopped after ([0-9]+) of.*/\1/' <<<"$line")
    check "$b: stopped part-way ($done1 rows)" test "$done1" -gt 0 -a "$done1" -lt $N
    expect_eq "$b: whole batches only" "0" "$((done1 % 500))"
    expect_eq "$b: exactly the committed batches are done" "$((N - done1))" \
        "$(sql "$b" "$u" "SELECT count(*) FROM images WHERE visibility IS NULL")"
    expect_eq "$b: journal step interrupted" "$done1" "$(journal_field "$b" "$u" ocata_migrate01 interrupted rows)"
    expect_eq "$b: journal run interrupted" "migrate" "$(journal_field "$b" "$u" migrate interrupted command)"
    expect_eq "$b: check says migrate" "4" "$("$EMC_BIN" --database-url "$u" db check >/dev/null 2>&1; echo $?)"
    set +e
    "$EMC_BIN" --database-url "$u" db contract >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    expect_eq "$b: contract refuses with data left" "1" "$rc"
    check "$b: contract's reference message" grep -q 'Database contraction did not run. Database contraction cannot be run before data migration is complete.' "$tmp/err"

    "$EMC_BIN" --database-url "$u" --batch-size 500 db migrate >"$tmp/out" 2>"$tmp/err"
    expect_eq "$b: the second migrate finishes the rest" "Migrated $((N - done1)) rows" "$(cat "$tmp/out")"
    expect_eq "$b: every visibility right" "$($BULK expect $N | sort)" \
        "$(sql "$b" "$u" "SELECT visibility, count(*) FROM images GROUP BY visibility" | tr '\t' ' ' | sort)"
    expect_eq "$b: journal step done" "$((N - done1))" "$(journal_field "$b" "$u" ocata_migrate01 done rows)"
    batches=$(journal_field "$b" "$u" ocata_migrate01 done statements)
    check "$b: batches of at most 500 rows ($batches for $((N - done1)))" test $((batches * 500)) -ge $((N - done1))
    # the second run walks the table once, in windows of 500 keys (rows it finds done cost a
    # window but no write), and starts no second pass: nobody else wrote meanwhile. On
    # PostgreSQL the walk is over row versions, and the first run's updates added done1 of them.
    if [ "$b" = postgresql ]; then
        check "$b: one pass over the row versions ($batches windows)" \
            test "$batches" -ge $((N / 500)) -a "$batches" -le $(((N + done1) / 500 + 1))
    else
        expect_eq "$b: one pass, a window per 500 keys" "$((N / 500))" "$batches"
    fi
    expect_eq "$b: check says contract" "5" "$("$EMC_BIN" --database-url "$u" db check >/dev/null 2>&1; echo $?)"
    "$EMC_BIN" --database-url "$u" db contract >/dev/null 2>&1
    expect_eq "$b: contracted" "0" "$("$EMC_BIN" --database-url "$u" db check >/dev/null 2>&1; echo $?)"
done

# A batch held up on the servers: a service holds a row lock on an image the migration has
# still to set. The batch that meets it must be cancelled at the statement cap (0.3 s), rolled
# back and run again narrower, instead of holding its own row locks while it waits (without the
# cap it waits out lock_timeout, 3 s, and its transaction lasts as long). The holder lets go a
# second after the first cancellation; the migration then finishes, every visibility right.
# A holder that outlasts the retries (six attempts, 7.75 s of backoff) gets a one-line error
# that says what to do, exit 1, nothing of the batch kept, and a re-run finishes.
# held_migrate BACKEND NAME IMAGES IMAGE PATTERN LINGER: a new expanded database of IMAGES
# images (its URL in u), the row of image IMAGE held by tests/tools/row_locker.py until the
# migrate's stderr shows PATTERN and LINGER s more, and `db migrate --batch-size 500` run
# meanwhile (its exit code in rc, its output in $tmp/out and $tmp/err)
held_migrate() {
    u=$(new_db "$1" "$2")
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    $BULK "$u" "$3"
    "$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
    rm -f "$tmp/lockflag"
    : >"$tmp/err"
    /usr/bin/python3 "$EMC_SOURCE_DIR/tests/tools/row_locker.py" "$u" images "WHERE name = '$4'" \
        "$tmp/err" "$tmp/lockflag" "$5" "$6" >"$tmp/locker" &
    local lpid=$!
    wait_for "$tmp/lockflag" locked
    set +e
    "$EMC_BIN" --database-url "$u" --batch-size 500 db migrate >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    wait "$lpid"
}
for b in $(backends); do
    [ "$b" = sqlite ] && continue # one write lock for the whole file: no row to wait on
    held_migrate "$b" "migcap_$b" $N bulk-10003 "was cancelled" 1.0
    expect_eq "$b: held-up migrate finishes" "0 Migrated $N rows" "$rc $(cat "$tmp/out")"
    check "$b: the held-up batch is cancelled at the cap and runs again narrower" \
        grep -qE "ocata_migrate01: batch [0-9]+ of 500 row\(s\) ran past 0.30 s and was cancelled \(rolled back\); running it again as 250 row\(s\)" "$tmp/err"
    check "$b: the holder was let go after the cancellation ($(cat "$tmp/locker"))" \
        grep -qE '^held ([1-9]|1[0-9]|2[0-9])\.[0-9] s$' "$tmp/locker"
    longest=$(sed -nE 's/.*ocata_migrate01: [0-9]+ row\(s\) in .*longest batch ([0-9.]+) s.*/\1/p' "$tmp/err")
    check "$b: no batch transaction waited out the lock (longest ${longest:-none} s)" \
        /usr/bin/python3 -c "import sys; sys.exit(not 0 < float(sys.argv[1]) < 1.0)" "${longest:-0}"
    expect_eq "$b: every visibility right after the held-up batch" "$($BULK expect $N | sort)" \
        "$(sql "$b" "$u" "SELECT visibility, count(*) FROM images GROUP BY visibility" | tr '\t' ' ' | sort)"

    # a holder that outlasts every retry
    held_migrate "$b" "migcap2_$b" 2000 bulk-1003 "ERROR:" 0
    expect_eq "$b: a holder past the retries fails the migrate" "1" "$rc"
    check "$b: one line that says what happened and what to do" \
        grep -qE '^ERROR: ocata_migrate01 batch [0-9]+ \([0-9]+ row\(s\) done before it\): cancelled 6 time\(s\) at the 0.30 s statement cap, the last as [0-9]+ row\(s\) \(.+\): another session holds locks on these rows, or the server is overloaded; nothing of this batch was kept, and running the command again continues$' "$tmp/err"
    expect_eq "$b: the held image's batch was rolled back" "1" \
        "$(sql "$b" "$u" "SELECT count(*) FROM images WHERE name = 'bulk-1003' AND visibility IS NULL")"
    "$EMC_BIN" --database-url "$u" --batch-size 500 db migrate >"$tmp/out" 2>"$tmp/err"
    check "$b: a re-run finishes ($(cat "$tmp/out"))" grep -qE '^Migrated [0-9]+ rows$' "$tmp/out"
    expect_eq "$b: every visibility right after the re-run" "$($BULK expect 2000 | sort)" \
        "$(sql "$b" "$u" "SELECT visibility, count(*) FROM images GROUP BY visibility" | tr '\t' ' ' | sort)"
done

# On a terminal the progress is a bar redrawn in place (script(1) gives the run a terminal).
u=$(new_db sqlite migbatch_tty)
"$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
$BULK "$u" 3000
"$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
script -qec "'$EMC_BIN' --database-url '$u' --batch-size 100 db migrate" /dev/null >"$tmp/tty" 2>&1
check "tty: a bar" grep -q 'ocata_migrate01 \[#' "$tmp/tty"
check "tty: redrawn in place" grep -q $'\r' "$tmp/tty"
check "tty: rows left and rate" grep -qE '[0-9]+ done, [0-9]+ left, [0-9]+ rows/s' "$tmp/tty"
check "tty: finished" grep -q 'Migrated 3000 rows' "$tmp/tty"

# On SQLite the batches keep the journal file from one transaction to the next (bulk mode,
# PRAGMA journal_mode = PERSIST) instead of creating, syncing and deleting it at each commit,
# and remove it at the end: counted as the unlink calls on the journal file, one a commit in
# the default mode (the 30 batches and the journal's own writes) against a few here (the
# journal's own writes, before and after the batches). LeakSanitizer cannot run under ptrace.
u=$(new_db sqlite migbatch_bulk)
"$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
$BULK "$u" 3000
"$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=unlink,unlinkat \
    -o "$tmp/strace" "$EMC_BIN" --database-url "$u" --batch-size 100 db migrate >"$tmp/out" 2>"$tmp/err"
check "bulk: finished" grep -q 'Migrated 3000 rows' "$tmp/out"
unlinks=$(grep -c -- '-journal"' "$tmp/strace" || true)
check "bulk: the journal file kept between the 30 batches ($unlinks unlinks)" test "$unlinks" -ge 1 -a "$unlinks" -le 10
check "bulk: no journal file left" test ! -e "${u#sqlite:///}-journal"

# SIGTERM between schema steps: the step running finishes (one transaction), the run stops
# before the next with a clear line and exit 130, and expand run again finishes the rest.
u=$(new_db sqlite migbatch_term)
"$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
$BULK "$u" 60000
rm -f "$tmp/out" "$tmp/err"
"$EMC_BIN" --database-url "$u" db expand >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_for "$tmp/err" 'Running upgrade mitaka02 -> ocata_expand01'
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
expect_eq "SIGTERM: exit 130" "130" "$rc"
check "SIGTERM: says what is done and what is not" \
    grep -qE '^ERROR: interrupted: [a-z0-9_]+_expand0[12] is done and recorded, [a-z0-9_]+ and the [0-9]+ step\(s\) after it are not: run the command again to finish$' "$tmp/err"
done_step=$(sed -nE 's/^ERROR: interrupted: ([a-z0-9_]+) is done.*/\1/p' "$tmp/err")
expect_eq "SIGTERM: stopped after the step it names" "$done_step" "$("$EMC_BIN" --database-url "$u" db version)"
"$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
expect_eq "SIGTERM: a re-run finishes" "2024_1_expand01" "$("$EMC_BIN" --database-url "$u" db version)"
finish
