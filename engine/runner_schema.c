/* runner_schema.c - one schema step of a plan: a revision's statements, alembic_version, the
 * journal, lock-timeout retries, and the resumption of a revision half-applied on a backend
 * whose DDL is not transactional (runner_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "journal.h"
#include "runner_int.h"

/* already_done: MySQL errors that say a re-run statement's effect is already there. */
static bool already_done(const struct emc_ctx *ctx, const struct emc_error *e)
{
    if (strcmp(ctx->dialect, "mysql") != 0)
        return false;
    switch (e->driver_code) {
    case 1050: /* table exists */
    case 1060: /* duplicate column */
    case 1061: /* duplicate key name */
    case 1091: /* can't drop: does not exist */
    case 1146: /* table does not exist (a DROP re-run) */
    case 1359: /* trigger exists */
    case 1360: /* trigger does not exist */
    case 1826: /* duplicate foreign key */
        return true;
    default:
        return false;
    }
}

/* drop_refused_but_absent: a DROP TRIGGER IF EXISTS that MySQL refused for want of SUPER
 * (binary logging on) although there is no trigger on images to drop: what `db sync` meets on
 * a server where the triggers were never installed. It is done. */
static bool drop_refused_but_absent(struct emc_ctx *ctx, const struct emc_error *e)
{
    if (strcmp(ctx->dialect, "mysql") != 0 || (e->driver_code != 1419 && e->driver_code != 1227))
        return false;
    struct emc_triggers t;
    struct emc_error e2;
    return emc_list_triggers(ctx, &t, &e2) == 0 && t.n == 0;
}

/* version_rows: alembic_version for the step and its journal row marked done, in the step's
 * transaction, or in one of their own where the statements had none (MySQL: a crash between a
 * DELETE and an INSERT must not lose a head, nor the journal say done for a revision
 * alembic_version does not hold). */
static int version_rows(struct emc_ctx *ctx, struct emc_state *st, const bool *after, bool txn,
                        int64_t jid, int nstmts, struct emc_error *err)
{
    int rc = runner_version_table(ctx, &st->has_version_table, err);
    bool own = !txn && !ctx->sql_only;
    if (rc == 0 && own)
        rc = db_begin(ctx->conn, err);
    if (rc == 0)
        rc = runner_version_rows(ctx, st->applied, after, err);
    if (rc == 0)
        rc = journal_step_end(ctx, jid, "done", nstmts, 0, NULL, err);
    if (own)
        rc = db_end(ctx->conn, rc, err);
    return rc;
}

static int fk_check(struct emc_ctx *ctx, struct emc_error *err)
{
    int64_t n = 0;
    bool found = false;
    int rc = db_query_int(ctx->conn, "PRAGMA foreign_key_check", NULL, 0, &n, &found, err);
    if (rc == 0 && found)
        rc = emc_error_set(err, EMC_E_CONSTRAINT,
                           "foreign key check failed after the revision: run `PRAGMA "
                           "foreign_key_check` on the database to see the rows");
    return rc;
}

/* one attempt at a schema step; *failed_stmt gets the index of a failing statement, -1 when
 * the failure (or success) came after the statements */
static int schema_attempt(struct emc_ctx *ctx, struct emc_state *st, const struct emc_step *step,
                          const struct sql_list *l, const int drops[2], int64_t resume, bool prior,
                          int64_t jid, int *failed_stmt, struct emc_error *err)
{
    /* txn: the statements are in a transaction; own: this attempt begins and commits it (not
     * so in a group of steps sharing one: emc_run_plan) */
    bool txn = db_drv(ctx->conn)->caps.transactional_ddl && !ctx->sql_only;
    bool own = txn && !ctx->in_group;
    bool *after = malloc(sizeof(bool) * (size_t)ctx->ms->nrev);
    if (!after)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    memcpy(after, st->applied, sizeof(bool) * (size_t)ctx->ms->nrev);
    after[step->rev] = true;
    bool had_table = st->has_version_table;
    int rc = 0;
    *failed_stmt = -1;
    if (own)
        rc = db_begin(ctx->conn, err);
    for (int i = 0; rc == 0 && i < l->n; i++) {
        if (i < resume)
            continue;
        *failed_stmt = i;
        rc = runner_sql(ctx, l->stmt[i], NULL, err);
        if (rc < 0 && i == resume && prior && already_done(ctx, err)) {
            emc_log(ctx, EMC_LOG_INFO, "statement %d of %s was applied before a crash; going on",
                    i + 1, ctx->ms->revs[step->rev].id);
            emc_error_clear(err);
            rc = 0;
        } else if (rc < 0 && i >= drops[0] && i < drops[0] + drops[1] &&
                   drop_refused_but_absent(ctx, err)) {
            emc_log(ctx, EMC_LOG_DEBUG, "statement %d of %s: no trigger to drop", i + 1,
                    ctx->ms->revs[step->rev].id);
            emc_error_clear(err);
            rc = 0;
        }
        if (rc == 0 && !txn && !ctx->sql_only)
            rc = journal_step_update(ctx, jid, i + 1, 0, err);
    }
    if (rc == 0) {
        *failed_stmt = -1;
        /* SQLite runs a revision with foreign keys off (a table rebuild drops and renames):
         * check them before the revision commits */
        if (txn && strcmp(ctx->dialect, "sqlite") == 0)
            rc = fk_check(ctx, err);
    }
    if (rc == 0)
        rc = version_rows(ctx, st, after, txn, jid, l->n, err);
    if (own && (rc = db_end(ctx->conn, rc, err)) < 0)
        st->has_version_table = had_table; /* a CREATE TABLE rolled back with the rest */
    if (rc == 0)
        memcpy(st->applied, after, sizeof(bool) * (size_t)ctx->ms->nrev);
    free(after);
    return rc;
}

/* attempts: run the step, retrying with backoff while a statement's lock wait runs out */
static int attempts(struct emc_ctx *ctx, struct emc_state *st, const struct emc_step *step,
                    const struct sql_list *l, const int drops[2], int64_t resume, bool prior,
                    int64_t jid, int *failed_out, struct emc_error *err)
{
    const char *id = ctx->ms->revs[step->rev].id;
    bool txn = db_drv(ctx->conn)->caps.transactional_ddl;
    int failed = -1, rc;
    char what[160], who[400];
    for (int attempt = 0;; attempt++) {
        struct emc_error e2;
        if (ctx->lock_timeout_ms > 0)
            db_drv(ctx->conn)->set_lock_timeout(ctx->conn, ctx->lock_timeout_ms, &e2);
        rc = schema_attempt(ctx, st, step, l, drops, resume, prior, jid, &failed, err);
        if (rc != -EMC_E_LOCK_TIMEOUT || ctx->in_group)
            break;
        /* no statement: the transaction itself could not start or commit (SQLite's write
         * lock on the database file), or alembic_version's update waited */
        snprintf(what, sizeof(what), "%s",
                 strcmp(ctx->dialect, "sqlite") == 0 ? "the write lock on the database"
                                                     : "alembic_version");
        if (failed >= 0)
            runner_excerpt(l->stmt[failed], what, 61);
        emc_lock_blockers(ctx, failed >= 0 ? l->stmt[failed] : "images alembic_version", who,
                          sizeof(who));
        if (attempt >= ctx->lock_retries || runner_stop_asked(ctx)) {
            char stmt[40] = "";
            if (failed >= 0)
                snprintf(stmt, sizeof(stmt), "statement %d ", failed + 1);
            emc_error_set(err, EMC_E_LOCK_TIMEOUT,
                          "%s: %s(%s) gave up after %d waits of %.1f s for a lock held by %s; "
                          "%s: run the command again once that session has finished",
                          id, stmt, what, attempt + 1, ctx->lock_timeout_ms / 1000.0,
                          who[0] ? who : "another session",
                          txn || failed <= 0
                              ? "nothing of the revision was applied"
                              : "the statements before it are applied and recorded, and a re-run "
                                "goes on from it");
            break;
        }
        int wait = runner_backoff_ms(attempt);
        char stmt[40] = "";
        if (failed >= 0)
            snprintf(stmt, sizeof(stmt), "statement %d ", failed + 1);
        emc_log(ctx, EMC_LOG_WARNING,
                "%s: %s(%s) waited %.1f s for a lock held by %s; retrying in %.2f s (retry %d "
                "of %d)",
                id, stmt, what, ctx->lock_timeout_ms / 1000.0, who[0] ? who : "another session",
                wait / 1000.0, attempt + 1, ctx->lock_retries);
        if (!txn && failed > 0) {
            resume = failed; /* the statements before it are done and recorded */
            prior = true;
        }
        runner_sleep_ms(wait);
    }
    if (rc < 0 && rc != -EMC_E_LOCK_TIMEOUT && failed >= 0)
        emc_error_prefix(err, "%s statement %d", id, failed + 1);
    *failed_out = failed;
    return rc;
}

int runner_schema_step(struct emc_ctx *ctx, struct emc_state *st, const struct emc_step *step,
                       struct emc_error *err)
{
    const struct revision *r = &ctx->ms->revs[step->rev];
    struct sql_list l;
    int drops[2];
    int rc = runner_step_statements(ctx, st->applied, step, &l, &drops[0], &drops[1], err);
    if (rc < 0)
        return rc;
    emc_log(ctx, EMC_LOG_INFO, "Running upgrade %s -> %s%s%s%s",
            r->down_revision ? r->down_revision : "", r->id, r->summary ? ", " : "",
            r->summary ? r->summary : "",
            emc_step_has_triggers(ctx, step) ? " (with rolling-upgrade triggers)" : "");
    if (ctx->sql_only) {
        int f;
        rc = schema_attempt(ctx, st, step, &l, drops, 0, false, 0, &f, err);
        sql_list_free(&l);
        return rc;
    }
    /* in a group, the group turns SQLite's foreign keys off and on */
    bool sqlite = strcmp(ctx->dialect, "sqlite") == 0 && !ctx->in_group;
    int64_t jid = 0, resume = 0;
    bool prior = false;
    if (!db_drv(ctx->conn)->caps.transactional_ddl)
        rc = journal_resume_point(ctx, r->id, &resume, &prior, err);
    if (resume > l.n)
        resume = l.n;
    if (rc == 0)
        rc = runner_journal_begin(ctx, r->id, "schema", step->phase, &jid, err);
    if (rc == 0 && resume > 0)
        rc = journal_step_update(ctx, jid, resume, 0, err);
    if (rc == 0 && resume > 0)
        emc_log(ctx, EMC_LOG_WARNING,
                "%s was interrupted after %lld of %d statements; finishing it", r->id,
                (long long)resume, l.n);
    if (rc == 0 && sqlite)
        rc = db_exec(ctx->conn, "PRAGMA foreign_keys = OFF", err);
    int failed = -1;
    if (rc == 0)
        rc = attempts(ctx, st, step, &l, drops, resume, prior, jid, &failed, err);
    if (sqlite) {
        struct emc_error e2;
        db_exec(ctx->conn, "PRAGMA foreign_keys = ON", &e2);
    }
    if (rc < 0) {
        /* statements done: (MySQL) those before the one that failed; all when the failure
         * came after them */
        struct emc_error e3;
        journal_step_end(ctx, jid, "failed", failed < 0 ? l.n : failed, 0, err->msg, &e3);
    }
    sql_list_free(&l);
    return rc;
}
