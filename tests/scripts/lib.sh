# lib.sh - helpers shared by the script tests (sourced, not run).
#
# Needs EMC_BIN (the glance-emc binary) and, for server tests, the variables of
# tests/servers.sh's env file (tests/run_all.sh exports them).
set -euo pipefail

# Under CI=true a missing server is a failure, never a skip.
require_servers() {
    if [ -z "${EMC_PG_URL:-}" ] || [ -z "${EMC_MYSQL_URL:-}" ]; then
        echo "FAIL: database servers not configured (run through tests/run_all.sh)" >&2
        exit 1
    fi
}

# make_work TAG: WORK, a fresh folder under EMC_TEST_TMP for this script's files, removed when
# the script exits (the script's own EXIT trap replaces this one)
make_work() {
    WORK="${EMC_TEST_TMP:-/tmp}/$1-$$"
    mkdir -p "$WORK"
    trap 'rm -rf "$WORK"' EXIT
}

# backends: the backends a test should cover: sqlite always, the servers when configured.
backends() {
    echo sqlite
    if [ -n "${EMC_PG_URL:-}" ]; then echo postgresql; fi
    if [ -n "${EMC_MYSQL_URL:-}" ]; then echo mysql; fi
}

PW_URL='s3cr%40t%25pw'

# new_db BACKEND NAME: create an empty database (dropping any of that name) and print its URL.
# NAME must be a plain identifier unique to the test.
new_db() {
    local backend=$1 name=$2
    case "$backend" in
    sqlite)
        local d="${EMC_TEST_TMP:-/tmp}/emc-$name"
        mkdir -p "$d"
        rm -f "$d/glance.db"
        echo "sqlite:///$d/glance.db"
        ;;
    postgresql)
        PGOPTIONS="-c client_min_messages=warning" PGPASSWORD="$EMC_DB_PASSWORD" psql -q -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc -d postgres \
            -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
        echo "postgresql://emc:$PW_URL@127.0.0.1:$EMC_PG_PORT/$name"
        ;;
    mysql)
        mariadb --no-defaults -h 127.0.0.1 -P "$EMC_MYSQL_PORT" -u emc -p"$EMC_DB_PASSWORD" \
            -e "DROP DATABASE IF EXISTS $name; CREATE DATABASE $name" >/dev/null
        echo "mysql://emc:$PW_URL@127.0.0.1:$EMC_MYSQL_PORT/$name"
        ;;
    *) echo "new_db: unknown backend $backend" >&2; return 2 ;;
    esac
}

# ref_url URL: the same database as the reference tool's SQLAlchemy wants it (driver named).
ref_url() {
    case "$1" in
    postgresql://*) echo "postgresql+psycopg2://${1#postgresql://}" ;;
    mysql://*) echo "mysql+pymysql://${1#mysql://}?charset=utf8" ;;
    *) echo "$1" ;;
    esac
}

# ref_manage URL ARGS...: run the reference glance-manage (Debian's python3-glance) on URL.
ref_manage() {
    local url=$1; shift
    local conf
    conf=$(mktemp "${EMC_TEST_TMP:-/tmp}/ref-XXXXXX.conf")
    printf '[DEFAULT]\nuse_stderr = true\n[database]\nconnection = %s\n' "$(ref_url "$url")" > "$conf"
    /usr/bin/python3 -c "import sys; sys.argv=['glance-manage']+sys.argv[1:]; from glance.cmd.manage import main; main()" \
        --config-file "$conf" "$@"
    local rc=$?
    rm -f "$conf"
    return $rc
}

# sql BACKEND URL "SQL": run SQL in the backend's own client, tab-separated rows on stdout.
sql() {
    local backend=$1 url=$2 q=$3
    case "$backend" in
    sqlite) sqlite3 -batch -separator $'\t' "${url#sqlite:///}" "$q" ;;
    postgresql) PGPASSWORD="$EMC_DB_PASSWORD" psql -qAt -F $'\t' -h 127.0.0.1 -p "$EMC_PG_PORT" -U emc \
        -d "${url##*/}" -v ON_ERROR_STOP=1 -c "$q" ;;
    mysql) mariadb --no-defaults -N -B -h 127.0.0.1 -P "$EMC_MYSQL_PORT" -u emc -p"$EMC_DB_PASSWORD" \
        "${url##*/}" -e "$q" ;;
    esac
}

# check NAME COND...: count a named assertion; fail the test at once when COND is false.
CHECKS=0
check() {
    local name=$1; shift
    if "$@"; then
        CHECKS=$((CHECKS + 1))
    else
        echo "FAIL: $name" >&2
        exit 1
    fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
    if [ "$2" == "$3" ]; then
        CHECKS=$((CHECKS + 1))
    else
        echo "FAIL: $1" >&2
        echo "  expected: $2" >&2
        echo "  actual:   $3" >&2
        exit 1
    fi
}

finish() {
    echo "ok: $CHECKS checks"
    [ "$CHECKS" -gt 0 ]
}
