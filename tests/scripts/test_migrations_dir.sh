#!/usr/bin/env bash
# The migrations are embedded in the binary; --migrations-dir reads a folder instead, so whoever
# writes the next release can try it: a copy of migrations/ with a new expand/contract pair
# (and a data migration) is picked up on every backend, and a broken folder is refused.
source "$(dirname "$0")/lib.sh"
[ "${CI:-}" = true ] && require_servers
tmp=${EMC_TEST_TMP:-/tmp}/migdir.$$
mkdir -p "$tmp"
cp -r "$EMC_SOURCE_DIR/migrations" "$tmp/m"
mkdir -p "$tmp/m/2099_1_expand01" "$tmp/m/2099_1_contract01" "$tmp/m/2099_1_migrate01"
cat > "$tmp/m/2099_1_expand01/revision.ini" <<'INI'
[revision]
id = 2099_1_expand01
down_revision = 2024_1_expand01
branch = expand
release = 2099_1
summary = add images.emc_test_flag
kind = schema
INI
for d in sqlite postgresql mysql; do
    echo "ALTER TABLE images ADD COLUMN emc_test_flag INTEGER;" > "$tmp/m/2099_1_expand01/$d.sql"
    echo "UPDATE images SET emc_test_flag = 0 WHERE emc_test_flag IS NULL;" > "$tmp/m/2099_1_contract01/$d.sql"
    echo "SELECT count(*) FROM images WHERE emc_test_flag IS NULL;" > "$tmp/m/2099_1_migrate01/pending.$d.sql"
    : > "$tmp/m/2099_1_migrate01/batch.$d.sql"
done
cat > "$tmp/m/2099_1_contract01/revision.ini" <<'INI'
[revision]
id = 2099_1_contract01
down_revision = 2024_1_contract01
branch = contract
depends_on = 2099_1_expand01
release = 2099_1
summary = nothing to drop
kind = schema
INI
cat > "$tmp/m/2099_1_migrate01/revision.ini" <<'INI'
[revision]
id = 2099_1_migrate01
kind = data
release = 2099_1
after = 2099_1_expand01
before = 2099_1_contract01
INI

for b in $(backends); do
    u=$(new_db "$b" "migdir_$b")
    "$EMC_BIN" --database-url "$u" db sync >/dev/null 2>&1
    expect_eq "$b: embedded latest" "2024_1_contract01" "$("$EMC_BIN" --database-url "$u" db version)"
    set +e
    "$EMC_BIN" --database-url "$u" --migrations-dir "$tmp/m" db check >/dev/null 2>&1; rc=$?
    set -e
    expect_eq "$b: the folder's new release is pending" "3" "$rc"
    "$EMC_BIN" --database-url "$u" --migrations-dir "$tmp/m" db sync >/dev/null 2>&1
    expect_eq "$b: folder's latest" "2099_1_contract01" "$("$EMC_BIN" --database-url "$u" --migrations-dir "$tmp/m" db version)"
    expect_eq "$b: new column there" "0" "$(sql "$b" "$u" "SELECT count(*) FROM images WHERE emc_test_flag IS NOT NULL")"
    # the embedded copy does not know 2099_1: one line, no change
    set +e
    err=$("$EMC_BIN" --database-url "$u" db sync 2>&1 >/dev/null); rc=$?
    set -e
    check "$b: embedded refuses a newer database" test "$rc" -ne 0
    check "$b: says which revision" grep -q "2099_1_contract01" <<<"$err"
done
# a broken folder: a down_revision that does not exist
sed -i 's/down_revision = 2024_1_expand01/down_revision = nowhere01/' "$tmp/m/2099_1_expand01/revision.ini"
set +e
err=$("$EMC_BIN" --database-url "sqlite:///$tmp/x.db" --migrations-dir "$tmp/m" db version 2>&1); rc=$?
set -e
check "broken folder refused" test "$rc" -ne 0
check "broken folder says why" grep -q "nowhere01" <<<"$err"
check "no database created for a broken folder" test ! -e "$tmp/x.db"
rm -rf "$tmp"
finish
