/* no_curses.h - force-included into every engine source by CMake. The engine must never use
 * curses: poisoning the curses entry points makes any later #include <curses.h> (which declares
 * them) a compile error. tests/scripts/test_engine_purity.sh checks that this bites and that
 * the engine's objects call no printing or exiting function. */
#ifndef EMC_NO_CURSES_H
#define EMC_NO_CURSES_H
#pragma GCC poison initscr newwin wrefresh endwin
#endif
