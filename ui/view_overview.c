/* view_overview.c - screen 1: connection, versions, the check verdict and next step, the E, M
 * and C phases toward the target, pending revisions, rows to migrate, triggers, the lock and
 * soft-deleted rows. */
#include "view_overview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "inspect.h"
#include "purge.h"
#include "revgraph.h"

/* join_ids: ids of the revisions set in sel, in graph order, as "a, b" (at most max shown). */
static void first_last(const struct migset *ms, const bool *sel, char *buf, size_t n)
{
    int first = -1, last = -1;
    for (int ord = 0; ord < ms->nrev; ord++)
        for (int i = 0; i < ms->nrev; i++)
            if (sel[i] && ms->revs[i].kind == REV_SCHEMA && ms->revs[i].order == ord) {
                if (first < 0)
                    first = i;
                last = i;
            }
    if (first < 0)
        snprintf(buf, n, "none");
    else if (first == last)
        snprintf(buf, n, "%s", ms->revs[first].id);
    else
        snprintf(buf, n, "%s .. %s", ms->revs[first].id, ms->revs[last].id);
}

void overview_target_text(const struct ui_app *app, const bool *want, char *buf, size_t n)
{
    const struct migset *ms = app->ctx->ms;
    int e = rg_branch_applied_head(ms, want, BR_EXPAND);
    int c = rg_branch_applied_head(ms, want, BR_CONTRACT);
    int t = rg_branch_applied_head(ms, want, BR_NONE);
    size_t len;
    if (app->target[0])
        len = (size_t)snprintf(buf, n, "%s: ", app->target);
    else
        len = (size_t)snprintf(buf, n, "latest (%s): ", migset_latest_release(ms));
    if (e < 0 && c < 0)
        snprintf(buf + len, len < n ? n - len : 0, "%s", t >= 0 ? ms->revs[t].id : "-");
    else
        snprintf(buf + len, len < n ? n - len : 0, "%s, %s", e >= 0 ? ms->revs[e].id : "-",
                 c >= 0 ? ms->revs[c].id : "-");
}

static void set_phase(struct ov_phase *p, char letter, const char *name, const char *state,
                      enum ui_style st, const char *detail)
{
    p->letter = letter;
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->state, sizeof(p->state), "%s", state);
    p->style = st;
    snprintf(p->detail, sizeof(p->detail), "%s", detail);
}

static void build_phases(struct ui_app *app, const struct emc_status *s)
{
    struct vm_overview *vm = &app->overview;
    const struct migset *ms = app->ctx->ms;
    const bool *ap = s->st.applied;
    bool *want = calloc((size_t)ms->nrev + 1, sizeof(bool));
    bool *sel = calloc((size_t)ms->nrev + 1, sizeof(bool));
    struct emc_error err;
    if (!want || !sel || ui_app_want(app, want, &err) < 0) {
        snprintf(vm->target, sizeof(vm->target), "%s", want && sel ? err.msg : "?");
        goto out;
    }
    overview_target_text(app, want, vm->target, sizeof(vm->target));
    /* E (with the trunk) */
    int ne = 0, nc = 0;
    for (int i = 0; i < ms->nrev; i++) {
        bool todo = ms->revs[i].kind == REV_SCHEMA && want[i] && !ap[i];
        sel[i] = todo && ms->revs[i].branch != BR_CONTRACT;
        ne += sel[i];
    }
    char d[160], ids[128], num[32];
    first_last(ms, sel, ids, sizeof(ids));
    snprintf(d, sizeof(d), "%d revision%s%s%s", ne, ne == 1 ? "" : "s", ne ? ": " : "",
             ne ? ids : "");
    set_phase(&vm->phase[0], 'E', "expand", ne ? "pending" : "done", ne ? UI_S_WARN : UI_S_OK, d);
    /* M */
    int nd = 0, with_rows = 0;
    int64_t rows = 0;
    bool unknown = false;
    char which[160] = "";
    for (int i = 0; i < ms->nrev; i++) {
        if (ms->revs[i].kind != REV_DATA || !rg_data_on_path(ms, i, ap, want))
            continue;
        nd++;
        int64_t p = ui_app_data_pending(app, i);
        if (p < 0) {
            unknown = true;
            continue;
        }
        if (p > 0) {
            rows += p;
            if (with_rows++ < 3) {
                size_t wl = strlen(which);
                snprintf(which + wl, sizeof(which) - wl, "%s%s %s", wl ? ", " : "", ms->revs[i].id,
                         fmt_count(p, num, sizeof(num)));
            }
        }
    }
    vm->pend_data = nd;
    fmt_count(rows, num, sizeof(num));
    if (nd == 0) {
        set_phase(&vm->phase[1], 'M', "migrate", "done", UI_S_OK, "no data migration to run");
        snprintf(vm->rows, sizeof(vm->rows), "none");
    } else {
        if (unknown && rows == 0)
            snprintf(d, sizeof(d), "%d data migration%s; rows counted once E has run", nd,
                     nd == 1 ? "" : "s");
        else
            snprintf(d, sizeof(d), "%s rows%s in %d data migration%s", num,
                     unknown ? " so far" : "", nd, nd == 1 ? "" : "s");
        const char *state = ne ? "waiting" : (rows > 0 || unknown) ? "pending" : "done";
        set_phase(&vm->phase[1], 'M', "migrate", state,
                  ne                      ? UI_S_DIM
                  : (rows > 0 || unknown) ? UI_S_WARN
                                          : UI_S_OK,
                  d);
        snprintf(vm->rows, sizeof(vm->rows), "%s%s%s%s%s", num, unknown ? " so far" : "",
                 with_rows ? " (" : "", which, with_rows ? ")" : "");
        if (unknown && rows == 0)
            snprintf(vm->rows, sizeof(vm->rows), "counted once E has run");
        else if (unknown)
            snprintf(vm->rows + strlen(vm->rows), sizeof(vm->rows) - strlen(vm->rows),
                     "; the rest are counted once E has run");
    }
    /* C */
    for (int i = 0; i < ms->nrev; i++) {
        sel[i] = ms->revs[i].kind == REV_SCHEMA && want[i] && !ap[i] &&
                 ms->revs[i].branch == BR_CONTRACT;
        nc += sel[i];
    }
    first_last(ms, sel, ids, sizeof(ids));
    snprintf(d, sizeof(d), "%d revision%s%s%s", nc, nc == 1 ? "" : "s", nc ? ": " : "",
             nc ? ids : "");
    bool m_left = nd > 0 && (rows > 0 || unknown);
    set_phase(&vm->phase[2], 'C', "contract",
              nc == 0          ? "done"
              : (ne || m_left) ? "waiting"
                               : "pending",
              nc == 0          ? UI_S_OK
              : (ne || m_left) ? UI_S_DIM
                               : UI_S_WARN,
              d);
out:
    free(want);
    free(sel);
}

static void build_facts(struct ui_app *app)
{
    struct vm_overview *vm = &app->overview;
    struct emc_ctx *ctx = app->ctx;
    struct emc_error err;
    struct emc_triggers tr;
    if (emc_list_triggers(ctx, &tr, &err) < 0) {
        snprintf(vm->triggers, sizeof(vm->triggers), "cannot be listed: %s", err.msg);
    } else if (tr.n == 0) {
        snprintf(vm->triggers, sizeof(vm->triggers), "none on images");
    } else {
        size_t len = 0;
        for (int i = 0; i < tr.n && len < sizeof(vm->triggers); i++)
            len += (size_t)snprintf(vm->triggers + len, sizeof(vm->triggers) - len, "%s%s",
                                    i ? ", " : "", tr.name[i]);
    }
    bool held = false;
    char holder[256];
    if (emc_lock_probe(ctx, &held, holder, sizeof(holder), &err) < 0)
        snprintf(vm->lock, sizeof(vm->lock), "cannot be probed: %s", err.msg);
    else if (held)
        snprintf(vm->lock, sizeof(vm->lock), "held by %s", holder);
    else
        snprintf(vm->lock, sizeof(vm->lock), "free: no glance-emc run holds it");
    vm->lock_held = held;
    if (vm->empty) {
        snprintf(vm->soft, sizeof(vm->soft), "none: there is no schema yet");
        return;
    }
    snprintf(vm->soft, sizeof(vm->soft), "counting ...");
    vm->soft_pending = true;
}

/* ov_idle: the soft-deleted rows (a scan of each table), once the screen is up */
static bool ov_idle(struct ui_app *app)
{
    struct vm_overview *vm = &app->overview;
    if (!vm->soft_pending)
        return false;
    vm->soft_pending = false;
    struct emc_error err;
    struct purge_opts o = {.age_in_days = 30, .max_rows = 100};
    const struct purge_preview *pv = ui_app_preview(app, &o, &err);
    if (!pv) {
        snprintf(vm->soft, sizeof(vm->soft), "cannot be counted: %s", err.msg);
        return true;
    }
    int64_t total = 0;
    int tables = 0;
    int oldest = -1;
    size_t len = 0;
    char num[32];
    vm->soft_detail[0] = '\0';
    for (int i = 0; i < pv->ntables; i++) {
        const struct purge_table_preview *t = &pv->t[i];
        total += t->soft_deleted;
        if (t->soft_deleted > 0)
            tables++;
        if (t->oldest[0] && (oldest < 0 || strcmp(t->oldest, pv->t[oldest].oldest) < 0))
            oldest = i;
        if (len < sizeof(vm->soft_detail))
            len += (size_t)snprintf(vm->soft_detail + len, sizeof(vm->soft_detail) - len, "%s%s %s",
                                    i ? ", " : "", t->table,
                                    fmt_count(t->soft_deleted, num, sizeof(num)));
    }
    snprintf(vm->soft, sizeof(vm->soft), "%s rows in %d table%s%s%.10s",
             fmt_count(total, num, sizeof(num)), tables, tables == 1 ? "" : "s",
             oldest >= 0 ? ", the oldest deleted " : "", oldest >= 0 ? pv->t[oldest].oldest : "");
    return true;
}

static void ov_build(struct ui_app *app)
{
    struct vm_overview *vm = &app->overview;
    memset(vm, 0, sizeof(*vm));
    snprintf(vm->url, sizeof(vm->url), "%s", app->url_shown);
    snprintf(vm->url_source, sizeof(vm->url_source), "%s",
             app->opt.url_source ? app->opt.url_source : "");
    vm->connected = app->ctx != NULL;
    vm->connecting = app->connecting;
    if (!app->ctx) {
        snprintf(vm->conn_error, sizeof(vm->conn_error), "%s", app->conn_err.msg);
        vm->can_create = app->can_create;
        return;
    }
    struct emc_ctx *ctx = app->ctx;
    struct emc_error err;
    snprintf(vm->backend, sizeof(vm->backend), "%s", ctx->dialect);
    if (db_drv(ctx->conn)->server_version(ctx->conn, vm->server, sizeof(vm->server), &err) < 0)
        snprintf(vm->server, sizeof(vm->server), "version unknown (%.60s)", err.msg);
    const struct emc_status *s = ui_app_status(app);
    if (!s) {
        snprintf(vm->status_error, sizeof(vm->status_error), "%s", app->status_err.msg);
        if (app->status_err.code != EMC_E_CONN_LOST && app->status_err.code != EMC_E_UNREACHABLE)
            build_facts(app);
        return;
    }
    vm->status_ok = true;
    vm->empty = s->st.nheads == 0;
    if (vm->empty)
        snprintf(vm->current, sizeof(vm->current),
                 "none: an empty database, not under migration control");
    else
        emc_heads_text(ctx, s->st.applied, vm->current, sizeof(vm->current));
    vm->pend_trunk = s->pending_trunk;
    vm->pend_expand = s->pending_expand;
    vm->pend_contract = s->pending_contract;
    static const char *const verdicts[] = {
        [0] = "up to date", [3] = "expand", [4] = "migrate", [5] = "contract"};
    int v = (int)s->verdict;
    if (v == 0)
        snprintf(vm->check, sizeof(vm->check), "up to date (exit 0): no upgrade needed");
    else
        snprintf(vm->check, sizeof(vm->check), "not up to date (exit %d): the %s step is %s", v,
                 v == 3 ? "first" : "next", verdicts[v]);
    if (vm->empty)
        snprintf(vm->next, sizeof(vm->next), "build the schema: 3 Upgrade, then Enter");
    else if (v == 3)
        snprintf(vm->next, sizeof(vm->next), "E expand: 3 Upgrade, then Enter (db expand)");
    else if (v == 4)
        snprintf(vm->next, sizeof(vm->next), "M migrate: 3 Upgrade, then Enter (db migrate)");
    else if (v == 5)
        snprintf(vm->next, sizeof(vm->next),
                 "C contract, once every n-1 service is stopped: 3 Upgrade, Enter");
    else
        snprintf(vm->next, sizeof(vm->next), "nothing to do");
    build_phases(app, s);
    build_facts(app);
}

/* row: "Label   value", the value wrapped over at most two lines */
static int row(struct ui_canvas *c, int y, const char *label, enum ui_style st, const char *text)
{
    ui_put(c, 3, y, UI_S_BOLD, label, 0);
    struct ui_lines l = {0};
    lines_wrap(&l, text, c->w - 21, 0);
    for (int i = 0; i < l.n && i < 2; i++)
        ui_put(c, 20, y + i, st, l.v[i], c->w - 21);
    int used = l.n > 1 ? 2 : 1;
    lines_free(&l);
    return y + used;
}

static void ov_draw(const struct ui_app *app, struct ui_canvas *c, int top, int rows)
{
    const struct vm_overview *vm = &app->overview;
    int y = top, end = top + rows;
    char buf[700];
    ui_put(c, 1, y++, UI_S_HEADING, "Database", 0);
    snprintf(buf, sizeof(buf), "%s%s%s%s", vm->url, vm->url_source[0] ? "  (from " : "",
             vm->url_source, vm->url_source[0] ? ")" : "");
    y = row(c, y, "Connection", UI_S_NORMAL, buf);
    if (vm->connecting) {
        row(c, y, "Status", UI_S_WARN, "connecting ...");
        return;
    }
    if (!vm->connected) {
        y = row(c, y, "Status", UI_S_ERROR, "NOT CONNECTED");
        struct ui_lines l = {0};
        lines_wrap(&l, vm->conn_error, c->w - 21, 0);
        for (int i = 0; i < l.n && y < end; i++)
            y = row(c, y, "", UI_S_ERROR, l.v[i]);
        lines_free(&l);
        y++;
        if (vm->can_create && y < end)
            y = row(c, y, "First step", UI_S_WARN,
                    "c creates the file as an empty database (asks first)");
        if (y < end)
            row(c, y, "", UI_S_NORMAL, "The console stays open: r tries again, q quits.");
        return;
    }
    snprintf(buf, sizeof(buf), "%s, %s", vm->backend, vm->server);
    y = row(c, y, "Backend", UI_S_NORMAL, buf);
    if (!vm->status_ok) {
        y = row(c, y, "Current", UI_S_ERROR, "cannot be read");
        struct ui_lines l = {0};
        lines_wrap(&l, vm->status_error, c->w - 21, 0);
        for (int i = 0; i < l.n && y < end; i++)
            y = row(c, y, "", UI_S_WARN, l.v[i]);
        lines_free(&l);
        if (y < end)
            y = row(c, y, "", UI_S_NORMAL,
                    "glance-emc changes nothing by itself: do the step above, then r.");
        y++;
        if (vm->triggers[0] && y + 2 < end) {
            y = row(c, y, "Triggers", UI_S_NORMAL, vm->triggers);
            y = row(c, y, "Lock", vm->lock_held ? UI_S_WARN : UI_S_NORMAL, vm->lock);
            row(c, y, "Soft-deleted", UI_S_NORMAL, vm->soft);
        }
        return;
    }
    y = row(c, y, "Current", vm->empty ? UI_S_WARN : UI_S_CURRENT, vm->current);
    y = row(c, y, "Target", UI_S_NORMAL, vm->target);
    y = row(c, y, "Check", vm->check[0] == 'u' ? UI_S_OK : UI_S_WARN, vm->check);
    y = row(c, y, "Next step", UI_S_BOLD, vm->next);
    if (y < end)
        ui_put(c, 1, y++, UI_S_HEADING, "Phases toward the target", 0);
    for (int i = 0; i < 3 && y < end; i++, y++) {
        const struct ov_phase *p = &vm->phase[i];
        ui_putf(c, 3, y, UI_S_BOLD, "%c %s", p->letter, p->name);
        ui_put(c, 17, y, p->style, p->state, 0);
        ui_put(c, 26, y, UI_S_NORMAL, p->detail, c->w - 27);
    }
    if (y < end)
        ui_put(c, 1, y++, UI_S_HEADING, "Facts", 0);
    snprintf(buf, sizeof(buf), "trunk %d, expand %d, contract %d, data migrations %d",
             vm->pend_trunk, vm->pend_expand, vm->pend_contract, vm->pend_data);
    if (y < end)
        y = row(c, y, "Pending", UI_S_NORMAL, buf);
    if (y < end)
        y = row(c, y, "Rows to migrate", UI_S_NORMAL, vm->rows);
    if (y < end)
        y = row(c, y, "Triggers", UI_S_NORMAL, vm->triggers);
    if (y < end)
        y = row(c, y, "Lock", vm->lock_held ? UI_S_WARN : UI_S_NORMAL, vm->lock);
    if (y < end)
        y = row(c, y, "Soft-deleted", UI_S_NORMAL, vm->soft);
    /* "table count" entries, never split across lines */
    char line[200] = "";
    const char *p = vm->soft_detail;
    while (*p && y < end) {
        const char *comma = strstr(p, ", ");
        int n = comma ? (int)(comma - p) : (int)strlen(p);
        int used = (int)strlen(line);
        if (used && used + 2 + n > c->w - 21) {
            snprintf(line + used, sizeof(line) - (size_t)used, ",");
            y = row(c, y, "", UI_S_DIM, line);
            line[0] = '\0';
            used = 0;
        }
        snprintf(line + used, sizeof(line) - (size_t)used, "%s%.*s", used ? ", " : "", n, p);
        p += n + (comma ? 2 : 0);
    }
    if (line[0] && y < end)
        row(c, y, "", UI_S_DIM, line);
}

static void ov_action(struct ui_app *app, enum ui_act act, int key)
{
    (void)app;
    (void)act;
    (void)key;
}

static void ov_release(struct ui_app *app)
{
    (void)app;
}

const struct ui_view ui_view_overview = {
    .name = "Overview",
    .kctx = KC_OVERVIEW,
    .build = ov_build,
    .draw = ov_draw,
    .action = ov_action,
    .keyctx = NULL,
    .release = ov_release,
    .idle = ov_idle,
};
