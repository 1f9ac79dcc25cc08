#!/usr/bin/env bash
# Issue 3 item 5: a mitaka02 (Newton-era) database holding images and locations reaches the
# latest revision with its data intact, on every backend: visibility public / private / shared
# from is_public and members, image_locations meta_data "backend": -> "store":, nothing lost.
# Also shows, on SQLite, that the reference tool loses this data (GLANCE_REFERENCE.md).
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers

seed_mitaka() { # backend url
    local b=$1 u=$2 t=1 f=0
    [ "$b" = postgresql ] && t=true && f=false
    sql "$b" "$u" "INSERT INTO images (id, name, status, is_public, created_at, deleted, min_disk, min_ram, protected) VALUES
      ('11111111-0000-0000-0000-000000000001', 'pub', 'active', $t, '2016-01-01 00:00:00', $f, 0, 0, $f),
      ('11111111-0000-0000-0000-000000000002', 'priv', 'active', $f, '2016-01-01 00:00:00', $f, 0, 0, $f),
      ('11111111-0000-0000-0000-000000000003', 'shared', 'active', $f, '2016-01-01 00:00:00', $f, 0, 0, $f),
      ('11111111-0000-0000-0000-000000000004', 'priv-old-member', 'active', $f, '2016-01-01 00:00:00', $f, 0, 0, $f)"
    sql "$b" "$u" "INSERT INTO image_members (image_id, member, can_share, created_at, deleted, status) VALUES
      ('11111111-0000-0000-0000-000000000003', 'tenant-b', $f, '2016-01-01 00:00:00', $f, 'accepted'),
      ('11111111-0000-0000-0000-000000000004', 'tenant-c', $f, '2016-01-01 00:00:00', $t, 'accepted')"
    sql "$b" "$u" "INSERT INTO image_locations (image_id, value, created_at, deleted, meta_data, status) VALUES
      ('11111111-0000-0000-0000-000000000001', 'file:///a', '2016-01-01 00:00:00', $f, '{\"backend\": \"fast\"}', 'active'),
      ('11111111-0000-0000-0000-000000000002', 'file:///b', '2016-01-01 00:00:00', $f, '{}', 'active')"
}

for b in $(backends); do
    u=$(new_db "$b" "updata_$b")
    "$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
    expect_eq "$b: at mitaka02" "mitaka02" "$("$EMC_BIN" --database-url "$u" db version)"
    seed_mitaka "$b" "$u"
    out=$("$EMC_BIN" --database-url "$u" db sync 2>/dev/null)
    check "$b: sync exits 0" test $? -eq 0
    check "$b: sync says synced" grep -q 'Database is synced successfully.' <<<"$out"
    check "$b: migrated rows reported" grep -q '^Migrated [0-9]* rows$' <<<"$out"
    expect_eq "$b: latest" "2024_1_contract01" "$("$EMC_BIN" --database-url "$u" db version)"
    expect_eq "$b: visibility" $'pub\tpublic\npriv\tprivate\nshared\tshared\npriv-old-member\tprivate' \
        "$(sql "$b" "$u" "SELECT name, visibility FROM images ORDER BY id")"
    expect_eq "$b: store" '{"store": "fast"}' \
        "$(sql "$b" "$u" "SELECT meta_data FROM image_locations WHERE value = 'file:///a'")"
    expect_eq "$b: rows kept" "4 2 2" \
        "$(sql "$b" "$u" "SELECT (SELECT count(*) FROM images), (SELECT count(*) FROM image_members), (SELECT count(*) FROM image_locations)" | tr '\t' ' ')"
    expect_eq "$b: check" "0" "$("$EMC_BIN" --database-url "$u" db check >/dev/null; echo $?)"
done

# The reference, on the same SQLite database, loses it: the contract fails and visibility stays NULL.
u=$(new_db sqlite updata_ref)
"$EMC_BIN" --database-url "$u" db upgrade --version mitaka02 >/dev/null 2>&1
seed_mitaka sqlite "$u"
set +e
ref_manage "$u" db sync >/dev/null 2>&1
rc=$?
set -e
check "reference sync fails on old data" test "$rc" -ne 0
expect_eq "reference leaves visibility NULL" "4" "$(sql sqlite "$u" "SELECT count(*) FROM images WHERE visibility IS NULL")"
finish
