#!/usr/bin/env bash
# Bad input (issues 2 and 3): each case gives exactly one line on stderr, a non-zero exit, never
# the password, and leaves the database (or the file system) exactly as it was.
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers
tmp=${EMC_TEST_TMP:-/tmp}/badin.$$
mkdir -p "$tmp"

# bad NAME EXPECTED-SUBSTRING ARGS... : one stderr line holding the substring, exit != 0
bad() {
    local name=$1 want=$2; shift 2
    local rc
    set +e
    "$EMC_BIN" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    check "$name: non-zero exit" test "$rc" -ne 0
    expect_eq "$name: one line on stderr" "1" "$(wc -l <"$tmp/err")"
    if ! grep -q -- "$want" "$tmp/err"; then
        echo "FAIL: $name: stderr lacks '$want': $(cat "$tmp/err")" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
    if grep -q -e 's3cr@t%pw' -e 's3cr%40t%25pw' -e 'hunter2' "$tmp/out" "$tmp/err"; then
        echo "FAIL: $name: the password appears in the output" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
}

bad "unknown scheme" "scheme" --database-url 'oracle://scott:hunter2@127.0.0.1/orcl' db version
bad "malformed port" "port" --database-url 'postgresql://emc:hunter2@127.0.0.1:notaport/glance' db version
bad "malformed url" "URL" --database-url 'not a url' db version
bad "sqlite folder missing" "does not exist" --database-url "sqlite:///$tmp/nope/glance.db" db sync
check "sqlite folder not created" test ! -e "$tmp/nope"
bad "config file missing" "$tmp/missing.conf" --config-file "$tmp/missing.conf" db version
printf '[DEFAULT]\ndebug = true\n' > "$tmp/noconn.conf"
bad "config without connection" "connection" --config-file "$tmp/noconn.conf" db version
bad "closed port" "127.0.0.1" --database-url 'postgresql://emc:hunter2@127.0.0.1:1/glance' db version
bad "closed port mysql" "127.0.0.1" --database-url 'mysql://emc:hunter2@127.0.0.1:1/glance' db version

# a loopback listener that accepts and never answers: the connect timeout bounds the wait
python3 - "$tmp/port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try:
        c, _ = s.accept(); conns.append(c)
    except socket.timeout:
        pass
PY
lp=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
t0=$(date +%s)
bad "silent server (postgresql)" "" --connect-timeout 2 --database-url "postgresql://emc:hunter2@127.0.0.1:$port/glance" db version
bad "silent server (mysql)" "" --connect-timeout 2 --database-url "mysql://emc:hunter2@127.0.0.1:$port/glance" db version
t1=$(date +%s)
check "connect timeouts are bounded" test $((t1 - t0)) -le 15
kill $lp 2>/dev/null || true

# a config file with a password holding '@' and '%', percent-escaped, works
u=$(new_db sqlite badin_cfg)
printf '[database]\nconnection = %s\n' "$u" > "$tmp/ok.conf"
expect_eq "config file url" "0" "$("$EMC_BIN" --config-file "$tmp/noconn.conf" --config-file "$tmp/ok.conf" db sync >/dev/null 2>&1; echo $?)"

if [ -n "${EMC_PG_URL:-}" ]; then
    bad "pg wrong password" "authentication" --database-url "postgresql://emc:hunter2@127.0.0.1:$EMC_PG_PORT/postgres" db version
    bad "pg unknown database" "does not exist" --database-url "postgresql://emc:$PW_URL@127.0.0.1:$EMC_PG_PORT/no_such_db" db version
    pu="postgresql://emc:$PW_URL@127.0.0.1:$EMC_PG_PORT/postgres"
    PGPASSWORD=$EMC_DB_PASSWORD psql -q -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc -d postgres -c "SELECT 1" >/dev/null
    expect_eq "pg escaped password works" "0" "$("$EMC_BIN" --database-url "$pu" db version >/dev/null 2>&1; echo $?)"
fi
if [ -n "${EMC_MYSQL_URL:-}" ]; then
    bad "mysql wrong password" "" --database-url "mysql://emc:hunter2@127.0.0.1:$EMC_MYSQL_PORT/mysql" db version
    bad "mysql unknown database" "no_such_db" --database-url "mysql://emc:$PW_URL@127.0.0.1:$EMC_MYSQL_PORT/no_such_db" db version
fi

tables() { # backend url: the table names, one a line
    case "$1" in
    sqlite) sql "$1" "$2" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" ;;
    postgresql) sql "$1" "$2" "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1" ;;
    mysql) sql "$1" "$2" "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1" ;;
    esac
}

# databases that are not (or not recognisably) Glance's are refused and left as they were
for b in $(backends); do
    u=$(new_db "$b" "badin_foreign_$b")
    sql "$b" "$u" "CREATE TABLE customers (id INTEGER PRIMARY KEY)"
    bad "$b: not glance" "not a Glance database" --database-url "$u" db sync
    expect_eq "$b: foreign db unchanged" "customers" "$(tables "$b" "$u")"

    u=$(new_db "$b" "badin_unknown_$b")
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    jrows=$(sql "$b" "$u" "SELECT count(*) FROM emc_journal")
    sql "$b" "$u" "UPDATE alembic_version SET version_num = 'zzz_contract99'"
    bad "$b: unknown revision in db" "zzz_contract99" --database-url "$u" db sync
    bad "$b: unknown revision, check" "zzz_contract99" --database-url "$u" db check
    expect_eq "$b: unknown revision unchanged" "zzz_contract99" "$(sql "$b" "$u" "SELECT version_num FROM alembic_version")"

    sql "$b" "$u" "UPDATE alembic_version SET version_num = 'mitaka02'"
    sql "$b" "$u" "INSERT INTO alembic_version (version_num) VALUES ('mitaka01')"
    bad "$b: rows that make no sense" "make no sense" --database-url "$u" db upgrade
    expect_eq "$b: nonsense rows unchanged" "2" "$(sql "$b" "$u" "SELECT count(*) FROM alembic_version")"

    sql "$b" "$u" "DROP TABLE alembic_version"
    bad "$b: glance tables without alembic_version" "version_control" --database-url "$u" db sync
    sql "$b" "$u" "CREATE TABLE migrate_version (repository_id VARCHAR(250) PRIMARY KEY, repository_path TEXT, version INTEGER)"
    sql "$b" "$u" "INSERT INTO migrate_version VALUES ('Glance Migrations', '/x', 40)"
    bad "$b: legacy sqlalchemy-migrate" "migrate_version at 40" --database-url "$u" db sync
    bad "$b: unknown target" "unknown revision or release 'nosuch'" --database-url "$u" db upgrade --version nosuch
    expect_eq "$b: refused runs left no journal rows" "$jrows" "$(sql "$b" "$u" "SELECT count(*) FROM emc_journal")"
done
rm -rf "$tmp"
finish
