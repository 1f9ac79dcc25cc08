#!/usr/bin/env bash
# test_purge_bad.sh - purge facing a database that fights back, on every backend:
# - a foreign-key failure while deleting (a table of the site's own references the deleted
#   images, which glance-emc's check of the four Glance child tables cannot see): the reference's
#   line "Purge command failed, check glance-manage logs for more details.", exit 1, and the
#   failed transaction rolled back, in both modes;
# - a database user without DELETE rights (PostgreSQL, MariaDB; SQLite has no users): one line
#   naming the table, exit 1, nothing deleted, nothing journaled; --preview still works, and
#   gives the same blocked images without CREATE TEMPORARY TABLES or a second connection;
# - the password never appears in any of that output.
source "$(dirname "$0")/lib.sh"
if [ "${CI:-}" = true ]; then require_servers; fi

SEEDER="$EMC_SOURCE_DIR/tests/tools/seed.py"
make_work purge-bad
FK_LINE="Purge command failed, check glance-manage logs for more details."
PW_RAW='s3cr@t%pw'

counts() {
    local t
    for t in images image_properties image_tags image_locations image_members tasks task_info; do
        printf '%s=%s ' "$t" "$(sql "$1" "$2" "SELECT COUNT(*) FROM $t")"
    done
}

# site_table BACKEND URL: a table of the site's own with a foreign key to images, referencing
# every deleted image (so the first batch fails, whatever order the batches take)
site_table() {
    local tail=""
    [ "$1" = mysql ] && tail=" ENGINE=InnoDB DEFAULT CHARSET=utf8"
    sql "$1" "$2" "CREATE TABLE site_image_refs (image_id VARCHAR(36) NOT NULL, FOREIGN KEY (image_id) REFERENCES images (id))$tail"
    sql "$1" "$2" "INSERT INTO site_image_refs (image_id) SELECT id FROM images WHERE deleted_at IS NOT NULL"
}

no_password() { ! grep -qF -e "$PW_RAW" -e 's3cr%40t%25pw' "$@"; }

for b in $(backends); do
    U=$(new_db "$b" purge_bad)
    "$EMC_BIN" --database-url "$U" db sync > /dev/null 2>&1
    /usr/bin/python3 "$SEEDER" "$U" --images 400 --seed 11 --blocked-share 0 > /dev/null
    "$EMC_BIN" --database-url "$U" db purge --age_in_days 10 --max_rows -1 > /dev/null 2>&1

    # --- a foreign key fails mid-purge -------------------------------------------------------
    site_table "$b" "$U"
    before=$(counts "$b" "$U")
    for mode in "" "--no-batch" "--batch-size 5"; do
        set +e
        # shellcheck disable=SC2086
        "$EMC_BIN" --database-url "$U" db purge_images_table --age_in_days 30 --max_rows -1 \
            $mode > "$WORK/out" 2> "$WORK/err"
        rc=$?
        set -e
        expect_eq "$b $mode: FK failure exits 1" 1 "$rc"
        expect_eq "$b $mode: the reference's line, last" "$FK_LINE" "$(tail -1 "$WORK/err")"
        check "$b $mode: the driver's error is logged" grep -q "DBError detected when purging from images" "$WORK/err"
        expect_eq "$b $mode: the failed transaction left every row" "$before" "$(counts "$b" "$U")"
        check "$b $mode: no password in the output" no_password "$WORK/out" "$WORK/err"
    done
    expect_eq "$b: the journal says failed" "failed" \
        "$(sql "$b" "$U" "SELECT outcome FROM emc_journal WHERE kind = 'purge' AND step = 'images' ORDER BY id DESC LIMIT 1")"

    # --- a user who may not DELETE -----------------------------------------------------------
    [ "$b" = sqlite ] && continue
    db=${U##*/}
    if [ "$b" = postgresql ]; then
        sql "$b" "$U" "DROP ROLE IF EXISTS purge_ro" 2> /dev/null || true
        sql "$b" "$U" "CREATE ROLE purge_ro LOGIN PASSWORD '$PW_RAW'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO purge_ro"
        RO="postgresql://purge_ro:s3cr%40t%25pw@127.0.0.1:$EMC_PG_PORT/$db"
    else
        sql "$b" "$U" "DROP USER IF EXISTS 'purge_ro'@'127.0.0.1'; CREATE USER 'purge_ro'@'127.0.0.1' IDENTIFIED BY '$PW_RAW'; GRANT SELECT ON $db.* TO 'purge_ro'@'127.0.0.1'"
        RO="mysql://purge_ro:s3cr%40t%25pw@127.0.0.1:$EMC_MYSQL_PORT/$db"
    fi
    sql "$b" "$U" "DROP TABLE site_image_refs"
    journal_before=$(sql "$b" "$U" "SELECT COUNT(*) FROM emc_journal")
    before=$(counts "$b" "$U")
    for cmd in purge purge_images_table; do
        set +e
        "$EMC_BIN" --database-url "$RO" db $cmd --age_in_days 1 --max_rows -1 > "$WORK/out" 2> "$WORK/err"
        rc=$?
        set -e
        expect_eq "$b $cmd, read-only user: exit 1" 1 "$rc"
        first=task_info
        [ $cmd = purge_images_table ] && first=images
        check "$b $cmd, read-only user: says which table" \
            grep -q "^ERROR: the database user may not delete rows from table $first, so nothing was purged" "$WORK/err"
        expect_eq "$b $cmd, read-only user: one line" 1 "$(wc -l < "$WORK/err")"
        expect_eq "$b $cmd, read-only user: nothing deleted" "$before" "$(counts "$b" "$U")"
        check "$b $cmd, read-only user: no password in the output" no_password "$WORK/out" "$WORK/err"
    done
    expect_eq "$b: read-only user: nothing journaled" "$journal_before" \
        "$(sql "$b" "$U" "SELECT COUNT(*) FROM emc_journal")"
    # three old deleted images get a live member each: db purge keeps those rows, so the preview
    # counts the three images as blocked, whoever asks (on MariaDB the owner's count goes through
    # a temporary table, the read-only user's, without CREATE TEMPORARY TABLES, through EXISTS)
    sql "$b" "$U" "INSERT INTO image_members (image_id, member, can_share, created_at, deleted, status) SELECT id, 'tenant-x', false, '2020-01-01 00:00:00', false, 'accepted' FROM images WHERE deleted_at < '$(date -u -d '60 days ago' '+%Y-%m-%d %H:%M:%S')' ORDER BY id LIMIT 3"
    "$EMC_BIN" --database-url "$RO" --json db purge --preview > "$WORK/out" 2> "$WORK/err"
    check "$b: read-only user can preview" grep -q '"would_delete"' "$WORK/out"
    check "$b: preview JSON hides the password" grep -q '"database":"[a-z]*://purge_ro:\*\*\*@' "$WORK/out"
    check "$b: preview: no password in the output" no_password "$WORK/out" "$WORK/err"
    img_blocked() { python3 -c 'import json,sys; print([t for t in json.load(sys.stdin)["tables"] if t["table"] == "images"][0]["blocked"])' < "$1"; }
    expect_eq "$b: read-only user's preview: the three blocked images" 3 "$(img_blocked "$WORK/out")"
    "$EMC_BIN" --database-url "$U" --json db purge --preview > "$WORK/out" 2> "$WORK/err"
    expect_eq "$b: owner's preview: the three blocked images" 3 "$(img_blocked "$WORK/out")"
    # a user allowed one connection: the preview's second connection is refused, and the
    # preview runs on the first alone, with the same answer
    if [ "$b" = postgresql ]; then
        sql "$b" "$U" "ALTER ROLE purge_ro CONNECTION LIMIT 1"
    else
        sql "$b" "$U" "ALTER USER 'purge_ro'@'127.0.0.1' WITH MAX_USER_CONNECTIONS 1"
    fi
    set +e
    "$EMC_BIN" --database-url "$RO" --debug --json db purge --preview > "$WORK/out" 2> "$WORK/err"
    rc=$?
    set -e
    expect_eq "$b: one connection allowed: the preview succeeds" 0 "$rc"
    check "$b: one connection allowed: it says so, in a debug line" \
        grep -q "the preview runs on 1 connection(s)" "$WORK/err"
    expect_eq "$b: one connection allowed: the three blocked images" 3 "$(img_blocked "$WORK/out")"
    check "$b: one connection allowed: no password in the output" no_password "$WORK/out" "$WORK/err"
    if [ "$b" = postgresql ]; then
        sql "$b" "$U" "DROP OWNED BY purge_ro; DROP ROLE purge_ro" > /dev/null
    else
        sql "$b" "$U" "DROP USER 'purge_ro'@'127.0.0.1'"
    fi
done
finish
