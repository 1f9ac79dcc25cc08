/* view_upgrade.c - screen 3: choose the target; the plan as E, M and C steps; run it phase by
 * phase (each step shows its SQL and asks y/N; contract first asks for a typed word after
 * saying that every release n-1 service must be stopped); progress of data migrations. */
#include "view_upgrade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "progress.h"
#include "revgraph.h"

static void free_vm(struct vm_upgrade *vm)
{
    free(vm->rows);
    vm->rows = NULL;
    vm->n = 0;
}

static int phase_slot(char phase)
{
    return phase == 'M' ? 1 : phase == 'C' ? 2 : 0;
}

static int push(struct vm_upgrade *vm, const struct emc_step *st)
{
    struct plan_row *v = realloc(vm->rows, sizeof(*v) * (size_t)(vm->n + 1));
    if (!v)
        return -1;
    vm->rows = v;
    v[vm->n++] = (struct plan_row){.step = *st, .state = PS_PENDING, .rows = -1};
    return 0;
}

/* the release a set of revisions reaches (its newest contract, else expand, else trunk) */
static const char *reached_release(const struct migset *ms, const bool *set)
{
    int h = rg_branch_applied_head(ms, set, BR_CONTRACT);
    if (h < 0)
        h = rg_branch_applied_head(ms, set, BR_EXPAND);
    if (h < 0)
        h = rg_branch_applied_head(ms, set, BR_NONE);
    return h >= 0 ? ms->revs[h].release : "none";
}

/* rebase: start the plan from the current state (a new target, or a database that went back) */
static int rebase(struct vm_upgrade *vm, const struct ui_app *app, const bool *applied, int nrev)
{
    bool stale = !vm->base || strcmp(vm->base_target, app->target) != 0;
    for (int i = 0; !stale && i < nrev; i++)
        stale = vm->base[i] && !applied[i];
    if (!stale)
        return 0;
    free(vm->base);
    free(vm->migrated);
    vm->base = malloc(sizeof(bool) * (size_t)(nrev + 1));
    vm->migrated = malloc(sizeof(int64_t) * (size_t)(nrev + 1));
    if (!vm->base || !vm->migrated)
        return -1;
    memcpy(vm->base, applied, sizeof(bool) * (size_t)nrev);
    for (int i = 0; i < nrev; i++)
        vm->migrated[i] = -1;
    snprintf(vm->base_target, sizeof(vm->base_target), "%s", app->target);
    return 0;
}

static void up_build(struct ui_app *app)
{
    struct vm_upgrade *vm = &app->upgrade;
    free_vm(vm);
    vm->error[0] = vm->target_label[0] = vm->from[0] = vm->expand_target[0] = '\0';
    memset(vm->count, 0, sizeof(vm->count));
    memset(vm->left, 0, sizeof(vm->left));
    vm->next_phase = 0;
    const struct emc_status *s = ui_app_status(app);
    if (!s) {
        snprintf(vm->error, sizeof(vm->error), "%s", app->status_err.msg);
        return;
    }
    struct emc_ctx *ctx = app->ctx;
    const struct migset *ms = ctx->ms;
    const bool *ap = s->st.applied;
    if (s->st.nheads == 0)
        snprintf(vm->from, sizeof(vm->from), "nothing: an empty database");
    else
        emc_heads_text(ctx, ap, vm->from, sizeof(vm->from));
    bool *want = calloc((size_t)ms->nrev + 1, sizeof(bool));
    bool *want_e = calloc((size_t)ms->nrev + 1, sizeof(bool));
    struct emc_error err;
    struct emc_plan pe = {0}, pf = {0};
    if (vm->base && strcmp(vm->base_target, app->target) != 0)
        vm->failed_rev = -1;
    if (!want || !want_e || rebase(vm, app, ap, ms->nrev) < 0) {
        snprintf(vm->error, sizeof(vm->error), "out of memory");
        goto out;
    }
    if (ui_app_want(app, want, &err) < 0) {
        snprintf(vm->error, sizeof(vm->error), "%s", err.msg);
        goto out;
    }
    overview_target_text(app, want, vm->target_label, sizeof(vm->target_label));
    for (int i = 0; i < ms->nrev; i++)
        want_e[i] = want[i] && ms->revs[i].branch != BR_CONTRACT;
    int eh = rg_branch_applied_head(ms, want_e, BR_EXPAND);
    if (eh < 0)
        eh = rg_branch_applied_head(ms, want_e, BR_NONE);
    if (eh >= 0)
        snprintf(vm->expand_target, sizeof(vm->expand_target), "%s", ms->revs[eh].id);
    struct emc_state base = s->st;
    base.applied = vm->base;
    if (emc_plan_build(ctx, &base, want_e, PLAN_TRIGGERS | PLAN_NO_DATA, &pe, &err) < 0 ||
        emc_plan_build(ctx, &base, want, 0, &pf, &err) < 0) {
        snprintf(vm->error, sizeof(vm->error), "%s", err.msg);
        goto out;
    }
    for (int i = 0; i < pe.n; i++)
        push(vm, &pe.steps[i]);
    for (int i = 0; i < pf.n; i++)
        if (pf.steps[i].phase == 'M')
            push(vm, &pf.steps[i]);
    for (int i = 0; i < pf.n; i++)
        if (pf.steps[i].phase == 'C')
            push(vm, &pf.steps[i]);
    /* what is done now: applied schema steps; data steps with no row left once E is done */
    int e_left = 0;
    for (int i = 0; i < vm->n; i++) {
        struct plan_row *r = &vm->rows[i];
        vm->count[phase_slot(r->step.phase)]++;
        if (r->step.kind == STEP_SCHEMA) {
            r->state = ap[r->step.rev] ? PS_DONE : PS_PENDING;
            if (!ap[r->step.rev] && r->step.phase != 'C')
                e_left++;
        }
    }
    vm->data_left = 0;
    for (int i = 0; i < vm->n; i++) {
        struct plan_row *r = &vm->rows[i];
        if (r->step.kind != STEP_DATA)
            continue;
        const struct revision *rv = &ms->revs[r->step.rev];
        if (ap[rv->before_idx]) {
            r->rows = 0;
        } else {
            r->rows = ui_app_data_pending(app, r->step.rev);
        }
        if (r->rows < 0)
            vm->data_left = -1;
        else if (vm->data_left >= 0)
            vm->data_left += r->rows;
        r->state = (ap[rv->before_idx] || (e_left == 0 && r->rows == 0)) ? PS_DONE : PS_PENDING;
        if (r->state == PS_DONE && vm->migrated[r->step.rev] >= 0)
            r->rows = vm->migrated[r->step.rev] > 0 ? vm->migrated[r->step.rev] : -1;
    }
    for (int i = 0; i < vm->n; i++) {
        if (vm->rows[i].state != PS_DONE && vm->rows[i].step.rev == vm->failed_rev)
            vm->rows[i].state = PS_FAILED; /* until it is tried again */
        if (vm->rows[i].state != PS_DONE)
            vm->left[phase_slot(vm->rows[i].step.phase)]++;
    }
    vm->scrolled = false;
    vm->next_phase = vm->left[0] ? 'E' : vm->left[1] ? 'M' : vm->left[2] ? 'C' : 0;
out:
    emc_plan_free(&pe);
    emc_plan_free(&pf);
    free(want);
    free(want_e);
}

void upgrade_mark(struct ui_app *app, int rev, enum plan_state st, int64_t rows)
{
    struct vm_upgrade *vm = &app->upgrade;
    if (st == PS_FAILED)
        vm->failed_rev = rev;
    else if (st == PS_ASKING && vm->failed_rev == rev)
        vm->failed_rev = -1;
    if (vm->migrated && rows >= 0 && (st == PS_DONE || st == PS_STOPPED) &&
        app->ctx->ms->revs[rev].kind == REV_DATA)
        vm->migrated[rev] = rows + (vm->migrated[rev] > 0 ? vm->migrated[rev] : 0);
    for (int i = 0; i < vm->n; i++)
        if (vm->rows[i].step.rev == rev) {
            vm->rows[i].state = st;
            if (rows >= 0)
                vm->rows[i].rows = rows;
        }
}

static const char *state_text(const struct plan_row *r, const struct ui_run *run, char *buf,
                              size_t n, enum ui_style *style)
{
    char num[32];
    *style = UI_S_NORMAL;
    switch (r->state) {
    case PS_PENDING:
        *style = UI_S_DIM;
        if (r->step.kind == STEP_DATA && r->rows > 0)
            snprintf(buf, n, "%s rows", fmt_count(r->rows, num, sizeof(num)));
        else
            snprintf(buf, n, "pending");
        return buf;
    case PS_ASKING:
        *style = UI_S_WARN;
        return "asks y/N";
    case PS_RUNNING:
        *style = UI_S_WARN;
        if (run->has_progress && run->prog.total > 0)
            snprintf(buf, n, "running %2.0f%%",
                     100.0 * (double)run->prog.done / (double)run->prog.total);
        else
            snprintf(buf, n, "running");
        return buf;
    case PS_DONE:
        *style = UI_S_OK;
        if (r->step.kind == STEP_DATA && r->rows > 0)
            snprintf(buf, n, "done %s rows", fmt_count(r->rows, num, sizeof(num)));
        else if (r->step.kind == STEP_DATA && r->rows == 0)
            snprintf(buf, n, "no rows to do");
        else if (r->step.kind == STEP_DATA)
            snprintf(buf, n, "done, no rows");
        else
            snprintf(buf, n, "done");
        return buf;
    case PS_FAILED:
        *style = UI_S_ERROR;
        return "FAILED";
    case PS_STOPPED:
        *style = UI_S_WARN;
        return "stopped";
    }
    return "?";
}

/* follow_top: the first row shown while the operator has not scrolled: a little above the
 * next step to run */
static int follow_top(const struct vm_upgrade *vm)
{
    for (int i = 0; i < vm->n; i++)
        if (vm->rows[i].state != PS_DONE)
            return i - 3 > 0 ? i - 3 : 0;
    return vm->n;
}

static void up_draw(const struct ui_app *app, struct ui_canvas *c, int top, int rows)
{
    const struct vm_upgrade *vm = &app->upgrade;
    int y = top;
    if (vm->error[0]) {
        ui_put(c, 1, y++, UI_S_ERROR, "No plan can be made:", 0);
        struct ui_lines l = {0};
        lines_wrap(&l, vm->error, c->w - 4, 0);
        for (int i = 0; i < l.n && y < top + rows; i++)
            ui_put(c, 3, y++, UI_S_WARN, l.v[i], 0);
        lines_free(&l);
        if (y + 1 < top + rows)
            ui_put(c, 3, y + 1, UI_S_NORMAL,
                   "glance-emc changes nothing by itself: see 1 Overview for the first step.", 0);
        return;
    }
    const struct migset *ms = app->ctx->ms;
    ui_put(c, 1, y, UI_S_BOLD, "Target", 0);
    ui_put(c, 10, y, UI_S_NORMAL, vm->target_label, c->w - 24);
    ui_put(c, c->w - 13, y++, UI_S_DIM, "t: change it", 0);
    ui_put(c, 1, y, UI_S_BOLD, "From", 0);
    ui_put(c, 10, y++, UI_S_CURRENT, vm->from, c->w - 11);
    ui_put(c, 1, y, UI_S_BOLD, "Phases", 0);
    int x = 10;
    static const char letters[3] = {'E', 'M', 'C'};
    static const char *const names[3] = {"expand", "migrate", "contract"};
    for (int k = 0; k < 3; k++) {
        char t[48];
        if (vm->count[k] == 0)
            snprintf(t, sizeof(t), "%c %s: no step", letters[k], names[k]);
        else if (vm->left[k] == 0)
            snprintf(t, sizeof(t), "%c %s: done", letters[k], names[k]);
        else
            snprintf(t, sizeof(t), "%c %s: %d to run", letters[k], names[k], vm->left[k]);
        enum ui_style sty = vm->left[k] == 0               ? UI_S_OK
                            : vm->next_phase == letters[k] ? UI_S_WARN
                                                           : UI_S_DIM;
        x = ui_put(c, x, y, sty, t, 0) + 3;
    }
    y++;
    char next[200];
    if (app->run.active)
        snprintf(next, sizeof(next), "Running %c: each step asks first; s stops cleanly.",
                 app->run.kind);
    else if (vm->next_phase == 0)
        snprintf(next, sizeof(next), "The database is at the target: nothing to run.");
    else
        snprintf(next, sizeof(next),
                 "Next: %c %s. Enter runs it; every step shows its SQL "
                 "and asks y/N.",
                 vm->next_phase, names[phase_slot(vm->next_phase)]);
    ui_put(c, 1, y++, vm->next_phase ? UI_S_BOLD : UI_S_OK, next, c->w - 2);
    ui_putf(c, 1, y++, UI_S_HEADING, "%3s  %-2s %-20s %-33s %15s", "#", "Ph", "Revision",
            "What it does", "State");
    int bottom = 4; /* separator, progress or result, two log lines */
    int list = rows - (y - top) - bottom;
    int active = -1;
    for (int i = 0; i < vm->n; i++)
        if (vm->rows[i].state == PS_ASKING || vm->rows[i].state == PS_RUNNING)
            active = i;
    int t = vm->scrolled ? vm->top : follow_top(vm);
    if (active >= 0 && (active < t || active >= t + list))
        t = active - list / 2;
    if (t > vm->n - list)
        t = vm->n - list;
    if (t < 0)
        t = 0;
    if (vm->n == 0)
        ui_put(c, 6, y, UI_S_DIM, "(no step: the database is at the target)", 0);
    for (int i = 0; i < list && t + i < vm->n; i++) {
        const struct plan_row *r = &vm->rows[t + i];
        const struct revision *rv = &ms->revs[r->step.rev];
        char st[48];
        enum ui_style sty;
        const char *s = state_text(r, &app->run, st, sizeof(st), &sty);
        int yy = y + i;
        ui_putf(c, 1, yy, UI_S_NORMAL, "%3d", t + i + 1);
        ui_glyph(c, 6, yy, UI_S_BOLD, r->step.phase);
        ui_put(c, 9, yy,
               r->state == PS_ASKING || r->state == PS_RUNNING ? UI_S_SELECTED : UI_S_NORMAL,
               rv->id, 20);
        ui_put(c, 30, yy, UI_S_DIM, rv->summary ? rv->summary : "", 33);
        ui_put(c, c->w - 1 - (int)strlen(s), yy, sty, s, 0);
    }
    int yb = top + rows - bottom;
    ui_fill(c, 0, yb, c->w, UI_G_HLINE, UI_S_DIM);
    if (t > 0 || t + list < vm->n)
        ui_putf(c, c->w - 32, yb, UI_S_DIM, " steps %d-%d of %d (Up/Dn) ", t + 1,
                t + list < vm->n ? t + list : vm->n, vm->n);
    if (app->run.active && app->run.has_progress)
        progress_draw(c, yb + 1, app->run.prog_what, &app->run.prog);
    else if (strcmp(app->msg, vm->result) != 0) /* not twice */
        ui_put(c, 1, yb + 1, UI_S_BOLD, vm->result, c->w - 2);
    for (int k = 0; k < 2; k++) {
        const char *line = ui_app_log_line(app, 1 - k);
        if (line)
            ui_put(c, 1, yb + 2 + k, UI_S_DIM, line, c->w - 2);
    }
}

/* release_list: the releases of ms, oldest first, each once (at most 64); returns how many */
static int release_list(const struct migset *ms, const char *rel[64])
{
    int nrel = 0;
    for (int ord = 0; ord < ms->nrev; ord++)
        for (int i = 0; i < ms->nrev; i++) {
            const struct revision *r = &ms->revs[i];
            if (r->kind != REV_SCHEMA || r->order != ord)
                continue;
            bool seen = false;
            for (int k = 0; k < nrel; k++)
                seen |= strcmp(rel[k], r->release) == 0;
            if (!seen && nrel < 64)
                rel[nrel++] = r->release;
        }
    return nrel;
}

static void target_chosen(struct ui_app *app, int answer, const char *input, int choice)
{
    (void)input;
    if (answer != UI_ANS_YES)
        return;
    if (choice <= 0) {
        app->target[0] = '\0';
    } else {
        /* the list: latest, then releases newest first */
        const char *rel[64];
        int nrel = release_list(app->ctx->ms, rel);
        int k = nrel - choice;
        if (k >= 0 && k < nrel)
            snprintf(app->target, sizeof(app->target), "%s", rel[k]);
    }
    app->upgrade.result[0] = '\0';
    ui_app_refresh(app);
    ui_app_message(app, UI_S_OK, "target: %s", app->target[0] ? app->target : "latest");
}

static void choose_target(struct ui_app *app)
{
    const struct migset *ms = app->ctx->ms;
    const struct emc_status *s = ui_app_status(app);
    struct ui_lines items = {0};
    const char *rel[64];
    int nrel = release_list(ms, rel);
    lines_addf(&items, "latest       every revision this glance-emc knows (%s)",
               migset_latest_release(ms));
    bool *want = calloc((size_t)ms->nrev + 1, sizeof(bool));
    int sel = 0;
    for (int k = nrel - 1; k >= 0 && want; k--) {
        struct emc_error e;
        memset(want, 0, sizeof(bool) * (size_t)ms->nrev);
        bool there = false;
        if (rg_resolve_target(ms, rel[k], want, &e) == 0 && s) {
            there = true;
            for (int i = 0; i < ms->nrev; i++)
                if (want[i] && !s->st.applied[i])
                    there = false;
        }
        lines_addf(&items, "%-12s %s", rel[k], there ? "(the database is there already)" : "");
        if (strcmp(app->target, rel[k]) == 0)
            sel = items.n - 1;
    }
    free(want);
    modal_choose(app, "Upgrade to", &items, sel, target_chosen);
    lines_free(&items);
}

static void contract_typed(struct ui_app *app, int answer, const char *input, int choice)
{
    (void)input;
    (void)choice;
    if (answer == UI_ANS_YES)
        run_phase(app, 'C');
    else
        ui_app_message(app, UI_S_DIM, "contract cancelled: nothing ran");
}

static void ask_contract(struct ui_app *app)
{
    const struct migset *ms = app->ctx->ms;
    const struct emc_status *s = ui_app_status(app);
    const char *old = s ? reached_release(ms, s->st.applied) : "?";
    const char *target = app->target[0] ? app->target : migset_latest_release(ms);
    char body[1400];
    snprintf(body, sizeof(body),
             "Contract removes what only the old release needs: old columns and tables, and "
             "the rolling-upgrade triggers that kept old and new columns in step.\n\n" UI_MK_WARN
             "Every release n-1 service must be stopped first: stop EVERY Glance service "
             "(glance-api and the others, on every host) still running %s or any release "
             "before %s. Only %s services may run during and after contract.\n\n"
             "Each contract step still shows its SQL and asks y/N.\n\n"
             "Type the word  contract  and press Enter to go on. Esc cancels; nothing runs.",
             old, target, target);
    modal_type(app, "Contract: stop the n-1 services first", body, "Enter: go on   Esc: cancel",
               "contract", "", false, contract_typed);
}

static void up_action(struct ui_app *app, enum ui_act act, int key)
{
    (void)key;
    struct vm_upgrade *vm = &app->upgrade;
    int page = ui_app_body_rows(app) - 10;
    if (page < 1)
        page = 1;
    bool nav = act == ACT_UP || act == ACT_DOWN || act == ACT_PGUP || act == ACT_PGDN ||
               act == ACT_HOME || act == ACT_END;
    if (nav && !vm->scrolled) /* start from what is on screen */
        vm->top = follow_top(vm) < vm->n - page ? follow_top(vm) : vm->n - page;
    switch (act) {
    case ACT_TARGET:
        choose_target(app);
        return;
    case ACT_RUN:
        if (vm->error[0]) {
            ui_app_message(app, UI_S_WARN, "no plan: see 1 Overview for the first step");
            return;
        }
        if (vm->next_phase == 0) {
            ui_app_message(app, UI_S_OK, "nothing to run: the database is at the target");
            return;
        }
        if (vm->next_phase == 'C') {
            if (vm->data_left != 0) {
                ui_app_message(app, UI_S_WARN, "data migrations have rows left: M runs first");
                return;
            }
            ask_contract(app);
            return;
        }
        run_phase(app, vm->next_phase);
        return;
    default:
        break;
    }
    if (ui_nav(&vm->top, act, page, vm->n - page))
        vm->scrolled = true;
}

static void up_release(struct ui_app *app)
{
    free_vm(&app->upgrade);
    free(app->upgrade.base);
    free(app->upgrade.migrated);
    app->upgrade.base = NULL;
    app->upgrade.migrated = NULL;
}

const struct ui_view ui_view_upgrade = {
    .name = "Upgrade",
    .kctx = KC_UPGRADE,
    .build = up_build,
    .draw = up_draw,
    .action = up_action,
    .keyctx = NULL,
    .release = up_release,
};
