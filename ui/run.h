/* run.h - running engine commands from the console: the E, M and C phases of an upgrade and
 * the purges, with the engine's callbacks turned into the console's questions, progress bar and
 * log. The engine runs on the console's thread; between batches and before each step the
 * callbacks draw and read keys, so keys typed during a step are handled where they belong (a
 * y typed while a step runs never answers the next step's question). */
#ifndef EMC_UI_RUN_H
#define EMC_UI_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "emc.h"
#include "purge.h"

struct ui_app;

struct ui_run {
    bool active;     /* an engine command is running */
    char kind;       /* 'E', 'M', 'C', 'P' (purge), 'I' (images purge), 'S' (stamp) */
    bool stop;       /* stop cleanly: s, a signal, or q */
    bool quit_after; /* quit once the run has ended */
    bool yes_phase;  /* 'a': the rest of this phase runs without asking */
    bool in_step;    /* a confirmed step is running */
    int step_rev;    /* the step asking or running, -1 */
    int steps_done;  /* steps completed in this run */
    char last_done[64];
    bool has_progress;
    struct emc_progress prog;
    char prog_what[64];
};

/* run_callbacks: install the console's engine callbacks on ctx. */
void run_callbacks(struct ui_app *app);

/* run_phase: run phase 'E', 'M' or 'C' toward the current target (asks y/N before each step;
 * the caller has already had the contract word typed). Errors open a panel. */
void run_phase(struct ui_app *app, char phase);

/* run_purge: purge with the Purge screen's settings (images: the images table). */
void run_purge(struct ui_app *app, bool images);

/* run_purge_opts: the options run_purge uses: the command line's defaults for the backend
 * (batched, the batch size adapting to about 0.2 s transactions, on SQLite a pause between
 * batches), the Purge screen's age and row limit, and a fixed batch size when the console was
 * started with --batch-size. */
void run_purge_opts(const struct ui_app *app, bool images, struct purge_opts *o);

/* run_error_panel: open the panel for a failed run: the message and the database's state. */
void run_error_panel(struct ui_app *app, const char *what, const struct emc_error *err);

#endif
