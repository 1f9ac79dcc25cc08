/* term.h - the one module that owns the terminal (curses): it opens and restores it, paints
 * canvases, reads keys, and turns signals into a stop flag. The terminal is restored on every
 * way out: term_close (q), exit() (atexit), SIGINT/SIGTERM/SIGHUP (the console stops cleanly and
 * closes; a second one restores at once and dies), and fatal signals (restore, then the previous
 * handler). */
#ifndef EMC_UI_TERM_H
#define EMC_UI_TERM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "app.h"

/* term_open: take the terminal (stdin/stdout must be terminals). color: use colours (false
 * under NO_COLOR). Returns 0, or -1 with a one-line reason in why. */
int term_open(bool color, char *why, size_t n);

/* term_close: give the terminal back as it was; safe to call twice. */
void term_close(void);

/* term_io: the terminal as the console's input and output. */
struct ui_io term_io(void);

/* term_stop_flag: set by SIGINT, SIGTERM and SIGHUP while the terminal is open. */
volatile sig_atomic_t *term_stop_flag(void);

/* term_signal: the signal that set the stop flag, or 0. */
int term_signal(void);

#endif
