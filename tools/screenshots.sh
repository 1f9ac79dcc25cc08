#!/usr/bin/env bash
# screenshots.sh [BIN] - a PNG of each console screen, from a real run: the console runs in
# tmux (so keys can be sent to it) inside an xterm on a virtual X display (Xvfb), and
# ImageMagick's import takes the xterm's window. The database is a fresh demo in a temporary
# folder. Writes screenshots/{overview,graph,upgrade,upgrade-step,purge,journal,help}.png.
#   BIN: the glance-emc binary (default: $EMC_BIN, else build/glance-emc)
# Needs Xvfb, xterm, ImageMagick, tmux: bash tools/install-deps.sh shots
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${EMC_BIN:-$root/build/glance-emc}}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
out=$root/screenshots
[ -x "$bin" ] || { echo "screenshots.sh: no binary at $bin (build first, or pass it)" >&2; exit 1; }
for t in Xvfb xterm import xwininfo tmux; do
    command -v "$t" >/dev/null || { echo "screenshots.sh: $t is missing: bash tools/install-deps.sh shots" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d /tmp/emc-shots.XXXXXX)
sock=emc-shots-$$
xvfb_pid= xterm_pid=
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
    set +e # every step runs, whatever the one before it did
    if [ -n "$xterm_pid" ]; then
        kill "$xterm_pid" 2>/dev/null
        wait "$xterm_pid" 2>/dev/null
    fi
    T kill-server 2>/dev/null
    sleep 0.2
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null
    rm -rf "$tmp"
    return 0
}
trap cleanup EXIT

# a display of our own: the first number nothing answers on, and a server that answers there
for n in $(seq 90 140); do
    [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] && continue
    Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 50); do
        kill -0 "$xvfb_pid" 2>/dev/null || break
        DISPLAY=:$n xwininfo -root >/dev/null 2>&1 && { disp=:$n; break; }
        sleep 0.1
    done
    [ -n "${disp:-}" ] && break
    kill "$xvfb_pid" 2>/dev/null
    wait "$xvfb_pid" 2>/dev/null
    xvfb_pid=
done
[ -n "${disp:-}" ] || { echo "screenshots.sh: no X display could be started" >&2; exit 1; }

cd "$tmp"
"$bin" demo glance-demo.sqlite --no-console >/dev/null
T new-session -d -s shots -x 80 -y 24 "'$bin' --database-url sqlite:///glance-demo.sqlite console"
T set -g status off
DISPLAY=$disp xterm -T emc-shots -geometry 80x24 -fa 'DejaVu Sans Mono' -fs 12 -b 8 \
    -bg '#1c1c1c' -fg '#d8d8d8' -xrm 'XTerm*cursorColor: #d8d8d8' \
    -e tmux -L "$sock" -f /dev/null attach -t shots &
xterm_pid=$!
win=
for _ in $(seq 100); do
    win=$(DISPLAY=$disp xwininfo -root -tree 2>/dev/null | awk '/"emc-shots"/ {print $1; exit}')
    [ -n "$win" ] && break
    sleep 0.1
done
[ -n "$win" ] || { echo "screenshots.sh: the xterm window never showed" >&2; exit 1; }

wait_for() { # TEXT: until the console shows it
    for _ in $(seq 150); do
        T capture-pane -p -t shots | grep -qF -- "$1" && { sleep 0.3; return 0; }
        sleep 0.1
    done
    echo "screenshots.sh: \"$1\" never showed:" >&2
    T capture-pane -p -t shots >&2
    exit 1
}
shot() { # NAME
    DISPLAY=$disp import -window "$win" "$out/$1.png"
    echo "screenshots/$1.png"
}

wait_for "6,864 rows in 7 tables"
shot overview
T send-keys -t shots 2 Down Down Left
wait_for "Contract lane"
shot graph
T send-keys -t shots 4
wait_for "p purges 600 rows"
shot purge
T send-keys -t shots 3 Enter
wait_for "Run queens_expand01 -> rocky_expand01?"
shot upgrade-step
T send-keys -t shots a
wait_for "E expand done"
shot upgrade
T send-keys -t shots Enter
wait_for "Run train_migrate01?"
T send-keys -t shots y
wait_for "M migrate done"
T send-keys -t shots 5
wait_for "M train_migrate01"
shot journal
T send-keys -t shots 6
wait_for "Everywhere"
shot help
T send-keys -t shots q
