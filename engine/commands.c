/* commands.c - see commands.h */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect.h"
#include "journal.h"
#include "revgraph.h"
#include "runner.h"

const char *emc_heads_text(const struct emc_ctx *ctx, const bool *applied, char *buf, size_t n)
{
    int *h = malloc(sizeof(int) * (size_t)(ctx->ms->nrev + 1));
    buf[0] = '\0';
    if (!h)
        return buf;
    int k = rg_heads(ctx->ms, applied, h);
    size_t used = 0;
    for (int i = 0; i < k && used < n; i++)
        used +=
            (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", ctx->ms->revs[h[i]].id);
    free(h);
    return buf;
}

/* require_glance: emc_require_glance, except that Glance tables without alembic_version are
 * accepted when the journal shows our own first revision (liberty) unfinished there: on MySQL,
 * whose DDL commits statement by statement, a run killed while building the schema leaves
 * exactly that, and running the command again finishes it. */
static int require_glance(struct emc_ctx *ctx, const struct emc_state *st, struct emc_error *err)
{
    int rc = emc_require_glance(ctx, st, err);
    if (rc != -EMC_E_NOT_GLANCE || st->has_version_table || st->has_migrate_version ||
        st->nforeign > 0)
        return rc;
    for (int i = 0; i < ctx->ms->nrev; i++) {
        const struct revision *r = &ctx->ms->revs[i];
        if (r->kind != REV_SCHEMA || (r->down_revision && r->down_revision[0]))
            continue;
        int64_t done = 0;
        bool unfinished = false;
        struct emc_error e2;
        if (journal_resume_point(ctx, r->id, &done, &unfinished, &e2) == 0 && unfinished) {
            emc_error_clear(err);
            return 0;
        }
    }
    return rc;
}

void emc_status_free(struct emc_status *s)
{
    emc_state_free(&s->st);
    free(s->data_pending);
    s->data_pending = NULL;
}

int emc_status_read(struct emc_ctx *ctx, struct emc_status *s, struct emc_error *err)
{
    memset(s, 0, sizeof(*s));
    int rc = emc_read_state(ctx, &s->st, err);
    if (rc == 0)
        rc = require_glance(ctx, &s->st, err);
    if (rc < 0) {
        emc_status_free(s);
        return rc;
    }
    const struct migset *ms = ctx->ms;
    const bool *ap = s->st.applied;
    s->expand_head = migset_branch_head(ms, BR_EXPAND);
    s->contract_head = migset_branch_head(ms, BR_CONTRACT);
    s->expand_at = rg_branch_applied_head(ms, ap, BR_EXPAND);
    s->contract_at = rg_branch_applied_head(ms, ap, BR_CONTRACT);
    s->trunk_at = rg_branch_applied_head(ms, ap, BR_NONE);
    for (int i = 0; i < ms->nrev; i++) {
        if (ms->revs[i].kind != REV_SCHEMA || ap[i])
            continue;
        if (ms->revs[i].branch == BR_EXPAND)
            s->pending_expand++;
        else if (ms->revs[i].branch == BR_CONTRACT)
            s->pending_contract++;
        else
            s->pending_trunk++;
    }
    s->data_pending = malloc(sizeof(int64_t) * (size_t)(ms->nrev + 1));
    if (!s->data_pending) {
        emc_status_free(s);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    for (int i = 0; i <= ms->nrev; i++)
        s->data_pending[i] = -1;
    struct emc_plan dp;
    rc = emc_plan_data(ctx, &s->st, &dp, err);
    for (int i = 0; rc == 0 && i < dp.n; i++) {
        int64_t p = 0;
        rc = emc_data_pending(ctx, dp.steps[i].rev, &p, err);
        if (rc == 0)
            s->data_pending[dp.steps[i].rev] = p;
        if (p > 0) {
            s->data_rows_pending += p;
            s->data_pending_steps++;
        }
    }
    emc_plan_free(&dp);
    if (rc < 0) {
        emc_status_free(s);
        return rc;
    }
    if (s->contract_head >= 0 && ap[s->contract_head])
        s->verdict = EMC_VERDICT_UP_TO_DATE;
    else if (s->expand_head < 0 || !ap[s->expand_head])
        s->verdict = EMC_VERDICT_EXPAND;
    else if (s->data_pending_steps > 0)
        s->verdict = EMC_VERDICT_MIGRATE;
    else
        s->verdict = EMC_VERDICT_CONTRACT;
    return 0;
}

int emc_cmd_version(struct emc_ctx *ctx, struct emc_error *err)
{
    struct emc_state st;
    int rc = emc_read_state(ctx, &st, err);
    if (rc < 0)
        return rc;
    if (st.nheads == 0)
        emc_message(ctx, "Database is either not under migration control or under legacy "
                         "migration control, please run \"glance-manage db sync\" to place the "
                         "database under alembic migration control.");
    for (int i = 0; i < st.nheads; i++)
        emc_message(ctx, "%s", st.heads[i]);
    emc_state_free(&st);
    return 0;
}

int emc_cmd_check(struct emc_ctx *ctx, int *exit_code, struct emc_error *err)
{
    struct emc_status s;
    int rc = emc_status_read(ctx, &s, err);
    if (rc < 0)
        return rc;
    *exit_code = (int)s.verdict;
    switch (s.verdict) {
    case EMC_VERDICT_UP_TO_DATE:
        emc_message(ctx, "Database is up to date. No upgrades needed.");
        break;
    case EMC_VERDICT_EXPAND:
        emc_message(ctx, "Your database is not up to date. Your first step is to run "
                         "`glance-manage db expand`.");
        break;
    case EMC_VERDICT_MIGRATE:
        emc_message(ctx, "Your database is not up to date. Your next step is to run "
                         "`glance-manage db migrate`.");
        break;
    case EMC_VERDICT_CONTRACT:
        emc_message(ctx, "Your database is not up to date. Your next step is to run "
                         "`glance-manage db contract`.");
        break;
    }
    emc_status_free(&s);
    return 0;
}

/* begin_change: lock, reap the journal, read and validate the state; on failure nothing is
 * left locked or allocated. */
static int reap_fn(struct emc_ctx *ctx, void *arg, struct emc_error *err)
{
    (void)arg;
    return journal_reap(ctx, err);
}

static int begin_change(struct emc_ctx *ctx, struct emc_state *st, struct emc_error *err)
{
    int rc = emc_lock(ctx, err);
    /* every statement of the run waits at most --lock-timeout for a lock (on SQLite any write
     * waits for the database's write lock, the journal's as well as the steps') */
    if (rc == 0 && ctx->lock_timeout_ms > 0 && !ctx->sql_only) {
        struct emc_error e2;
        db_drv(ctx->conn)->set_lock_timeout(ctx->conn, ctx->lock_timeout_ms, &e2);
    }
    if (rc == 0)
        rc = emc_retry_locked(ctx, "the journal (UPDATE emc_journal)", reap_fn, NULL, err);
    if (rc == 0)
        rc = emc_read_state(ctx, st, err);
    if (rc == 0 && (rc = require_glance(ctx, st, err)) < 0)
        emc_state_free(st);
    if (rc < 0)
        emc_unlock(ctx);
    return rc;
}

/* leave: end a command that changed nothing (no journal run): free the state, unlock */
static int leave(struct emc_ctx *ctx, struct emc_state *st, int rc)
{
    emc_state_free(st);
    emc_unlock(ctx);
    return rc;
}

/* start_journal: once the command is known to change something. */
static int run_begin_fn(struct emc_ctx *ctx, void *arg, struct emc_error *err)
{
    (void)arg;
    return journal_run_begin(ctx, err);
}

static int start_changes(struct emc_ctx *ctx, struct emc_state *st, struct emc_error *err)
{
    int rc =
        emc_retry_locked(ctx, "the journal (INSERT INTO emc_journal)", run_begin_fn, NULL, err);
    if (rc == 0 && !ctx->sql_only)
        rc = emc_fix_legacy_heads(ctx, st, err);
    return rc;
}

static int end_change(struct emc_ctx *ctx, struct emc_state *st, int rc, struct emc_error *err)
{
    struct emc_error e2;
    journal_run_end(ctx,
                    rc == 0                    ? "done"
                    : rc == -EMC_E_INTERRUPTED ? "interrupted"
                                               : "failed",
                    rc == 0 ? NULL : err->msg, &e2);
    emc_state_free(st);
    emc_unlock(ctx);
    return rc;
}

/* trigger_preflight: refuse, before anything changes, a run that would install rolling-upgrade
 * triggers the database user may not create (MySQL: TRIGGER, and SUPER while binary logging
 * is on), rather than fail halfway through a revision. */
static int trigger_preflight(struct emc_ctx *ctx, const struct emc_state *st, const bool *want,
                             unsigned flags, struct emc_error *err)
{
    /* only MySQL restricts who may create triggers (emc_trigger_rights) */
    if (!(flags & PLAN_TRIGGERS) || ctx->sql_only || strcmp(ctx->dialect, "mysql") != 0)
        return 0;
    struct emc_plan plan;
    int rc = emc_plan_build(ctx, st, want, flags, &plan, err);
    bool needs = false;
    for (int i = 0; rc == 0 && i < plan.n; i++)
        needs |= emc_step_has_triggers(ctx, &plan.steps[i]);
    if (rc == 0)
        emc_plan_free(&plan);
    if (rc < 0 || !needs)
        return rc;
    bool ok = true;
    char why[600];
    rc = emc_trigger_rights(ctx, &ok, why, sizeof(why), err);
    if (rc == 0 && !ok)
        rc = emc_error_set(err, EMC_E_PERMISSION,
                           "`db %s` cannot create the rolling-upgrade triggers: %s; then run it "
                           "again (nothing was changed; `db sync` upgrades offline, without "
                           "triggers)",
                           ctx->command ? ctx->command : "expand", why);
    return rc;
}

/* drop_preflight: the same for a run that would drop existing triggers (a contract revision
 * with drop_triggers statements still to apply while triggers are on images). */
static int drop_preflight(struct emc_ctx *ctx, const struct emc_state *st, struct emc_error *err)
{
    if (ctx->sql_only || strcmp(ctx->dialect, "mysql") != 0)
        return 0;
    bool pending = false;
    for (int i = 0; i < ctx->ms->nrev; i++)
        pending |= ctx->ms->revs[i].kind == REV_SCHEMA && ctx->ms->revs[i].branch == BR_CONTRACT &&
                   !st->applied[i] &&
                   migset_file(ctx->ms, ctx->ms->revs[i].id, "drop_triggers.mysql.sql") != NULL;
    if (!pending)
        return 0;
    struct emc_triggers t;
    int rc = emc_list_triggers(ctx, &t, err);
    if (rc < 0 || t.n == 0)
        return rc;
    bool ok = true;
    char why[600];
    rc = emc_trigger_rights(ctx, &ok, why, sizeof(why), err);
    if (rc == 0 && !ok)
        rc = emc_error_set(err, EMC_E_PERMISSION,
                           "`db %s` cannot drop the rolling-upgrade triggers (%s): %s; then run "
                           "it again (nothing was changed)",
                           ctx->command ? ctx->command : "contract", t.name[0], why);
    return rc;
}

/* upgrade_to: plan from st to the revisions in want and run it. */
static int upgrade_to(struct emc_ctx *ctx, struct emc_state *st, const bool *want, unsigned flags,
                      int64_t *rows, struct emc_error *err)
{
    struct emc_plan plan;
    int rc = emc_plan_build(ctx, st, want, flags, &plan, err);
    if (rc < 0)
        return rc;
    rc = emc_run_plan(ctx, st, &plan, rows, err);
    emc_plan_free(&plan);
    return rc;
}

static int upgrade_to_rev(struct emc_ctx *ctx, struct emc_state *st, int rev, unsigned flags,
                          struct emc_error *err)
{
    bool *want = calloc((size_t)ctx->ms->nrev + 1, sizeof(bool));
    if (!want)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    rg_mark_ancestors(ctx->ms, rev, want);
    int rc = upgrade_to(ctx, st, want, flags, NULL, err);
    free(want);
    if (rc == 0) {
        char heads[512];
        emc_message(ctx, "Upgraded database to: %s, current revision(s): %s", ctx->ms->revs[rev].id,
                    emc_heads_text(ctx, st->applied, heads, sizeof(heads)));
    }
    return rc;
}

static int expand_inner(struct emc_ctx *ctx, struct emc_state *st, bool triggers,
                        struct emc_error *err)
{
    int eh = migset_branch_head(ctx->ms, BR_EXPAND);
    if (eh < 0)
        return emc_error_set(err, EMC_E_REVISION,
                             "Database expansion failed. Couldn't find head "
                             "revision of expand branch.");
    if (st->applied[eh]) {
        emc_message(ctx, "Database expansion is up to date. No expansion needed.");
        return 0;
    }
    return upgrade_to_rev(ctx, st, eh, PLAN_NO_DATA | (triggers ? PLAN_TRIGGERS : 0), err);
}

static bool up_to_date(struct emc_ctx *ctx, const struct emc_state *st)
{
    int ch = migset_branch_head(ctx->ms, BR_CONTRACT);
    if (ch >= 0 && st->applied[ch]) {
        emc_message(ctx, "Database is up to date. No migrations needed.");
        return true;
    }
    return false;
}

int emc_cmd_expand(struct emc_ctx *ctx, bool triggers, struct emc_error *err)
{
    struct emc_state st;
    int rc = begin_change(ctx, &st, err);
    if (rc < 0)
        return rc;
    if (up_to_date(ctx, &st))
        return leave(ctx, &st, 0);
    int eh = migset_branch_head(ctx->ms, BR_EXPAND);
    if (triggers && eh >= 0 && !st.applied[eh]) {
        bool *want = calloc((size_t)ctx->ms->nrev + 1, sizeof(bool));
        if (!want)
            rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
        else
            rg_mark_ancestors(ctx->ms, eh, want);
        if (rc == 0)
            rc = trigger_preflight(ctx, &st, want, PLAN_NO_DATA | PLAN_TRIGGERS, err);
        free(want);
        if (rc < 0)
            return leave(ctx, &st, rc);
    }
    rc = start_changes(ctx, &st, err);
    if (rc == 0)
        rc = expand_inner(ctx, &st, triggers, err);
    return end_change(ctx, &st, rc, err);
}

static int migrate_inner(struct emc_ctx *ctx, struct emc_state *st, int64_t *rows,
                         struct emc_error *err)
{
    int eh = migset_branch_head(ctx->ms, BR_EXPAND);
    if (eh < 0 || !st->applied[eh])
        return emc_error_set(err, EMC_E_STATE,
                             "Data migration did not run. Data migration cannot be run before "
                             "database expansion. Run database expansion first using "
                             "\"glance-manage db expand\"");
    struct emc_plan plan;
    int rc = emc_plan_data(ctx, st, &plan, err);
    if (rc < 0)
        return rc;
    int64_t total = 0;
    rc = emc_run_plan(ctx, st, &plan, &total, err);
    emc_plan_free(&plan);
    if (rows)
        *rows = total;
    if (rc < 0)
        return rc;
    if (ctx->sql_only)
        return 0;
    if (total > 0)
        emc_message(ctx, "Migrated %lld rows", (long long)total);
    else
        emc_message(ctx, "Database migration is up to date. No migration needed.");
    return 0;
}

int emc_cmd_migrate(struct emc_ctx *ctx, int64_t *rows, struct emc_error *err)
{
    if (rows)
        *rows = 0;
    struct emc_state st;
    int rc = begin_change(ctx, &st, err);
    if (rc < 0)
        return rc;
    if (up_to_date(ctx, &st))
        return leave(ctx, &st, 0);
    int eh = migset_branch_head(ctx->ms, BR_EXPAND);
    if (eh < 0 || !st.applied[eh]) {
        rc = migrate_inner(ctx, &st, rows, err); /* refuses, changing nothing */
        return leave(ctx, &st, rc);
    }
    rc = start_changes(ctx, &st, err);
    if (rc == 0)
        rc = migrate_inner(ctx, &st, rows, err);
    return end_change(ctx, &st, rc, err);
}

static int data_left(struct emc_ctx *ctx, const struct emc_state *st, bool *left,
                     struct emc_error *err)
{
    *left = false;
    struct emc_plan plan;
    int rc = emc_plan_data(ctx, st, &plan, err);
    for (int i = 0; rc == 0 && i < plan.n && !*left; i++) {
        int64_t p = 0;
        rc = emc_data_pending(ctx, plan.steps[i].rev, &p, err);
        *left = p > 0;
    }
    emc_plan_free(&plan);
    return rc;
}

static int contract_inner(struct emc_ctx *ctx, struct emc_state *st, struct emc_error *err)
{
    int ch = migset_branch_head(ctx->ms, BR_CONTRACT);
    int eh = migset_branch_head(ctx->ms, BR_EXPAND);
    if (ch < 0)
        return emc_error_set(err, EMC_E_REVISION,
                             "Database contraction failed. Couldn't find "
                             "head revision of contract branch.");
    if (eh < 0 || !st->applied[eh])
        return emc_error_set(err, EMC_E_STATE,
                             "Database contraction did not run. Database contraction cannot be "
                             "run before database expansion. Run database expansion first using "
                             "\"glance-manage db expand\"");
    bool left = false;
    int rc = ctx->sql_only ? 0 : data_left(ctx, st, &left, err);
    if (rc < 0)
        return rc;
    if (left)
        return emc_error_set(err, EMC_E_STATE,
                             "Database contraction did not run. Database contraction cannot be "
                             "run before data migration is complete. Run data migration using "
                             "\"glance-manage db migrate\".");
    return upgrade_to_rev(ctx, st, ch, PLAN_NO_DATA, err);
}

int emc_cmd_contract(struct emc_ctx *ctx, struct emc_error *err)
{
    struct emc_state st;
    int rc = begin_change(ctx, &st, err);
    if (rc < 0)
        return rc;
    if (up_to_date(ctx, &st))
        return leave(ctx, &st, 0);
    /* refuse before touching anything (journal included) */
    int ch = migset_branch_head(ctx->ms, BR_CONTRACT);
    int eh = migset_branch_head(ctx->ms, BR_EXPAND);
    bool left = false;
    if (ch >= 0 && eh >= 0 && st.applied[eh] && !ctx->sql_only)
        rc = data_left(ctx, &st, &left, err);
    if (rc == 0 && (ch < 0 || eh < 0 || !st.applied[eh] || left)) {
        rc = contract_inner(ctx, &st, err);
        return leave(ctx, &st, rc);
    }
    if (rc == 0 && (rc = drop_preflight(ctx, &st, err)) < 0)
        return leave(ctx, &st, rc);
    if (rc == 0)
        rc = start_changes(ctx, &st, err);
    if (rc == 0)
        rc = contract_inner(ctx, &st, err);
    return end_change(ctx, &st, rc, err);
}

int emc_cmd_sync(struct emc_ctx *ctx, const char *version, struct emc_error *err)
{
    bool *want = NULL;
    if (version) {
        want = calloc((size_t)ctx->ms->nrev + 1, sizeof(bool));
        if (!want)
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
        int rc = rg_resolve_target(ctx->ms, version, want, err);
        if (rc < 0) {
            free(want);
            return rc;
        }
    }
    struct emc_state st;
    int rc = begin_change(ctx, &st, err);
    if (rc < 0) {
        free(want);
        return rc;
    }
    if (!version && up_to_date(ctx, &st))
        return leave(ctx, &st, 0);
    if ((rc = drop_preflight(ctx, &st, err)) < 0) {
        free(want);
        return leave(ctx, &st, rc);
    }
    rc = start_changes(ctx, &st, err);
    if (rc == 0 && version) {
        rc = upgrade_to(ctx, &st, want, 0, NULL, err);
        if (rc == 0) {
            char heads[512];
            emc_message(ctx, "Upgraded database to: %s, current revision(s): %s", version,
                        emc_heads_text(ctx, st.applied, heads, sizeof(heads)));
        }
    } else if (rc == 0) {
        rc = expand_inner(ctx, &st, false, err);
        if (rc == 0)
            rc = migrate_inner(ctx, &st, NULL, err);
        if (rc == 0)
            rc = contract_inner(ctx, &st, err);
    }
    if (rc == 0)
        emc_message(ctx, "Database is synced successfully.");
    free(want);
    return end_change(ctx, &st, rc, err);
}

int emc_cmd_upgrade(struct emc_ctx *ctx, const char *version, struct emc_error *err)
{
    bool *want = calloc((size_t)ctx->ms->nrev + 1, sizeof(bool));
    if (!want)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    int rc = rg_resolve_target(ctx->ms, version, want, err);
    if (rc < 0) {
        free(want);
        return rc;
    }
    struct emc_state st;
    rc = begin_change(ctx, &st, err);
    if (rc < 0) {
        free(want);
        return rc;
    }
    /* `upgrade` keeps alembic's behaviour: rolling-upgrade triggers only where Glance has them
     * (MySQL), so a database upgraded here is exactly what glance-manage would have built.
     * `expand` is the rolling-upgrade command and installs them on every backend. */
    unsigned flags = strcmp(ctx->dialect, "mysql") == 0 ? PLAN_TRIGGERS : 0;
    if ((rc = trigger_preflight(ctx, &st, want, flags, err)) < 0 ||
        (rc = drop_preflight(ctx, &st, err)) < 0) {
        free(want);
        return leave(ctx, &st, rc);
    }
    rc = start_changes(ctx, &st, err);
    if (rc == 0)
        rc = upgrade_to(ctx, &st, want, flags, NULL, err);
    if (rc == 0) {
        char heads[512];
        emc_heads_text(ctx, st.applied, heads, sizeof(heads));
        if (!version || strcmp(version, "heads") == 0)
            emc_message(ctx, "Upgraded database, current revision(s): %s", heads);
        else
            emc_message(ctx, "Upgraded database to: %s, current revision(s): %s", version, heads);
    }
    free(want);
    return end_change(ctx, &st, rc, err);
}

int emc_cmd_version_control(struct emc_ctx *ctx, const char *version, bool force,
                            struct emc_error *err)
{
    if (!version)
        version = "liberty";
    bool *want = calloc((size_t)ctx->ms->nrev + 1, sizeof(bool));
    if (!want)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    int rc = rg_resolve_target(ctx->ms, version, want, err);
    struct emc_state st = {0};
    if (rc == 0)
        rc = emc_lock(ctx, err);
    if (rc == 0)
        rc = emc_read_state(ctx, &st, err);
    if (rc == 0 && st.nheads > 0 && !force) {
        rc = emc_error_set(err, EMC_E_STATE,
                           "the database is already under migration control at %s; pass --force "
                           "to re-stamp it (this changes no schema, only alembic_version)",
                           st.heads[0]);
        emc_state_free(&st);
    } else if (rc == 0) {
        rc = journal_reap(ctx, err);
        if (rc == 0)
            rc = journal_run_begin(ctx, err);
        if (rc == 0)
            rc = emc_stamp(ctx, &st, want, err);
        if (rc == 0)
            emc_message(ctx, "Placed database under migration control at revision: %s", version);
        free(want);
        return end_change(ctx, &st, rc, err);
    }
    free(want);
    emc_unlock(ctx);
    return rc;
}
