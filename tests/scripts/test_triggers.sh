#!/usr/bin/env bash
# Issue 4 item 1: the rolling-upgrade triggers (ocata_expand01: images.is_public and
# images.visibility kept in step), on every backend.
# - Case by case (tests/tools/trigger_cases.py: inserts and updates as a Newton service, as a
#   later one, and as a faulty one), glance-emc's triggers on SQLite, PostgreSQL and MySQL behave
#   exactly as Glance's own MySQL triggers, installed from the reference's Python module on a
#   MariaDB database as the oracle: is_public only -> visibility public / shared; visibility only
#   -> is_public; both, neither, or NULL -> refused with 'Invalid visibility value' (SQLSTATE
#   45000 where the backend has SQLSTATEs).
# - `db expand` installs them, `db sync` and `db upgrade` (except on MySQL, as alembic) do not,
#   `db contract` drops them (and, on PostgreSQL, their functions).
# - PostgreSQL: a database expanded by glance-emc and contracted by Glance's own glance-manage
#   (which drops is_public with a plain ALTER TABLE and knows nothing of these triggers) still
#   takes inserts and updates of images.
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers
tmp=${EMC_TEST_TMP:-/tmp}/triggers.$$
mkdir -p "$tmp"
CASES="/usr/bin/python3 $EMC_SOURCE_DIR/tests/tools/trigger_cases.py"

triggers() { # backend url: the triggers on images, and (PostgreSQL) the trigger functions
    case "$1" in
    sqlite) sql sqlite "$2" "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1" ;;
    postgresql) sql postgresql "$2" "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal UNION ALL SELECT proname || '()' FROM pg_proc WHERE proname LIKE '%_visibility' ORDER BY 1" ;;
    mysql) sql mysql "$2" "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE() ORDER BY 1" ;;
    esac
}
both=$'insert_visibility\nupdate_visibility'
pg_both=$'insert_visibility\ninsert_visibility()\nupdate_visibility\nupdate_visibility()'

if [ -n "${EMC_MYSQL_URL:-}" ]; then
    r=$(new_db mysql triggers_ref)
    "$EMC_BIN" --database-url "$r" db upgrade --version mitaka02 >/dev/null 2>&1
    "$EMC_BIN" --database-url "$r" db expand >/dev/null 2>&1
    $CASES "$r" --reference-triggers >"$tmp/reference"
    check "the oracle refuses some writes" grep -q ': refused$' "$tmp/reference"
    check "the oracle: is_public false gives shared" grep -q '^insert is_public false: is_public=0 visibility=shared$' "$tmp/reference"
else
    # without a MariaDB, the oracle's lines as measured (Glance's MySQL triggers, zed)
    cat >"$tmp/reference" <<'EOF'
insert is_public true: is_public=1 visibility=public
insert is_public false: is_public=0 visibility=shared
insert visibility public: is_public=1 visibility=public
insert visibility private: is_public=0 visibility=private
insert visibility shared: is_public=0 visibility=shared
insert visibility community: is_public=0 visibility=community
insert both, agreeing: refused
insert both, disagreeing: refused
insert neither: refused
insert is_public NULL: refused
insert visibility NULL: refused
update is_public false->true: is_public=1 visibility=public
update is_public true->false: is_public=0 visibility=shared
update is_public ->NULL: refused
update is_public same: is_public=1 visibility=public
update visibility ->public: is_public=1 visibility=public
update visibility ->community: is_public=0 visibility=community
update visibility ->shared: is_public=0 visibility=shared
update visibility ->NULL: refused
update visibility same: is_public=0 visibility=community
update both changed: refused
update both, is_public same: is_public=1 visibility=public
update both, visibility same: is_public=1 visibility=public
update name only: is_public=0 visibility=community
EOF
fi

for b in $(backends); do
    want=$both
    [ "$b" = postgresql ] && want=$pg_both
    u=$(new_db "$b" "triggers_$b")
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    expect_eq "$b: none at mitaka02" "" "$(triggers "$b" "$u")"
    "$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
    expect_eq "$b: expand installs them" "$want" "$(triggers "$b" "$u")"
    $CASES "$u" >"$tmp/$b"
    if ! diff "$tmp/reference" "$tmp/$b" >"$tmp/diff"; then
        echo "FAIL: $b: the triggers differ from Glance's:" >&2
        cat "$tmp/diff" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
    if [ "$b" = sqlite ]; then
        # a write that leaves is_public right (as ocata_migrate01's do) is not followed by a
        # second write of the row; one that changes it is (total_changes counts both)
        n=$(sql "$b" "$u" "INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, protected, is_public) VALUES ('tc1', 'active', '2024-01-01 00:00:00', 0, 0, 0, 0, 0); SELECT total_changes(); UPDATE images SET visibility = 'private' WHERE id = 'tc1'; SELECT total_changes(); UPDATE images SET visibility = 'public' WHERE id = 'tc1'; SELECT total_changes(), is_public FROM images WHERE id = 'tc1'" | tr '\t\n' '  ')
        read -r n0 n1 n2 pub <<<"$n"
        expect_eq "$b: no fix-up write when is_public already matches" "1 2 1" "$((n1 - n0)) $((n2 - n1)) $pub"
    fi
    if [ "$b" = postgresql ]; then
        expect_eq "$b: refusals carry SQLSTATE 45000" "45000" "$(sql "$b" "$u" "DO \$\$ BEGIN INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, protected) VALUES ('x', 'active', now(), false, 0, 0, false); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$" 2>&1 | sed -nE 's/.*NOTICE: +//p')"
    fi
    "$EMC_BIN" --database-url "$u" db migrate >/dev/null 2>&1
    "$EMC_BIN" --database-url "$u" db contract >/dev/null 2>&1
    expect_eq "$b: contract drops them" "" "$(triggers "$b" "$u")"

    u=$(new_db "$b" "triggers_sync_$b")
    "$EMC_BIN" --database-url "$u" db sync --version 2024_1_expand01 >/dev/null 2>&1
    expect_eq "$b: sync installs none" "" "$(triggers "$b" "$u")"
    u=$(new_db "$b" "triggers_up_$b")
    "$EMC_BIN" --database-url "$u" db upgrade --version 2024_1_expand01 >/dev/null 2>&1
    if [ "$b" = mysql ]; then
        expect_eq "$b: upgrade installs them, as alembic does" "$want" "$(triggers "$b" "$u")"
    else
        expect_eq "$b: upgrade installs none, as alembic" "" "$(triggers "$b" "$u")"
    fi
done

if [ -n "${EMC_PG_URL:-}" ]; then
    # ocata_migrate01's own batches do not fire the update trigger (it would only set is_public
    # to what it is, a subtransaction a row); every other session's updates do. Counted by
    # PostgreSQL's function statistics, which a session flushes when it ends.
    u=$(new_db postgresql triggers_skip)
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    /usr/bin/python3 "$EMC_SOURCE_DIR/tests/tools/bulk_mitaka.py" "$u" 300 >/dev/null
    "$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
    sql postgresql "$u" "ALTER DATABASE triggers_skip SET track_functions = 'pl'" >/dev/null
    calls() {
        sql postgresql "$u" "SELECT COALESCE(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'update_visibility'"
    }
    "$EMC_BIN" --database-url "$u" db migrate >/dev/null 2>&1
    expect_eq "skip: the migration set every row" "$(/usr/bin/python3 "$EMC_SOURCE_DIR/tests/tools/bulk_mitaka.py" expect 300 | tr '\n' ' ')" \
        "$(sql postgresql "$u" "SELECT visibility, count(*) FROM images GROUP BY 1 ORDER BY (visibility = 'public') DESC, (visibility = 'shared') DESC" | tr '\t\n' '  ')"
    expect_eq "skip: is_public still matches visibility" "0" "$(sql postgresql "$u" "SELECT count(*) FROM images WHERE is_public <> (visibility = 'public')")"
    expect_eq "skip: the migration's batches did not call the update trigger" "0" "$(calls)"
    sql postgresql "$u" "UPDATE images SET visibility = 'community' WHERE id IN (SELECT id FROM images WHERE visibility = 'private' LIMIT 2)" >/dev/null
    n=0
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        n=$(calls)
        [ "$n" = 2 ] && break
        sleep 0.3
    done
    expect_eq "skip: a service's updates do call it" "2" "$n"

    # expanded by glance-emc, contracted by Glance: alembic_version is put back to the newest
    # revision Glance knows (wallaby_expand01) for its `db sync` to take over
    u=$(new_db postgresql triggers_handover)
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    "$EMC_BIN" --database-url "$u" db expand >/dev/null 2>&1
    "$EMC_BIN" --database-url "$u" db version_control --force --version wallaby_expand01 >/dev/null 2>&1
    ref_manage "$u" db sync >/dev/null 2>&1
    expect_eq "handover: Glance contracted it" "wallaby_contract01" "$(ref_manage "$u" db version 2>/dev/null)"
    expect_eq "handover: is_public is gone" "0" "$(sql postgresql "$u" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'images' AND column_name = 'is_public'")"
    expect_eq "handover: our triggers are still there" "$pg_both" "$(triggers postgresql "$u")"
    expect_eq "handover: images still take writes" "private" "$(sql postgresql "$u" "INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, protected, visibility) VALUES ('h1', 'active', now(), false, 0, 0, false, 'public'); UPDATE images SET visibility = 'private' WHERE id = 'h1'; SELECT visibility FROM images WHERE id = 'h1'")"
fi
finish
