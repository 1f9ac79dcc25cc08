/* purge.c - see purge.h. The deletion of one table lives in purge_exec.c. */
#include "purge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "purge_exec.h"
#include "purge_scan.h"
#include "runner.h"

#define PURGE_MAX_ROWS 2147483647LL /* the reference's limit: a 4-byte INT */

const char *purge_ossn0075_warning(void)
{
    return "OSSN-0075: purging the images table frees the ids of the purged images, and Glance "
           "lets whoever creates an image choose its id: someone could register a new image "
           "under the id of a purged one that users, scripts or other services still refer to. "
           "Purge images only after a long retention period (purge_images_table defaults to "
           "180 days).";
}

void purge_default_opts(const struct emc_ctx *ctx, bool images_only, struct purge_opts *o)
{
    *o = (struct purge_opts){
        .age_in_days = images_only ? 180 : 30,
        .max_rows = 100,
        .images_only = images_only,
        .batch_size = ctx && ctx->batch_size > 0 ? ctx->batch_size : 1000,
        .target_txn_s = 0.2,
        .sleep_s = 0,
    };
    /* on SQLite a batch locks the whole database: the services get in between batches */
    o->yield_writers = ctx && ctx->dialect && strcmp(ctx->dialect, "sqlite") == 0;
}

void purge_cutoff(time_t now, long age_in_days, char *buf, size_t n)
{
    journal_utc(now - (time_t)age_in_days * 86400, buf, n);
}

int purge_validate(const struct purge_opts *o, time_t now, struct emc_error *err)
{
    if (o->age_in_days < 0)
        return emc_error_set(err, EMC_E_STATE, "Must supply a non-negative value for age.");
    /* the reference compares with a true division: int(time.time()) / 86400 */
    if ((double)o->age_in_days >= (double)now / 86400.0)
        return emc_error_set(err, EMC_E_STATE, "Maximal age is count of days since epoch.");
    if (o->max_rows < -1)
        return emc_error_set(err, EMC_E_STATE, "Minimal rows limit is -1.");
    if (o->max_rows > PURGE_MAX_ROWS)
        return emc_error_set(err, EMC_E_STATE,
                             "'max_rows' value out of range, must not exceed %lld.",
                             PURGE_MAX_ROWS);
    if (o->batch_size < 0)
        return emc_error_set(err, EMC_E_USAGE, "the batch size must not be negative");
    if (!(o->sleep_s >= 0) || o->sleep_s > 3600)
        return emc_error_set(err, EMC_E_USAGE, "the pause between batches must be 0 to 3600 s");
    if (!(o->target_txn_s >= 0) || o->target_txn_s > 3600)
        return emc_error_set(err, EMC_E_USAGE, "the target transaction time must be 0 to 3600 s");
    return 0;
}

/* --- the database must be Glance's, under migration control, with the tables ---------------- */

static int check_db(struct emc_ctx *ctx, struct emc_error *err)
{
    struct emc_state st;
    int rc = emc_read_state(ctx, &st, err);
    if (rc < 0)
        return rc;
    rc = emc_require_glance(ctx, &st, err);
    if (rc == 0 && st.nheads == 0)
        rc = emc_error_set(err, EMC_E_NOT_GLANCE,
                           "the database is not under migration control (no alembic_version "
                           "row), so there is nothing to purge; build it with `glance-emc db "
                           "sync` or stamp it with `glance-emc db version_control`");
    emc_state_free(&st);
    for (int i = 0; rc == 0 && i < PURGE_NTABS; i++) {
        bool ok = false;
        rc = db_table_exists(ctx->conn, purge_tabs[i].name, &ok, err);
        if (rc == 0 && !ok)
            rc = emc_error_set(err, EMC_E_NOT_GLANCE,
                               "table %s is missing: this is not a complete Glance database",
                               purge_tabs[i].name);
    }
    return rc;
}

/* may_delete: a DELETE that matches nothing, rolled back, on every table of the run: the
 * backend checks the privilege (or a read-only file) without touching a row */
static int may_delete(struct emc_ctx *ctx, bool images_only, struct emc_error *err)
{
    for (int i = 0; i < PURGE_NTABS; i++) {
        const struct purge_tab *pt = &purge_tabs[i];
        if (!purge_in_scope(pt, images_only))
            continue;
        char sql[128];
        snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE 1 = 0", pt->name);
        int rc = db_begin(ctx->conn, err);
        if (rc == 0)
            rc = db_query(ctx->conn, sql, NULL, 0, NULL, NULL, NULL, err);
        struct emc_error e2;
        db_rollback(ctx->conn, &e2);
        if (rc == -EMC_E_PERMISSION) {
            char m[sizeof(err->msg)];
            snprintf(m, sizeof(m), "%s", err->msg);
            return emc_error_set(err, EMC_E_PERMISSION,
                                 "the database user may not delete rows from table %s, so "
                                 "nothing was purged (%s)",
                                 pt->name, m);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int purge_preview(struct emc_ctx *ctx, const struct purge_opts *o, time_t now,
                  struct purge_preview *out, struct emc_error *err)
{
    memset(out, 0, sizeof(*out));
    purge_cutoff(now, o->age_in_days < 0 ? 0 : o->age_in_days, out->cutoff, sizeof(out->cutoff));
    int rc = purge_validate(o, now, err);
    if (rc == 0)
        rc = check_db(ctx, err);
    if (rc == 0)
        rc = purge_scan(ctx, o, now, false, PURGE_SCAN_CONNS, out, err);
    return rc;
}

/* --- run ---------------------------------------------------------------------------------- */

static void result_tables(const struct purge_opts *o, struct purge_result *res)
{
    for (int i = 0; i < PURGE_NTABS; i++)
        if (purge_in_scope(&purge_tabs[i], o->images_only))
            snprintf(res->t[res->ntables++].table, sizeof(res->t[0].table), "%s",
                     purge_tabs[i].name);
}

static int dry_run(struct emc_ctx *ctx, const struct purge_opts *o, time_t now,
                   struct purge_result *res, struct emc_error *err)
{
    struct purge_preview pv = {0};
    int rc = purge_scan(ctx, o, now, true, PURGE_SCAN_CONNS, &pv, err);
    for (int i = 0, k = 0; rc == 0 && i < pv.ntables; i++) {
        if (!pv.t[i].in_scope)
            continue;
        res->t[k].deleted = pv.t[i].would_delete;
        res->t[k].blocked = pv.t[i].blocked;
        emc_log(ctx, EMC_LOG_INFO, "Dry run: would delete %lld row(s) from table %s",
                (long long)pv.t[i].would_delete, pv.t[i].table);
        k++;
    }
    return rc;
}

static int purge_tables(struct emc_ctx *ctx, const struct purge_opts *o, const char *cutoff,
                        struct purge_result *res, struct emc_error *err)
{
    int rc = 0;
    if (o->images_only) {
        emc_log(ctx, EMC_LOG_WARNING, "%s", purge_ossn0075_warning());
        int64_t blocked = 0;
        if (!purge_blocked_in_batches(ctx, o)) {
            rc = purge_count_blocked(ctx, cutoff, NULL, &blocked, err);
            if (rc < 0)
                return rc;
        }
        res->t[0].blocked = blocked;
        purge_log_blocked(ctx, blocked, cutoff);
    }
    for (int k = 0, i = 0; i < PURGE_NTABS && rc == 0; i++) {
        const struct purge_tab *pt = &purge_tabs[i];
        if (!purge_in_scope(pt, o->images_only))
            continue;
        struct purge_table_result *tr = &res->t[k++];
        if (runner_stop_asked(ctx)) {
            rc = emc_error_set(err, EMC_E_INTERRUPTED, "stopped before table %s", pt->name);
            break;
        }
        int64_t jid = 0;
        struct emc_error je;
        journal_step_begin(ctx, pt->name, "purge", 'P', &jid, &je);
        rc = purge_exec_table(ctx, pt, o, cutoff, jid, tr, err);
        journal_step_end(ctx, jid,
                         rc == 0                    ? "done"
                         : rc == -EMC_E_INTERRUPTED ? "interrupted"
                                                    : "failed",
                         tr->batches, tr->deleted, rc == 0 ? NULL : err->msg, &je);
    }
    if (rc < 0 && rc != -EMC_E_INTERRUPTED && purge_is_fk_error(err))
        rc = emc_error_set(err, EMC_E_STATE,
                           "Purge command failed, check glance-manage logs for more details.");
    return rc;
}

int purge_run(struct emc_ctx *ctx, const struct purge_opts *o, time_t now, struct purge_result *res,
              struct emc_error *err)
{
    memset(res, 0, sizeof(*res));
    res->dry_run = o->dry_run;
    result_tables(o, res);
    purge_cutoff(now, o->age_in_days < 0 ? 0 : o->age_in_days, res->cutoff, sizeof(res->cutoff));
    int rc = purge_validate(o, now, err);
    if (rc < 0)
        return rc;
    if (ctx->sql_only)
        return emc_error_set(err, EMC_E_USAGE,
                             "purge has no --sql mode; use --preview or --dry-run to see what "
                             "it would delete");
    if (o->dry_run) {
        rc = check_db(ctx, err);
        return rc < 0 ? rc : dry_run(ctx, o, now, res, err);
    }
    if (!ctx->command)
        ctx->command = o->images_only ? "purge_images_table" : "purge";
    rc = emc_lock(ctx, err);
    if (rc == 0)
        rc = check_db(ctx, err);
    if (rc == 0)
        rc = may_delete(ctx, o->images_only, err);
    if (rc == 0)
        rc = journal_reap(ctx, err);
    if (rc == 0)
        rc = journal_run_begin(ctx, err);
    if (rc < 0) {
        emc_unlock(ctx);
        return rc;
    }
    /* bulk mode for the batches' many transactions */
    if (o->batch_size > 0)
        runner_bulk(ctx, true);
    struct emc_error be;
    /* a batch waits at most --lock-timeout for a row another session holds, then is rolled
     * back and retried (purge_exec.c), instead of holding its own locks for the server's
     * default (InnoDB 50 s, PostgreSQL forever); --no-batch keeps glance-manage's waits, and
     * SQLite its busy timeout (there every batch waits for the one write lock) */
    bool lock_wait =
        o->batch_size > 0 && ctx->lock_timeout_ms > 0 && strcmp(ctx->dialect, "sqlite") != 0;
    if (lock_wait && db_drv(ctx->conn)->set_lock_timeout(ctx->conn, ctx->lock_timeout_ms, &be) < 0)
        emc_log(ctx, EMC_LOG_DEBUG, "no lock timeout: %s", be.msg);
    rc = purge_tables(ctx, o, res->cutoff, res, err);
    if (lock_wait)
        db_drv(ctx->conn)->set_lock_timeout(ctx->conn, 0, &be);
    if (o->batch_size > 0)
        runner_bulk(ctx, false);
    res->interrupted = rc == -EMC_E_INTERRUPTED;
    struct emc_error je;
    journal_run_end(ctx,
                    rc == 0                    ? "done"
                    : rc == -EMC_E_INTERRUPTED ? "interrupted"
                                               : "failed",
                    rc == 0 ? NULL : err->msg, &je);
    emc_unlock(ctx);
    return rc;
}
