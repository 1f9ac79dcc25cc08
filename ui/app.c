/* app.c - see app.h */
#include "app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "revgraph.h"

static bool offline_screen(enum ui_screen s)
{
    return s == UI_OVERVIEW || s == UI_HELP;
}

static const struct ui_view *const views[UI_NSCREENS] = {
    &ui_view_overview, &ui_view_graph,   &ui_view_upgrade,
    &ui_view_purge,    &ui_view_journal, &ui_view_help,
};

time_t ui_app_now(const struct ui_app *app)
{
    return app->opt.clock ? app->opt.clock(app->opt.clock_ud) : time(NULL);
}

bool ui_app_signalled(const struct ui_app *app)
{
    return app->opt.stop_flag && *app->opt.stop_flag;
}

int ui_app_body_rows(const struct ui_app *app)
{
    return app->h - 3 > 1 ? app->h - 3 : 1;
}

void ui_app_message(struct ui_app *app, enum ui_style s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->msg, sizeof(app->msg), fmt, ap);
    va_end(ap);
    app->msg_style = s;
}

void ui_app_log(struct ui_app *app, const char *line)
{
    snprintf(app->log[app->nlog % UI_LOG_LINES], sizeof(app->log[0]), "%s", line);
    app->nlog++;
}

const char *ui_app_log_line(const struct ui_app *app, int k)
{
    if (k < 0 || k >= app->nlog || k >= UI_LOG_LINES)
        return NULL;
    return app->log[(app->nlog - 1 - k) % UI_LOG_LINES];
}

void ui_app_refresh(struct ui_app *app)
{
    app->gen++;
    if (app->gen == 0)
        app->gen = 1;
}

static void status_drop(struct ui_app *app)
{
    if (app->status_gen && app->status_rc == 0)
        emc_status_free(&app->status);
    app->status_gen = 0;
    app->status_rc = -EMC_E_STATE;
}

#define PEND_UNREAD (-2)

int64_t ui_app_data_pending(struct ui_app *app, int rev)
{
    if (!app->ctx || rev < 0 || rev >= app->ctx->ms->nrev)
        return -1;
    if (app->pend_gen != app->gen || app->npend != app->ctx->ms->nrev) {
        const struct emc_status *s = ui_app_status(app);
        int n = app->ctx->ms->nrev;
        int64_t *p = realloc(app->pend, sizeof(*p) * (size_t)n);
        if (!p)
            return -1;
        app->pend = p;
        app->npend = n;
        app->pend_gen = app->gen;
        for (int i = 0; i < n; i++)
            p[i] =
                s && s->data_pending && s->data_pending[i] >= 0 ? s->data_pending[i] : PEND_UNREAD;
    }
    if (app->pend[rev] == PEND_UNREAD) {
        struct emc_error e;
        int64_t n = 0;
        app->pend[rev] = emc_data_pending(app->ctx, rev, &n, &e) == 0 ? n : -1;
    }
    return app->pend[rev];
}

char *ui_redact(const struct emc_ctx *ctx, const char *in, char *out, size_t n)
{
    dburl_redact_text(in, out, n);
    if (ctx)
        dburl_scrub_secret(out, ctx->url.password);
    return out;
}

const struct emc_status *ui_app_status(struct ui_app *app)
{
    if (!app->ctx) {
        emc_error_set(&app->status_err, EMC_E_UNREACHABLE, "%s", app->conn_err.msg);
        return NULL;
    }
    if (app->status_gen != app->gen) {
        status_drop(app);
        emc_error_clear(&app->status_err);
        app->status_rc = emc_status_read(app->ctx, &app->status, &app->status_err);
        app->status_gen = app->gen;
        if (app->status_rc < 0) {
            char red[600];
            ui_redact(app->ctx, app->status_err.msg, red, sizeof(red));
            snprintf(app->status_err.msg, sizeof(app->status_err.msg), "%s", red);
        }
    }
    return app->status_rc == 0 ? &app->status : NULL;
}

const struct purge_preview *ui_app_preview(struct ui_app *app, const struct purge_opts *o,
                                           struct emc_error *err)
{
    time_t now = ui_app_now(app);
    struct ui_preview_cache *c = &app->previews[o->images_only ? 1 : 0];
    if (!(c->valid && c->gen == app->gen && c->now == now &&
          c->opts.age_in_days == o->age_in_days && c->opts.max_rows == o->max_rows)) {
        c->opts = *o;
        c->now = now;
        c->gen = app->gen;
        c->valid = true;
        emc_error_clear(&c->err);
        c->rc = app->ctx ? purge_preview(app->ctx, o, now, &c->pv, &c->err)
                         : emc_error_set(&c->err, EMC_E_UNREACHABLE, "not connected");
    }
    if (c->rc < 0) {
        if (err)
            *err = c->err;
        return NULL;
    }
    return &c->pv;
}

bool ui_app_idle(struct ui_app *app)
{
    const struct ui_view *v = views[app->screen];
    if (!v->idle || app->run.active || (!app->ctx && !offline_screen(app->screen)))
        return false;
    return v->idle(app);
}

int ui_app_want(const struct ui_app *app, bool *want, struct emc_error *err)
{
    return rg_resolve_target(app->ctx->ms, app->target[0] ? app->target : "heads", want, err);
}

static void redact_url(struct ui_app *app)
{
    struct dburl u;
    struct emc_error perr;
    if (dburl_parse(&u, app->opt.url, &perr) == 0) {
        dburl_redacted(&u, app->url_shown, sizeof(app->url_shown));
        dburl_free(&u);
    } else {
        dburl_redact_text(app->opt.url, app->url_shown, sizeof(app->url_shown));
    }
}

/* missing_sqlite_file: a SQLite URL naming a file that is not there. The engine would answer
 * a read-only open of it with an empty in-memory database; the console says so instead, and
 * offers to create the file (an upgrade into memory would be lost on quit). */
static bool missing_sqlite_file(struct ui_app *app)
{
    struct dburl u;
    struct emc_error e;
    if (dburl_parse(&u, app->opt.url, &e) < 0)
        return false;
    bool missing = false;
    struct stat st;
    if (u.backend == DB_SQLITE && u.database && *u.database &&
        strcmp(u.database, ":memory:") != 0 && stat(u.database, &st) != 0) {
        missing = true;
        emc_error_set(&app->conn_err, EMC_E_UNKNOWN_DB, "SQLite database file does not exist: %s",
                      u.database);
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", u.database);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        app->can_create =
            !slash || (stat(slash == dir ? "/" : dir, &st) == 0 && S_ISDIR(st.st_mode));
    }
    dburl_free(&u);
    return missing;
}

int ui_app_connect(struct ui_app *app, bool create)
{
    if (app->ctx) {
        emc_close(app->ctx);
        app->ctx = NULL;
    }
    status_drop(app);
    emc_error_clear(&app->conn_err);
    app->can_create = false;
    app->connecting = false;
    if (!create && missing_sqlite_file(app)) {
        ui_app_refresh(app);
        return -EMC_E_UNKNOWN_DB;
    }
    int rc = emc_open(&app->ctx, app->opt.url, app->opt.migrations_dir, !create,
                      app->opt.connect_timeout, &app->conn_err);
    if (rc < 0) {
        app->ctx = NULL;
        char red[600];
        dburl_redact_text(app->conn_err.msg, red, sizeof(red));
        snprintf(app->conn_err.msg, sizeof(app->conn_err.msg), "%s", red);
        ui_app_refresh(app);
        return rc;
    }
    if (app->opt.batch_size > 0)
        app->ctx->batch_size = app->opt.batch_size;
    if (app->opt.lock_timeout_ms >= 0)
        app->ctx->lock_timeout_ms = app->opt.lock_timeout_ms;
    run_callbacks(app);
    ui_app_refresh(app);
    return 0;
}

int ui_app_init(struct ui_app *app, const struct ui_options *opt, struct ui_io io)
{
    memset(app, 0, sizeof(*app));
    app->opt = *opt;
    app->io = io;
    app->gen = 1;
    app->status_rc = -EMC_E_STATE;
    app->purge.age = 30;
    app->purge.max_rows = 100;
    app->purge.images_age = 180;
    app->upgrade.failed_rev = -1;
    app->io.size(app->io.ud, &app->w, &app->h);
    redact_url(app);
    if (opt->defer_connect)
        app->connecting = true;
    else
        ui_app_connect(app, false);
    return 0;
}

void ui_app_free(struct ui_app *app)
{
    for (int i = 0; i < UI_NSCREENS; i++)
        views[i]->release(app);
    modal_close(app);
    status_drop(app);
    free(app->pend);
    app->pend = NULL;
    emc_close(app->ctx);
    app->ctx = NULL;
    ui_canvas_free(&app->canvas);
}

static void build(struct ui_app *app, enum ui_screen s)
{
    if (app->built[s] == app->gen)
        return;
    if (app->run.active && app->built[s] != 0)
        return; /* keep the plan's marks while it runs; rebuilt when the run ends */
    views[s]->build(app);
    app->built[s] = app->gen;
}

void ui_app_show(struct ui_app *app, enum ui_screen s)
{
    if (!app->ctx && !offline_screen(s)) {
        ui_app_message(app, UI_S_WARN, "not connected: r retries, q quits");
        return;
    }
    app->screen = s;
    build(app, s);
}

unsigned ui_app_active(const struct ui_app *app)
{
    if (app->modal.kind != UI_MODAL_NONE)
        return modal_kctx(&app->modal);
    const struct ui_view *v = views[app->screen];
    unsigned view = v->keyctx ? v->keyctx(app) : v->kctx;
    if (!app->ctx)
        return KC_OFFLINE | view | (app->can_create ? KC_CREATE : 0u);
    return KC_GLOBAL | view | (app->run.active ? KC_RUNNING : KC_IDLE);
}

/* --- frame ---------------------------------------------------------------------------------*/

static void draw_tabs(const struct ui_app *app, struct ui_canvas *c)
{
    ui_fill(c, 0, 0, c->w, ' ', UI_S_BAR);
    int x = ui_put(c, 0, 0, UI_S_BAR, " glance-emc ", 0);
    for (int i = 0; i < UI_NSCREENS; i++) {
        char t[32];
        snprintf(t, sizeof(t), " %d %s ", i + 1, views[i]->name);
        x = ui_put(c, x, 0, i == (int)app->screen ? UI_S_TAB : UI_S_BAR, t, 0);
    }
    if (app->run.active)
        ui_put(c, c->w - 9, 0, UI_S_WARN, " RUNNING ", 0);
    else if (!app->ctx)
        ui_put(c, c->w - 9, 0, UI_S_ERROR, " OFFLINE ", 0);
}

static void draw_keybar(const struct ui_app *app, struct ui_canvas *c)
{
    int y = c->h - 1;
    ui_fill(c, 0, y, c->w, ' ', UI_S_BAR);
    struct ui_lines kb = {0};
    int nown = 0;
    keymap_bar(ui_app_active(app), &kb, &nown);
    /* the keys that work everywhere on the right, the screen's own from the left */
    int right = 0;
    for (int i = 2 * nown; i + 1 < kb.n; i += 2)
        right += (int)strlen(kb.v[i]) + (int)strlen(kb.v[i + 1]) + 3;
    int x = 0, limit = c->w - right;
    for (int i = 0; i + 1 < kb.n; i += 2) {
        if (i == 2 * nown) {
            x = limit > x ? limit : x;
            limit = c->w;
        }
        int need = (int)strlen(kb.v[i]) + (int)strlen(kb.v[i + 1]) + 3;
        if (x + need > limit)
            continue;
        x = ui_put(c, x, y, UI_S_KEY, " ", 0);
        x = ui_put(c, x, y, UI_S_KEY, kb.v[i], 0);
        x = ui_put(c, x, y, UI_S_BAR, " ", 0);
        x = ui_put(c, x, y, UI_S_BAR, kb.v[i + 1], 0);
        x = ui_put(c, x, y, UI_S_BAR, " ", 0);
    }
    lines_free(&kb);
}

static void draw_too_small(const struct ui_app *app, struct ui_canvas *c)
{
    (void)app;
    char text[400];
    snprintf(text, sizeof(text),
             "The terminal is %dx%d. glance-emc needs at least 80x24: make the window larger "
             "(it redraws by itself).\n\nq quits.",
             c->w, c->h);
    struct ui_lines l = {0};
    lines_wrap(&l, text, c->w > 4 ? c->w - 2 : c->w, 0);
    int y = (c->h - l.n) / 2;
    for (int i = 0; i < l.n; i++) {
        int len = (int)strlen(l.v[i]);
        int x = (c->w - len) / 2;
        ui_put(c, x > 0 ? x : 0, y + i, i == 0 ? UI_S_WARN : UI_S_NORMAL, l.v[i], 0);
    }
    lines_free(&l);
}

void ui_app_frame(const struct ui_app *app, struct ui_canvas *c)
{
    ui_canvas_clear(c, UI_S_NORMAL);
    if (c->w < 80 || c->h < 24) {
        draw_too_small(app, c);
        return;
    }
    draw_tabs(app, c);
    int rows = c->h - 3;
    views[app->screen]->draw(app, c, 1, rows);
    modal_draw(app, c, 1, rows);
    ui_put(c, 1, c->h - 2, app->msg_style, app->msg, c->w - 2);
    draw_keybar(app, c);
}

size_t ui_render_text(const struct ui_app *app, int w, int h, char *buf, size_t n)
{
    struct ui_canvas c;
    if (ui_canvas_init(&c, w, h) < 0)
        return 0;
    ui_app_frame(app, &c);
    size_t need = ui_canvas_text(&c, buf, n);
    ui_canvas_free(&c);
    return need;
}

void ui_app_draw(struct ui_app *app)
{
    app->io.size(app->io.ud, &app->w, &app->h);
    if (app->ctx || offline_screen(app->screen))
        build(app, app->screen);
    if (app->canvas.w != app->w || app->canvas.h != app->h || !app->canvas.cells) {
        ui_canvas_free(&app->canvas);
        if (ui_canvas_init(&app->canvas, app->w, app->h) < 0)
            return;
    }
    ui_app_frame(app, &app->canvas);
    app->io.present(app->io.ud, &app->canvas);
}

/* --- keys ----------------------------------------------------------------------------------*/

static void quit_answer(struct ui_app *app, int answer, const char *input, int choice)
{
    (void)input;
    (void)choice;
    if (answer != UI_ANS_YES)
        return;
    app->run.stop = true;
    app->run.quit_after = true;
    ui_app_message(app, UI_S_WARN, "stopping after the current batch or statement, then quitting");
}

static void create_answer(struct ui_app *app, int answer, const char *input, int choice)
{
    (void)input;
    (void)choice;
    if (answer != UI_ANS_YES)
        return;
    if (ui_app_connect(app, true) == 0)
        ui_app_message(app, UI_S_OK, "created an empty database; 3 Upgrade builds the schema");
}

void ui_app_key(struct ui_app *app, int key)
{
    if (key == UI_KEY_RESIZE) {
        app->io.size(app->io.ud, &app->w, &app->h);
        return;
    }
    unsigned active = ui_app_active(app);
    enum ui_act act = keymap_lookup(active, key);
    char kn[32];
    keymap_key_name(key, kn, sizeof(kn));
    if (act == ACT_NONE) {
        if (!app->ctx && app->modal.kind == UI_MODAL_NONE)
            ui_app_message(app, UI_S_WARN, "not connected: r retries, q quits");
        else if (app->modal.kind == UI_MODAL_STEP && key == 'a')
            ui_app_message(app, UI_S_WARN, "contract steps each need their own y (or n)");
        else if (app->run.active && app->modal.kind == UI_MODAL_NONE)
            ui_app_message(app, UI_S_WARN,
                           "%s ignored: a step is running and asks nothing now (s: stop, q: "
                           "quit)",
                           kn);
        else
            ui_app_message(app, UI_S_DIM, "%s does nothing here (? lists the keys)", kn);
        return;
    }
    if (app->modal.kind != UI_MODAL_NONE) {
        if (act != ACT_TEXT && act != ACT_ERASE)
            app->msg[0] = '\0';
        modal_action(app, act, key);
        return;
    }
    app->msg[0] = '\0';
    switch (act) {
    case ACT_STOP:
        app->run.stop = true;
        ui_app_message(app, UI_S_WARN,
                       "stopping: after the current batch, or before the next step");
        return;
    case ACT_SCREEN_1:
    case ACT_SCREEN_2:
    case ACT_SCREEN_3:
    case ACT_SCREEN_4:
    case ACT_SCREEN_5:
    case ACT_SCREEN_6:
        ui_app_show(app, (enum ui_screen)(act - ACT_SCREEN_1));
        return;
    case ACT_HELP:
        ui_app_show(app, UI_HELP);
        return;
    case ACT_REFRESH:
        if (app->ctx && app->status_gen == app->gen && app->status_rc < 0 &&
            (app->status_err.code == EMC_E_CONN_LOST ||
             app->status_err.code == EMC_E_UNREACHABLE)) {
            ui_app_connect(app, false);
        }
        ui_app_refresh(app);
        ui_app_message(app, UI_S_DIM, "read the database again");
        return;
    case ACT_RETRY:
        if (ui_app_connect(app, false) == 0)
            ui_app_message(app, UI_S_OK, "connected");
        else
            ui_app_message(app, UI_S_ERROR, "still cannot connect");
        return;
    case ACT_CREATE:
        if (!app->can_create) {
            ui_app_message(app, UI_S_DIM, "c creates a missing SQLite file; this is not one");
            return;
        }
        modal_ask(app, UI_S_WARN, "Create the database file?",
                  "The SQLite file does not exist. Create it as an empty database? Nothing "
                  "else happens: the Upgrade screen then offers to build the schema, step by "
                  "step.",
                  "y: create it   n: no", create_answer);
        return;
    case ACT_QUIT:
        if (app->run.active) {
            modal_ask(app, UI_S_WARN, "A step is running",
                      "Quit now? The run stops cleanly first: after the current batch of a "
                      "data migration or purge, or when the current statement ends. The "
                      "database stays at the last step done.",
                      "y: stop and quit   n: keep running", quit_answer);
            return;
        }
        app->quit = true;
        return;
    default:
        views[app->screen]->action(app, act, key);
        return;
    }
}

int ui_app_run(struct ui_app *app)
{
    ui_app_draw(app);
    if (app->connecting) {
        ui_app_connect(app, false);
        ui_app_draw(app);
    }
    bool idle = true;
    while (!app->quit) {
        if (ui_app_signalled(app))
            break;
        /* keys first; the slow part of a screen once none waits */
        int k = app->io.read_key(app->io.ud, idle ? 0 : 250);
        if (k == UI_KEY_NONE) {
            if (idle && ui_app_idle(app))
                ui_app_draw(app);
            idle = false;
            continue;
        }
        idle = true;
        ui_app_key(app, k);
        if (!app->quit)
            ui_app_draw(app);
    }
    return 0;
}
