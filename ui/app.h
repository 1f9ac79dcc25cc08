/* app.h - the console's state and event loop. The loop reads keys through struct ui_io and
 * hands frames back through it, so the same loop runs on a terminal (term.c) and in the tests
 * (scripted keys, frames captured as text). Nothing here includes curses. */
#ifndef EMC_UI_APP_H
#define EMC_UI_APP_H

#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "canvas.h"
#include "commands.h"
#include "emc.h"
#include "keymap.h"
#include "modal.h"
#include "purge.h"
#include "run.h"
#include "view.h"
#include "view_graph.h"
#include "view_help.h"
#include "view_journal.h"
#include "view_overview.h"
#include "view_purge.h"
#include "view_upgrade.h"

/* The terminal, or a test's stand-in. */
struct ui_io {
    void *ud;
    /* read_key: the next key, waiting at most timeout_ms (0: only a key already typed; < 0:
     * forever); UI_KEY_NONE when none came. */
    int (*read_key)(void *ud, int timeout_ms);
    /* size: the screen's size in cells. */
    void (*size)(void *ud, int *w, int *h);
    /* present: show a frame. */
    void (*present)(void *ud, const struct ui_canvas *c);
};

struct ui_options {
    const char *url;            /* the database URL, password included (never shown) */
    const char *url_source;     /* where it came from ("--database-url", ...) */
    const char *migrations_dir; /* NULL: the embedded migrations */
    int connect_timeout;        /* seconds, 0 = default */
    int batch_size;             /* 0 = default */
    int lock_timeout_ms;        /* < 0 = default */
    /* clock: "now" for ages and purge cutoffs (NULL: time()); the tests fix it */
    time_t (*clock)(void *ud);
    void *clock_ud;
    /* stop_flag: set by SIGINT/SIGTERM (may be NULL): stop cleanly and quit */
    volatile sig_atomic_t *stop_flag;
    /* defer_connect: connect in ui_app_run, after a first "connecting" frame */
    bool defer_connect;
};

#define UI_LOG_LINES 64

struct ui_app {
    struct ui_options opt;
    struct ui_io io;
    struct emc_ctx *ctx; /* NULL while not connected */
    struct emc_error conn_err;
    bool can_create; /* the SQLite file is missing: 'c' offers to create it */
    bool connecting; /* not tried yet (deferred) */
    char url_shown[512];
    char target[32]; /* "" = the latest release, else a release name */
    enum ui_screen screen;
    int w, h;
    bool quit;
    unsigned gen;                /* bumped when the database may have changed */
    unsigned built[UI_NSCREENS]; /* gen each view-model was built at (0 = never) */
    /* the status every screen shares, read once per gen */
    unsigned status_gen;
    int status_rc;
    struct emc_status status;
    struct emc_error status_err;
    /* rows left per data migration, counted at most once per gen (ui_app_data_pending) */
    unsigned pend_gen;
    int64_t *pend;
    int npend;
    struct ui_modal modal;
    struct ui_run run;
    char msg[300];
    enum ui_style msg_style;
    char log[UI_LOG_LINES][200];
    int nlog; /* lines ever logged; the ring holds the last UI_LOG_LINES */
    struct ui_canvas canvas;
    /* purge previews, shared by the Overview and the Purge screen, read once per gen */
    struct ui_preview_cache {
        bool valid;
        unsigned gen;
        struct purge_opts opts;
        time_t now;
        int rc;
        struct emc_error err;
        struct purge_preview pv;
    } previews[2];
    /* view-models */
    struct vm_overview overview;
    struct vm_graph graph;
    struct vm_upgrade upgrade;
    struct vm_purge purge;
    struct vm_journal journal;
    struct vm_help help;
};

/* ui_app_init: set the console up and connect (a failed connection is kept in app->conn_err
 * and shown; the console still opens). Copies opt; its strings must outlive the app. */
int ui_app_init(struct ui_app *app, const struct ui_options *opt, struct ui_io io);

/* ui_app_free: disconnect and free everything the app holds. */
void ui_app_free(struct ui_app *app);

/* ui_app_run: the event loop, until q (or a signal). Returns the exit status (0). */
int ui_app_run(struct ui_app *app);

/* ui_app_key: handle one key as the loop does (tests and nested loops use it). */
void ui_app_key(struct ui_app *app, int key);

/* ui_app_show: switch to screen s, building its view-model if stale. */
void ui_app_show(struct ui_app *app, enum ui_screen s);

/* ui_app_draw: build the current screen if stale, render a frame and present it. */
void ui_app_draw(struct ui_app *app);

/* ui_app_frame: render the current state into canvas c (sized w x h by the caller). */
void ui_app_frame(const struct ui_app *app, struct ui_canvas *c);

/* ui_render_text: the current frame at w x h as text (see ui_canvas_text); builds nothing.
 * Returns the length needed, or 0 when out of memory. */
size_t ui_render_text(const struct ui_app *app, int w, int h, char *buf, size_t n);

/* ui_app_refresh: mark everything stale (the database changed or may have). */
void ui_app_refresh(struct ui_app *app);

/* ui_app_status: the shared status for this gen (read on first use); NULL when it cannot be
 * read (app->status_err says why, app->status_rc < 0). */
const struct emc_status *ui_app_status(struct ui_app *app);

/* ui_app_data_pending: rows left in data migration rev, counted at most once per gen (the
 * status's count when it made one), shared by the screens; -1 when it cannot be counted. */
int64_t ui_app_data_pending(struct ui_app *app, int rev);

/* ui_app_want: the revisions the current target asks for, into want (ms->nrev entries). */
int ui_app_want(const struct ui_app *app, bool *want, struct emc_error *err);

/* ui_app_preview: purge_preview for o at the console's clock, cached for this gen (the
 * Overview and the Purge screen share it). NULL on failure, with err filled. */
const struct purge_preview *ui_app_preview(struct ui_app *app, const struct purge_opts *o,
                                           struct emc_error *err);

/* ui_app_idle: finish the current screen's deferred work (the loop does this by itself once
 * no key waits; the tests call it before rendering). Returns true if there was any. */
bool ui_app_idle(struct ui_app *app);

/* ui_app_now: the console's clock. */
time_t ui_app_now(const struct ui_app *app);

/* ui_app_message: set the message line (printf-style). */
void ui_app_message(struct ui_app *app, enum ui_style s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ui_redact: in into out (n bytes) with any URL's password masked, and, with ctx, the
 * connection's own password wherever it appears; returns out. Every line of the engine's that
 * the console shows goes through it. */
char *ui_redact(const struct emc_ctx *ctx, const char *in, char *out, size_t n);

/* ui_app_log: append a line to the console's log (shown on the Upgrade and Purge screens). */
void ui_app_log(struct ui_app *app, const char *line);

/* ui_app_log_line: the k-th newest log line (0 = newest), or NULL. */
const char *ui_app_log_line(const struct ui_app *app, int k);

/* ui_app_signalled: whether SIGINT/SIGTERM arrived. */
bool ui_app_signalled(const struct ui_app *app);

/* ui_app_body_rows: rows the screens get at the current size. */
int ui_app_body_rows(const struct ui_app *app);

/* ui_app_active: the key contexts active now. */
unsigned ui_app_active(const struct ui_app *app);

/* ui_app_connect: (re)connect to the database; 0 or the engine's error code. */
int ui_app_connect(struct ui_app *app, bool create);

#endif
