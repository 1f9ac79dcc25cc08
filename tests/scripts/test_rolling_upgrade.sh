#!/usr/bin/env bash
# Issue 4 item 6: a rolling upgrade with both releases writing, on every backend. From a mitaka02
# (Newton-era) database holding images, a release n-1 writer (is_public only) starts; `db expand`
# runs under it; a release n writer (visibility only) starts; `db migrate` runs under both; the
# n-1 writer stops; `db contract` runs under the n writer; the n writer stops. Then: no write
# failed except those the schema exists to refuse, every image's visibility is what its last
# write meant, no image is lost, and the schema is the one a fresh `db sync` builds.
# (tests/tools/writer.py is both writers and the check.)
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers
tmp=${EMC_TEST_TMP:-/tmp}/rolling.$$
mkdir -p "$tmp"
W="/usr/bin/python3 $EMC_SOURCE_DIR/tests/tools/writer.py"
DUMP="/usr/bin/python3 $EMC_SOURCE_DIR/tests/tools/schema_dump.py"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# wait_lines FILE N: until FILE has at least N lines (the writer is writing), at most 60 s
wait_lines() {
    local i
    for i in $(seq 1 600); do
        [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    echo "FAIL: $1 has fewer than $2 lines after 60 s" >&2
    exit 1
}

# seed BACKEND URL: 420 Newton-era images: 200 for each writer to update, and 20 private ones
# with a member that nobody writes (the data migration makes a private image with a member
# shared, as Glance's does, whatever a release n service wrote in the meantime: a writer
# updating those would race with the migration by design, in Glance as here).
seed() {
    local b=$1 u=$2 t=1 f=0 vals="" i role pub
    [ "$b" = postgresql ] && t=true && f=false
    for i in $(seq 1 420); do
        role=old; [ $((i % 2)) = 0 ] && role=new; [ "$i" -gt 400 ] && role=shr
        pub=$f; name=priv; [ $((i % 3)) = 0 ] && [ "$i" -le 400 ] && pub=$t && name=pub
        vals+="${vals:+,}('seed-$role-$(printf %04d "$i")', '$name-$i', 'active', $pub, '2016-01-01 00:00:00', $f, 0, 0, $f)"
    done
    sql "$b" "$u" "INSERT INTO images (id, name, status, is_public, created_at, deleted, min_disk, min_ram, protected) VALUES $vals"
    sql "$b" "$u" "INSERT INTO image_members (image_id, member, can_share, created_at, deleted, status)
        SELECT id, 'tenant-x', $f, '2016-01-01 00:00:00', $f, 'accepted' FROM images WHERE id LIKE 'seed-shr-%'"
}

step() { # name url args...: a glance-emc step that must succeed
    local name=$1 u=$2; shift 2
    if ! "$EMC_BIN" --database-url "$u" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
        echo "FAIL: $name: $(cat "$tmp/$name.err")" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
}

for b in $(backends); do
    u=$(new_db "$b" "rolling_$b")
    step "$b mitaka02" "$u" db upgrade --version mitaka02
    seed "$b" "$u"
    rm -f "$tmp/stop-old" "$tmp/stop-new"
    $W run "$u" --role old --log "$tmp/old.log" --duration 300 --stop-file "$tmp/stop-old" &
    pids+=($!); old=$!
    wait_lines "$tmp/old.log" 30
    step "$b expand" "$u" db expand
    check "$b: expand installed the triggers" grep -q 'with rolling-upgrade triggers' "$tmp/$b expand.err"
    n=$(wc -l <"$tmp/old.log")
    wait_lines "$tmp/old.log" $((n + 30))
    $W run "$u" --role new --log "$tmp/new.log" --duration 300 --stop-file "$tmp/stop-new" &
    pids+=($!); new=$!
    wait_lines "$tmp/new.log" 30
    step "$b migrate" "$u" --batch-size 50 db migrate
    check "$b: migrate migrated rows" grep -q '^Migrated [0-9]* rows$' "$tmp/$b migrate.out"
    n=$(wc -l <"$tmp/old.log")
    wait_lines "$tmp/old.log" $((n + 30))
    touch "$tmp/stop-old"
    wait "$old"
    check "$b: the n-1 writer ended" grep -q '"failed"' "$tmp/old.log"
    n=$(wc -l <"$tmp/new.log")
    wait_lines "$tmp/new.log" $((n + 30))
    step "$b contract" "$u" db contract
    n=$(wc -l <"$tmp/new.log")
    wait_lines "$tmp/new.log" $((n + 30))
    touch "$tmp/stop-new"
    wait "$new"
    if ! $W check "$u" "$tmp/old.log" "$tmp/new.log" >"$tmp/check.out" 2>&1; then
        echo "FAIL: $b: the writers' images are not what they wrote:" >&2
        head -20 "$tmp/check.out" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
    check "$b: the n writer had writes refused" grep -q '"refused": true' "$tmp/new.log"
    expect_eq "$b: no trigger left" "" "$(sql "$b" "$u" "$(case $b in
        sqlite) echo "SELECT name FROM sqlite_master WHERE type = 'trigger'" ;;
        postgresql) echo "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE '%visibility%'" ;;
        mysql) echo "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE()" ;;
        esac)")"
    f=$(new_db "$b" "rolling_fresh_$b")
    step "$b fresh sync" "$f" db sync
    $DUMP "$u" | grep -v ' rows=' >"$tmp/rolled.dump"
    $DUMP "$f" | grep -v ' rows=' >"$tmp/fresh.dump"
    if ! diff "$tmp/fresh.dump" "$tmp/rolled.dump" >"$tmp/schema.diff"; then
        echo "FAIL: $b: the rolled-upgraded schema differs from a fresh sync's:" >&2
        head -20 "$tmp/schema.diff" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
    echo "$b: old writer $(tail -1 "$tmp/old.log"), new writer $(tail -1 "$tmp/new.log")"
done
finish
