# own_mariadb.sh - a private MariaDB server for one test (sourced, not run), started the way
# tests/servers.sh starts the shared one: loopback only, a free port, data in the test's own
# folder, user emc with the tests' password. For tests that need a server set up differently
# (binary logging on; data on tmpfs so that DDL does not wait for the disk).
#
#   own_mariadb_start DIR [mariadbd options...]   sets OWN_MY_PORT, OWN_MY_SOCK, OWN_MY_URL
#                                                 (URL without a database: append /NAME)
#   own_mariadb_stop DIR                          stops it by the pid recorded in DIR
#   own_mariadb_sql DIR [mariadb options...]      the root client on the socket
#
# The server is stopped by own_mariadb_stop (call it from an EXIT trap) and, should the test
# be killed outright, by a watchdog that stops it once the test's shell is gone.

own_mariadb_start() {
    local dir=$1; shift
    local port
    mkdir -p "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    mariadb-install-db --no-defaults --datadir="$dir/data" --user=root \
        --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1
    mariadbd --no-defaults --datadir="$dir/data" --user=root --port="$port" \
        --bind-address=127.0.0.1 --socket="$dir/sock" --pid-file="$dir/pid" \
        --log-error="$dir/server.log" --skip-name-resolve --innodb-buffer-pool-size=128M \
        --max-connections=100 "$@" >"$dir/stdout.log" 2>&1 &
    echo $! >"$dir/server.pid"
    local owner=$$ server=$!
    ( while kill -0 "$owner" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 2; done
      kill "$server" 2>/dev/null ) >/dev/null 2>&1 &
    local i
    for i in $(seq 1 120); do
        mariadb --no-defaults -S "$dir/sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
        sleep 0.25
    done
    mariadb --no-defaults -S "$dir/sock" -uroot <<SQL
CREATE USER 'emc'@'127.0.0.1' IDENTIFIED BY '$EMC_DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'emc'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
    OWN_MY_PORT=$port
    OWN_MY_SOCK=$dir/sock
    OWN_MY_URL="mysql://emc:$PW_URL@127.0.0.1:$port"
}

own_mariadb_stop() {
    local dir=$1 pid i
    [ -f "$dir/server.pid" ] || return 0
    pid=$(cat "$dir/server.pid")
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.25
    done
    kill -9 "$pid" 2>/dev/null || true
}

own_mariadb_sql() {
    local dir=$1; shift
    mariadb --no-defaults -S "$dir/sock" -uroot "$@"
}
