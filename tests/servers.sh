#!/usr/bin/env bash
# servers.sh - start or stop the PostgreSQL and MariaDB servers the tests use.
#
#   tests/servers.sh start DIR   initialise and start both servers with their data in DIR,
#                                on loopback, on free non-default ports; writes DIR/env
#   tests/servers.sh stop DIR    stop both, by the pids recorded in DIR
#
# DIR/env exports EMC_PG_URL and EMC_MYSQL_URL (a superuser-ish account whose password holds
# '@' and '%', percent-escaped in the URL as operators must write it), plus the admin URLs
# and client commands tests need to create throw-away databases. PostgreSQL runs as the
# unprivileged user emc-pg, never as root. EMC_MYSQL_BUFFER_POOL sets MariaDB's
# innodb_buffer_pool_size (default 512M, plenty for the tests; the 1M-image benchmarks use one
# that holds their 3.8 GB, as a production server would). EMC_MYSQL_LOG_FILE_SIZE (default 256M)
# and EMC_MYSQL_IO_CAPACITY (default 200, MariaDB's own, sized for one spinning disk) set the
# redo log and the page cleaner's pace: at 1M images, a purge on the defaults fills the redo
# log, and MariaDB then stalls every writing session (batches of 0.3 s took 0.6-1.5 s, with the
# checkpoint age at its ceiling); the benchmarks' notes say which settings they ran with.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

PW='s3cr@t%pw'
PW_URL='s3cr%40t%25pw'

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

pg_bin() {
    local v
    v=$(ls /usr/lib/postgresql | sort -n | tail -1)
    echo "/usr/lib/postgresql/$v/bin"
}

start_pg() {
    local bin port
    bin=$(pg_bin)
    port=$(free_port)
    id emc-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin emc-pg
    mkdir -p "$dir/pg"
    chown emc-pg "$dir/pg"
    chmod 700 "$dir/pg"
    printf '%s\n' "$PW" > "$dir/pg.pw"
    chown emc-pg "$dir/pg.pw"
    runuser -u emc-pg -- "$bin/initdb" -D "$dir/pg/data" -U emc --pwfile="$dir/pg.pw" \
        --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/pg-initdb.log" 2>&1
    runuser -u emc-pg -- "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
        -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
    echo "$port" > "$dir/pg.port"
    head -1 "$dir/pg/data/postmaster.pid" > "$dir/pg.pid"
}

start_mysql() {
    local port
    port=$(free_port)
    mkdir -p "$dir/my"
    mariadb-install-db --no-defaults --datadir="$dir/my/data" --user=root \
        --auth-root-authentication-method=normal --skip-test-db >"$dir/my-install.log" 2>&1
    mariadbd --no-defaults --datadir="$dir/my/data" --user=root --port="$port" \
        --bind-address=127.0.0.1 --socket="$dir/my/mysqld.sock" --pid-file="$dir/my/mysqld.pid" \
        --log-error="$dir/my/server.log" --skip-name-resolve --innodb-flush-log-at-trx-commit=0 \
        --innodb-buffer-pool-size="${EMC_MYSQL_BUFFER_POOL:-512M}" --innodb-log-file-size="${EMC_MYSQL_LOG_FILE_SIZE:-256M}" \
        --innodb-io-capacity="${EMC_MYSQL_IO_CAPACITY:-200}" --max-connections=300 \
        --sync-binlog=0 >"$dir/my/stdout.log" 2>&1 &
    echo $! > "$dir/my.pid"
    for _ in $(seq 1 120); do
        [ -S "$dir/my/mysqld.sock" ] && mariadb --no-defaults -S "$dir/my/mysqld.sock" -uroot -e 'select 1' >/dev/null 2>&1 && break
        sleep 0.5
    done
    mariadb --no-defaults -S "$dir/my/mysqld.sock" -uroot <<SQL
CREATE USER 'emc'@'127.0.0.1' IDENTIFIED BY '$PW';
CREATE USER 'emc'@'localhost' IDENTIFIED BY '$PW';
GRANT ALL PRIVILEGES ON *.* TO 'emc'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'emc'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
    echo "$port" > "$dir/my.port"
}

case "$cmd" in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    chmod 755 "$dir"
    start_pg
    start_mysql
    pgp=$(cat "$dir/pg.port")
    myp=$(cat "$dir/my.port")
    cat > "$dir/env" <<ENV
export EMC_TEST_DIR='$dir'
export EMC_DB_PASSWORD='$PW'
export EMC_PG_PORT=$pgp
export EMC_MYSQL_PORT=$myp
export EMC_PG_SOCKET_DIR='$dir/pg'
export EMC_MYSQL_SOCKET='$dir/my/mysqld.sock'
export EMC_PG_URL='postgresql://emc:$PW_URL@127.0.0.1:$pgp/postgres'
export EMC_MYSQL_URL='mysql://emc:$PW_URL@127.0.0.1:$myp/mysql'
ENV
    echo "servers up: postgresql 127.0.0.1:$pgp, mariadb 127.0.0.1:$myp ($dir)"
    ;;
stop)
    [ -d "$dir" ] || exit 0
    if [ -f "$dir/pg.pid" ]; then
        kill "$(cat "$dir/pg.pid")" 2>/dev/null || true
    fi
    if [ -f "$dir/my.pid" ]; then
        kill "$(cat "$dir/my.pid")" 2>/dev/null || true
    fi
    for _ in $(seq 1 60); do
        alive=0
        for f in "$dir/pg.pid" "$dir/my.pid"; do
            [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1
        done
        [ $alive = 0 ] && break
        sleep 0.5
    done
    for f in "$dir/pg.pid" "$dir/my.pid"; do
        [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
