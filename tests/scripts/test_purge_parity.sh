#!/usr/bin/env bash
# test_purge_parity.sh - glance-emc's purge removes the same rows as glance-manage's, on SQLite,
# PostgreSQL and MariaDB.
#
# For each backend: two databases built by `glance-emc db sync` and filled by tests/tools/seed.py
# with the same seed and clock; a sequence of `db purge` runs (several age / max_rows pairs,
# options and positional values, glance-emc alternating its batched and --no-batch modes) is
# applied to one copy by the reference and to the other by glance-emc, and after each step the
# sorted primary keys of every table must be the same, as must the "Deleted n row(s)" lines.
# Then purge_images_table the same way on a population where no live row references a deleted
# image; then the one place where the tools differ on purpose: images still referenced by live
# rows. The reference fails on the foreign key on PostgreSQL and MariaDB (nothing deleted) and
# orphans the rows on SQLite (no foreign keys there); glance-emc skips exactly those images,
# deletes the rest and orphans nothing.
source "$(dirname "$0")/lib.sh"
if [ "${CI:-}" = true ]; then require_servers; fi

SEEDER="$EMC_SOURCE_DIR/tests/tools/seed.py"
N=${EMC_PURGE_PARITY_IMAGES:-1200}
NOW=$(date -u '+%Y-%m-%d %H:%M:%S')
TABLES="images image_properties image_tags image_locations image_members tasks task_info"
make_work purge-parity

keycol() { if [ "$1" = task_info ]; then echo task_id; else echo id; fi; }

# fingerprint BACKEND URL: one line per table: name, row count, hash of the sorted keys
fingerprint() {
    local t f="$WORK/ids"
    for t in $TABLES; do
        sql "$1" "$2" "SELECT $(keycol "$t") FROM $t" | sort > "$f"
        echo "$t $(wc -l < "$f") $(md5sum < "$f" | cut -c1-12)"
    done
}

# fresh BACKEND NAME [seed.py options]: a new database with the schema and the seeded rows
fresh() {
    local u
    u=$(new_db "$1" "$2")
    "$EMC_BIN" --database-url "$u" db sync > /dev/null 2>&1
    /usr/bin/python3 "$SEEDER" "$u" --images "$N" --seed 7 --now "$NOW" "${@:3}" > /dev/null
    echo "$u"
}

# deleted_lines: the "Deleted n row(s) from table T" lines of a log, prefixes dropped
deleted_lines() { grep -o 'Deleted [0-9]* row(s) from table [a-z_]*' || true; }

# step BACKEND REF_URL EMC_URL "ARGS" "EMC-ONLY OPTIONS" COMMAND
step() {
    local b=$1 r=$2 e=$3 args=$4 mode=$5 cmd=${6:-purge}
    # shellcheck disable=SC2086
    ref_manage "$r" db $cmd $args > "$WORK/ref.log" 2>&1 || {
        cat "$WORK/ref.log" >&2
        echo "FAIL: reference db $cmd $args on $b" >&2
        exit 1
    }
    # shellcheck disable=SC2086
    "$EMC_BIN" --database-url "$e" db $cmd $args $mode > "$WORK/emc.out" 2> "$WORK/emc.log" || {
        cat "$WORK/emc.log" >&2
        echo "FAIL: glance-emc db $cmd $args $mode on $b" >&2
        exit 1
    }
    expect_eq "$b: db $cmd $args ($mode): same rows remain" "$(fingerprint "$b" "$r")" \
        "$(fingerprint "$b" "$e")"
    expect_eq "$b: db $cmd $args ($mode): same Deleted lines" "$(deleted_lines < "$WORK/ref.log")" \
        "$(deleted_lines < "$WORK/emc.log")"
}

total_rows() { fingerprint "$1" "$2" | awk '{s += $2} END {print s}'; }

for b in $(backends); do
    # --- db purge, cumulative steps ----------------------------------------------------------
    R=$(fresh "$b" purge_par_ref)
    E=$(fresh "$b" purge_par_emc)
    expect_eq "$b: seeded copies are identical" "$(fingerprint "$b" "$R")" "$(fingerprint "$b" "$E")"
    before=$(total_rows "$b" "$E")
    step "$b" "$R" "$E" "--age_in_days 400 --max_rows -1" "--no-batch"
    step "$b" "$R" "$E" "" "--batch-size 7"
    step "$b" "$R" "$E" "200 40" "--no-batch"
    step "$b" "$R" "$E" "--age_in_days 90 --max_rows 250" "--batch-size 100"
    step "$b" "$R" "$E" "--age_in_days 30 --max_rows 0" ""
    step "$b" "$R" "$E" "--age_in_days=45 --max_rows=-1" "--no-batch"
    step "$b" "$R" "$E" "--age_in_days 10 --max_rows -1" "--batch-size 500"
    after=$(total_rows "$b" "$E")
    check "$b: the purge steps deleted rows ($before -> $after)" [ "$after" -lt "$before" ]
    expect_eq "$b: db purge never touches images" "$N" \
        "$(sql "$b" "$E" "SELECT COUNT(*) FROM images")"

    # --- purge_images_table where nothing blocks ---------------------------------------------
    R=$(fresh "$b" purge_pit_ref --blocked-share 0)
    E=$(fresh "$b" purge_pit_emc --blocked-share 0)
    step "$b" "$R" "$E" "--age_in_days 10 --max_rows -1" ""
    step "$b" "$R" "$E" "--age_in_days 300 --max_rows 20" "--no-batch" purge_images_table
    step "$b" "$R" "$E" "" "--batch-size 13" purge_images_table
    step "$b" "$R" "$E" "60 -1" "" purge_images_table
    left=$(sql "$b" "$E" "SELECT COUNT(*) FROM images")
    check "$b: purge_images_table deleted images ($N -> $left)" [ "$left" -lt "$N" ]

    # --- images still referenced by live rows: the reference fails or orphans, we skip -------
    R=$(fresh "$b" purge_blk_ref --blocked-share 0.05)
    E=$(fresh "$b" purge_blk_emc --blocked-share 0.05)
    # db purge's preview on this backend: the age buckets and the images that rows this purge
    # keeps (deleted_at NULL or not before the cutoff) still reference, each as SQL counts it
    "$EMC_BIN" --database-url "$E" --json db purge --preview --age_in_days 30 > "$WORK/pv.json" \
        2> "$WORK/pv.err"
    expect_eq "$b: db purge --preview succeeds ($(head -c 300 "$WORK/pv.err"))" 0 "$?"
    pv() { python3 -c "import json,sys; t={x['table']: x for x in json.load(sys.stdin)['tables']}; print($1)" < "$WORK/pv.json"; }
    cutoff=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["cutoff"])' < "$WORK/pv.json")
    edges=$(python3 -c "import datetime as d,sys; c=d.datetime.strptime(sys.argv[1], '%Y-%m-%d %H:%M:%S'); now=c+d.timedelta(days=30); print('|'.join((now-d.timedelta(days=k)).strftime('%Y-%m-%d %H:%M:%S') for k in (30, 90, 180, 365)))" "$cutoff")
    IFS="|" read -r e30 e90 e180 e365 <<< "$edges"
    d="deleted_at"
    expect_eq "$b: preview's image_properties buckets are SQL's" \
        "$(sql "$b" "$E" "SELECT SUM(CASE WHEN $d >= '$e30' THEN 1 ELSE 0 END), SUM(CASE WHEN $d < '$e30' AND $d >= '$e90' THEN 1 ELSE 0 END), SUM(CASE WHEN $d < '$e90' AND $d >= '$e180' THEN 1 ELSE 0 END), SUM(CASE WHEN $d < '$e180' AND $d >= '$e365' THEN 1 ELSE 0 END), SUM(CASE WHEN $d < '$e365' THEN 1 ELSE 0 END), SUM(CASE WHEN $d < '$cutoff' THEN 1 ELSE 0 END) FROM image_properties" | tr '\t' ' ')" \
        "$(pv "' '.join(map(str, t['image_properties']['buckets'] + [t['image_properties']['eligible']]))")"
    keep="AND (c.deleted_at IS NULL OR c.deleted_at >= '$cutoff')"
    kept_refs="EXISTS (SELECT 1 FROM image_properties c WHERE c.image_id = i.id $keep) OR EXISTS (SELECT 1 FROM image_tags c WHERE c.image_id = i.id $keep) OR EXISTS (SELECT 1 FROM image_locations c WHERE c.image_id = i.id $keep) OR EXISTS (SELECT 1 FROM image_members c WHERE c.image_id = i.id $keep)"
    kept_blocked=$(pv "t['images']['blocked']")
    expect_eq "$b: db purge's preview counts the images that kept rows reference" \
        "$(sql "$b" "$E" "SELECT COUNT(*) FROM images i WHERE i.deleted_at < '$cutoff' AND ($kept_refs)")" \
        "$kept_blocked"
    check "$b: some images are blocked by kept rows ($kept_blocked)" [ "$kept_blocked" -gt 0 ]
    "$EMC_BIN" --database-url "$R" db purge --age_in_days 10 --max_rows -1 > /dev/null 2>&1
    "$EMC_BIN" --database-url "$E" db purge --age_in_days 10 --max_rows -1 > /dev/null 2>&1
    "$EMC_BIN" --database-url "$E" --json db purge_images_table --age_in_days 30 --max_rows -1 \
        --preview > "$WORK/pv.json" 2> /dev/null
    cutoff=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["cutoff"])' < "$WORK/pv.json")
    blocked=$(python3 -c 'import json,sys; print([t for t in json.load(sys.stdin)["tables"] if t["table"] == "images"][0]["blocked"])' < "$WORK/pv.json")
    refs="EXISTS (SELECT 1 FROM image_properties c WHERE c.image_id = i.id) OR EXISTS (SELECT 1 FROM image_tags c WHERE c.image_id = i.id) OR EXISTS (SELECT 1 FROM image_locations c WHERE c.image_id = i.id) OR EXISTS (SELECT 1 FROM image_members c WHERE c.image_id = i.id)"
    expect_eq "$b: preview's blocked count is the SQL count" \
        "$(sql "$b" "$E" "SELECT COUNT(*) FROM images i WHERE i.deleted_at < '$cutoff' AND ($refs)")" \
        "$blocked"
    check "$b: the population has blocked images ($blocked)" [ "$blocked" -gt 0 ]
    sql "$b" "$E" "SELECT id FROM images i WHERE NOT (i.deleted_at IS NOT NULL AND i.deleted_at < '$cutoff' AND NOT ($refs))" \
        | sort > "$WORK/expect_left"
    sql "$b" "$E" "SELECT id FROM images i WHERE i.deleted_at < '$cutoff' AND ($refs)" \
        | sort > "$WORK/blocked_ids"
    images_before=$(sql "$b" "$R" "SELECT id FROM images" | sort | md5sum)

    set +e
    ref_manage "$R" db purge_images_table --age_in_days 30 --max_rows -1 > "$WORK/ref.log" 2>&1
    ref_rc=$?
    "$EMC_BIN" --database-url "$E" db purge_images_table --age_in_days 30 --max_rows -1 \
        > "$WORK/emc.out" 2> "$WORK/emc.log"
    emc_rc=$?
    set -e
    expect_eq "$b: glance-emc skips blocked images and succeeds" 0 "$emc_rc"
    expect_eq "$b: glance-emc leaves every image that cannot go" "$(cat "$WORK/expect_left")" \
        "$(sql "$b" "$E" "SELECT id FROM images" | sort)"
    check "$b: glance-emc reports the blocked images" \
        grep -q "Skipping $blocked image(s)" "$WORK/emc.log"
    check "$b: glance-emc prints the OSSN-0075 warning" grep -q "OSSN-0075" "$WORK/emc.log"
    for t in image_properties image_tags image_locations image_members; do
        expect_eq "$b: glance-emc orphans no $t row" 0 "$(sql "$b" "$E" \
            "SELECT COUNT(*) FROM $t c LEFT JOIN images i ON i.id = c.image_id WHERE i.id IS NULL")"
    done
    if [ "$b" = sqlite ]; then
        # the reference runs SQLite without foreign keys: it deletes the blocked images too
        expect_eq "sqlite: reference succeeds" 0 "$ref_rc"
        comm -13 <(sql "$b" "$R" "SELECT id FROM images" | sort) \
            <(sql "$b" "$E" "SELECT id FROM images" | sort) > "$WORK/only_emc"
        expect_eq "sqlite: the only difference is the blocked images" \
            "$(cat "$WORK/blocked_ids")" "$(cat "$WORK/only_emc")"
    else
        expect_eq "$b: reference fails on the foreign key" 1 "$ref_rc"
        check "$b: reference prints its FK failure line" \
            grep -q "Purge command failed, check glance-manage logs for more details." \
            "$WORK/ref.log"
        expect_eq "$b: reference deleted nothing" "$images_before" \
            "$(sql "$b" "$R" "SELECT id FROM images" | sort | md5sum)"
    fi
done
finish
