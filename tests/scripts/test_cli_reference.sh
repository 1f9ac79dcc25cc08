#!/usr/bin/env bash
# Issue 3 item 3: glance-emc's db commands say what glance-manage says, with its exit codes,
# wherever the reference works (compared live against Debian's python3-glance on SQLite), and
# do better where it crashes (one line, no traceback).
source "$(dirname "$0")/lib.sh"

run() { # tool url args... -> "exit|stdout|stderr-first-line"
    local tool=$1 url=$2; shift 2
    local out errf rc
    errf=$(mktemp)
    set +e
    if [ "$tool" = ref ]; then
        out=$(ref_manage "$url" "$@" 2>"$errf")
    else
        out=$("$EMC_BIN" --database-url "$url" "$@" 2>"$errf")
    fi
    rc=$?
    set -e
    # the reference logs INFO lines on stderr; keep its last non-log line (sys.exit messages)
    local err
    err=$(grep -v -E 'INFO|WARNING|DEBUG|^\s*$' "$errf" | tail -1 || true)
    rm -f "$errf"
    [ "$tool" = emc ] && err=${err//glance-emc db /glance-manage db }
    printf '%s|%s|%s' "$rc" "$out" "$err"
}

same() { # name state-setup args...
    local name=$1 setup=$2; shift 2
    local a b
    a=$(new_db sqlite "cliref_a")
    b=$(new_db sqlite "cliref_b")
    $setup ref "$a"
    $setup emc "$b"
    expect_eq "$name" "$(run ref "$a" "$@")" "$(run emc "$b" "$@")"
}

empty() { :; }
# each state is built once per tool and copied, to keep the test quick
tpl=${EMC_TEST_TMP:-/tmp}/cliref_tpl.$$
mkdir -p "$tpl"
ref_manage "sqlite:///$tpl/ref_mitaka.db" db upgrade --version mitaka02 >/dev/null 2>&1
ref_manage "sqlite:///$tpl/ref_synced.db" db sync >/dev/null 2>&1
"$EMC_BIN" --database-url "sqlite:///$tpl/emc_mitaka.db" db upgrade --version mitaka02 >/dev/null 2>&1
"$EMC_BIN" --database-url "sqlite:///$tpl/emc_synced.db" db sync >/dev/null 2>&1
mitaka() { cp "$tpl/$1_mitaka.db" "${2#sqlite:///}"; }
synced() { cp "$tpl/$1_synced.db" "${2#sqlite:///}"; }

same "empty: version" empty db version
same "empty: check" empty db check
same "empty: migrate before expand" empty db migrate
same "empty: contract before expand" empty db contract
same "mitaka02: check" mitaka db check
same "mitaka02: migrate before expand" mitaka db migrate
same "synced: check" synced db check
same "synced: sync" synced db sync
same "synced: expand" synced db expand
same "synced: migrate" synced db migrate
same "synced: contract" synced db contract
same "synced: purge argparse" synced db purge --age_in_days abc
same "synced: purge negative age" synced db purge --age_in_days -1
same "synced: purge max_rows" synced db purge --max_rows -2
same "synced: purge huge age" synced db purge --age_in_days 999999
same "synced: purge max_rows range" synced db purge --max_rows 2147483648
same "synced: images negative age" synced db purge_images_table --age_in_days -1

# where the versions are the tools' own latest, compare the shape
u=$(new_db sqlite cliref_c)
out=$("$EMC_BIN" --database-url "$u" db sync 2>/dev/null)
expect_eq "sync from empty" "Upgraded database to: 2024_1_expand01, current revision(s): 2024_1_expand01
Database migration is up to date. No migration needed.
Upgraded database to: 2024_1_contract01, current revision(s): 2024_1_contract01
Database is synced successfully." "$out"
expect_eq "legacy db_version" "$("$EMC_BIN" --database-url "$u" db version)" "$("$EMC_BIN" --database-url "$u" db_version)"
expect_eq "upgrade heads message" "0|Upgraded database, current revision(s): 2024_1_contract01|" "$(run emc "$u" db upgrade)"

# better than the reference: one line, no traceback
r=$(run emc "$u" db upgrade --version nonexistent)
expect_eq "unknown revision exit" "1" "${r%%|*}"
check "unknown revision one line" grep -q "unknown revision or release 'nonexistent'" <<<"$r"
set +e
err=$("$EMC_BIN" --database-url "$u" db upgrade --version nonexistent 2>&1 >/dev/null)
set -e
expect_eq "unknown revision is one line" "1" "$(printf '%s\n' "$err" | wc -l)"
check "no traceback" bash -c "! grep -q Traceback <<<\"\$1\"" _ "$err"
set +e
"$EMC_BIN" --database-url "$u" db >/dev/null 2>&1; rc=$?
set -e
expect_eq "db without action exits 2" "2" "$rc"
# version_control refuses to re-stamp without --force, and re-stamps with it
r=$(run emc "$u" db version_control)
expect_eq "version_control refuses" "1" "${r%%|*}"
expect_eq "version unchanged after refusal" "2024_1_contract01" "$("$EMC_BIN" --database-url "$u" db version)"
r=$(run emc "$u" db version_control --version mitaka02 --force)
expect_eq "version_control --force" "0|Placed database under migration control at revision: mitaka02|" "$r"
expect_eq "stamped" "mitaka02" "$("$EMC_BIN" --database-url "$u" db version)"
# a release name as a target
u2=$(new_db sqlite cliref_d)
"$EMC_BIN" --database-url "$u2" db upgrade --version rocky >/dev/null 2>&1
expect_eq "release target" "rocky_contract02" "$("$EMC_BIN" --database-url "$u2" db version)"
"$EMC_BIN" --database-url "$u2" db upgrade --version rocky_expand01 >/dev/null 2>&1
expect_eq "target already applied is a no-op" "rocky_contract02" "$("$EMC_BIN" --database-url "$u2" db version)"
# --sql prints and changes nothing
sqlout=$("$EMC_BIN" --database-url "$u2" --sql db upgrade --version train 2>/dev/null)
check "--sql shows the version update" grep -q "INSERT INTO alembic_version (version_num) VALUES ('train_expand01')" <<<"$sqlout"
check "--sql shows the data migration" grep -q "REPLACE(meta_data, '\"backend\":'" <<<"$sqlout"
expect_eq "--sql changed nothing" "rocky_contract02" "$("$EMC_BIN" --database-url "$u2" db version)"
# composite version mid-upgrade
"$EMC_BIN" --database-url "$u2" db expand >/dev/null 2>&1
expect_eq "composite version" $'2024_1_expand01\nrocky_contract02' "$(sql sqlite "$u2" "SELECT version_num FROM alembic_version ORDER BY version_num")"
set +e
"$EMC_BIN" --database-url "$u2" db check >/dev/null 2>&1; rc=$?
set -e
expect_eq "check after expand on a train-era database" "5" "$rc"
# --json
j=$("$EMC_BIN" --database-url "$u2" --json db check || true)
expect_eq "json verdict" "contract" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])' <<<"$j")"
j=$("$EMC_BIN" --database-url "$u2" --json db version)
expect_eq "json heads" "['2024_1_expand01', 'rocky_contract02']" "$(python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)["heads"]))' <<<"$j")"
j=$("$EMC_BIN" --database-url "$u2" --json db history)
expect_eq "json history current" "current" "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print([r["state"] for r in d["revisions"] if r["id"]=="rocky_contract02"][0])' <<<"$j")"
h=$("$EMC_BIN" --database-url "$u2" db history)
check "history marks current" grep -q '@ 2024_1_expand01' <<<"$h"
check "history marks pending" grep -q 'o train_contract01' <<<"$h"
rm -rf "$tpl"
finish
