# crash_lib.sh - the crash-safety suite (issue 4 item 4), sourced by
# test_crash_safety_BACKEND.sh, one file per backend so that ctest runs them in parallel.
#
# For each of `db sync` (from an empty database), `db expand` (from a Newton-era mitaka02
# database holding images, members and locations), `db migrate --batch-size 2` (from that
# database expanded), `db contract` (from it migrated), and the batched `db purge` and
# `db purge_images_table` (from a seeded database), and for N = 1, 2, ...: start from a
# copy of the command's starting database, run the command with EMC_CRASH_AT=N (the engine
# SIGKILLs itself right after the N-th counted statement: see engine/db.c), run the command
# again, and compare the result with a run never interrupted: schema and data, by the
# database's own dump (emc_journal left out). The loop ends when a run finishes without
# reaching N. Every re-run must exit 0, leave no journal row 'running', and the killed run must
# be recorded 'crashed'.
#
# To stay affordable, MySQL runs on a private MariaDB whose data is on tmpfs (DDL then does not
# wait for the disk; the client is what gets killed, so durability settings of the server do not
# matter here), SQLite files live on tmpfs too when /dev/shm is there, and PostgreSQL databases
# are copied with CREATE DATABASE ... TEMPLATE.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/own_mariadb.sh"

CS_BACKEND=
CS_DIR=

cs_cleanup() {
    if [ "$CS_BACKEND" = mysql ]; then own_mariadb_stop "$CS_DIR/my"; fi
    rm -rf "$CS_DIR"
}

cs_setup() {
    CS_BACKEND=$1
    local base=${EMC_TEST_TMP:-/tmp}
    if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; fi
    CS_DIR=$(mktemp -d "$base/emc-crash-$CS_BACKEND.XXXXXX")
    trap cs_cleanup EXIT
    if [ "$CS_BACKEND" = mysql ]; then
        own_mariadb_start "$CS_DIR/my" --innodb-flush-method=fsync --innodb-doublewrite=0 \
            --innodb-flush-log-at-trx-commit=0 --innodb-log-file-size=64M
    fi
}

cs_url() {
    case "$CS_BACKEND" in
    sqlite) echo "sqlite:///$CS_DIR/$1.db" ;;
    postgresql) echo "postgresql://emc:$PW_URL@127.0.0.1:$EMC_PG_PORT/cs_$1" ;;
    mysql) echo "$OWN_MY_URL/cs_$1" ;;
    esac
}

cs_pg_admin() {
    PGOPTIONS="-c client_min_messages=warning" PGPASSWORD="$EMC_DB_PASSWORD" psql -q -h 127.0.0.1 \
        -p "$EMC_PG_PORT" -U emc -d postgres -v ON_ERROR_STOP=1 "$@" >/dev/null
}

# cs_create NAME: an empty database
cs_create() {
    case "$CS_BACKEND" in
    sqlite) rm -f "$CS_DIR/$1.db" "$CS_DIR/$1.db.emc-lock" ;;
    postgresql) cs_pg_admin -c "DROP DATABASE IF EXISTS cs_$1 WITH (FORCE)" -c "CREATE DATABASE cs_$1" ;;
    mysql) own_mariadb_sql "$CS_DIR/my" -e "DROP DATABASE IF EXISTS cs_$1; CREATE DATABASE cs_$1" ;;
    esac
}

# cs_clone SRC DST: DST becomes a copy of SRC
cs_clone() {
    case "$CS_BACKEND" in
    sqlite)
        rm -f "$CS_DIR/$2.db" "$CS_DIR/$2.db.emc-lock"
        if [ -e "$CS_DIR/$1.db" ]; then cp "$CS_DIR/$1.db" "$CS_DIR/$2.db"; fi
        ;;
    postgresql)
        cs_pg_admin -c "DROP DATABASE IF EXISTS cs_$2 WITH (FORCE)" -c "CREATE DATABASE cs_$2 TEMPLATE cs_$1"
        ;;
    mysql)
        cs_create "$2"
        mariadb-dump --no-defaults -S "$CS_DIR/my/sock" -uroot --skip-comments --triggers "cs_$1" |
            own_mariadb_sql "$CS_DIR/my" "cs_$2"
        ;;
    esac
}

# cs_sql NAME "SQL": run SQL in the backend's own client
cs_sql() {
    case "$CS_BACKEND" in
    sqlite) sqlite3 -batch "$CS_DIR/$1.db" "$2" ;;
    postgresql) PGPASSWORD="$EMC_DB_PASSWORD" psql -qAt -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc \
        -d "cs_$1" -v ON_ERROR_STOP=1 -c "$2" ;;
    mysql) own_mariadb_sql "$CS_DIR/my" -N -B "cs_$1" -e "$2" ;;
    esac
}

# cs_dump NAME: schema and data, one fact a line, sorted, emc_journal left out
cs_dump() {
    case "$CS_BACKEND" in
    sqlite) sqlite3 -batch "$CS_DIR/$1.db" .dump | grep -v emc_journal | sort ;;
    postgresql)
        PGPASSWORD="$EMC_DB_PASSWORD" pg_dump -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc --no-owner \
            --no-privileges -T 'emc_journal*' "cs_$1" | grep -v -e '^--' -e '^$' -e '^.restrict ' -e '^.unrestrict ' | sort
        ;;
    mysql)
        mariadb-dump --no-defaults -S "$CS_DIR/my/sock" -uroot --skip-comments --skip-dump-date \
            --skip-extended-insert --triggers --ignore-table="cs_$1.emc_journal" "cs_$1" |
            sed -e 's/ AUTO_INCREMENT=[0-9]*//' | sort
        ;;
    esac
}

# cs_seed NAME: Newton-era rows in a mitaka02 database: public, private and shared images (a
# live member), one whose only member is deleted, a deleted image, and locations whose
# meta_data names the store with the pre-Train key "backend".
cs_seed() {
    local t=1 f=0
    [ "$CS_BACKEND" = postgresql ] && t=true && f=false
    cs_sql "$1" "INSERT INTO images (id, name, status, is_public, created_at, deleted, min_disk, min_ram, protected) VALUES
      ('c0000000-0000-0000-0000-000000000001', 'pub', 'active', $t, '2016-01-01 00:00:00', $f, 0, 0, $f),
      ('c0000000-0000-0000-0000-000000000002', 'priv', 'active', $f, '2016-01-01 00:00:00', $f, 0, 0, $f),
      ('c0000000-0000-0000-0000-000000000003', 'shared', 'active', $f, '2016-01-01 00:00:00', $f, 0, 0, $f),
      ('c0000000-0000-0000-0000-000000000004', 'old-member', 'active', $f, '2016-01-01 00:00:00', $f, 0, 0, $f),
      ('c0000000-0000-0000-0000-000000000005', 'pub2', 'active', $t, '2016-01-01 00:00:00', $f, 0, 0, $f),
      ('c0000000-0000-0000-0000-000000000006', 'priv2', 'queued', $f, '2016-01-01 00:00:00', $f, 0, 0, $f),
      ('c0000000-0000-0000-0000-000000000007', 'gone', 'deleted', $f, '2016-01-01 00:00:00', $t, 0, 0, $f)"
    cs_sql "$1" "INSERT INTO image_members (image_id, member, can_share, created_at, deleted, status) VALUES
      ('c0000000-0000-0000-0000-000000000003', 'tenant-b', $f, '2016-01-01 00:00:00', $f, 'accepted'),
      ('c0000000-0000-0000-0000-000000000004', 'tenant-c', $f, '2016-01-01 00:00:00', $t, 'accepted')"
    cs_sql "$1" "INSERT INTO image_locations (image_id, value, created_at, deleted, meta_data, status) VALUES
      ('c0000000-0000-0000-0000-000000000001', 'file:///a', '2016-01-01 00:00:00', $f, '{\"backend\": \"fast\"}', 'active'),
      ('c0000000-0000-0000-0000-000000000002', 'file:///b', '2016-01-01 00:00:00', $f, '{}', 'active'),
      ('c0000000-0000-0000-0000-000000000005', 'file:///c', '2016-01-01 00:00:00', $f, '{\"backend\": \"slow\"}', 'active')"
}

cs_emc() { # NAME ARGS...: glance-emc on database NAME
    local name=$1; shift
    "$EMC_BIN" --database-url "$(cs_url "$name")" "$@"
}

# cs_start_states: the starting database of each command
cs_start_states() {
    cs_create start_sync
    cs_create start_expand
    cs_emc start_expand db upgrade --version mitaka02 >/dev/null 2>&1
    cs_seed start_expand
    cs_clone start_expand start_migrate
    cs_emc start_migrate db expand >/dev/null 2>&1
    cs_clone start_migrate start_contract
    cs_emc start_contract db migrate >/dev/null 2>&1
    expect_eq "$CS_BACKEND: contract's start is migrated" "5" \
        "$(cs_emc start_contract db check >/dev/null 2>&1; echo $?)"
    # purges: soft-deleted rows of every age (whole days old, so that a purge a few seconds
    # later chooses the same rows), then the images those left behind
    cs_create start_purge
    cs_emc start_purge db sync >/dev/null 2>&1
    /usr/bin/python3 "$EMC_SOURCE_DIR/tests/tools/seed.py" "$(cs_url start_purge)" --images 12 \
        --seed 3 >/dev/null
    cs_clone start_purge start_purge_images_table
    cs_emc start_purge_images_table db purge --age_in_days 30 --max_rows -1 >/dev/null 2>&1
}

# cs_no_journal_file RUN: on SQLite, no "-journal" file is left once a command has finished
# (bulk mode keeps one between a purge's transactions and removes it at the end)
cs_no_journal_file() {
    [ "$CS_BACKEND" != sqlite ] || [ ! -e "$CS_DIR/$1.db-journal" ]
}

# cs_iteration WORKER N CMD ARGS...: one crash point; prints "crashed", "finished" or fails
cs_iteration() {
    local w=$1 n=$2 cmd=$3; shift 3
    local run=run$w rc at
    cs_clone "start_$cmd" "$run"
    rm -f "$CS_DIR/trace$w"
    set +e
    EMC_CRASH_AT=$n EMC_CRASH_TRACE="$CS_DIR/trace$w" cs_emc "$run" db "$cmd" "$@" \
        >/dev/null 2>"$CS_DIR/crash$w.err"
    rc=$?
    set -e
    if [ "$rc" -ne 137 ]; then
        # the run finished before reaching statement n: it must have succeeded
        if [ "$rc" -ne 0 ]; then
            echo "FAIL: $CS_BACKEND $cmd: EMC_CRASH_AT=$n: exit $rc without a crash: $(cat "$CS_DIR/crash$w.err")"
            return 1
        fi
        cs_dump "$run" >"$CS_DIR/run$w.dump"
        if ! diff -q "$CS_DIR/expected.dump" "$CS_DIR/run$w.dump" >/dev/null; then
            echo "FAIL: $CS_BACKEND $cmd: a run with EMC_CRASH_AT=$n ends with another database"
            return 1
        fi
        if ! cs_no_journal_file "$run"; then
            echo "FAIL: $CS_BACKEND $cmd: a finished run left its journal file behind"
            return 1
        fi
        echo finished
        return 0
    fi
    at=$(tail -1 "$CS_DIR/trace$w" 2>/dev/null || echo '?')
    set +e
    cs_emc "$run" db "$cmd" "$@" >/dev/null 2>"$CS_DIR/rerun$w.err"
    rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: $CS_BACKEND $cmd: re-run after a kill after statement $at exits $rc: $(cat "$CS_DIR/rerun$w.err")"
        return 1
    fi
    cs_dump "$run" >"$CS_DIR/run$w.dump"
    if ! diff -q "$CS_DIR/expected.dump" "$CS_DIR/run$w.dump" >/dev/null; then
        echo "FAIL: $CS_BACKEND $cmd: killed after statement $at, the re-run ends with another database:"
        diff "$CS_DIR/expected.dump" "$CS_DIR/run$w.dump" | head -20
        return 1
    fi
    if ! cs_no_journal_file "$run"; then
        echo "FAIL: $CS_BACKEND $cmd: killed after statement $at, the re-run left the journal file behind"
        return 1
    fi
    local running
    running=$(cs_sql "$run" "SELECT count(*) FROM emc_journal WHERE outcome = 'running'")
    if [ "$running" != 0 ]; then
        echo "FAIL: $CS_BACKEND $cmd: killed after statement $at: $running journal row(s) left 'running'"
        return 1
    fi
    echo crashed
}

# cs_worker W CMD ARGS...: crash points W+1, W+1+CS_JOBS, ... until one finishes uncrashed (or
# another worker has found the end before this one's next point); the last line of
# $CS_DIR/worker$W is "end N", "stop" or a failure
cs_worker() {
    local w=$1; shift
    local n=$((w + 1)) out
    while :; do
        if [ -s "$CS_DIR/end" ] && [ "$(sort -n "$CS_DIR/end" | head -1)" -lt "$n" ]; then
            echo stop
            return 0
        fi
        out=$(cs_iteration "$w" "$n" "$@") || { echo "$out"; return 1; }
        if [ "$out" = finished ]; then
            echo "$n" >>"$CS_DIR/end"
            echo "end $n"
            return 0
        fi
        n=$((n + CS_JOBS))
    done
}

# cs_command CMD ARGS...: the crash loop for one command, CS_JOBS crash points at a time;
# prints "CMD: K crash points, S s"
cs_command() {
    local cmd=$1 t0 w fail=0 end
    t0=$(date +%s)
    cs_clone "start_$cmd" expected
    cs_emc expected db "$@" >/dev/null 2>"$CS_DIR/expected.err" ||
        { echo "FAIL: $CS_BACKEND $cmd: the uninterrupted run failed: $(cat "$CS_DIR/expected.err")" >&2; exit 1; }
    cs_dump expected >"$CS_DIR/expected.dump"
    rm -f "$CS_DIR/end"
    local pids=()
    for w in $(seq 0 $((CS_JOBS - 1))); do
        cs_worker "$w" "$@" >"$CS_DIR/worker$w" 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    for w in $(seq 0 $((CS_JOBS - 1))); do
        if grep -q '^FAIL' "$CS_DIR/worker$w"; then
            cat "$CS_DIR/worker$w" >&2
            fail=1
        fi
    done
    [ "$fail" = 0 ] || exit 1
    end=$(sort -n "$CS_DIR/end" | head -1)
    check "$CS_BACKEND $cmd: the crash loop reached the end" test -n "$end"
    check "$CS_BACKEND $cmd: at least one crash point" test "$end" -gt 1
    # each crash point: the re-run exits 0, the same database, no row left 'running'
    CHECKS=$((CHECKS + 3 * (end - 1)))
    echo "$cmd: $((end - 1)) crash points, $(($(date +%s) - t0)) s"
}

crash_suite() {
    CS_JOBS=${EMC_CRASH_JOBS:-2}
    cs_setup "$1"
    cs_start_states
    cs_command sync
    cs_command expand
    cs_command migrate --batch-size 2
    cs_command contract
    cs_command purge --batch-size 3 --sleep 0 --age_in_days 30 --max_rows -1
    cs_command purge_images_table --batch-size 1 --sleep 0 --age_in_days 30 --max_rows -1
    local crashed
    cs_clone start_expand j
    set +e
    # point 5: the expand's first step, the run's own journal row already committed
    EMC_CRASH_AT=5 cs_emc j db expand >/dev/null 2>&1
    set -e
    cs_emc j db expand >/dev/null 2>&1
    crashed=$(cs_sql j "SELECT count(*) FROM emc_journal WHERE kind = 'run' AND outcome = 'crashed' AND command = 'expand'")
    expect_eq "$CS_BACKEND: the killed run is journaled as crashed" "1" "$crashed"
    finish
}
