/* run.c - see run.h */
#include "run.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "commands.h"
#include "fmt.h"
#include "purge.h"
#include "runner.h"

/* pump: handle the keys already typed, in the context they were typed in (a step running). */
static void pump(struct ui_app *app)
{
    for (int i = 0; i < 256; i++) {
        int k = app->io.read_key(app->io.ud, 0);
        if (k == UI_KEY_NONE)
            break;
        ui_app_key(app, k);
        ui_app_draw(app);
    }
    if (ui_app_signalled(app)) {
        app->run.stop = true;
        app->run.quit_after = true;
    }
}

static void cb_log(void *ud, int level, const char *line)
{
    if (level == EMC_LOG_DEBUG)
        return;
    struct ui_app *app = ud;
    char red[600];
    ui_redact(app->ctx, line, red, sizeof(red));
    ui_app_log(app, red);
}

static void cb_message(void *ud, const char *line)
{
    struct ui_app *app = ud;
    char red[600];
    ui_redact(app->ctx, line, red, sizeof(red));
    ui_app_log(app, red);
    ui_app_message(app, UI_S_OK, "%s", red);
}

static void cb_progress(void *ud, const struct emc_progress *p)
{
    struct ui_app *app = ud;
    app->run.prog = *p;
    snprintf(app->run.prog_what, sizeof(app->run.prog_what), "%s", p->what ? p->what : "");
    app->run.prog.what = app->run.prog_what;
    app->run.has_progress = true;
    ui_app_draw(app);
    pump(app);
}

static bool cb_should_stop(void *ud)
{
    struct ui_app *app = ud;
    pump(app);
    return app->run.stop;
}

/* step_done: the step that was running finished well (the engine asks for the next one, or
 * returned 0). */
static void step_done(struct ui_app *app)
{
    struct ui_run *r = &app->run;
    if (!r->in_step)
        return;
    const struct revision *rv = &app->ctx->ms->revs[r->step_rev];
    int64_t rows = -1;
    if (rv->kind == REV_DATA)
        rows = (r->has_progress && strcmp(r->prog_what, rv->id) == 0) ? r->prog.done : 0;
    upgrade_mark(app, r->step_rev, PS_DONE, rows);
    r->steps_done++;
    snprintf(r->last_done, sizeof(r->last_done), "%s", rv->id);
    r->in_step = false;
    r->has_progress = false;
}

static int plan_index(const struct ui_app *app, int rev)
{
    for (int i = 0; i < app->upgrade.n; i++)
        if (app->upgrade.rows[i].step.rev == rev)
            return i;
    return -1;
}

static char *step_body(struct ui_app *app, const struct emc_step *step, const char *sql)
{
    struct emc_ctx *ctx = app->ctx;
    const struct revision *rv = &ctx->ms->revs[step->rev];
    char label[160], num[32];
    emc_step_label(ctx, step, label, sizeof(label));
    size_t cap = strlen(sql) * 2 + 2048;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    size_t len = 0;
#define ADD(...) len += (size_t)snprintf(b + len, cap - len, __VA_ARGS__)
    int idx = plan_index(app, step->rev);
    static const char *const names[] = {
        ['T'] = "trunk", ['E'] = "expand", ['M'] = "migrate", ['C'] = "contract"};
    const char *pname =
        (step->phase == 'T' || step->phase == 'E' || step->phase == 'M' || step->phase == 'C')
            ? names[(int)step->phase]
            : "?";
    ADD(UI_MK_HEAD "Step %d of %d   %c %s   %s\n", idx + 1, app->upgrade.n, step->phase, pname,
        label);
    ADD("%s (release %s)\n", rv->summary ? rv->summary : "", rv->release);
    if (step->kind == STEP_DATA) {
        int64_t pend = 0;
        struct emc_error e;
        if (emc_data_pending(ctx, step->rev, &pend, &e) == 0)
            ADD("Rows to migrate now: %s, in batches of %d rows, one transaction per batch "
                "(s stops after a batch).\n",
                fmt_count(pend, num, sizeof(num)), ctx->batch_size);
        else
            ADD(UI_MK_WARN "Rows to migrate: cannot be counted now (%s)\n", e.msg);
    }
    char tname[64];
    snprintf(tname, sizeof(tname), "triggers.%s.sql", ctx->dialect);
    const char *trig = step->triggers ? migset_file(ctx->ms, rv->id, tname) : NULL;
    if (trig && *trig)
        ADD("With this revision's rolling-upgrade triggers (release n-1 and n services write at "
            "the same time until contract).\n");
    ADD("\n" UI_MK_HEAD "SQL it runs on %s:\n", ctx->dialect);
    for (const char *p = sql; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        ADD(UI_MK_SQL "%.*s\n", (int)n, p);
        if (!nl)
            break;
        p = nl + 1;
    }
#undef ADD
    return b;
}

static bool cb_confirm(void *ud, const struct emc_step *step, const char *sql)
{
    struct ui_app *app = ud;
    struct ui_run *r = &app->run;
    step_done(app);
    pump(app); /* keys typed while the last step ran go to the running context */
    if (r->stop) {
        upgrade_mark(app, step->rev, PS_STOPPED, -1);
        return false;
    }
    r->step_rev = step->rev;
    /* a data migration with no row left changes nothing (the runner only counts): it is not
     * asked about */
    int64_t left = -1;
    struct emc_error perr;
    bool nothing = step->kind == STEP_DATA &&
                   emc_data_pending(app->ctx, step->rev, &left, &perr) == 0 && left == 0;
    if (nothing) {
        char line[160];
        snprintf(line, sizeof(line), "%s: no row left to migrate, nothing to run or ask",
                 app->ctx->ms->revs[step->rev].id);
        ui_app_log(app, line);
    }
    upgrade_mark(app, step->rev, PS_ASKING, -1);
    if (!nothing && !(r->yes_phase && step->phase != 'C')) {
        if (app->screen != UI_UPGRADE) /* a question is never asked out of sight */
            ui_app_show(app, UI_UPGRADE);
        char *body = step_body(app, step, sql);
        char title[160], label[128];
        snprintf(title, sizeof(title), "Run %s?",
                 emc_step_label(app->ctx, step, label, sizeof(label)));
        modal_step(app, title, body ? body : sql, step->phase != 'C');
        free(body);
        ui_app_draw(app);
        while (app->modal.kind == UI_MODAL_STEP && app->modal.answer == UI_ANS_OPEN && !app->quit) {
            if (ui_app_signalled(app)) {
                r->stop = r->quit_after = true;
                break;
            }
            int k = app->io.read_key(app->io.ud, 250);
            if (k == UI_KEY_NONE)
                continue;
            ui_app_key(app, k);
            ui_app_draw(app);
        }
        int ans = app->modal.kind == UI_MODAL_STEP ? app->modal.answer : UI_ANS_NO;
        if (app->modal.kind == UI_MODAL_STEP)
            modal_close(app);
        if (ans != UI_ANS_YES && ans != UI_ANS_ALL) {
            upgrade_mark(app, step->rev, PS_STOPPED, -1);
            r->step_rev = -1;
            return false;
        }
        if (ans == UI_ANS_ALL)
            r->yes_phase = true;
    }
    r->in_step = true;
    r->has_progress = false;
    upgrade_mark(app, step->rev, PS_RUNNING, -1);
    char label[128];
    if (nothing)
        ui_app_message(app, UI_S_DIM, "%s", ui_app_log_line(app, 0));
    else
        ui_app_message(app, UI_S_WARN, "running %s ... (s: stop after it, q: quit)",
                       emc_step_label(app->ctx, step, label, sizeof(label)));
    ui_app_draw(app);
    return true;
}

void run_callbacks(struct ui_app *app)
{
    if (!app->ctx)
        return;
    app->ctx->cb = (struct emc_callbacks){.ud = app,
                                          .on_log = cb_log,
                                          .on_progress = cb_progress,
                                          .on_confirm = NULL,
                                          .should_stop = cb_should_stop,
                                          .on_sql = NULL,
                                          .on_message = cb_message};
}

static void run_begin(struct ui_app *app, char kind)
{
    struct ui_run *r = &app->run;
    memset(r, 0, sizeof(*r));
    r->active = true;
    r->kind = kind;
    r->step_rev = -1;
    run_callbacks(app);
}

static void run_end(struct ui_app *app)
{
    app->run.active = false;
    app->run.has_progress = false;
    if (app->ctx)
        app->ctx->cb.on_confirm = NULL;
    if (app->run.quit_after)
        app->quit = true;
    ui_app_refresh(app);
}

void run_phase(struct ui_app *app, char phase)
{
    struct emc_ctx *ctx = app->ctx;
    struct vm_upgrade *vm = &app->upgrade;
    if (!ctx)
        return;
    run_begin(app, phase);
    ctx->cb.on_confirm = cb_confirm;
    struct emc_error err;
    emc_error_clear(&err);
    bool latest = app->target[0] == '\0';
    int rc;
    int64_t rows = 0;
    const char *what;
    ui_app_show(app, UI_UPGRADE);
    if (phase == 'E') {
        what = "expand";
        ctx->command = latest ? "expand" : "upgrade";
        rc = latest ? emc_cmd_expand(ctx, true, &err)
                    : emc_cmd_upgrade(ctx, vm->expand_target, &err);
    } else if (phase == 'M') {
        what = "migrate";
        ctx->command = "migrate";
        rc = emc_cmd_migrate(ctx, &rows, &err);
    } else {
        what = "contract";
        ctx->command = latest ? "contract" : "upgrade";
        rc = latest ? emc_cmd_contract(ctx, &err) : emc_cmd_upgrade(ctx, app->target, &err);
    }
    struct ui_run *r = &app->run;
    if (rc == 0) {
        step_done(app);
        snprintf(vm->result, sizeof(vm->result), "%c %s done: %d step%s run.", phase, what,
                 r->steps_done, r->steps_done == 1 ? "" : "s");
        ui_app_message(app, UI_S_OK, "%s", vm->result);
    } else if (rc == -EMC_E_INTERRUPTED) {
        if (r->in_step) {
            const struct revision *rv = &ctx->ms->revs[r->step_rev];
            upgrade_mark(app, r->step_rev, PS_STOPPED,
                         rv->kind == REV_DATA && r->has_progress ? r->prog.done : -1);
            if (rv->kind == REV_SCHEMA) /* stopped after the step: it did finish */
                step_done(app);
        }
        snprintf(vm->result, sizeof(vm->result), "%c %s stopped after %d step%s%s%s.", phase, what,
                 r->steps_done, r->steps_done == 1 ? "" : "s", r->last_done[0] ? ", the last " : "",
                 r->last_done);
        ui_app_message(app, UI_S_WARN, "%s", vm->result);
    } else {
        if (r->in_step)
            upgrade_mark(app, r->step_rev, PS_FAILED, -1);
        snprintf(vm->result, sizeof(vm->result), "%c %s failed after %d step%s: %.200s", phase,
                 what, r->steps_done, r->steps_done == 1 ? "" : "s", err.msg);
        run_error_panel(app, what, &err);
    }
    run_end(app);
}

void run_purge_opts(const struct ui_app *app, bool images, struct purge_opts *o)
{
    purge_default_opts(app->ctx, images, o);
    o->age_in_days = images ? app->purge.images_age : app->purge.age;
    o->max_rows = app->purge.max_rows;
    if (app->opt.batch_size > 0)
        o->target_txn_s = 0;
}

void run_purge(struct ui_app *app, bool images)
{
    struct emc_ctx *ctx = app->ctx;
    struct vm_purge *vm = &app->purge;
    if (!ctx)
        return;
    run_begin(app, images ? 'I' : 'P');
    struct purge_opts o;
    run_purge_opts(app, images, &o);
    ctx->command = images ? "purge_images_table" : "purge";
    struct emc_error err;
    emc_error_clear(&err);
    memset(&vm->result, 0, sizeof(vm->result));
    int rc = purge_validate(&o, ui_app_now(app), &err);
    if (rc == 0)
        rc = purge_run(ctx, &o, ui_app_now(app), &vm->result, &err);
    vm->have_result = true;
    int64_t total = 0;
    for (int i = 0; i < vm->result.ntables; i++)
        total += vm->result.t[i].deleted;
    char num[32];
    fmt_count(total, num, sizeof(num));
    if (rc == 0 && !vm->result.interrupted) {
        snprintf(vm->result_note, sizeof(vm->result_note), "%s done: %s row%s deleted.",
                 images ? "Images purge" : "Purge", num, total == 1 ? "" : "s");
        ui_app_message(app, UI_S_OK, "%s", vm->result_note);
    } else if (rc == 0 || rc == -EMC_E_INTERRUPTED) {
        snprintf(vm->result_note, sizeof(vm->result_note),
                 "%s stopped: %s row%s deleted before the stop (each batch is committed).",
                 images ? "Images purge" : "Purge", num, total == 1 ? "" : "s");
        ui_app_message(app, UI_S_WARN, "%s", vm->result_note);
    } else {
        snprintf(vm->result_note, sizeof(vm->result_note), "%s failed after %s row%s: %.200s",
                 images ? "Images purge" : "Purge", num, total == 1 ? "" : "s", err.msg);
        run_error_panel(app, images ? "images purge" : "purge", &err);
    }
    run_end(app);
}

void run_error_panel(struct ui_app *app, const char *what, const struct emc_error *err)
{
    struct emc_ctx *ctx = app->ctx;
    struct ui_run *r = &app->run;
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    if (!b)
        return;
    b[0] = '\0';
#define ADD(...) len += (size_t)snprintf(b + len, len < cap ? cap - len : 0, __VA_ARGS__)
    char msg[600];
    ui_redact(ctx, err->msg, msg, sizeof(msg));
    ADD(UI_MK_WARN "%s\n", msg);
    ADD("(%s", emc_errclass_name(err->code));
    if (err->sqlstate[0])
        ADD(", SQLSTATE %s", err->sqlstate);
    if (err->driver_code)
        ADD(", code %ld", err->driver_code);
    ADD(")\n\n" UI_MK_HEAD "The database now\n");
    struct emc_state st;
    struct emc_error e2;
    if (ctx && emc_read_state(ctx, &st, &e2) == 0) {
        char heads[512];
        if (st.nheads == 0)
            ADD("Read just now: not under migration control (no alembic_version rows).\n");
        else
            ADD("Read just now: current version %s.\n",
                emc_heads_text(ctx, st.applied, heads, sizeof(heads)));
        emc_state_free(&st);
    } else {
        ADD("It cannot be read just now (%s).\n", ctx ? e2.msg : "no connection");
    }
    if (r->steps_done > 0)
        ADD("This run completed %d step%s, the last one %s.\n", r->steps_done,
            r->steps_done == 1 ? "" : "s", r->last_done);
    else if (r->kind != 'P' && r->kind != 'I')
        ADD("No step of this run completed.\n");
    if (r->in_step && ctx && r->step_rev >= 0) {
        const struct revision *rv = &ctx->ms->revs[r->step_rev];
        if (rv->kind == REV_DATA)
            ADD("The failing step, %s, is a data migration: its batches commit one by one, so "
                "the rows already migrated stay migrated and running M again goes on from "
                "there.\n",
                rv->id);
        else if (db_drv(ctx->conn)->caps.transactional_ddl)
            ADD("The failing step, %s, was rolled back: %s undoes DDL in a transaction, so "
                "nothing of it stayed.\n",
                rv->id, ctx->dialect);
        else
            ADD("The failing step, %s, may be partly applied (%s cannot roll DDL back); the "
                "next run finishes it from where the journal says it stopped.\n",
                rv->id, ctx->dialect);
    }
    if (r->kind == 'P' || r->kind == 'I')
        ADD("Purges commit batch by batch: the rows already deleted stay deleted.\n");
    if (err->code == EMC_E_CONN_LOST || err->code == EMC_E_UNREACHABLE)
        ADD("\nThe connection was lost: r reconnects once the server is back.\n");
    ADD("\nNothing else runs until you start it again.");
#undef ADD
    char title[96];
    snprintf(title, sizeof(title), "%c%s failed", toupper((unsigned char)what[0]), what + 1);
    modal_panel(app, UI_S_ERROR, title, b, NULL);
    free(b);
}
