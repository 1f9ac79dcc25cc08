/* purge.c - see purge.h. The deletion of one table lives in purge_exec.c. */
#include "purge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "idset.h"
#include "journal.h"
#include "purge_exec.h"
#include "runner.h"

#define PURGE_MAX_ROWS 2147483647LL /* the reference's limit: a 4-byte INT */

static const int bucket_days[PURGE_NBUCKETS - 1] = {30, 90, 180, 365};

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
        .sleep_s = ctx && ctx->dialect && strcmp(ctx->dialect, "sqlite") == 0 ? 0.05 : 0,
    };
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

static bool in_scope(const struct purge_tab *pt, bool images_only)
{
    return images_only == (pt->kind == PURGE_TAB_IMAGES);
}

/* may_delete: a DELETE that matches nothing, rolled back, on every table of the run: the
 * backend checks the privilege (or a read-only file) without touching a row */
static int may_delete(struct emc_ctx *ctx, bool images_only, struct emc_error *err)
{
    for (int i = 0; i < PURGE_NTABS; i++) {
        const struct purge_tab *pt = &purge_tabs[i];
        if (!in_scope(pt, images_only))
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

/* --- preview ---------------------------------------------------------------------------------*/

static int64_t to_i64(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

/* scan_cb: COUNT(*), COUNT(deleted_at), the rows at or after each bucket edge (newest edge
 * first), MIN(deleted_at), the rows at or after the cutoff */
static int scan_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct purge_table_preview *tp = ud;
    if (ncols < PURGE_NBUCKETS + 3)
        return 1;
    tp->soft_deleted = to_i64(vals[0]);
    int64_t dated = to_i64(vals[1]), prev = 0;
    for (int b = 0; b < PURGE_NBUCKETS - 1; b++) {
        int64_t since = to_i64(vals[2 + b]); /* deleted_at >= edge b */
        tp->buckets[b] = since - prev;
        prev = since;
    }
    tp->buckets[PURGE_NBUCKETS - 1] = dated - prev;
    const char *oldest = vals[PURGE_NBUCKETS + 1];
    snprintf(tp->oldest, sizeof(tp->oldest), "%.19s", oldest ? oldest : "");
    tp->eligible = dated - to_i64(vals[PURGE_NBUCKETS + 2]);
    return 1;
}

struct bounds {
    bool images_only; /* purge_images_table: every child row blocks (none is purged first) */
    char cutoff[32];
    char edge[PURGE_NBUCKETS - 1][32]; /* now - 30, 90, 180, 365 days */
    /* with a backend that calls client code from SQL (SQLite): the images deleted before the
     * cutoff, which the child tables' scans mark when a row that stays references them */
    struct idset *eligible;
};

#define PROBE_FN "emc_purge_blocks"

static int64_t probe_mark(void *ud, const char *s, size_t n)
{
    return idset_mark(ud, s, n);
}

struct add_ids {
    struct idset *set;
    bool oom;
};

static int add_id_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct add_ids *a = ud;
    if (ncols >= 1 && vals[0] && idset_add(a->set, vals[0], strlen(vals[0])) < 0)
        a->oom = true;
    return a->oom;
}

/* eligible_begin: for `db purge`'s preview on a backend with probes (SQLite), bd->eligible =
 * the images deleted before the cutoff, and the probe that marks them registered. The images
 * row's blocked count is then the marked members once the child tables are scanned: a pass
 * over the kept rows of each child table (mark_kept_refs), where the four EXISTS per eligible
 * image read every child row of each again through the image_id indexes. At 1M images on
 * SQLite the preview took 4.7 s instead of 8.0 to 9.2 s. purge_images_table's preview keeps
 * its anti-join: with every child row blocking, marking took 6.0 s against 3.8 s. */
static int eligible_begin(struct emc_ctx *ctx, struct bounds *bd, struct emc_error *err)
{
    if (bd->images_only || !db_has_probe(ctx->conn))
        return 0;
    bd->eligible = idset_new();
    if (!bd->eligible)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    struct db_param p = DBP_S(bd->cutoff);
    struct add_ids a = {bd->eligible, false};
    int rc = db_query(ctx->conn, "SELECT id FROM images WHERE deleted_at < ?", &p, 1, add_id_cb, &a,
                      NULL, err);
    if (rc == 0 && a.oom)
        rc = emc_error_set(err, EMC_E_NOMEM, "out of memory reading the eligible images");
    if (rc == 0)
        rc = db_set_probe(ctx->conn, PROBE_FN, probe_mark, bd->eligible, err);
    return rc;
}

static void eligible_end(struct emc_ctx *ctx, struct bounds *bd)
{
    if (!bd->eligible)
        return;
    struct emc_error ignored;
    db_set_probe(ctx->conn, PROBE_FN, NULL, NULL, &ignored);
    idset_free(bd->eligible);
    bd->eligible = NULL;
}

/* mark_kept_refs: mark the eligible images that rows of child table pt staying after the purge
 * reference: a second pass over the table, the kept rows only. Folding the marking into the
 * table's first scan made SQLite evaluate every aggregate on every row: 5.9 s for the preview
 * at 1M images, against 4.7 s with two passes. */
static int mark_kept_refs(struct emc_ctx *ctx, const struct purge_tab *pt, const struct bounds *bd,
                          struct emc_error *err)
{
    char kept[112], sql[300];
    snprintf(sql, sizeof(sql), "SELECT SUM(" PROBE_FN "(x.image_id)) FROM %s x WHERE %s", pt->name,
             purge_kept_sql(kept, sizeof(kept), "x", NULL, strcmp(ctx->dialect, "sqlite") == 0));
    struct db_param p = DBP_S(bd->cutoff);
    int64_t refs = 0; /* the kept rows that reference eligible images: not needed */
    return db_query_int(ctx->conn, sql, &p, 1, &refs, NULL, err);
}

static bool is_image_child(const struct purge_tab *pt)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(pt->name, purge_image_children[i]) == 0)
            return true;
    return false;
}

/* cmp_col: x.deleted_at as the scans compare it with a timestamp parameter. On SQLite, as
 * +x.deleted_at: the column's NUMERIC affinity makes SQLite try to turn the text parameter
 * into a number at every comparison (sqlite3AtoF, 7% of a preview's time); the unary plus
 * drops the affinity, and both sides compare as the text they are stored as, with the same
 * result (the biggest table's scan: 0.89 s instead of 1.07 s at 1M images). */
static const char *cmp_col(const struct emc_ctx *ctx)
{
    return strcmp(ctx->dialect, "sqlite") == 0 ? "+x.deleted_at" : "x.deleted_at";
}

/* scan_table: one aggregate query over the table's soft-deleted rows */
static int scan_table(struct emc_ctx *ctx, const struct purge_tab *pt, const struct bounds *bd,
                      struct purge_table_preview *tp, struct emc_error *err)
{
    const char *from = pt->kind == PURGE_TAB_TASK_INFO ? "task_info ti JOIN tasks x ON x.id = "
                                                         "ti.task_id"
                                                       : NULL;
    char from_buf[64];
    if (!from) {
        snprintf(from_buf, sizeof(from_buf), "%s x", pt->name);
        from = from_buf;
    }
    /* the rows at or after each edge, from which scan_cb takes the buckets by difference:
     * five comparisons a row where a range per bucket takes nine (a third less time for a
     * table of 5M rows on SQLite) */
    struct db_param p[PURGE_NBUCKETS];
    for (int b = 0; b < PURGE_NBUCKETS - 1; b++)
        p[b] = DBP_S(bd->edge[b]);
    p[PURGE_NBUCKETS - 1] = DBP_S(bd->cutoff);
    const char *d = cmp_col(ctx);
    char sql[1000];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*), COUNT(x.deleted_at), "
             "SUM(CASE WHEN %s >= ? THEN 1 ELSE 0 END), "
             "SUM(CASE WHEN %s >= ? THEN 1 ELSE 0 END), "
             "SUM(CASE WHEN %s >= ? THEN 1 ELSE 0 END), "
             "SUM(CASE WHEN %s >= ? THEN 1 ELSE 0 END), "
             "MIN(x.deleted_at), "
             "SUM(CASE WHEN %s >= ? THEN 1 ELSE 0 END) "
             "FROM %s WHERE x.deleted_at IS NOT NULL OR x.deleted",
             d, d, d, d, d, from);
    int rc = db_query(ctx->conn, sql, p, PURGE_NBUCKETS, scan_cb, tp, NULL, err);
    if (rc == 0 && bd->eligible && is_image_child(pt))
        rc = mark_kept_refs(ctx, pt, bd, err);
    if (rc < 0 || pt->kind != PURGE_TAB_IMAGES || tp->eligible == 0)
        return rc;
    /* the images row's blocked count: the marked members after the child tables' scans, or a
     * query of its own, in the form that is fastest on the backend (purge_count_blocked) */
    if (bd->eligible) {
        tp->blocked = (int64_t)idset_marked(bd->eligible);
        return 0;
    }
    return purge_count_blocked(ctx, bd->cutoff, bd->images_only ? NULL : bd->cutoff, &tp->blocked,
                               err);
}

static int64_t capped(int64_t n, int64_t max_rows)
{
    return max_rows >= 0 && n > max_rows ? max_rows : n;
}

/* preview_inner: the preview of every table, or, with scope_only (a dry run), of the tables
 * the command deletes from: the others are left out, unscanned */
static int preview_inner(struct emc_ctx *ctx, const struct purge_opts *o, time_t now,
                         bool scope_only, struct purge_preview *out, struct emc_error *err)
{
    struct bounds bd = {.images_only = o->images_only};
    purge_cutoff(now, o->age_in_days, bd.cutoff, sizeof(bd.cutoff));
    for (int b = 0; b < PURGE_NBUCKETS - 1; b++)
        purge_cutoff(now, bucket_days[b], bd.edge[b], sizeof(bd.edge[b]));
    /* the marking pass needs every child table scanned before images: a whole preview */
    int rc = scope_only ? 0 : eligible_begin(ctx, &bd, err);
    for (int i = 0; rc == 0 && i < PURGE_NTABS; i++) {
        const struct purge_tab *pt = &purge_tabs[i];
        if (scope_only && !in_scope(pt, o->images_only))
            continue;
        struct purge_table_preview *tp = &out->t[out->ntables++];
        snprintf(tp->table, sizeof(tp->table), "%s", pt->name);
        tp->in_scope = in_scope(pt, o->images_only);
        rc = scan_table(ctx, pt, &bd, tp, err);
        if (tp->in_scope)
            tp->would_delete = capped(tp->eligible - tp->blocked, o->max_rows);
    }
    eligible_end(ctx, &bd);
    return rc;
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
        rc = preview_inner(ctx, o, now, false, out, err);
    return rc;
}

/* --- run ---------------------------------------------------------------------------------- */

static void result_tables(const struct purge_opts *o, struct purge_result *res)
{
    for (int i = 0; i < PURGE_NTABS; i++)
        if (in_scope(&purge_tabs[i], o->images_only))
            snprintf(res->t[res->ntables++].table, sizeof(res->t[0].table), "%s",
                     purge_tabs[i].name);
}

static int dry_run(struct emc_ctx *ctx, const struct purge_opts *o, time_t now,
                   struct purge_result *res, struct emc_error *err)
{
    struct purge_preview pv = {0};
    int rc = preview_inner(ctx, o, now, true, &pv, err);
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
        rc = purge_count_blocked(ctx, cutoff, NULL, &blocked, err);
        if (rc < 0)
            return rc;
        res->t[0].blocked = blocked;
        if (blocked > 0)
            emc_log(ctx, EMC_LOG_WARNING,
                    "Skipping %lld image(s) deleted before %s UTC that rows of image_properties, "
                    "image_tags, image_locations or image_members still reference (run `db "
                    "purge` first; live rows of deleted images keep them)",
                    (long long)blocked, cutoff);
    }
    for (int k = 0, i = 0; i < PURGE_NTABS && rc == 0; i++) {
        const struct purge_tab *pt = &purge_tabs[i];
        if (!in_scope(pt, o->images_only))
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
        rc = journal_run_begin(ctx, err);
    if (rc < 0) {
        emc_unlock(ctx);
        return rc;
    }
    rc = purge_tables(ctx, o, res->cutoff, res, err);
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
