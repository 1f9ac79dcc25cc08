#!/usr/bin/env bash
# purge_bench.sh - a benchmark, not a test: it never fails on time.
#
#   tests/bench/purge_bench.sh [IMAGES] [BACKEND...]     (default: 100000 sqlite postgresql mysql)
#
# For each backend, one database is built (`glance-emc db sync`) and seeded by tests/tools/seed.py
# (IMAGES images, ~11 rows each with children and tasks, no image referenced by live rows so the
# reference's purge_images_table can succeed), then cloned three times. On the three identical
# copies, in the same run: glance-emc's purge (batched, its default: the batch size adapts to
# transactions of about 0.2 s, and on SQLite a pause between batches that lets a waiting
# writer in), the reference's (`glance-manage db purge`), and the raw DELETE statements in the
# database's own client (sqlite3 / psql / mariadb); each `db purge --age_in_days 30 --max_rows -1` then
# `purge_images_table --age_in_days 31 --max_rows -1`: a day older, so that the images of the second
# command are those whose children the first took (children are deleted with their image), and
# none deleted in the seconds between the two cutoffs blocks it (at 1M images one in a few
# runs of the reference failed on a foreign key that way, after deleting nothing). While each runs, tests/bench/writer.py
# inserts and updates rows in a loop and times each transaction. Also timed: glance-emc's
# --preview of both commands on the untouched copy.
#
# BENCH_SEEDED=NAME: instead of seeding, use the database NAME already seeded by seed.py (the
# same name on each server; on SQLite, the file NAME), which the benchmark reads and never
# changes: at 1M images seeding takes about 16 minutes per backend.
#
# Servers: those of the environment (EMC_PG_URL... from tests/servers.sh's env file), else the
# script starts its own in a temporary folder and stops them at the end. MariaDB's redo log and
# page cleaner decide its longest transactions at 1M images (a full redo log stalls every
# writing session): the 1M figures in the README ran on servers started with
# `EMC_MYSQL_BUFFER_POOL=6G EMC_MYSQL_LOG_FILE_SIZE=1G EMC_MYSQL_IO_CAPACITY=2000
# tests/servers.sh start DIR`; the run prints the settings it met. EMC_BIN: the binary
# to measure (default: a RelWithDebInfo build in build-bench/, made if missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-100000}
shift || true
BACKENDS=${*:-sqlite postgresql mysql}
export EMC_SOURCE_DIR=$root
WORK=$(mktemp -d /tmp/purge-bench.XXXXXX)
chmod 755 "$WORK"
export EMC_TEST_TMP=$WORK
own_servers=""
# the databases this run makes on the servers: named after the run, so that a run never drops a
# database it did not make (a BENCH_SEEDED one, another run's), and dropped at the end
PFX=pb$$
cleanup() {
    local d
    for d in src emc ref raw; do
        if [ -n "${EMC_PG_PORT:-}" ]; then
            PGPASSWORD="$EMC_DB_PASSWORD" psql -q -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc -d postgres \
                -c "DROP DATABASE IF EXISTS ${PFX}_$d WITH (FORCE)" > /dev/null 2>&1 || true
        fi
        if [ -n "${EMC_MYSQL_PORT:-}" ]; then
            mariadb --no-defaults -h 127.0.0.1 -P "$EMC_MYSQL_PORT" -u emc -p"$EMC_DB_PASSWORD" \
                -e "DROP DATABASE IF EXISTS ${PFX}_$d" > /dev/null 2>&1 || true
        fi
    done
    if [ -n "$own_servers" ]; then bash "$root/tests/servers.sh" stop "$own_servers" || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "${EMC_PG_URL:-}" ] || [ -z "${EMC_MYSQL_URL:-}" ]; then
    own_servers=$WORK/servers
    bash "$root/tests/servers.sh" start "$own_servers" > /dev/null
    # shellcheck disable=SC1091
    source "$own_servers/env"
fi
if [ -z "${EMC_BIN:-}" ]; then
    cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMC_TESTS=OFF > /dev/null
    cmake --build "$root/build-bench" -j"$(nproc)" > /dev/null
    EMC_BIN=$root/build-bench/glance-emc
fi
# shellcheck source=../scripts/lib.sh
source "$root/tests/scripts/lib.sh"
set +e +o pipefail # a benchmark reports, it does not stop at the first odd exit code
SEEDER=$root/tests/tools/seed.py
WRITER=$root/tests/bench/writer.py
NOW=$(date -u '+%Y-%m-%d %H:%M:%S')
TABLES="images image_properties image_locations image_members image_tags tasks task_info"

now_s() { date +%s.%N; }
elapsed() { awk -v a="$(now_s)" -v b="$1" 'BEGIN {printf "%.2f", a - b}'; }
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }

# clone BACKEND SRC_URL NAME: an identical copy of the seeded database
clone() {
    local b=$1 src=$2 name=$3 u
    case "$b" in
    sqlite)
        u=$(new_db sqlite "$name")
        cp "${src#sqlite:///}" "${u#sqlite:///}"
        ;;
    postgresql)
        PGPASSWORD="$EMC_DB_PASSWORD" psql -q -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc -d postgres \
            -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" \
            -c "CREATE DATABASE $name TEMPLATE ${src##*/}" > /dev/null
        u="${src%/*}/$name"
        ;;
    mysql)
        u=$(new_db mysql "$name")
        "$EMC_BIN" --database-url "$u" db sync > /dev/null 2>&1
        for t in $TABLES; do
            sql mysql "$u" "INSERT INTO $t SELECT * FROM ${src##*/}.$t"
        done
        ;;
    esac
    echo "$u"
}

writer_start() { rm -f "$WORK/stop"; /usr/bin/python3 "$WRITER" "$1" "$WORK/stop" > "$WORK/writer.json" & WPID=$!; sleep 1; }
writer_stop() { # sets WRES to "p99 max failed" ("- - -" if the writer died)
    touch "$WORK/stop"
    wait "$WPID"
    WRES=$(json "$WORK/writer.json" "'%s %s %s' % (d['p99_ms'], d['max_ms'], d['failed'])" 2> /dev/null) ||
        WRES="- - -"
}

# ref_longest LOG: the longest gap between a "Purging ..." line and its "Deleted ..." line
ref_longest() {
    python3 - "$1" <<'PY'
import re, sys, datetime as dt
best, start = 0.0, None
for line in open(sys.argv[1], errors='replace'):
    m = re.match(r'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) .*(Purging deleted rows|Deleted \d+ row)', line)
    if not m:
        continue
    t = dt.datetime.strptime(m.group(1), '%Y-%m-%d %H:%M:%S.%f')
    if m.group(2).startswith('Purging'):
        start = t
    elif start:
        best = max(best, (t - start).total_seconds())
print('%.2f' % best)
PY
}

# raw_purge BACKEND URL WHAT: the reference's DELETE statements for --max_rows -1 in the client;
# prints "seconds longest"
raw_purge() {
    local b=$1 u=$2 what=$3 c t0 s longest=0 total days=30
    [ "$what" = purge ] || days=31
    c=$(date -u -d "@$(($(date +%s) - days * 86400))" '+%Y-%m-%d %H:%M:%S')
    local stmts=()
    if [ "$what" = purge ]; then
        stmts+=("DELETE FROM task_info WHERE task_id IN (SELECT id FROM tasks WHERE deleted_at < '$c')")
        for t in image_properties image_tags image_locations image_members tasks; do
            stmts+=("DELETE FROM $t WHERE deleted_at < '$c'")
        done
    else
        stmts+=("DELETE FROM images WHERE deleted_at < '$c'")
    fi
    total=$(now_s)
    for q in "${stmts[@]}"; do
        t0=$(now_s)
        if [ "$b" = sqlite ]; then # wait for the writer's lock as the tools do
            sqlite3 -batch -cmd ".timeout 120000" "${u#sqlite:///}" "$q" > /dev/null
        else
            sql "$b" "$u" "$q" > /dev/null
        fi
        s=$(elapsed "$t0")
        longest=$(echo "$s $longest" | awk '{print ($1 > $2) ? $1 : $2}')
    done
    echo "$(elapsed "$total") $longest"
}

printf '%s\n' "purge benchmark: $N images per backend, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M') UTC, binary $EMC_BIN"
case " $BACKENDS " in
*" mysql "*)
    printf 'mariadb: %s\n' "$(mariadb --no-defaults -N -h 127.0.0.1 -P "$EMC_MYSQL_PORT" -u emc -p"$EMC_DB_PASSWORD" -e \
        "SELECT CONCAT('innodb_buffer_pool_size ', @@innodb_buffer_pool_size, ', innodb_log_file_size ', @@innodb_log_file_size, ', innodb_io_capacity ', @@innodb_io_capacity)" 2>&1)"
    ;;
esac
RESULTS=$WORK/results
: > "$RESULTS"
for b in $BACKENDS; do
    if [ -n "${BENCH_SEEDED:-}" ]; then
        case "$b" in
        sqlite) S="sqlite:///$BENCH_SEEDED" ;;
        postgresql) S="postgresql://emc:$PW_URL@127.0.0.1:$EMC_PG_PORT/$BENCH_SEEDED" ;;
        mysql) S="mysql://emc:$PW_URL@127.0.0.1:$EMC_MYSQL_PORT/$BENCH_SEEDED" ;;
        esac
        echo "== $b: the seeded database $BENCH_SEEDED" >&2
    else
        echo "== $b: seeding $N images" >&2
        S=$(new_db "$b" "${PFX}_src")
        "$EMC_BIN" --database-url "$S" db sync > /dev/null 2>&1
        t0=$(now_s)
        /usr/bin/python3 "$SEEDER" "$S" --images "$N" --seed 42 --now "$NOW" --blocked-share 0 > "$WORK/seed.json"
        echo "   seeded in $(elapsed "$t0") s: $(cat "$WORK/seed.json")" >&2
    fi
    E=$(clone "$b" "$S" "${PFX}_emc")
    R=$(clone "$b" "$S" "${PFX}_ref")
    W=$(clone "$b" "$S" "${PFX}_raw")
    # the copies to disk before anything is timed: otherwise the first tool's first commit
    # waits for the kernel to flush gigabytes of copy (one fdatasync took 1.7 s at 1M images
    # on SQLite), and the first tool is always glance-emc
    sync
    rows=$(sql "$b" "$E" "SELECT (SELECT COUNT(*) FROM images) + (SELECT COUNT(*) FROM image_properties) + (SELECT COUNT(*) FROM image_tags) + (SELECT COUNT(*) FROM image_locations) + (SELECT COUNT(*) FROM image_members) + (SELECT COUNT(*) FROM tasks) + (SELECT COUNT(*) FROM task_info)")

    # preview (untouched copy), best of two
    pv1=9999 pv2=9999
    for _ in 1 2; do
        t0=$(now_s); "$EMC_BIN" --database-url "$E" db purge --preview --max_rows -1 > /dev/null 2>&1; s=$(elapsed "$t0")
        pv1=$(echo "$s $pv1" | awk '{print ($1 < $2) ? $1 : $2}')
        t0=$(now_s); "$EMC_BIN" --database-url "$E" db purge_images_table --preview --age_in_days 30 --max_rows -1 > /dev/null 2>&1; s=$(elapsed "$t0")
        pv2=$(echo "$s $pv2" | awk '{print ($1 < $2) ? $1 : $2}')
    done

    # the writer alone
    writer_start "$E"; sleep 3; writer_stop; read -r base_p99 base_max base_f <<< "$WRES"

    # glance-emc, batched (default)
    echo "== $b: glance-emc" >&2
    writer_start "$E"
    t0=$(now_s); "$EMC_BIN" --database-url "$E" --json db purge --age_in_days 30 --max_rows -1 > "$WORK/e1.json" 2> "$WORK/e1.log"; e_p=$(elapsed "$t0")
    t0=$(now_s); "$EMC_BIN" --database-url "$E" --json db purge_images_table --age_in_days 31 --max_rows -1 > "$WORK/e2.json" 2> "$WORK/e2.log"; e_i=$(elapsed "$t0")
    writer_stop; read -r e_p99 e_max e_f <<< "$WRES"
    e_rows=$(json "$WORK/e1.json" "sum(t['deleted'] for t in d['tables'])")
    e_irows=$(json "$WORK/e2.json" "sum(t['deleted'] for t in d['tables'])")
    e_txn=$(python3 -c "import json; print('%.3f' % max(t['longest_txn_s'] for f in ['$WORK/e1.json','$WORK/e2.json'] for t in json.load(open(f))['tables']))")

    # the reference
    echo "== $b: glance-manage" >&2
    t0=$(now_s); ref_manage "$R" db version > /dev/null 2>&1; startup=$(elapsed "$t0")
    writer_start "$R"
    # ref_run N ARGS...: one reference command, log in $WORK/rN.log, seconds in REF_S; a run
    # that fails (glance-manage's purge does not retry a deadlock with the writer: at 300 images
    # on MariaDB, one run in about thirty lost its DELETE that way and deleted nothing) says why
    # on stderr and runs once more, as an operator would, its time counted; r_again counts them
    ref_run() {
        local n=$1 t0 st try
        shift
        t0=$(now_s)
        for try in 1 2; do
            ref_manage "$R" "$@" >> "$WORK/r$n.log" 2>&1
            st=$?
            [ "$st" = 0 ] && break
            echo "== $b: glance-manage $* exited $st (try $try); the error:" >&2
            grep -m 3 -E 'Deadlock|Lock wait|[A-Za-z]+(Error|Exception)[:)]' "$WORK/r$n.log" >&2
            r_again=$((r_again + 1))
        done
        REF_S=$(elapsed "$t0")
    }
    r_again=0
    : > "$WORK/r1.log"
    : > "$WORK/r2.log"
    ref_run 1 db purge --age_in_days 30 --max_rows -1; r_p=$REF_S
    ref_run 2 db purge_images_table --age_in_days 31 --max_rows -1; r_i=$REF_S
    writer_stop; read -r r_p99 r_max r_f <<< "$WRES"
    r_rows=$(grep -o 'Deleted [0-9]* row' "$WORK/r1.log" | awk '{s += $2} END {print s + 0}')
    r_irows=$(grep -o 'Deleted [0-9]* row' "$WORK/r2.log" | awk '{s += $2} END {print s + 0}')
    r_txn=$(cat "$WORK/r1.log" "$WORK/r2.log" > "$WORK/r.log"; ref_longest "$WORK/r.log")

    # raw SQL in the client
    echo "== $b: raw DELETE" >&2
    writer_start "$W"
    read -r w_p w_txn1 <<< "$(raw_purge "$b" "$W" purge)"
    read -r w_i w_txn2 <<< "$(raw_purge "$b" "$W" images)"
    writer_stop; read -r w_p99 w_max w_f <<< "$WRES"
    w_txn=$(echo "$w_txn1 $w_txn2" | awk '{print ($1 > $2) ? $1 : $2}')

    {
        echo "$b|$rows|glance-emc (batched)|$e_p|$e_rows|$e_i|$e_irows|$e_txn|$e_p99|$e_max|$e_f|$pv1|$pv2|$startup|$base_p99"
        echo "$b|$rows|glance-manage (reference)|$r_p|$r_rows|$r_i|$r_irows|$r_txn|$r_p99|$r_max|$r_f|||$startup|$base_p99|$r_again"
        echo "$b|$rows|raw DELETE in client|$w_p|$e_rows|$w_i|$e_irows|$w_txn|$w_p99|$w_max|$w_f|||$startup|$base_p99"
    } >> "$RESULTS"
done

python3 - "$RESULTS" <<'PY'
import sys
rows = [l.rstrip('\n').split('|') for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r[0], []).append(r)
hdr = ('backend', 'tool', 'purge s', 'rows/s', 'vs ref', 'vs raw', 'images s', 'vs ref',
       'longest txn s', 'writer p99 ms', 'writer max ms', 'failed')
fmt = '%-10s %-26s %8s %9s %7s %7s %8s %7s %13s %13s %13s %6s'
print(fmt % hdr)
for b, rs in by.items():
    emc, ref, raw = rs
    for r in rs:
        p, n, i = float(r[3]), int(r[4] or 0), float(r[5])
        print(fmt % (b, r[2], '%.2f' % p, '%.0f' % (n / p if p else 0),
                     '%.2fx' % (float(ref[3]) / p), '%.2fx' % (float(raw[3]) / p),
                     '%.2f' % i, '%.2fx' % (float(ref[5]) / i if i else 0), r[7], r[8], r[9], r[10]))
    print('%-10s   %s rows in all; deleted %s + %s images (reference: %s + %s); preview: purge %s s, '
          'purge_images_table %s s; reference start-up %s s; writer alone p99 %s ms%s'
          % ('', emc[1], emc[4], emc[6], ref[4], ref[6], emc[11], emc[12], emc[13], emc[14],
             '; reference commands that failed and ran again: %s' % ref[15] if ref[15] != '0' else ''))
print('vs ref / vs raw: their time divided by this row\'s (above 1: this row is faster). '
      'Wall times include start-up. failed: the writer\'s transactions that the database failed '
      '(a lock wait that ran out); -: the writer died.')
PY
