/* runner_data.c - one data-migration step of a plan: batches of at most ctx->batch_size rows,
 * each its own transaction (with the journal's progress row in it), progress through
 * cb.on_progress,
 * a stop between batches when cb.should_stop says so, and lock-timeout retries of a batch
 * (runner_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "runner_int.h"

int emc_data_pending(struct emc_ctx *ctx, int rev, int64_t *pending, struct emc_error *err)
{
    *pending = 0;
    const char *q = runner_dialect_file(ctx, rev, "pending.%s.sql");
    if (!q)
        return emc_error_set(err, EMC_E_REVISION, "data migration %s has no pending.%s.sql",
                             ctx->ms->revs[rev].id, ctx->dialect);
    struct sql_list l;
    int rc = sql_split(q, &l, err);
    if (rc == 0 && l.n != 1)
        rc = emc_error_set(err, EMC_E_REVISION, "pending.%s.sql of %s must hold one SELECT",
                           ctx->dialect, ctx->ms->revs[rev].id);
    if (rc == 0)
        rc = db_query_int(ctx->conn, l.stmt[0], NULL, 0, pending, NULL, err);
    sql_list_free(&l);
    return rc;
}

/* one batch: in one transaction, the statements in order until one changes rows (a later
 * statement runs only once the earlier ones have nothing left: migrations/README.md), and the
 * journal's progress */
static int one_batch(struct emc_ctx *ctx, const struct sql_list *l, int64_t jid,
                     const struct emc_progress *p, int64_t *changed, struct emc_error *err)
{
    *changed = 0;
    int rc = db_begin(ctx->conn, err);
    for (int i = 0; rc == 0 && i < l->n && *changed == 0; i++)
        rc = db_query(ctx->conn, l->stmt[i], NULL, 0, NULL, NULL, changed, err);
    if (rc == 0 && *changed > 0)
        rc = journal_step_update(ctx, jid, p->batches + 1, p->done + *changed, err);
    if (rc == 0)
        rc = db_commit(ctx->conn, err);
    if (rc < 0) {
        struct emc_error e2;
        db_rollback(ctx->conn, &e2);
        *changed = 0;
    }
    return rc;
}

static bool stop_asked(const struct emc_ctx *ctx)
{
    return ctx->cb.should_stop && ctx->cb.should_stop(ctx->cb.ud);
}

/* batch_with_retries: a batch, retried with backoff when it waits too long on a row lock (or
 * is a deadlock victim): it is idempotent and its transaction was rolled back */
static int batch_with_retries(struct emc_ctx *ctx, const char *id, const struct sql_list *l,
                              int64_t jid, struct emc_progress *p, int64_t *changed,
                              struct emc_error *err)
{
    for (int attempt = 0;; attempt++) {
        double tb = runner_now();
        int rc = one_batch(ctx, l, jid, p, changed, err);
        double dt = runner_now() - tb;
        if (rc == 0 && dt > p->longest_txn_s)
            p->longest_txn_s = dt;
        if ((rc != -EMC_E_LOCK_TIMEOUT && rc != -EMC_E_DEADLOCK) || attempt >= ctx->lock_retries ||
            stop_asked(ctx))
            return rc;
        int wait = runner_backoff_ms(attempt);
        emc_log(ctx, EMC_LOG_WARNING, "%s: batch %lld %s; retrying in %.2f s (retry %d of %d)", id,
                (long long)p->batches + 1,
                rc == -EMC_E_DEADLOCK ? "was chosen as a deadlock victim"
                                      : "waited too long for a row lock",
                wait / 1000.0, attempt + 1, ctx->lock_retries);
        emc_error_clear(err);
        runner_sleep_ms(wait);
    }
}

static void update_rates(struct emc_progress *p, double t0)
{
    if (p->done > p->total)
        p->total = p->done;
    double el = runner_now() - t0;
    p->rows_per_s = el > 0 ? (double)p->done / el : 0;
    p->eta_s = (p->total > 0 && p->done * 100 >= p->total && p->rows_per_s > 0)
                   ? (double)(p->total - p->done) / p->rows_per_s
                   : -1;
}

int runner_data_step(struct emc_ctx *ctx, const struct emc_step *step, int64_t *rows,
                     struct emc_error *err)
{
    const struct revision *r = &ctx->ms->revs[step->rev];
    const char *batch = runner_dialect_file(ctx, step->rev, "batch.%s.sql");
    if (!batch)
        return emc_error_set(err, EMC_E_REVISION, "data migration %s has no batch.%s.sql", r->id,
                             ctx->dialect);
    char *s = runner_batch_sql(batch, ctx->batch_size);
    if (!s)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    struct sql_list l = {0};
    int rc = sql_split(s, &l, err);
    free(s);
    if (rc < 0)
        return rc;
    if (ctx->sql_only) {
        for (int i = 0; rc == 0 && i < l.n; i++)
            rc = runner_sql(ctx, l.stmt[i], NULL, err);
        sql_list_free(&l);
        return rc;
    }
    int64_t total = 0;
    rc = emc_data_pending(ctx, step->rev, &total, err);
    if (rc < 0 || total == 0 || l.n == 0) {
        sql_list_free(&l);
        return rc;
    }
    emc_log(ctx, EMC_LOG_INFO,
            "Running data migration %s: %lld row(s) to migrate in batches of %d%s%s", r->id,
            (long long)total, ctx->batch_size, r->summary ? ", " : "",
            r->summary ? r->summary : "");
    int64_t jid = 0;
    rc = runner_journal_begin(ctx, r->id, "data", 'M', &jid, err);
    struct emc_progress p = {.what = r->id, .total = total, .eta_s = -1};
    double t0 = runner_now();
    while (rc == 0) {
        if (stop_asked(ctx)) {
            update_rates(&p, t0);
            rc = emc_error_set(
                err, EMC_E_INTERRUPTED,
                "interrupted: %s stopped after %lld of %lld row(s) in %lld batch(es) (%.0f "
                "rows/s, longest batch %.2f s), about %lld left; every batch done is committed: "
                "run `glance-emc db migrate` again to continue",
                r->id, (long long)p.done, (long long)p.total, (long long)p.batches, p.rows_per_s,
                p.longest_txn_s, (long long)(p.total - p.done));
            break;
        }
        int64_t changed = 0;
        rc = batch_with_retries(ctx, r->id, &l, jid, &p, &changed, err);
        if (rc < 0 || changed == 0)
            break;
        p.done += changed;
        p.batches++;
        update_rates(&p, t0);
        if (ctx->cb.on_progress)
            ctx->cb.on_progress(ctx->cb.ud, &p);
    }
    if (rc < 0 && rc != -EMC_E_INTERRUPTED)
        emc_error_prefix(err, "%s batch %lld (%lld row(s) done before it)", r->id,
                         (long long)p.batches + 1, (long long)p.done);
    if (rc == 0) {
        double el = runner_now() - t0;
        emc_log(ctx, EMC_LOG_INFO,
                "%s: %lld row(s) in %lld batch(es), %.1f s, %.0f rows/s, longest batch %.3f s",
                r->id, (long long)p.done, (long long)p.batches, el,
                el > 0 ? (double)p.done / el : 0.0, p.longest_txn_s);
    }
    struct emc_error e3;
    journal_step_end(ctx, jid,
                     rc == 0                    ? "done"
                     : rc == -EMC_E_INTERRUPTED ? "interrupted"
                                                : "failed",
                     p.batches, p.done, rc == 0 ? NULL : err->msg, &e3);
    sql_list_free(&l);
    if (rows)
        *rows += p.done;
    return rc;
}
