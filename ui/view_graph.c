/* view_graph.c - screen 2: the trunk, the expand and contract lanes with depends_on arrows
 * across, data migrations under their expand revision, applied / pending / current marks;
 * Enter opens a revision (summary, release, its SQL on this backend, triggers, data
 * migrations). */
#include "view_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "revgraph.h"
#include "runner.h"

#define COL_LX 10 /* the trunk / expand lane */
#define COL_LC 44 /* the contract lane */

static void free_vm(struct vm_graph *vm)
{
    free(vm->rows);
    free(vm->mark);
    free(vm->data_rows);
    lines_free(&vm->detail_lines);
    vm->rows = NULL;
    vm->mark = NULL;
    vm->data_rows = NULL;
    vm->nrows = 0;
}

static int add_row(struct vm_graph *vm, int left, int right, int data, bool fork)
{
    struct graph_row *v = realloc(vm->rows, sizeof(*v) * (size_t)(vm->nrows + 1));
    if (!v)
        return -1;
    vm->rows = v;
    v[vm->nrows] = (struct graph_row){.left = left, .right = right, .data = data, .fork = fork};
    return vm->nrows++;
}

static void gr_build(struct ui_app *app)
{
    struct vm_graph *vm = &app->graph;
    int keep_sel = vm->nrows ? vm->sel : -1, keep_lane = vm->lane, keep_top = vm->top;
    free_vm(vm);
    vm->detail = false;
    vm->error[0] = '\0';
    const struct emc_status *s = ui_app_status(app);
    if (!s) {
        snprintf(vm->error, sizeof(vm->error), "%s", app->status_err.msg);
        return;
    }
    const struct migset *ms = app->ctx->ms;
    const bool *ap = s->st.applied;
    vm->nrev = ms->nrev;
    vm->mark = calloc((size_t)ms->nrev + 1, 1);
    vm->data_rows = calloc((size_t)ms->nrev + 1, sizeof(int64_t));
    int *row_of = malloc(sizeof(int) * (size_t)(ms->nrev + 1));
    int *heads = malloc(sizeof(int) * (size_t)(ms->nrev + 1));
    if (!vm->mark || !vm->data_rows || !row_of || !heads) {
        free(row_of);
        free(heads);
        free_vm(vm);
        snprintf(vm->error, sizeof(vm->error), "out of memory");
        return;
    }
    int nh = rg_heads(ms, ap, heads);
    for (int i = 0; i < ms->nrev; i++) {
        row_of[i] = -1;
        const struct revision *r = &ms->revs[i];
        if (r->kind == REV_DATA) {
            vm->data_rows[i] = -1;
            if (ap[r->before_idx]) {
                vm->mark[i] = '*';
                vm->data_rows[i] = 0;
            } else {
                vm->mark[i] = ap[r->after_idx] ? '~' : 'o';
                vm->data_rows[i] = ui_app_data_pending(app, i);
            }
        } else {
            vm->mark[i] = ap[i] ? '*' : 'o';
        }
    }
    for (int k = 0; k < nh; k++)
        vm->mark[heads[k]] = '@';
    bool forked = false;
    vm->first_contract_row = vm->last_contract_row = -1;
    for (int ord = 0; ord < ms->nrev; ord++) {
        int i = -1;
        for (int j = 0; j < ms->nrev && i < 0; j++)
            if (ms->revs[j].kind == REV_SCHEMA && ms->revs[j].order == ord)
                i = j;
        if (i < 0)
            continue;
        const struct revision *r = &ms->revs[i];
        if (r->branch != BR_NONE && !forked) {
            add_row(vm, -1, -1, -1, true);
            forked = true;
        }
        int at;
        if (r->branch == BR_CONTRACT) {
            int twin = r->dep_idx;
            if (twin >= 0 && row_of[twin] >= 0 && vm->rows[row_of[twin]].right < 0) {
                at = row_of[twin];
                vm->rows[at].right = i;
                vm->rows[at].link = true;
            } else {
                at = add_row(vm, -1, i, -1, false);
            }
            if (vm->first_contract_row < 0 || at < vm->first_contract_row)
                vm->first_contract_row = at;
            if (at > vm->last_contract_row)
                vm->last_contract_row = at;
            row_of[i] = at;
            continue;
        }
        at = add_row(vm, i, -1, -1, false);
        if (at < 0)
            break;
        row_of[i] = at;
        for (int d = 0; d < ms->nrev; d++)
            if (ms->revs[d].kind == REV_DATA && ms->revs[d].after_idx == i)
                row_of[d] = add_row(vm, -1, -1, d, false);
    }
    /* release labels on the first row of each release */
    const char *last = "";
    for (int k = 0; k < vm->nrows; k++) {
        struct graph_row *g = &vm->rows[k];
        int rev = g->left >= 0 ? g->left : g->right >= 0 ? g->right : g->data;
        if (rev < 0)
            continue;
        const char *rel = ms->revs[rev].release;
        if (strcmp(rel, last) != 0 && g->data < 0) {
            snprintf(g->release, sizeof(g->release), "%s", rel);
            last = rel;
        }
    }
    free(row_of);
    /* selection: where it was, else the newest current head on the left lane */
    if (keep_sel >= 0 && keep_sel < vm->nrows) {
        vm->sel = keep_sel;
        vm->lane = keep_lane;
        vm->top = keep_top;
    } else {
        vm->sel = 0;
        vm->lane = 0;
        for (int k = 0; k < vm->nrows; k++) {
            if (vm->rows[k].left >= 0 && vm->mark[vm->rows[k].left] == '@') {
                vm->sel = k;
                vm->lane = 0;
            }
            if (vm->rows[k].right >= 0 && vm->mark[vm->rows[k].right] == '@') {
                vm->sel = k;
                vm->lane = 1;
            }
        }
        vm->top = vm->sel - 8 > 0 ? vm->sel - 8 : 0;
    }
    free(heads);
}

/* sel_rev: the revision under the cursor, or -1 */
static int sel_rev(const struct vm_graph *vm)
{
    if (vm->sel < 0 || vm->sel >= vm->nrows)
        return -1;
    const struct graph_row *g = &vm->rows[vm->sel];
    if (g->data >= 0)
        return g->data;
    if (vm->lane == 1 && g->right >= 0)
        return g->right;
    return g->left >= 0 ? g->left : g->right;
}

static enum ui_style mark_style(char m)
{
    switch (m) {
    case '@':
        return UI_S_CURRENT;
    case '*':
        return UI_S_OK;
    case '~':
        return UI_S_WARN;
    default:
        return UI_S_DIM;
    }
}

static void draw_detail(const struct vm_graph *vm, struct ui_canvas *c, int top, int rows)
{
    const struct ui_lines *l = &vm->detail_lines;
    int maxtop = l->n - rows > 0 ? l->n - rows : 0;
    int t = vm->detail_top > maxtop ? maxtop : vm->detail_top;
    for (int i = 0; i < rows && t + i < l->n; i++)
        ui_put_marked(c, 1, top + i, l->v[t + i], c->w - 2);
    if (t > 0)
        ui_put(c, c->w - 9, top, UI_S_DIM, " more ^ ", 0);
    if (t + rows < l->n)
        ui_put(c, c->w - 9, top + rows - 1, UI_S_DIM, " more v ", 0);
}

static void gr_draw(const struct ui_app *app, struct ui_canvas *c, int top, int rows)
{
    const struct vm_graph *vm = &app->graph;
    if (vm->error[0] || !vm->rows) {
        ui_put(c, 1, top, UI_S_ERROR, "The graph cannot be shown:", 0);
        struct ui_lines l = {0};
        lines_wrap(&l, vm->error, c->w - 4, 0);
        for (int i = 0; i < l.n && i + 1 < rows; i++)
            ui_put(c, 3, top + 1 + i, UI_S_WARN, l.v[i], 0);
        lines_free(&l);
        return;
    }
    if (vm->detail) {
        draw_detail(vm, c, top, rows);
        return;
    }
    const struct migset *ms = app->ctx->ms;
    ui_put(c, 1, top, UI_S_HEADING, "Release", 0);
    ui_put(c, COL_LX, top, UI_S_HEADING, "Trunk / expand lane", 0);
    ui_put(c, COL_LC, top, UI_S_HEADING, "Contract lane", 0);
    int list = rows - 2;
    int t = vm->top;
    if (vm->sel < t)
        t = vm->sel;
    if (vm->sel >= t + list)
        t = vm->sel - list + 1;
    if (t > vm->nrows - list)
        t = vm->nrows - list > 0 ? vm->nrows - list : 0;
    int fork_row = -1;
    for (int k = 0; k < vm->nrows; k++)
        if (vm->rows[k].fork)
            fork_row = k;
    int last_left = -1;
    for (int k = 0; k < vm->nrows; k++)
        if (vm->rows[k].left >= 0 || vm->rows[k].data >= 0)
            last_left = k;
    for (int i = 0; i < list && t + i < vm->nrows; i++) {
        int k = t + i, y = top + 1 + i;
        const struct graph_row *g = &vm->rows[k];
        ui_put(c, 1, y, UI_S_BOLD, g->release, 8);
        if (g->fork) {
            ui_glyph(c, COL_LX, y, UI_S_DIM, UI_G_LTEE);
            ui_fill(c, COL_LX + 1, y, COL_LC - COL_LX - 1, UI_G_HLINE, UI_S_DIM);
            ui_glyph(c, COL_LC, y, UI_S_DIM, UI_G_URCORNER);
            ui_put(c, COL_LC + 2, y, UI_S_DIM, "the lanes split after the trunk", 0);
            continue;
        }
        /* lanes running through */
        if (g->left < 0 && k < last_left)
            ui_glyph(c, COL_LX, y, UI_S_DIM, UI_G_VLINE);
        if (g->right < 0 && fork_row >= 0 && k > fork_row && k < vm->last_contract_row)
            ui_glyph(c, COL_LC, y, UI_S_DIM, UI_G_VLINE);
        bool selrow = k == vm->sel;
        if (g->left >= 0) {
            char m = vm->mark[g->left];
            ui_glyph(c, COL_LX, y, mark_style(m), m);
            const char *id = ms->revs[g->left].id;
            int end = ui_put(c, COL_LX + 2, y,
                             (selrow && vm->lane == 0) || (selrow && g->right < 0) ? UI_S_SELECTED
                                                                                   : UI_S_NORMAL,
                             id, COL_LC - COL_LX - 6);
            if (g->link) {
                ui_glyph(c, end + 1, y, UI_S_DIM, UI_G_LARROW);
                ui_fill(c, end + 2, y, COL_LC - end - 3, UI_G_HLINE, UI_S_DIM);
            }
        }
        if (g->right >= 0) {
            char m = vm->mark[g->right];
            ui_glyph(c, COL_LC, y, mark_style(m), m);
            ui_put(c, COL_LC + 2, y,
                   selrow && (vm->lane == 1 || g->left < 0) ? UI_S_SELECTED : UI_S_NORMAL,
                   ms->revs[g->right].id, c->w - COL_LC - 3);
        }
        if (g->data >= 0) {
            char m = vm->mark[g->data];
            ui_glyph(c, COL_LX + 2, y, mark_style(m), m);
            int end = ui_put(c, COL_LX + 4, y, selrow ? UI_S_SELECTED : UI_S_DIM,
                             ms->revs[g->data].id, 0);
            char num[32], note[64];
            int64_t n = vm->data_rows[g->data];
            if (m == '*')
                snprintf(note, sizeof(note), "done");
            else if (n < 0)
                snprintf(note, sizeof(note), "rows: later");
            else
                snprintf(note, sizeof(note), "%s row%s", fmt_count(n, num, sizeof(num)),
                         n == 1 ? "" : "s");
            ui_put(c, end + 1, y, n > 0 && m != '*' ? UI_S_WARN : UI_S_DIM, note, COL_LC - end - 3);
        }
    }
    ui_put(c, 1, top + rows - 1, UI_S_DIM,
           "@ current head  * applied  o pending  ~ data, can run now  <-- depends on", c->w - 2);
}

/* build_detail: the lines of the detail view for revision rev */
static void build_detail(struct ui_app *app, int rev)
{
    struct vm_graph *vm = &app->graph;
    struct emc_ctx *ctx = app->ctx;
    const struct migset *ms = ctx->ms;
    const struct revision *r = &ms->revs[rev];
    struct ui_lines *l = &vm->detail_lines;
    lines_free(l);
    vm->detail_top = 0;
    vm->detail_rev = rev;
    int w = 76;
    char buf[1200], num[32];
    char m = vm->mark[rev];
    const char *state = m == '@'   ? "applied, a current head"
                        : m == '*' ? (r->kind == REV_DATA ? "done" : "applied")
                        : m == '~' ? "can run now"
                                   : "pending";
    if (r->kind == REV_DATA)
        snprintf(buf, sizeof(buf), UI_MK_HEAD "%s  (data migration, release %s): %s", r->id,
                 r->release, state);
    else
        snprintf(buf, sizeof(buf), UI_MK_HEAD "%s  (schema revision, %s, release %s): %s", r->id,
                 r->branch == BR_NONE     ? "trunk"
                 : r->branch == BR_EXPAND ? "expand branch"
                                          : "contract branch",
                 r->release, state);
    lines_add(l, buf, -1);
    snprintf(buf, sizeof(buf), "Summary        %s", r->summary ? r->summary : "-");
    lines_wrap(l, buf, w, 15);
    if (r->kind == REV_DATA) {
        snprintf(buf, sizeof(buf), "Runs after     %s (needs it applied)", r->after);
        lines_add(l, buf, -1);
        snprintf(buf, sizeof(buf), "Must finish    before %s is applied", r->before);
        lines_add(l, buf, -1);
        int64_t n = vm->data_rows[rev];
        if (m == '*')
            snprintf(buf, sizeof(buf), "Rows left      none: done");
        else if (n < 0)
            snprintf(buf, sizeof(buf), "Rows left      counted once %s is applied", r->after);
        else
            snprintf(buf, sizeof(buf), "Rows left      %s, in batches of %d",
                     fmt_count(n, num, sizeof(num)), ctx->batch_size);
        lines_add(l, buf, -1);
    } else {
        snprintf(buf, sizeof(buf), "Down revision  %s", r->down_revision ? r->down_revision : "-");
        lines_add(l, buf, -1);
        snprintf(buf, sizeof(buf), "Depends on     %s", r->depends_on ? r->depends_on : "-");
        lines_add(l, buf, -1);
        size_t len = (size_t)snprintf(buf, sizeof(buf), "Needed by      ");
        bool any = false;
        for (int i = 0; i < ms->nrev; i++)
            if (ms->revs[i].kind == REV_SCHEMA && ms->revs[i].dep_idx == rev) {
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s (depends on it)",
                                        any ? ", " : "", ms->revs[i].id);
                any = true;
            }
        if (!any)
            snprintf(buf + len, sizeof(buf) - len, "-");
        lines_wrap(l, buf, w, 15);
        len = (size_t)snprintf(buf, sizeof(buf), "Migrations     ");
        any = false;
        for (int i = 0; i < ms->nrev; i++) {
            const struct revision *d = &ms->revs[i];
            if (d->kind != REV_DATA || (d->after_idx != rev && d->before_idx != rev))
                continue;
            len +=
                (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s %s (%s)", any ? "; " : "",
                                 d->id, d->after_idx == rev ? "runs after it" : "must finish first",
                                 d->summary ? d->summary : "");
            any = true;
        }
        if (!any)
            snprintf(buf + len, sizeof(buf) - len, "none");
        lines_wrap(l, buf, w, 15);
        char name[64];
        snprintf(name, sizeof(name), "triggers.%s.sql", ctx->dialect);
        const char *trig = migset_file(ms, r->id, name);
        snprintf(name, sizeof(name), "drop_triggers.%s.sql", ctx->dialect);
        const char *drop = migset_file(ms, r->id, name);
        if (trig && *trig) {
            lines_add(l, "", 0);
            snprintf(buf, sizeof(buf),
                     UI_MK_HEAD "Rolling-upgrade triggers on %s (installed by the E phase, "
                                "dropped by contract):",
                     ctx->dialect);
            lines_add(l, buf, -1);
            struct ui_lines t = {0};
            lines_wrap(&t, trig, w - 2, 4);
            for (int i = 0; i < t.n; i++)
                lines_addf(l, UI_MK_SQL "  %s", t.v[i]);
            lines_free(&t);
        } else if (drop && *drop) {
            lines_addf(l, "Triggers       drops its expand revision's rolling-upgrade triggers "
                          "first (in the SQL below)");
        } else {
            lines_addf(l, "Triggers       none on %s", ctx->dialect);
        }
    }
    struct emc_step step = {.kind = r->kind == REV_DATA ? STEP_DATA : STEP_SCHEMA,
                            .rev = rev,
                            .phase = r->kind == REV_DATA        ? 'M'
                                     : r->branch == BR_EXPAND   ? 'E'
                                     : r->branch == BR_CONTRACT ? 'C'
                                                                : 'T',
                            .triggers = false};
    char *sql = NULL;
    struct emc_error err;
    lines_add(l, "", 0);
    snprintf(buf, sizeof(buf), UI_MK_HEAD "SQL it runs on %s:", ctx->dialect);
    lines_add(l, buf, -1);
    if (emc_step_sql(ctx, &step, &sql, &err) < 0) {
        lines_addf(l, UI_MK_WARN "cannot be shown: %s", err.msg);
    } else {
        struct ui_lines t = {0};
        lines_wrap(&t, sql, w - 2, 4);
        for (int i = 0; i < t.n; i++)
            lines_addf(l, UI_MK_SQL "  %s", t.v[i]);
        lines_free(&t);
    }
    free(sql);
}

static void move(struct ui_app *app, int delta)
{
    struct vm_graph *vm = &app->graph;
    int s = vm->sel + delta;
    if (s < 0)
        s = 0;
    if (s >= vm->nrows)
        s = vm->nrows - 1;
    /* the fork row holds no revision: step over it */
    if (s >= 0 && vm->rows[s].fork)
        s += delta >= 0 ? 1 : -1;
    if (s < 0)
        s = 1;
    if (s >= vm->nrows)
        s = vm->nrows - 2;
    vm->sel = s;
    int list = ui_app_body_rows(app) - 2;
    if (vm->sel < vm->top)
        vm->top = vm->sel;
    if (vm->sel >= vm->top + list)
        vm->top = vm->sel - list + 1;
}

static void gr_action(struct ui_app *app, enum ui_act act, int key)
{
    (void)key;
    struct vm_graph *vm = &app->graph;
    if (!vm->rows)
        return;
    int page = ui_app_body_rows(app) - 3;
    if (vm->detail) {
        if (act == ACT_BACK)
            vm->detail = false;
        else
            ui_nav(&vm->detail_top, act, page, vm->detail_lines.n - ui_app_body_rows(app));
        return;
    }
    switch (act) {
    case ACT_UP:
        move(app, -1);
        break;
    case ACT_DOWN:
        move(app, 1);
        break;
    case ACT_PGUP:
        move(app, -page);
        break;
    case ACT_PGDN:
        move(app, page);
        break;
    case ACT_HOME:
        move(app, -vm->nrows);
        break;
    case ACT_END:
        move(app, vm->nrows);
        break;
    case ACT_LEFT:
        vm->lane = 0;
        break;
    case ACT_RIGHT:
        if (vm->rows[vm->sel].right >= 0)
            vm->lane = 1;
        else
            ui_app_message(app, UI_S_DIM, "no contract revision on this row");
        break;
    case ACT_OPEN: {
        int rev = sel_rev(vm);
        if (rev >= 0) {
            build_detail(app, rev);
            vm->detail = true;
        }
        break;
    }
    default:
        break;
    }
}

static unsigned gr_keyctx(const struct ui_app *app)
{
    return app->graph.detail ? KC_DETAIL : KC_GRAPH;
}

static void gr_release(struct ui_app *app)
{
    free_vm(&app->graph);
}

const struct ui_view ui_view_graph = {
    .name = "Graph",
    .kctx = KC_GRAPH,
    .build = gr_build,
    .draw = gr_draw,
    .action = gr_action,
    .keyctx = gr_keyctx,
    .release = gr_release,
};
