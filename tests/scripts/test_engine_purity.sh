#!/usr/bin/env bash
# test_engine_purity.sh - the engine never sees curses, never prints, never exits.
#
#  (a) the engine target force-includes engine/no_curses.h, and with it a source that includes
#      <curses.h> does not compile (while the same source without curses does);
#  (b) no object of libemc_engine.a references a printing, exiting or curses function, nor
#      stdout/stderr themselves.
# Needs EMC_SOURCE_DIR and EMC_BINARY_DIR (ctest sets both).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

src=${EMC_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
bin=${EMC_BINARY_DIR:?EMC_BINARY_DIR is not set (run through ctest)}
cc=${CC:-cc}
tmp=$(mktemp -d "${EMC_TEST_TMP:-/tmp}/emc-purity.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- (a) curses is poisoned -----------------------------------------------------------------
flags="$bin/CMakeFiles/emc_engine.dir/flags.make"
check "engine flags file exists ($flags)" test -f "$flags"
check "engine sources are compiled with -include no_curses.h" grep -q -- "-include [^ ]*engine/no_curses.h" "$flags"

cat > "$tmp/with_curses.c" <<'EOF'
#include <curses.h>
int emc_purity_probe(void) { return 0; }
EOF
cat > "$tmp/without_curses.c" <<'EOF'
#include <stdio.h>
int emc_purity_probe(void) { return 0; }
EOF
ccflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -include "$src/engine/no_curses.h" -I"$src/engine" -c)
check "an engine source without curses compiles" "$cc" "${ccflags[@]}" "$tmp/without_curses.c" -o "$tmp/ok.o"
if "$cc" "${ccflags[@]}" "$tmp/with_curses.c" -o "$tmp/bad.o" 2> "$tmp/bad.err"; then
    echo "FAIL: an engine source including <curses.h> compiled" >&2
    exit 1
fi
CHECKS=$((CHECKS + 1))
check "the failure is the poisoning, not something else" grep -q "poisoned" "$tmp/bad.err"
if grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](n?curses|ncursesw/curses|term|panel|menu|form)\.h[>"]' \
        "$src/engine" > "$tmp/incl" 2>/dev/null; then
    echo "FAIL: engine files include curses headers: $(tr '\n' ' ' < "$tmp/incl")" >&2
    exit 1
fi
CHECKS=$((CHECKS + 1))

# --- (b) no printing, exiting or curses symbols in the engine's objects ----------------------
lib=$bin/libemc_engine.a
[ -f "$lib" ] || lib=$(find "$bin" -name libemc_engine.a -print -quit)
check "libemc_engine.a was built (under $bin)" test -n "$lib" -a -f "$lib"
nm -A "$lib" > "$tmp/nm" 2> /dev/null
check "nm reads libemc_engine.a" test -s "$tmp/nm"
for drv in db_driver_sqlite db_driver_postgresql db_driver_mysql; do
    check "libemc_engine.a defines $drv" grep -qE ":[0-9a-f]+ [DRdr] $drv\$" "$tmp/nm"
done

forbidden=(printf vprintf puts putchar fputs fputs_unlocked fprintf vfprintf perror
           __printf_chk __vprintf_chk __fprintf_chk __vfprintf_chk
           exit _exit _Exit quick_exit abort
           stdout stderr initscr newwin wrefresh endwin)
for sym in "${forbidden[@]}"; do
    hits=$(awk -v s="$sym" '$(NF-1) == "U" && $NF == s { print $1 }' "$tmp/nm" | sort -u | tr '\n' ' ')
    if [ -n "$hits" ]; then
        echo "FAIL: the engine references $sym in: $hits" >&2
        exit 1
    fi
    CHECKS=$((CHECKS + 1))
done

finish
