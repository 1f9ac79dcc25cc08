/* view_journal.c - screen 5: the journal (emc_journal): each run with its steps, who ran it,
 * when, how long, how many rows, the outcome. Enter shows a whole row. */
#include "view_journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define JOURNAL_LIMIT 500

static int collect(void *ud, const struct journal_row *row)
{
    struct vm_journal *vm = ud;
    if (vm->n == vm->cap) {
        int cap = vm->cap ? vm->cap * 2 : 64;
        struct journal_row *v = realloc(vm->rows, sizeof(*v) * (size_t)cap);
        if (!v)
            return 1;
        vm->rows = v;
        vm->cap = cap;
    }
    vm->rows[vm->n++] = *row;
    return 0;
}

static void free_vm(struct vm_journal *vm)
{
    free(vm->rows);
    vm->rows = NULL;
    vm->n = vm->cap = 0;
    lines_free(&vm->detail_lines);
}

static void jo_build(struct ui_app *app)
{
    struct vm_journal *vm = &app->journal;
    free_vm(vm);
    vm->detail = false;
    vm->error[0] = '\0';
    if (!app->ctx) {
        snprintf(vm->error, sizeof(vm->error), "not connected");
        return;
    }
    struct emc_error err;
    if (journal_list(app->ctx, JOURNAL_LIMIT, collect, vm, &err) < 0)
        snprintf(vm->error, sizeof(vm->error), "%s", err.msg);
    vm->sel = vm->n - 1;
    vm->top = vm->n;
}

static void duration(const struct journal_row *r, char *buf, size_t n)
{
    time_t a, b;
    if (fmt_parse_utc(r->started_at, &a) < 0 || fmt_parse_utc(r->finished_at, &b) < 0) {
        snprintf(buf, n, "%s", r->finished_at[0] ? "?" : "-");
        return;
    }
    fmt_eta((double)(b - a), buf, n);
}

static enum ui_style outcome_style(const char *o)
{
    if (strcmp(o, "done") == 0)
        return UI_S_OK;
    if (strcmp(o, "failed") == 0 || strcmp(o, "crashed") == 0)
        return UI_S_ERROR;
    return UI_S_WARN;
}

static void jo_draw_detail(const struct vm_journal *vm, struct ui_canvas *c, int top, int rows)
{
    const struct ui_lines *l = &vm->detail_lines;
    int maxtop = l->n - rows > 0 ? l->n - rows : 0;
    int t = vm->detail_top > maxtop ? maxtop : vm->detail_top;
    for (int i = 0; i < rows && t + i < l->n; i++)
        ui_put_marked(c, 1, top + i, l->v[t + i], c->w - 2);
}

static void jo_draw(const struct ui_app *app, struct ui_canvas *c, int top, int rows)
{
    const struct vm_journal *vm = &app->journal;
    if (vm->error[0]) {
        ui_put(c, 1, top, UI_S_ERROR, "The journal cannot be read:", 0);
        ui_put(c, 3, top + 1, UI_S_WARN, vm->error, c->w - 4);
        return;
    }
    if (vm->detail) {
        jo_draw_detail(vm, c, top, rows);
        return;
    }
    ui_putf(c, 1, top, UI_S_HEADING, "%-19s %-31s %8s %6s %-11s", "When (UTC)", "What", "Rows",
            "Took", "Outcome");
    if (vm->n == 0) {
        ui_put(c, 3, top + 2, UI_S_DIM,
               "Nothing yet: glance-emc has not changed this database (emc_journal is empty).", 0);
        return;
    }
    int list = rows - 1;
    int t = vm->top;
    if (vm->sel < t)
        t = vm->sel;
    if (vm->sel >= t + list)
        t = vm->sel - list + 1;
    if (t > vm->n - list)
        t = vm->n - list;
    if (t < 0)
        t = 0;
    char what[160], rows_s[32], took[32], num[32];
    for (int i = 0; i < list && t + i < vm->n; i++) {
        const struct journal_row *r = &vm->rows[t + i];
        int y = top + 1 + i;
        bool run = strcmp(r->kind, "run") == 0;
        duration(r, took, sizeof(took));
        if (run) {
            snprintf(what, sizeof(what), "db %s by %s", r->command, r->operator_);
            rows_s[0] = '\0';
            ui_put(c, 1, y, UI_S_BOLD, r->started_at, 19);
            ui_put(c, 21, y, UI_S_BOLD, what, 31);
        } else {
            snprintf(what, sizeof(what), "%s %s", r->phase, r->step);
            if (strcmp(r->kind, "schema") == 0)
                snprintf(rows_s, sizeof(rows_s), "%s stmt",
                         fmt_count(r->stmts_done, num, sizeof(num)));
            else
                fmt_count(r->rows_done, rows_s, sizeof(rows_s));
            ui_put(c, 12, y, UI_S_NORMAL, r->started_at[0] ? r->started_at + 11 : "", 8);
            ui_put(c, 23, y, UI_S_NORMAL, what, 29);
        }
        ui_putf(c, 53, y, UI_S_NORMAL, "%8s %6s", rows_s, took);
        ui_put(c, 69, y, outcome_style(r->outcome), r->outcome, 11);
        if (t + i == vm->sel)
            ui_style_row(c, 0, y, c->w, UI_S_SELECTED);
    }
}

static void open_detail(struct vm_journal *vm)
{
    if (vm->sel < 0 || vm->sel >= vm->n)
        return;
    const struct journal_row *r = &vm->rows[vm->sel];
    struct ui_lines *l = &vm->detail_lines;
    lines_free(l);
    vm->detail_top = 0;
    lines_addf(l, UI_MK_HEAD "Journal row %lld", (long long)r->id);
    lines_addf(l, "Run            %s (`db %s`)", r->run_id, r->command);
    lines_addf(l, "Step           %s", r->step);
    lines_addf(l, "Kind, phase    %s, %s", r->kind, r->phase);
    lines_addf(l, "Started        %s UTC", r->started_at);
    lines_addf(l, "Finished       %s%s", r->finished_at[0] ? r->finished_at : "not yet",
               r->finished_at[0] ? " UTC" : "");
    lines_addf(l, "Outcome        %s", r->outcome);
    lines_addf(l, "Rows done      %lld", (long long)r->rows_done);
    lines_addf(l, "Statements     %lld (batches, for data migrations and purges)",
               (long long)r->stmts_done);
    lines_addf(l, "Operator       %s, pid %lld, glance-emc %s", r->operator_, (long long)r->pid,
               r->tool_version);
    char buf[400];
    snprintf(buf, sizeof(buf), "Detail         %s", r->detail[0] ? r->detail : "-");
    lines_wrap(l, buf, 76, 15);
    vm->detail = true;
}

static void jo_action(struct ui_app *app, enum ui_act act, int key)
{
    (void)key;
    struct vm_journal *vm = &app->journal;
    int page = ui_app_body_rows(app) - 2;
    if (vm->detail) {
        if (act == ACT_BACK)
            vm->detail = false;
        return;
    }
    if (act == ACT_OPEN) {
        open_detail(vm);
        return;
    }
    if (!ui_nav(&vm->sel, act, page, vm->n - 1))
        return;
    if (vm->sel < vm->top)
        vm->top = vm->sel;
    if (vm->sel >= vm->top + page + 1)
        vm->top = vm->sel - page;
}

static unsigned jo_keyctx(const struct ui_app *app)
{
    return app->journal.detail ? KC_DETAIL : KC_JOURNAL;
}

static void jo_release(struct ui_app *app)
{
    free_vm(&app->journal);
}

const struct ui_view ui_view_journal = {
    .name = "Journal",
    .kctx = KC_JOURNAL,
    .build = jo_build,
    .draw = jo_draw,
    .action = jo_action,
    .keyctx = jo_keyctx,
    .release = jo_release,
};
