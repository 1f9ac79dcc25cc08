#!/usr/bin/env bash
# migrate_bench.sh - the data migration ocata_migrate01 on N Newton-era images (default 1M), per
# backend, three ways on the same data in the same run (a benchmark, not a test):
#   emc  glance-emc db migrate (batches of 1000 rows, one transaction each)
#   ref  the reference's own migrate(engine) (Debian's python3-glance: three UPDATEs over the
#        whole table, each its own transaction)
#   raw  those three UPDATEs typed into the database's own client (psql, mariadb, sqlite3)
# each from a copy of one database (mitaka02, N images, a third public, some with members,
# expanded by glance-emc with its rolling-upgrade triggers), while a release n writer
# (latency_writer.py) updates and inserts images every 5 ms or so. Prints a table: rows/s,
# the longest transaction, and the writer's p50/p99/max latency and failed writes during the
# migration. rows/s is N over the wall time for every run (the same work); rows is what each
# tool itself counted.
#
#   tests/bench/migrate_bench.sh [N]
#
# Needs the servers' environment (tests/servers.sh start DIR; source DIR/env). EMC_BIN is the
# glance-emc to measure (default: a RelWithDebInfo build made in build-bench/).
# BENCH_BACKENDS (default "sqlite postgresql mysql") picks the backends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
N=${1:-1000000}
export EMC_TEST_TMP=${EMC_TEST_TMP:-$(mktemp -d /tmp/emc-bench.XXXXXX)}
source "$root/tests/scripts/lib.sh"
if [ -z "${EMC_BIN:-}" ]; then
    cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMC_TESTS=OFF >/dev/null
    cmake --build "$root/build-bench" -j"$(nproc)" --target glance-emc >/dev/null
    EMC_BIN=$root/build-bench/glance-emc
fi
PY=/usr/bin/python3
tmp=$EMC_TEST_TMP/bench.$$
mkdir -p "$tmp"
results=$tmp/results
: >"$results"
writer=
trap '[ -n "$writer" ] && kill "$writer" 2>/dev/null; true' EXIT

now() { date +%s.%N; }

# clone BACKEND SRC-URL DST-NAME: a copy of the base database, its URL on stdout
clone() {
    local b=$1 src=$2 dst=$3
    case "$b" in
    sqlite)
        local d="$EMC_TEST_TMP/emc-$dst"
        mkdir -p "$d"
        cp "${src#sqlite:///}" "$d/glance.db"
        echo "sqlite:///$d/glance.db"
        ;;
    postgresql)
        PGPASSWORD="$EMC_DB_PASSWORD" psql -q -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc -d postgres \
            -c "DROP DATABASE IF EXISTS $dst" -c "CREATE DATABASE $dst TEMPLATE ${src##*/}" >/dev/null
        PGPASSWORD="$EMC_DB_PASSWORD" psql -q -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc -d "$dst" \
            -c "VACUUM ANALYZE images" >/dev/null
        echo "postgresql://emc:$PW_URL@127.0.0.1:$EMC_PG_PORT/$dst"
        ;;
    mysql)
        # no cheap copy of a MariaDB database: the base itself, reset with its update trigger
        # off, then the triggers installed again from glance-emc's own file
        sql mysql "$src" "DROP TRIGGER IF EXISTS update_visibility; DELETE FROM images WHERE id LIKE 'lat-%';
            UPDATE images SET visibility = NULL; ANALYZE TABLE images" >/dev/null
        mariadb --no-defaults -h 127.0.0.1 -P "$EMC_MYSQL_PORT" -u emc -p"$EMC_DB_PASSWORD" \
            "${src##*/}" <"$root/migrations/ocata_expand01/triggers.mysql.sql"
        echo "$src"
        ;;
    esac
}

raw_sql() { # the reference's three statements
    echo "UPDATE images SET visibility = 'public' WHERE is_public;"
    echo "UPDATE images SET visibility = 'private' WHERE NOT is_public;"
    echo "UPDATE images SET visibility = 'shared' WHERE visibility = 'private' AND id IN (SELECT DISTINCT image_id FROM image_members WHERE NOT deleted);"
}

# run_raw BACKEND URL: prints "rows N wall S longest S"
run_raw() {
    local b=$1 u=$2 t0 t1 longest out
    t0=$(now)
    case "$b" in
    sqlite)
        out=$( (echo ".timeout 600000"; echo ".timer on"; raw_sql) | sqlite3 "${u#sqlite:///}" 2>&1)
        longest=$(grep -o 'real [0-9.]*' <<<"$out" | awk '{print $2}' | sort -n | tail -1)
        ;;
    postgresql)
        out=$( (echo "\\timing on"; raw_sql) | PGPASSWORD="$EMC_DB_PASSWORD" psql -h 127.0.0.1 \
            -p "$EMC_PG_PORT" -U emc -d "${u##*/}" 2>&1)
        longest=$(grep -o 'Time: [0-9.]* ms' <<<"$out" | awk '{print $2 / 1000}' | sort -n | tail -1)
        ;;
    mysql)
        out=$(raw_sql | mariadb --no-defaults -vvv -h 127.0.0.1 -P "$EMC_MYSQL_PORT" -u emc \
            -p"$EMC_DB_PASSWORD" "${u##*/}" 2>&1)
        longest=$(grep -o 'affected[^(]*([0-9.]* sec)' <<<"$out" | grep -o '[0-9.]* sec' | awk '{print $1}' | sort -n | tail -1)
        ;;
    esac
    t1=$(now)
    echo "rows $N wall $(echo "$t1 - $t0" | bc) longest ${longest:-0}"
}

# measure BACKEND METHOD URL: the migration with the writer running; appends a result line
measure() {
    local b=$1 m=$2 u=$3 t0 t1 line
    rm -f "$tmp/stop"
    $PY "$here/latency_writer.py" "$u" --stop-file "$tmp/stop" --out "$tmp/lat" &
    writer=$!
    sleep 2 # the writer's own start-up, before the migration
    t0=$(now)
    case "$m" in
    emc)
        "$EMC_BIN" --database-url "$u" db migrate >"$tmp/emc.out" 2>"$tmp/emc.err"
        line=$(grep -E 'ocata_migrate01: [0-9]+ row\(s\) in' "$tmp/emc.err" | tail -1)
        t1=$(now)
        line="rows $(sed -E 's/.*: ([0-9]+) row.*/\1/' <<<"$line") wall $(echo "$t1 - $t0" | bc) longest $(sed -E 's/.*longest batch ([0-9.]+) s.*/\1/' <<<"$line")"
        ;;
    ref) line=$($PY "$here/ref_migrate.py" "$(ref_url "$u")") ;;
    raw) line=$(run_raw "$b" "$u") ;;
    esac
    t1=$(now)
    sleep 1
    touch "$tmp/stop"
    wait "$writer" || true
    writer=
    local left
    left=$(sql "$b" "$u" "SELECT count(*) FROM images WHERE visibility IS NULL")
    $PY - "$tmp/lat" "$t0" "$t1" "$b" "$m" "$line" "$left" "$N" >>"$results" <<'PY'
import sys
path, t0, t1, b, m, line, left, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), *sys.argv[4:]
f = line.split()
vals = dict(zip(f[0::2], f[1::2]))
lat, err = [], 0
for l in open(path):
    s, d, ok = l.split(None, 2)
    if t0 <= float(s) <= t1:
        lat.append(float(d) * 1000)
        err += not ok.startswith('ok')
lat.sort()
pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0
wall = float(vals['wall'])
# rows/s: the N images every run has to migrate, over its wall time. Each tool's own count
# (rows) differs: glance-manage's adds up its three UPDATEs, which set a shared image twice
# (6.7% more than N here), and glance-emc's leaves out the images the writer migrated first.
print('%-10s %-4s %9d %8.1f %9.0f %10.3f %7d %8.1f %9.1f %9.1f %6d %5s' % (
    b, m, int(vals['rows']), wall, int(n) / wall if wall else 0, float(vals['longest']),
    len(lat), pct(0.5), pct(0.99), lat[-1] if lat else 0, err, left))
PY
    tail -1 "$results"
}

echo "$N images per backend; EMC_BIN=$EMC_BIN"
for b in ${BENCH_BACKENDS:-sqlite postgresql mysql}; do
    base=$(new_db "$b" "bench_base_$b")
    t0=$(now)
    "$EMC_BIN" --database-url "$base" db upgrade --version mitaka02 >/dev/null 2>&1
    $PY "$root/tests/tools/bulk_mitaka.py" "$base" "$N"
    t1=$(now)
    "$EMC_BIN" --database-url "$base" db expand >/dev/null 2>&1
    t2=$(now)
    echo "$b: seeded in $(echo "$t1 - $t0" | bc) s, expanded in $(echo "$t2 - $t1" | bc) s"
    for m in emc ref raw; do
        u=$(clone "$b" "$base" "bench_${m}_$b")
        measure "$b" "$m" "$u"
        if [ "$b" = postgresql ]; then
            PGPASSWORD="$EMC_DB_PASSWORD" psql -q -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc -d postgres \
                -c "DROP DATABASE IF EXISTS bench_${m}_$b" >/dev/null
        elif [ "$b" = sqlite ]; then
            rm -rf "$EMC_TEST_TMP/emc-bench_${m}_$b"
        fi
    done
done
echo
printf '%-10s %-4s %9s %8s %9s %10s %7s %8s %9s %9s %6s %5s\n' backend how rows wall_s rows/s \
    longest_tx_s w_ops w_p50ms w_p99ms w_max_ms w_err null
cat "$results"
