#!/usr/bin/env bash
# test_parity_sql.sh - the SQL files of migrations/, applied directly by tests/tools/apply_sql.py,
# build on every backend exactly the schema that the reference glance-manage (Debian's
# python3-glance) builds, compared line by line by tests/tools/schema_dump.py:
#   - db sync                                  vs  apply to wallaby_contract01
#   - db upgrade --version mitaka02            vs  apply to mitaka02
#   - db upgrade --version wallaby_expand01    vs  apply --triggers to wallaby_expand01 (the
#     reference installs its triggers on MySQL only; ours, for all three backends, are compared
#     by behaviour: the same writes give the same errors and rows as on the reference's MySQL),
#     then both contracted (no trigger left)
#   - one release at a time (ocata_contract01 before the rocky expands, and between them), the
#     paths that need the SQLite variants of ocata_contract01
#   - a mitaka02 database with data, built by the reference and finished by our SQL: every data
#     migration runs (batch size 1), visibility public/private/shared, "store" for "backend"
#   - 2024_1_expand01 / 2024_1_contract01 on top of wallaby_contract01, against the upstream
#     table definitions created through SQLAlchemy on the reference's database; the composite
#     version (2024_1_expand01 + wallaby_contract01) in between
# sqlite always; postgresql and mysql when EMC_PG_URL / EMC_MYSQL_URL are set (under CI=true a
# missing server is a failure).
set -euo pipefail
src=${EMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck disable=SC1091
source "$src/tests/scripts/lib.sh"
if [ "${CI:-}" = true ]; then require_servers; fi

own_tmp=
if [ -z "${EMC_TEST_TMP:-}" ]; then
    EMC_TEST_TMP=$(mktemp -d /tmp/parity-sql.XXXXXX)
    own_tmp=$EMC_TEST_TMP
    export EMC_TEST_TMP
fi
work=$(mktemp -d "$EMC_TEST_TMP/parity-sql.XXXXXX")
cleanup() { rm -rf "$work"; if [ -n "$own_tmp" ]; then rm -rf "$own_tmp"; fi; }
trap cleanup EXIT

PY=/usr/bin/python3
dump() { $PY "$src/tests/tools/schema_dump.py" "$1"; }

# apply URL TARGET [OPTIONS...]: apply_sql.py, quiet unless it fails.
apply() {
    local url=$1 target=$2; shift 2
    if ! $PY "$src/tests/tools/apply_sql.py" "$@" "$url" "$target" >"$work/apply.log" 2>&1; then
        cat "$work/apply.log" >&2
        return 1
    fi
}

# ref URL ARGS...: the reference glance-manage, quiet unless it fails.
ref() {
    local url=$1; shift
    if ! ref_manage "$url" "$@" >"$work/ref.log" 2>&1; then
        cat "$work/ref.log" >&2
        return 1
    fi
}

# same_schema NAME REF_URL OUR_URL [FILTER]: the two dumps are identical (FILTER: a grep -v -E
# pattern for lines left out of the comparison on both sides).
same_schema() {
    local name=$1 a=$2 b=$3 filter=${4:-'^$'}
    dump "$a" | grep -v -E "$filter" >"$work/ref.dump"
    dump "$b" | grep -v -E "$filter" >"$work/our.dump"
    if ! diff -u "$work/ref.dump" "$work/our.dump" >"$work/diff"; then
        echo "FAIL: $name: schemas differ (- reference, + ours):" >&2
        cat "$work/diff" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
}

ref_emulate_2024_1() {
    # Creates node_reference and cached_images as upstream Glance's 2024_1_expand01 defines them
    # (Debian's reference stops at Zed) and stamps 2024_1_contract01.
    $PY - "$(ref_url "$1")" <<'PY'
import sys
from sqlalchemy import (Column, MetaData, Table, PrimaryKeyConstraint, ForeignKeyConstraint,
                        UniqueConstraint, create_engine)
from sqlalchemy.types import Integer, BigInteger, DateTime, String
meta = MetaData()
Table('node_reference', meta,
      Column('node_reference_id', BigInteger().with_variant(Integer, 'sqlite'), nullable=False,
             autoincrement=True),
      Column('node_reference_url', String(length=255), nullable=False),
      PrimaryKeyConstraint('node_reference_id'),
      UniqueConstraint('node_reference_url', name='uq_node_reference_node_reference_url'),
      mysql_engine='InnoDB', mysql_charset='utf8')
Table('cached_images', meta,
      Column('id', BigInteger().with_variant(Integer, 'sqlite'), autoincrement=True, nullable=False),
      Column('image_id', String(length=36), nullable=False),
      Column('last_accessed', DateTime(), nullable=False),
      Column('last_modified', DateTime(), nullable=False),
      Column('size', BigInteger(), nullable=False),
      Column('hits', Integer(), nullable=False),
      Column('checksum', String(length=32), nullable=True),
      Column('node_reference_id', BigInteger().with_variant(Integer, 'sqlite'), nullable=False),
      PrimaryKeyConstraint('id'),
      ForeignKeyConstraint(['node_reference_id'], ['node_reference.node_reference_id']),
      UniqueConstraint('image_id', 'node_reference_id',
                       name='ix_cached_images_image_id_node_reference_id'),
      mysql_engine='InnoDB', mysql_charset='utf8')
eng = create_engine(sys.argv[1])
with eng.begin() as conn:
    meta.create_all(conn)
    conn.exec_driver_sql("UPDATE alembic_version SET version_num = '2024_1_contract01'")
PY
}

# same_text NAME EXPECTED_FILE ACTUAL_FILE
same_text() {
    if ! diff -u "$2" "$3" >"$work/diff"; then
        echo "FAIL: $1 (- expected, + actual):" >&2
        cat "$work/diff" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
}

# What trigger_probe prints on a database expanded by the reference on MySQL (its triggers).
cat >"$work/probe.expected" <<'EXPECTED'
ok: INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, is_public) VALUES ('a', 'active', CURRENT_TIMESTAMP, '0', 0, 0, '1')
ok: INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, is_public) VALUES ('b', 'active', CURRENT_TIMESTAMP, '0', 0, 0, '0')
ok: INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, visibility) VALUES ('c', 'active', CURRENT_TIMESTAMP, '0', 0, 0, 'public')
ok: INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, visibility) VALUES ('d', 'active', CURRENT_TIMESTAMP, '0', 0, 0, 'private')
ok: INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, visibility) VALUES ('e', 'active', CURRENT_TIMESTAMP, '0', 0, 0, 'community')
ok: INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, visibility) VALUES ('f', 'active', CURRENT_TIMESTAMP, '0', 0, 0, 'shared')
error: INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, is_public, visibility) VALUES ('x1', 'active', CURRENT_TIMESTAMP, '0', 0, 0, '1', 'public'): Invalid visibility value
error: INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram) VALUES ('x2', 'active', CURRENT_TIMESTAMP, '0', 0, 0): Invalid visibility value
error: INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram, is_public, visibility) VALUES ('x3', 'active', CURRENT_TIMESTAMP, '0', 0, 0, NULL, NULL): Invalid visibility value
a 1 public NULL
b 0 shared NULL
c 1 public NULL
d 0 private NULL
e 0 community NULL
f 0 shared NULL
ok: UPDATE images SET is_public = '1' WHERE id = 'b'
ok: UPDATE images SET visibility = 'private' WHERE id = 'a'
ok: UPDATE images SET visibility = 'public' WHERE id = 'd'
ok: UPDATE images SET is_public = '0', visibility = 'public' WHERE id = 'e'
error: UPDATE images SET is_public = NULL WHERE id = 'c': Invalid visibility value
error: UPDATE images SET visibility = NULL WHERE id = 'c': Invalid visibility value
ok: UPDATE images SET name = 'renamed' WHERE id = 'f'
ok: UPDATE images SET is_public = '0', visibility = 'community' WHERE id = 'f'
ok: UPDATE images SET is_public = '1', visibility = 'community' WHERE id = 'e'
ok: UPDATE images SET is_public = '0' WHERE id = 'c'
a 0 private NULL
b 1 public NULL
c 0 shared NULL
d 1 public NULL
e 0 community NULL
f 0 community renamed
EXPECTED

versions() { sql "$1" "$2" "SELECT version_num FROM alembic_version ORDER BY version_num" | tr '\n' ' ' | sed 's/ $//'; }

# trigger_probe BACKEND URL: writes that exercise the rolling-upgrade triggers of an expanded
# database; prints, per write, ok or error (with the message when it is the triggers' one), and
# the rows twice (after the inserts, after the updates).
trigger_probe() {
    local b=$1 url=$2 s out pub vis
    local cols="id, status, created_at, deleted, min_disk, min_ram"
    local vals="'active', CURRENT_TIMESTAMP, '0', 0, 0"
    case $b in
    postgresql) pub="COALESCE(CAST(CAST(is_public AS INTEGER) AS TEXT), 'NULL')"
                vis="COALESCE(CAST(visibility AS TEXT), 'NULL')" ;;
    *) pub="COALESCE(is_public, 'NULL')"; vis="COALESCE(visibility, 'NULL')" ;;
    esac
    local writes=(
        "INSERT INTO images ($cols, is_public) VALUES ('a', $vals, '1')"
        "INSERT INTO images ($cols, is_public) VALUES ('b', $vals, '0')"
        "INSERT INTO images ($cols, visibility) VALUES ('c', $vals, 'public')"
        "INSERT INTO images ($cols, visibility) VALUES ('d', $vals, 'private')"
        "INSERT INTO images ($cols, visibility) VALUES ('e', $vals, 'community')"
        "INSERT INTO images ($cols, visibility) VALUES ('f', $vals, 'shared')"
        "INSERT INTO images ($cols, is_public, visibility) VALUES ('x1', $vals, '1', 'public')"
        "INSERT INTO images ($cols) VALUES ('x2', $vals)"
        "INSERT INTO images ($cols, is_public, visibility) VALUES ('x3', $vals, NULL, NULL)"
        "rows"
        "UPDATE images SET is_public = '1' WHERE id = 'b'"
        "UPDATE images SET visibility = 'private' WHERE id = 'a'"
        "UPDATE images SET visibility = 'public' WHERE id = 'd'"
        "UPDATE images SET is_public = '0', visibility = 'public' WHERE id = 'e'"
        "UPDATE images SET is_public = NULL WHERE id = 'c'"
        "UPDATE images SET visibility = NULL WHERE id = 'c'"
        "UPDATE images SET name = 'renamed' WHERE id = 'f'"
        "UPDATE images SET is_public = '0', visibility = 'community' WHERE id = 'f'"
        "UPDATE images SET is_public = '1', visibility = 'community' WHERE id = 'e'"
        "UPDATE images SET is_public = '0' WHERE id = 'c'"
        "rows"
    )
    for s in "${writes[@]}"; do
        if [ "$s" = rows ]; then
            sql "$b" "$url" "SELECT id, $pub, $vis, COALESCE(name, 'NULL') FROM images ORDER BY id" | tr '\t' ' '
        elif out=$(sql "$b" "$url" "$s" 2>&1); then
            echo "ok: $s"
        elif [[ $out == *"Invalid visibility value"* ]]; then
            echo "error: $s: Invalid visibility value"
        else
            echo "error: $s: $out"
        fi
    done
}

# seed_mitaka02 BACKEND URL: three images (public, private, private with a live member; one more
# private one whose only member is deleted) and locations holding "backend": in a mitaka02 database.
seed_mitaka02() {
    local b=$1 url=$2 t f
    case $b in postgresql) t=true; f=false ;; *) t=1; f=0 ;; esac
    local ic="id, name, status, is_public, created_at, deleted, min_disk, min_ram, protected"
    sql "$b" "$url" "INSERT INTO images ($ic) VALUES
        ('img-public', 'pub', 'active', $t, '2016-01-01 00:00:00', $f, 0, 0, $f),
        ('img-private', 'priv', 'active', $f, '2016-01-01 00:00:00', $f, 0, 0, $f),
        ('img-shared', 'shared', 'active', $f, '2016-01-01 00:00:00', $f, 0, 0, $f),
        ('img-gone-member', 'gm', 'active', $f, '2016-01-01 00:00:00', $f, 0, 0, $f)" >/dev/null
    sql "$b" "$url" "INSERT INTO image_members (image_id, member, can_share, created_at, deleted, status) VALUES
        ('img-shared', 'tenant-b', $f, '2016-01-01 00:00:00', $f, 'accepted'),
        ('img-gone-member', 'tenant-c', $f, '2016-01-01 00:00:00', $t, 'accepted')" >/dev/null
    sql "$b" "$url" "INSERT INTO image_locations (image_id, value, created_at, deleted, meta_data, status) VALUES
        ('img-public', 'file:///a', '2016-01-01 00:00:00', $f, '{\"backend\": \"fast\"}', 'active'),
        ('img-private', 'file:///b', '2016-01-01 00:00:00', $f, '{\"backend\": \"slow\", \"x\": 1}', 'active'),
        ('img-shared', 'file:///c', '2016-01-01 00:00:00', $f, '{}', 'active'),
        ('img-shared', 'file:///d', '2016-01-01 00:00:00', $f, '{\"Backend\": \"case\"}', 'active')" >/dev/null
}

for b in $(backends); do
    echo "== $b"
    # 1. the full sync
    r=$(new_db "$b" "parity_sql_${b}_ref")
    o=$(new_db "$b" "parity_sql_${b}_our")
    ref "$r" db sync
    apply "$o" wallaby_contract01
    same_schema "$b: db sync vs wallaby_contract01" "$r" "$o"
    expect_eq "$b: alembic_version after sync" "wallaby_contract01" "$(versions "$b" "$o")"

    # 2. 2024.1 on top: the composite version, then the upstream tables
    apply "$o" 2024_1_expand01
    expect_eq "$b: composite version" "2024_1_expand01 wallaby_contract01" "$(versions "$b" "$o")"
    apply "$o" 2024_1_contract01
    expect_eq "$b: version after 2024_1_contract01" "2024_1_contract01" "$(versions "$b" "$o")"
    ref_emulate_2024_1 "$r"
    same_schema "$b: 2024_1_contract01 vs upstream tables" "$r" "$o"
    apply "$o" heads
    expect_eq "$b: heads is 2024_1_contract01" "2024_1_contract01" "$(versions "$b" "$o")"

    # 3. mitaka02
    r=$(new_db "$b" "parity_sql_${b}_ref")
    o=$(new_db "$b" "parity_sql_${b}_our")
    ref "$r" db upgrade --version mitaka02
    apply "$o" mitaka02
    same_schema "$b: mitaka02" "$r" "$o"

    # 4. the expand-only state, with triggers (the reference installs its own on MySQL only;
    #    ours exist for all three and must behave as the reference's do)
    r=$(new_db "$b" "parity_sql_${b}_ref")
    o=$(new_db "$b" "parity_sql_${b}_our")
    ref "$r" db upgrade --version wallaby_expand01
    apply "$o" wallaby_expand01 --triggers
    if [ "$b" = mysql ]; then
        same_schema "$b: wallaby_expand01 (trigger bodies aside)" "$r" "$o" ' body_sha256='
        trigger_probe "$b" "$r" >"$work/probe.ref"
        same_text "mysql: the reference's triggers behave as the probe expects" "$work/probe.expected" "$work/probe.ref"
    else
        same_schema "$b: wallaby_expand01 (our triggers aside)" "$r" "$o" '^(trigger|function) '
        expect_eq "$b: two triggers installed" "2" "$(dump "$o" | grep -c '^trigger .* table=images timing=')"
    fi
    trigger_probe "$b" "$o" >"$work/probe.our"
    same_text "$b: our triggers behave as the reference's" "$work/probe.expected" "$work/probe.our"
    # contract drops them (the probe's rows all have a visibility)
    if [ "$b" = postgresql ]; then ref "$r" db upgrade; else ref "$r" db contract; fi
    apply "$o" wallaby_contract01
    same_schema "$b: expand, writes through the triggers, contract" "$r" "$o" ' rows='
    expect_eq "$b: no trigger left after contract" "0" "$(dump "$o" | grep -c -E '^(trigger|function) ' || true)"

    # 5. one release at a time: ocata_contract01 before the rocky expands, and between them
    for path in "ocata_contract01 heads" "rocky_expand01 ocata_contract01 heads"; do
        r=$(new_db "$b" "parity_sql_${b}_ref")
        o=$(new_db "$b" "parity_sql_${b}_our")
        for v in $path; do
            ref "$r" db upgrade --version "$v"
            if [ "$v" = heads ]; then v=wallaby_contract01; fi
            apply "$o" "$v"
        done
        same_schema "$b: upgrade by steps: $path" "$r" "$o"
    done

    # 6. data: a Newton-era database built by the reference, finished by our SQL
    r=$(new_db "$b" "parity_sql_${b}_ref")
    o=$(new_db "$b" "parity_sql_${b}_our")
    ref "$r" db sync
    ref "$o" db upgrade --version mitaka02
    seed_mitaka02 "$b" "$o"
    apply "$o" wallaby_contract01 --batch 1
    same_schema "$b: mitaka02 with data, finished by our SQL" "$r" "$o" ' rows='
    expect_eq "$b: visibility from is_public and members" \
        "img-gone-member private|img-private private|img-public public|img-shared shared" \
        "$(sql "$b" "$o" "SELECT id, visibility FROM images ORDER BY id" | tr '\t\n' ' |' | sed 's/|$//')"
    expect_eq "$b: meta_data \"backend\" renamed to \"store\"" \
        '{"store": "fast"}|{"store": "slow", "x": 1}|{}|{"Backend": "case"}' \
        "$(sql "$b" "$o" "SELECT meta_data FROM image_locations ORDER BY id" | tr '\n' '|' | sed 's/|$//')"
    expect_eq "$b: rows kept" "4 2 4" \
        "$(sql "$b" "$o" "SELECT (SELECT COUNT(*) FROM images), (SELECT COUNT(*) FROM image_members), (SELECT COUNT(*) FROM image_locations)" | tr '\t' ' ')"
done

finish
