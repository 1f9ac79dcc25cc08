#!/usr/bin/env bash
# Issue 4 items 1 and 7: a MySQL user who may not create triggers. On a MariaDB that writes a
# binary log (a private server started here with --log-bin, log_bin_trust_function_creators
# off), a user with every privilege on the Glance database but not SUPER:
# - `db expand` refuses before changing anything: one line saying exactly what an administrator
#   must run, exit 1, the database as it was (schema, data, journal);
# - once the administrator has run it, `db expand` installs the triggers;
# - with the setting back off, `db contract` refuses before changing anything (it would have to
#   drop the triggers), and goes once it is on;
# - `db sync` (offline, no triggers) works for that user with the setting off, from an empty
#   database, where MariaDB refuses even DROP TRIGGER IF EXISTS on a trigger that is not there;
# - a user without the TRIGGER privilege is told to GRANT it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/own_mariadb.sh"
[ "${CI:-}" = true ] && require_servers
if [ -z "${EMC_MYSQL_URL:-}" ]; then echo "skip: no database servers configured"; exit 0; fi
dir=$(mktemp -d "${EMC_TEST_TMP:-/tmp}/rights.XXXXXX")
trap 'own_mariadb_stop "$dir/my"; rm -rf "$dir"' EXIT
own_mariadb_start "$dir/my" --log-bin="$dir/my/binlog" --server-id=1
root() { own_mariadb_sql "$dir/my" "$@"; }
expect_eq "binary logging on, trust off" $'1\t0' "$(root -N -B -e 'SELECT @@log_bin, @@log_bin_trust_function_creators')"
root -e "CREATE USER 'glance'@'127.0.0.1' IDENTIFIED BY 'glance-pw';
         GRANT ALL PRIVILEGES ON glance.* TO 'glance'@'127.0.0.1';
         GRANT ALL PRIVILEGES ON glance2.* TO 'glance'@'127.0.0.1';
         CREATE USER 'notrig'@'127.0.0.1' IDENTIFIED BY 'notrig-pw';
         GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, REFERENCES ON glance3.* TO 'notrig'@'127.0.0.1';
         CREATE DATABASE glance; CREATE DATABASE glance2; CREATE DATABASE glance3"
u="mysql://glance:glance-pw@127.0.0.1:$OWN_MY_PORT/glance"
snapshot() { # the database as mariadb-dump sees it, journal included
    mariadb-dump --no-defaults -S "$dir/my/sock" -uroot --skip-comments --skip-dump-date \
        --skip-extended-insert --triggers "$1" | sed -e 's/ AUTO_INCREMENT=[0-9]*//'
}

"$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
snapshot glance >"$dir/before"
set +e
"$EMC_BIN" --database-url "$u" db expand >"$dir/out" 2>"$dir/err"
rc=$?
set -e
expect_eq "expand refuses" "1" "$rc"
expect_eq "one line" "1" "$(wc -l <"$dir/err")"
check "it says what to run" grep -qF "ERROR: \`db expand\` cannot create the rolling-upgrade triggers: the server writes a binary log and the database user 'glance'@'127.0.0.1' lacks SUPER: as an administrator run \`SET GLOBAL log_bin_trust_function_creators = 1\`" "$dir/err"
check "or the grant" grep -qF "GRANT SUPER ON *.* TO 'glance'@'127.0.0.1'" "$dir/err"
check "and that nothing changed" grep -qF "nothing was changed" "$dir/err"
snapshot glance >"$dir/after"
check "nothing changed" diff -q "$dir/before" "$dir/after"
check "no password in the output" bash -c "! grep -q 'glance-pw' '$dir/err' '$dir/out'"

root -e "SET GLOBAL log_bin_trust_function_creators = 1"
"$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
expect_eq "expand installs the triggers once allowed" $'insert_visibility\nupdate_visibility' \
    "$(root -N -B -e "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = 'glance' ORDER BY 1")"
"$EMC_BIN" --database-url "$u" db migrate >/dev/null 2>&1

root -e "SET GLOBAL log_bin_trust_function_creators = 0"
snapshot glance >"$dir/before"
set +e
"$EMC_BIN" --database-url "$u" db contract >"$dir/out" 2>"$dir/err"
rc=$?
set -e
expect_eq "contract refuses" "1" "$rc"
expect_eq "contract: one line" "1" "$(wc -l <"$dir/err")"
check "contract: says why and what to run" grep -qF "ERROR: \`db contract\` cannot drop the rolling-upgrade triggers (insert_visibility): the server writes a binary log" "$dir/err"
snapshot glance >"$dir/after"
check "contract: nothing changed" diff -q "$dir/before" "$dir/after"
root -e "SET GLOBAL log_bin_trust_function_creators = 1"
"$EMC_BIN" --database-url "$u" db contract >/dev/null 2>&1
expect_eq "contract goes once allowed" "2024_1_contract01" "$("$EMC_BIN" --database-url "$u" db version)"
root -e "SET GLOBAL log_bin_trust_function_creators = 0"

u2="mysql://glance:glance-pw@127.0.0.1:$OWN_MY_PORT/glance2"
expect_eq "sync needs no trigger rights" "0" "$("$EMC_BIN" --database-url "$u2" db sync >/dev/null 2>"$dir/err"; echo $?)"
expect_eq "sync: latest" "2024_1_contract01" "$("$EMC_BIN" --database-url "$u2" db version)"

u3="mysql://notrig:notrig-pw@127.0.0.1:$OWN_MY_PORT/glance3"
"$EMC_BIN" --database-url "$u3" db upgrade --version mitaka02 >/dev/null 2>&1
root -e "SET GLOBAL log_bin_trust_function_creators = 1"
set +e
"$EMC_BIN" --database-url "$u3" db expand >"$dir/out" 2>"$dir/err"
rc=$?
set -e
expect_eq "no TRIGGER privilege: refused" "1" "$rc"
check "no TRIGGER privilege: says which GRANT" grep -qF "lacks the TRIGGER privilege on \`glance3\`: as an administrator run \`GRANT TRIGGER ON \`glance3\`.* TO 'notrig'@'127.0.0.1'\`" "$dir/err"
expect_eq "no TRIGGER privilege: still at mitaka02" "mitaka02" "$("$EMC_BIN" --database-url "$u3" db version)"
finish
