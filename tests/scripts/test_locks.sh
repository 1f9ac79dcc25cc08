#!/usr/bin/env bash
# Issue 4 item 3: locks, on every backend.
# - One run at a time: while a `db migrate` runs, a second command that changes the database
#   fails at once (the first is still running when it returns), exit 1, naming the holder
#   (user@host, pid, command, since when); once the first is over, the second runs.
# - DDL under a short lock timeout: a session of the database's own client holds a lock on
#   images (an open transaction that read it; SQLite: BEGIN IMMEDIATE, which holds up every
#   write, the journal's first) while `db expand --lock-timeout 1` runs. Released after a few seconds: expand reports each wait (the statement
#   and the session holding the lock, by its pid or id) and succeeds after retrying. Never
#   released: expand gives up, saying which statement waited on which session, nothing of the
#   revision is applied (on MySQL, nothing of that statement), and a re-run finishes.
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers
tmp=${EMC_TEST_TMP:-/tmp}/locks.$$
mkdir -p "$tmp"
BULK="/usr/bin/python3 $EMC_SOURCE_DIR/tests/tools/bulk_mitaka.py"
holder= feeder=
cleanup() { [ -n "$holder" ] && kill "$(cat "$tmp/sleep.pid" 2>/dev/null)" "$feeder" "$holder" 2>/dev/null; true; }
trap cleanup EXIT

wait_for() { # FILE PATTERN: until FILE holds PATTERN, at most 60 s
    local i
    for i in $(seq 1 600); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "FAIL: '$2' never appeared in $1" >&2
    exit 1
}

# hold BACKEND URL SECONDS: a client session of the backend that opens a transaction holding a
# lock on images for SECONDS (its statements come through a fifo from a feeder that sleeps);
# sets $holder and $feeder (pids) and $holder_id (what expand's messages must name: the server
# pid, the session id, the sqlite3 pid)
hold() {
    local b=$1 u=$2 s=$3 db=${2##*/}
    rm -f "$tmp/holder.out" "$tmp/fifo"
    mkfifo "$tmp/fifo"
    case "$b" in
    postgresql)
        PGPASSWORD="$EMC_DB_PASSWORD" psql -qAt -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc -d "$db" \
            <"$tmp/fifo" >"$tmp/holder.out" &
        holder=$!
        ( echo "BEGIN; SELECT pg_backend_pid(); SELECT count(*) FROM images;"; sleep "$s" & echo $! >"$tmp/sleep.pid"; wait; echo "COMMIT;" ) >"$tmp/fifo" &
        feeder=$!
        wait_for "$tmp/holder.out" '^[0-9]*$'
        holder_id="pid $(head -1 "$tmp/holder.out")"
        ;;
    mysql)
        mariadb --no-defaults -n -N -B -h 127.0.0.1 -P "$EMC_MYSQL_PORT" -u emc -p"$EMC_DB_PASSWORD" "$db" \
            <"$tmp/fifo" >"$tmp/holder.out" &
        holder=$!
        ( echo "BEGIN; SELECT CONNECTION_ID(); SELECT count(*) FROM images;"; sleep "$s" & echo $! >"$tmp/sleep.pid"; wait; echo "COMMIT;" ) >"$tmp/fifo" &
        feeder=$!
        wait_for "$tmp/holder.out" '^[0-9]*$'
        holder_id="session $(head -1 "$tmp/holder.out")"
        ;;
    sqlite)
        local f=${u#sqlite:///} i
        sqlite3 "$f" <"$tmp/fifo" &
        holder=$!
        ( echo "BEGIN IMMEDIATE;"; sleep "$s" & echo $! >"$tmp/sleep.pid"; wait; echo "COMMIT;" ) >"$tmp/fifo" &
        feeder=$!
        for i in $(seq 1 100); do
            grep -q ":$(stat -c %i "$f") " /proc/locks && break
            sleep 0.1
        done
        holder_id="pid $holder \\(sqlite3, a write lock"
        ;;
    esac
}

# release: end the holding session now
release() {
    kill "$(cat "$tmp/sleep.pid" 2>/dev/null)" "$feeder" "$holder" 2>/dev/null || true
    wait "$feeder" "$holder" 2>/dev/null || true
    holder= feeder=
}

for b in $(backends); do
    # --- one run at a time ------------------------------------------------------------------
    u=$(new_db "$b" "locks_$b")
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    $BULK "$u" 20000
    "$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
    rm -f "$tmp/first.err"
    "$EMC_BIN" --database-url "$u" --batch-size 1 db migrate >/dev/null 2>"$tmp/first.err" &
    first=$!
    wait_for "$tmp/first.err" 'rows done'
    set +e
    "$EMC_BIN" --database-url "$u" db contract >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    check "$b: the first run is still running when the second returns" kill -0 "$first"
    expect_eq "$b: the second run fails" "1" "$rc"
    expect_eq "$b: one line" "1" "$(wc -l <"$tmp/err")"
    check "$b: the holder is named: user@host, pid, command, since" \
        grep -qE "^ERROR: another glance-emc run holds the lock on this database \([^ ]+@[^ ]+ pid $first, .db migrate., since [0-9-]+ [0-9:]+ UTC\); wait for it to finish$" "$tmp/err"
    kill -INT "$first"
    set +e
    wait "$first"
    rc=$?
    set -e
    expect_eq "$b: the first run stops on SIGINT" "130" "$rc"
    "$EMC_BIN" --database-url "$u" db migrate >/dev/null 2>&1
    expect_eq "$b: once it is over, another run goes" "0" "$("$EMC_BIN" --database-url "$u" db contract >/dev/null 2>&1; echo $?)"

    # --- a killed run's lock: every command waits (up to 2 s) while the server ends its session
    # The journal names a run of this host whose process is gone, and another session holds the
    # lock for one more second, as a server does until it notices the dropped connection. A
    # purge must wait for it and run; it used to fail at once (commands.c waited, purge.c not).
    true & dead=$!
    wait "$dead"
    sql "$b" "$u" "INSERT INTO emc_journal (run_id, command, step, kind, phase, started_at, rows_done, stmts_done, outcome, operator, pid, tool_version) VALUES ('killed-run', 'purge', '', 'run', '', '2026-01-01 00:00:00', 0, 0, 'running', '$(id -un)@$(hostname)', $dead, 'test')"
    case "$b" in
    postgresql) PGPASSWORD="$EMC_DB_PASSWORD" psql -qAt -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc -d "${u##*/}" \
        -c "SELECT pg_advisory_lock(hashtextextended('glance-emc:${u##*/}', 0))" -c "SELECT 'held'" \
        -c "SELECT pg_sleep(1)" >"$tmp/held" & ;;
    mysql) mariadb --no-defaults -N -B -h 127.0.0.1 -P "$EMC_MYSQL_PORT" -u emc -p"$EMC_DB_PASSWORD" \
        -e "SELECT GET_LOCK('glance-emc:${u##*/}', 5); SELECT 'held'; SELECT SLEEP(1)" >"$tmp/held" & ;;
    sqlite) flock "${u#sqlite:///}.emc-lock" sh -c "echo held; sleep 1" >"$tmp/held" & ;;
    esac
    killed=$!
    wait_for "$tmp/held" held
    set +e
    "$EMC_BIN" --database-url "$u" db purge >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    expect_eq "$b: a purge waits for a killed run's lock, then runs ($(tail -1 "$tmp/err"))" "0" "$rc"
    check "$b: the lock was still held when the purge began" grep -q held "$tmp/held"
    wait "$killed" || true
    expect_eq "$b: the killed run is journaled as crashed" "1" \
        "$(sql "$b" "$u" "SELECT count(*) FROM emc_journal WHERE run_id = 'killed-run' AND outcome = 'crashed'")"

    # --- a lock that goes away: waits reported, retried, done -------------------------------
    # On MySQL, an older transaction open in another database (locks_mysql, above) must not be
    # named as the holder: only sessions of this database are
    other=
    if [ "$b" = mysql ]; then
        mariadb --no-defaults -N -B -h 127.0.0.1 -P "$EMC_MYSQL_PORT" -u emc -p"$EMC_DB_PASSWORD" \
            "locks_$b" -e "BEGIN; SELECT count(*) FROM images; SELECT SLEEP(8); COMMIT" >/dev/null &
        other=$!
        sleep 0.5
    fi
    u=$(new_db "$b" "locks2_$b")
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    hold "$b" "$u" 4
    set +e
    "$EMC_BIN" --database-url "$u" --lock-timeout 1 db expand >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    release
    expect_eq "$b: expand succeeds once the lock is released" "0" "$rc"
    check "$b: each wait is reported with the statement and the session holding the lock" \
        grep -qE "WARN .* (ocata_expand01: statement [0-9]+ \(ALTER TABLE images|the journal \().* waited 1\.0 s for a lock held by $holder_id.*; retrying in [0-9.]+ s \(retry 1 of 5\)" "$tmp/err"
    expect_eq "$b: expanded" "2024_1_expand01" "$("$EMC_BIN" --database-url "$u" db version)"
    if [ -n "$other" ]; then
        check "$b: the transaction open in another database is never named" \
            bash -c "! grep -qE 'held by session [0-9]+ \([^)]*\); session' '$tmp/err'"
        wait "$other" || true
    fi

    # --- a lock that stays: gives up, says on what, nothing half-done, a re-run finishes -----
    u=$(new_db "$b" "locks3_$b")
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    hold "$b" "$u" 300
    set +e
    "$EMC_BIN" --database-url "$u" --lock-timeout 1 db expand >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    expect_eq "$b: expand gives up" "1" "$rc"
    check "$b: it says which statement waited on which session" \
        grep -qE "^ERROR: (ocata_expand01: statement [0-9]+ \(ALTER TABLE images|the journal \().* gave up after 6 waits of 1\.0 s for a lock held by $holder_id.*run the command again once that session has finished$" "$tmp/err"
    expect_eq "$b: five retries reported" "5" "$(grep -c 'retrying in' "$tmp/err")"
    expect_eq "$b: nothing of ocata_expand01 applied" "mitaka02" "$("$EMC_BIN" --database-url "$u" db version)"
    case "$b" in
    sqlite) cols=$(sql "$b" "$u" "SELECT count(*) FROM pragma_table_info('images') WHERE name = 'visibility'") ;;
    *) cols=$(sql "$b" "$u" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'images' AND column_name = 'visibility' AND table_schema = $([ "$b" = mysql ] && echo 'DATABASE()' || echo 'current_schema()')") ;;
    esac
    expect_eq "$b: no visibility column" "0" "$cols"
    if [ "$b" != sqlite ]; then
        # (SQLite: a lock on the database file holds up the journal's first write as well)
        expect_eq "$b: journal: the step failed" "1" \
            "$(sql "$b" "$u" "SELECT count(*) FROM emc_journal WHERE step = 'ocata_expand01' AND outcome = 'failed'")"
    fi
    release
    "$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
    expect_eq "$b: a re-run finishes" "2024_1_expand01" "$("$EMC_BIN" --database-url "$u" db version)"
done
finish
