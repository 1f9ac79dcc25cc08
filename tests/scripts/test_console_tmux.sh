#!/usr/bin/env bash
# The console in a real terminal: the real binary ($EMC_BIN) in tmux at 80x24, keys sent with
# send-keys, the screen read with capture-pane, the database checked with sqlite3 afterwards.
# Covers: a whole expand-migrate-contract upgrade and a purge of the demo database; a terminal
# under 80x24 (60x20) and the redraw when it grows; NO_COLOR; the terminal given back as it was
# (tty modes, cursor, main screen) after q, SIGINT (Ctrl-C), SIGTERM; a keypress answered
# within one frame. Runs its own tmux server (a socket of its own), killed at the end.
source "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is not installed" >&2; exit 1; }
: "${EMC_BIN:?EMC_BIN must name the glance-emc binary}"

dir=$(mktemp -d "${EMC_TEST_TMP:-/tmp}/emc-tmux.XXXXXX")
sock="emc-console-test-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
    set +e
    T kill-server 2>/dev/null
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock" # the server's socket file, if it stayed
    rm -rf "$dir"
}
trap cleanup EXIT

# start NAME W H [ENV...]: the console on the demo database in a new session; when it ends
# the pane shows its exit status and the tty's modes, then stays.
start() {
    local name=$1 w=$2 h=$3
    shift 3
    T new-session -d -s "$name" -x "$w" -y "$h" \
        "cd '$dir' && env $* EMC_CONSOLE_STATS='$dir/stats.$name' '$EMC_BIN' --database-url sqlite:///glance-demo.sqlite console 2>'$dir/stderr.$name'; echo \"EXIT=\$?\"; stty -a | tr ' ;' '\n\n' | grep -E '^-?(icanon|echo|isig)\$' | tr '\n' ' '; echo; sleep 600"
}
screen() { T capture-pane -p -t "$1"; }
keys() {
    local s=$1
    shift
    T send-keys -t "$s" "$@"
}
# wait_for SESSION TEXT [SECONDS]: until the screen shows TEXT
wait_for() {
    local s=$1 text=$2 n=$((${3:-30} * 10))
    for ((i = 0; i < n; i++)); do
        if screen "$s" | grep -qF -- "$text"; then
            CHECKS=$((CHECKS + 1))
            return 0
        fi
        sleep 0.1
    done
    echo "FAIL: \"$text\" never showed on $s:" >&2
    screen "$s" >&2
    cat "$dir/stderr.$s" >&2 2>/dev/null || true
    exit 1
}
# restored SESSION: the console ended with status $2, and left the terminal as it found it
restored() {
    local s=$1 status=$2
    wait_for "$s" "EXIT=$status"
    local modes
    modes=$(screen "$s" | grep -E 'icanon' | tail -1)
    expect_eq "$s: tty modes back (signals, canonical, echo)" "isig icanon echo" "$(echo $modes)"
    expect_eq "$s: main screen back" 0 "$(T display -p -t "$s" '#{alternate_on}')"
    expect_eq "$s: cursor visible" 1 "$(T display -p -t "$s" '#{cursor_flag}')"
}

cd "$dir"
"$EMC_BIN" demo glance-demo.sqlite --no-console >/dev/null
db=$dir/glance-demo.sqlite
backend_rows=$(sqlite3 "$db" "SELECT count(*) FROM image_locations WHERE instr(meta_data, '\"backend\":') > 0")
check "the demo has rows for train_migrate01" [ "$backend_rows" -gt 0 ]

# --- a whole E-M-C upgrade and a purge ------------------------------------------------------
start emc 80 24
wait_for emc "1 Overview"
wait_for emc "Current          queens_contract01"
keys emc 3
wait_for emc "Next: E expand"
keys emc Enter
wait_for emc "Run queens_expand01 -> rocky_expand01?"
wait_for emc "ADD COLUMN os_hidden"
keys emc a
wait_for emc "E expand done: 10 steps run"
keys emc Enter
wait_for emc "Run train_migrate01?"
wait_for emc "Rows to migrate now: 1,192"
keys emc a
wait_for emc "M migrate done: 10 steps run"
keys emc Enter
wait_for emc "Every release n-1 service must be stopped first"
keys emc -l contract
keys emc Enter
for rev in rocky_contract01 rocky_contract02 train_contract01 ussuri_contract01 wallaby_contract01 \
    xena_contract01 yoga_contract01 zed_contract01 2023_1_contract01 2024_1_contract01; do
    wait_for emc "-> $rev?"
    keys emc y
done
wait_for emc "C contract done: 10 steps run"
keys emc 4
wait_for emc "p purges 600 rows"
keys emc p
wait_for emc "Purge soft-deleted rows?"
keys emc y
wait_for emc "Purge done: 600 rows deleted"
keys emc q
restored emc 0
expect_eq "version after the upgrade" 2024_1_contract01 "$(sqlite3 "$db" 'SELECT version_num FROM alembic_version')"
expect_eq "no \"backend\": left" 0 "$(sqlite3 "$db" "SELECT count(*) FROM image_locations WHERE instr(meta_data, '\"backend\":') > 0")"
expect_eq "the os_hidden column" 1 "$(sqlite3 "$db" "SELECT count(*) FROM pragma_table_info('images') WHERE name = 'os_hidden'")"
expect_eq "purged: 100 rows per child table (task_info, properties, tags, locations, members, tasks)" \
    "6864" "$(( $(sqlite3 "$db" "SELECT (SELECT count(*) FROM image_properties WHERE deleted_at IS NOT NULL) + (SELECT count(*) FROM image_tags WHERE deleted_at IS NOT NULL) + (SELECT count(*) FROM image_locations WHERE deleted_at IS NOT NULL) + (SELECT count(*) FROM image_members WHERE deleted_at IS NOT NULL) + 2 * (SELECT count(*) FROM tasks WHERE deleted_at IS NOT NULL) + (SELECT count(*) FROM images WHERE deleted_at IS NOT NULL)") + 600 ))"
expect_eq "the journal: five runs done" 4 "$(sqlite3 "$db" "SELECT count(*) FROM emc_journal WHERE kind = 'run' AND outcome = 'done' AND command IN ('expand', 'migrate', 'contract', 'purge')")"

# --- a step that fails: a panel with the message and the database's state, the terminal fine --
cp "$dir/glance-demo.sqlite" "$dir/keep.sqlite"
"$EMC_BIN" demo glance-demo.sqlite --force --no-console >/dev/null
sqlite3 "$db" "ALTER TABLE images ADD COLUMN os_hidden BOOLEAN"
start fail 80 24
wait_for fail "1 Overview"
keys fail 3
wait_for fail "Next: E expand"
keys fail Enter
wait_for fail "Run queens_expand01 -> rocky_expand01?"
keys fail y
wait_for fail "Expand failed"
wait_for fail "duplicate column name: os_hidden"
wait_for fail "current version queens_contract01"
keys fail Enter
wait_for fail "FAILED"
keys fail q
restored fail 0
expect_eq "the failed step left the version alone" queens_contract01 "$(sqlite3 "$db" 'SELECT version_num FROM alembic_version')"
mv "$dir/keep.sqlite" "$db"

# --- a terminal too small, then large enough ------------------------------------------------
start small 60 20
wait_for small "The terminal is 60x20"
wait_for small "at least 80x24"
T resize-window -t small -x 80 -y 24
wait_for small "1 Overview"
wait_for small "Soft-deleted"
T resize-window -t small -x 100 -y 30
wait_for small "Soft-deleted"
keys small q
restored small 0

# --- colours, and NO_COLOR ------------------------------------------------------------------
start color 80 24
wait_for color "1 Overview"
colour=$'\e\\[([0-9]+;)*(3[0-7]|4[0-7])m' # an SGR that sets a foreground or background
check "colours without NO_COLOR" grep -qE "$colour" <<<"$(T capture-pane -e -p -t color)"
keys color q
restored color 0
start nocolor 80 24 NO_COLOR=1
wait_for nocolor "1 Overview"
check "no colour under NO_COLOR" bash -c '! grep -qE "$1" <<<"$2"' _ "$colour" "$(T capture-pane -e -p -t nocolor)"
check "NO_COLOR still shows the bars (reverse video)" grep -q $'\e\\[7m' <<<"$(T capture-pane -e -p -t nocolor)"
keys nocolor q
restored nocolor 0

# --- Ctrl-C and SIGTERM: a clean stop, the terminal back ------------------------------------
start ctrlc 80 24
wait_for ctrlc "1 Overview"
keys ctrlc 2
wait_for ctrlc "Contract lane"
keys ctrlc C-c
restored ctrlc 130
check "Ctrl-C: said why it stopped" grep -q "stopped by signal 2" "$dir/stderr.ctrlc"
start term 80 24
wait_for term "1 Overview"
# the pane's shell runs env, which execs the console: the shell's one child
pid=$(pgrep -P "$(T display -p -t term '#{pane_pid}')")
check "found the console's pid" [ -n "$pid" ]
kill -TERM "$pid"
restored term 143

# --- `glance-emc demo` on a terminal builds the database and opens the console on it -------
mkdir "$dir/d2"
T new-session -d -s demo -x 80 -y 24 "cd '$dir/d2' && '$EMC_BIN' demo 2>'$dir/stderr.demo'; echo \"EXIT=\$?\"; stty -a | tr ' ;' '\n\n' | grep -E '^-?(icanon|echo|isig)\$' | tr '\n' ' '; echo; sleep 600"
wait_for demo "Connection       sqlite:///glance-demo.sqlite  (from glance-emc demo)" 60
wait_for demo "Current          queens_contract01"
keys demo q
restored demo 0
wait_for demo "Created glance-demo.sqlite"
check "demo refuses to overwrite" bash -c "cd '$dir/d2' && ! '$EMC_BIN' demo --no-console 2>/dev/null"
check "demo --force replaces" bash -c "cd '$dir/d2' && '$EMC_BIN' demo --force --no-console | grep -q 'Open the console on it'"

# --- no arguments on a terminal: the console ------------------------------------------------
T new-session -d -s noargs -x 80 -y 24 "cd '$dir/d2' && HOME='$dir/d2' '$EMC_BIN' 2>'$dir/stderr.noargs'; echo \"EXIT=\$?\"; stty -a | tr ' ;' '\n\n' | grep -E '^-?(icanon|echo|isig)\$' | tr '\n' ' '; echo; sleep 600"
wait_for noargs "1 Overview" 20
wait_for noargs "Connection"
keys noargs q
restored noargs 0

# --- no leak and no memory error under valgrind (the plain build, when given) ---------------
if [ -n "${EMC_PLAIN_BIN:-}" ] && [ -x "$EMC_PLAIN_BIN" ] && command -v valgrind >/dev/null; then
    cp "$dir/d2/glance-demo.sqlite" "$dir/vg.sqlite"
    T new-session -d -s vg -x 80 -y 24 "cd '$dir' && valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file='$dir/vg.log' '$EMC_PLAIN_BIN' --database-url sqlite:///vg.sqlite console; echo \"EXIT=\$?\"; stty -a | tr ' ;' '\n\n' | grep -E '^-?(icanon|echo|isig)\$' | tr '\n' ' '; echo; sleep 600"
    wait_for vg "6,864 rows in 7 tables" 60
    for k in 2 Enter Escape 4 5 6; do
        keys vg "$k"
        sleep 0.5
    done
    keys vg 3
    wait_for vg "Next: E expand" 30
    keys vg Enter
    wait_for vg "Run queens_expand01 -> rocky_expand01?" 30
    keys vg a
    wait_for vg "E expand done" 60
    keys vg q
    wait_for vg "EXIT=" 60
    check "valgrind: no errors, no definite or indirect leak" grep -q "EXIT=0" <(screen vg)
    restored vg 0
else
    echo "note: the valgrind part needs EMC_PLAIN_BIN (tests/run_all.sh sets it); not run"
fi

# --- a keypress answered within one frame (the console's own measurement) -------------------
start timing 80 24
wait_for timing "1 Overview"
for k in 2 3 4 5 6 1 2 1; do
    keys timing "$k"
    sleep 0.2
done
keys timing q
restored timing 0
worst=$(sed -n 's/^worst_key_ms=//p' "$dir/stats.timing")
first=$(sed -n 's/^first_frame_ms=//p' "$dir/stats.timing")
echo "first frame ${first} ms, slowest key to frame ${worst} ms (sanitized build; never a failure on time alone)"
check "keys were measured" grep -q '^keys=[1-9]' "$dir/stats.timing"

finish
