/* purge_exec.c - see purge_exec.h */
#include "purge_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "runner.h"
#include "runner_int.h"
#include "strbuf.h"

const struct purge_tab purge_tabs[PURGE_NTABS] = {
    {"task_info", "task_id", PURGE_TAB_TASK_INFO, false},
    {"image_properties", "id", PURGE_TAB_PLAIN, true},
    {"image_tags", "id", PURGE_TAB_PLAIN, true},
    {"image_locations", "id", PURGE_TAB_PLAIN, true},
    {"image_members", "id", PURGE_TAB_PLAIN, true},
    {"tasks", "id", PURGE_TAB_PLAIN, false},
    {"images", "id", PURGE_TAB_IMAGES, false},
};

const char *const purge_image_children[4] = {"image_properties", "image_tags", "image_locations",
                                             "image_members"};

#define KEYS_PER_STMT 1000 /* keys in one DELETE's IN list; a batch may hold several */

/* --- small helpers ------------------------------------------------------------------------ */

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

bool purge_in_scope(const struct purge_tab *pt, bool images_only)
{
    return images_only == (pt->kind == PURGE_TAB_IMAGES);
}

const char *purge_kept_sql(char *buf, size_t n, const char *alias, bool text_cmp)
{
    snprintf(buf, n, "(%s.deleted_at IS NULL OR %s%s.deleted_at >= ?)", alias, text_cmp ? "+" : "",
             alias);
    return buf;
}

/* four NOT EXISTS joined by AND, which PostgreSQL plans as anti-joins (NOT (... OR ...) it runs
 * as four probes per image) */
const char *purge_image_free_sql(char *buf, size_t n, const char *alias)
{
    size_t used = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < 4 && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used,
                                 "%sNOT EXISTS (SELECT 1 FROM %s c WHERE c.image_id = %s.id)",
                                 i ? " AND " : "", purge_image_children[i], alias);
    if (used < n)
        snprintf(buf + used, n - used, ")");
    return buf;
}

bool purge_is_fk_error(const struct emc_error *err)
{
    if (!err || err->code != EMC_E_CONSTRAINT)
        return false;
    if (strcmp(err->sqlstate, "23503") == 0) /* PostgreSQL foreign_key_violation */
        return true;
    switch (err->driver_code) {
    case 787:  /* SQLITE_CONSTRAINT_FOREIGNKEY */
    case 1216: /* ER_NO_REFERENCED_ROW */
    case 1217: /* ER_ROW_IS_REFERENCED */
    case 1451: /* ER_ROW_IS_REFERENCED_2 */
    case 1452: /* ER_NO_REFERENCED_ROW_2 */
        return true;
    default:
        break;
    }
    return strstr(err->msg, "FOREIGN KEY") != NULL || strstr(err->msg, "foreign key") != NULL;
}

/* blocked_ids_sql: append to b the ids of the images deleted before a cutoff (the last
 * parameter) that a child row references, as one join: the child rows (with kept, only those a
 * purge with keep_cutoff keeps: four parameters before the cutoff) probe the eligible images.
 * PostgreSQL runs it as a hash join of one scan per child table, where an anti-join per
 * eligible image probes the four child indexes; right after `db purge`, those probes meet the
 * index entries of the rows it just deleted, and visit their heap pages: at 1M images the
 * count took 1.3 s against 18 s (and 6.8 s once the dead entries were marked). Where few images
 * are eligible, the planner probes the child indexes from them instead. */
static void blocked_ids_sql(struct strbuf *b, bool kept)
{
    char cond[112] = "";
    if (kept) {
        memcpy(cond, " WHERE ", 8);
        purge_kept_sql(cond + 7, sizeof(cond) - 7, "k", false);
    }
    strbuf_printf(b, "SELECT DISTINCT c.image_id FROM (");
    for (int i = 0; i < 4; i++)
        strbuf_printf(b, "%sSELECT image_id FROM %s k%s", i ? " UNION ALL " : "",
                      purge_image_children[i], cond);
    strbuf_printf(b, ") c JOIN images i ON i.id = c.image_id WHERE i.deleted_at < ?");
}

/* count_blocked_join: the count of blocked_ids_sql; with keep_cutoff (NULL: every child row
 * blocks) */
static int count_blocked_join(struct emc_ctx *ctx, const char *cutoff, const char *keep_cutoff,
                              int64_t *n, struct emc_error *err)
{
    struct strbuf b = {0};
    strbuf_printf(&b, "SELECT COUNT(*) FROM (");
    blocked_ids_sql(&b, keep_cutoff != NULL);
    strbuf_printf(&b, ") z");
    if (b.oom) {
        strbuf_free(&b);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    struct db_param p[] = {DBP_S(keep_cutoff), DBP_S(keep_cutoff), DBP_S(keep_cutoff),
                           DBP_S(keep_cutoff), DBP_S(cutoff)};
    int rc = keep_cutoff ? db_query_int(ctx->conn, b.s, p, 5, n, NULL, err)
                         : db_query_int(ctx->conn, b.s, &p[4], 1, n, NULL, err);
    strbuf_free(&b);
    return rc;
}

static bool is_pg(const struct emc_ctx *ctx)
{
    return ctx->dialect && strcmp(ctx->dialect, "postgresql") == 0;
}

#define JOIN_SAMPLE 200 /* eligible images that join_pays looks at */

/* join_pays: on PostgreSQL, whether the blocked images are better found by blocked_ids_sql's
 * join than by the four anti-joins per eligible image: when few eligible images are blocked
 * (as after `db purge`), which a sample of JOIN_SAMPLE of them tells with a few hundred index
 * probes. When most are (the children not purged yet), a hash anti-join against one child
 * table drops them before any probe, and the join would read every child row: at 1M images
 * 0.55 s against 3.1 s; when few are, 1.3 s against 3.1 s (18 s just after `db purge`, whose
 * deleted rows the probes meet). Also false on another backend, or when the sample fails. */
static bool join_pays(struct emc_ctx *ctx, const char *cutoff)
{
    if (!is_pg(ctx))
        return false;
    char sql[900];
    int used = snprintf(sql, sizeof(sql), "SELECT CASE WHEN 2 * COUNT(*) FILTER (WHERE ");
    for (int i = 0; i < 4; i++)
        used += snprintf(sql + used, sizeof(sql) - (size_t)used,
                         "%sEXISTS (SELECT 1 FROM %s c WHERE c.image_id = s.id)", i ? " OR " : "",
                         purge_image_children[i]);
    snprintf(sql + used, sizeof(sql) - (size_t)used,
             ") < COUNT(*) THEN 1 ELSE 0 END FROM (SELECT i.id FROM images i WHERE i.deleted_at "
             "< ? LIMIT %d) s",
             JOIN_SAMPLE);
    struct db_param p = DBP_S(cutoff);
    struct emc_error e;
    int64_t few = 0;
    return db_query_int(ctx->conn, sql, &p, 1, &few, NULL, &e) == 0 && few == 1;
}

/* IMAGES_CHUNK: on SQLite, the images read a statement when each needs four index probes (the
 * rows that reference it): 50,000 took 0.43-0.45 s at 1M images, and a writer's commit waited
 * as long */
#define IMAGES_CHUNK 10000

/* count_blocked_chunked: on SQLite, the images deleted before cutoff that a row references,
 * IMAGES_CHUNK rowids a statement, each a short read of its own: one statement over the images
 * holds SQLite's read lock for all of them (about 3 s at 1M images), and no writer can commit
 * meanwhile (a writer waited 3.3 s) */
static int count_blocked_chunked(struct emc_ctx *ctx, const char *cutoff, int64_t *n,
                                 struct emc_error *err)
{
    int64_t max = 0;
    bool found = false;
    *n = 0;
    int rc = db_query_int(ctx->conn, "SELECT MAX(rowid) FROM images", NULL, 0, &max, &found, err);
    char refs[1400], sql[1800];
    purge_image_free_sql(refs, sizeof(refs), "i");
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM images i WHERE i.rowid > ? AND i.rowid <= ? AND i.deleted_at "
             "< ? AND NOT %s",
             refs);
    for (int64_t lo = 0; rc == 0 && found && lo < max; lo += IMAGES_CHUNK) {
        struct db_param p[] = {DBP_I(lo), DBP_I(lo + IMAGES_CHUNK), DBP_S(cutoff)};
        int64_t c = 0;
        rc = db_query_int(ctx->conn, sql, p, 3, &c, NULL, err);
        *n += c;
    }
    return rc;
}

int purge_count_blocked(struct emc_ctx *ctx, const char *cutoff, const char *keep_cutoff,
                        int64_t *n, struct emc_error *err)
{
    if (keep_cutoff || join_pays(ctx, cutoff))
        return count_blocked_join(ctx, cutoff, keep_cutoff, n, err);
    if (ctx->dialect && strcmp(ctx->dialect, "sqlite") == 0)
        return count_blocked_chunked(ctx, cutoff, n, err);
    /* the eligible images less those no row references (four anti-joins), much cheaper than
     * an OR of four EXISTS */
    char refs[1400], sql[1800];
    purge_image_free_sql(refs, sizeof(refs), "i");
    snprintf(sql, sizeof(sql),
             "SELECT (SELECT COUNT(*) FROM images i WHERE i.deleted_at < ?) - (SELECT COUNT(*) "
             "FROM images i WHERE i.deleted_at < ? AND %s)",
             refs);
    struct db_param p[] = {DBP_S(cutoff), DBP_S(cutoff)};
    return db_query_int(ctx->conn, sql, p, 2, n, NULL, err);
}

static void limit_clause(const struct purge_opts *o, char *buf, size_t n)
{
    if (o->max_rows < 0)
        buf[0] = '\0';
    else
        snprintf(buf, n, " LIMIT %lld", (long long)o->max_rows);
}

static void log_fk(struct emc_ctx *ctx, const char *table, const struct emc_error *err)
{
    if (purge_is_fk_error(err))
        emc_log(ctx, EMC_LOG_ERROR, "DBError detected when purging from %s: %s", table, err->msg);
}

/* run_txn: sql with its parameters in a transaction of its own; *txn_s = time it held it */
static int run_txn(struct emc_ctx *ctx, const char *sql, const struct db_param *p, int np,
                   int64_t *affected, double *txn_s, struct emc_error *err)
{
    int rc = db_begin(ctx->conn, err);
    double t0 = runner_now(); /* the lock is held from here (SQLite's BEGIN may have waited) */
    if (rc == 0)
        rc = db_query(ctx->conn, sql, p, np, NULL, NULL, affected, err);
    rc = db_end(ctx->conn, rc, err);
    *txn_s = runner_now() - t0;
    return rc;
}

/* --- the reference's mode: one DELETE per table --------------------------------------------- */

static int build_single_delete(const struct purge_tab *pt, const struct purge_opts *o,
                               struct strbuf *b)
{
    char lim[40], refs[1024];
    limit_clause(o, lim, sizeof(lim));
    bool all = o->max_rows < 0;
    switch (pt->kind) {
    case PURGE_TAB_TASK_INFO:
        if (all)
            strbuf_printf(b, "DELETE FROM task_info WHERE task_id IN (SELECT id FROM tasks WHERE "
                             "deleted_at < ?)");
        else
            strbuf_printf(b,
                          "DELETE FROM task_info WHERE task_id IN (SELECT T1.task_id FROM (SELECT "
                          "ti.task_id FROM task_info ti JOIN tasks t ON t.id = ti.task_id WHERE "
                          "t.deleted_at < ? ORDER BY t.deleted_at, t.id%s) AS T1)",
                          lim);
        break;
    case PURGE_TAB_PLAIN:
        if (all)
            strbuf_printf(b, "DELETE FROM %s WHERE deleted_at < ?", pt->name);
        else
            strbuf_printf(b,
                          "DELETE FROM %s WHERE %s IN (SELECT T1.%s FROM (SELECT %s FROM %s WHERE "
                          "deleted_at < ? ORDER BY deleted_at, %s%s) AS T1)",
                          pt->name, pt->key, pt->key, pt->key, pt->name, pt->key, lim);
        break;
    case PURGE_TAB_IMAGES:
        if (all) {
            purge_image_free_sql(refs, sizeof(refs), "images");
            strbuf_printf(b, "DELETE FROM images WHERE deleted_at < ? AND %s", refs);
        } else {
            purge_image_free_sql(refs, sizeof(refs), "i");
            strbuf_printf(
                b,
                "DELETE FROM images WHERE id IN (SELECT T1.id FROM (SELECT i.id FROM images "
                "i WHERE i.deleted_at < ? AND %s ORDER BY i.deleted_at, i.id%s) AS T1)",
                refs, lim);
        }
        break;
    }
    return b->oom ? -1 : 0;
}

static int exec_single(struct emc_ctx *ctx, const struct purge_tab *pt, const struct purge_opts *o,
                       const char *cutoff, struct purge_table_result *tr, struct emc_error *err)
{
    struct strbuf b = {0};
    if (build_single_delete(pt, o, &b) < 0) {
        strbuf_free(&b);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    struct db_param p = DBP_S(cutoff);
    int64_t affected = 0;
    double txn = 0;
    int rc = run_txn(ctx, b.s, &p, 1, &affected, &txn, err);
    strbuf_free(&b);
    tr->longest_txn_s = txn;
    if (rc < 0)
        return rc;
    tr->batches = 1;
    tr->deleted = affected;
    return 0;
}

/* --- batched mode: the keys first (one scan), then DELETE by key ---------------------------- */

struct keylist {
    struct strbuf arena; /* the keys, each with its NUL */
    size_t *off;         /* key i at arena.s + off[i] */
    size_t n, ncap;
    const char **key; /* after keylist_order: the keys in the order they are deleted */
    bool oom;
};

static int key_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct keylist *k = ud;
    if (ncols < 1 || !vals[0])
        return 0;
    if (k->n == k->ncap) {
        size_t ncap = k->ncap ? k->ncap * 2 : 4096;
        size_t *no = realloc(k->off, ncap * sizeof(size_t));
        if (!no) {
            k->oom = true;
            return 1;
        }
        k->off = no;
        k->ncap = ncap;
    }
    k->off[k->n] = k->arena.len;
    if (!strbuf_append(&k->arena, vals[0], strlen(vals[0]) + 1)) {
        k->oom = true;
        return 1;
    }
    k->n++;
    return 0;
}

static int cmp_int_key(const void *a, const void *b)
{
    long long x = strtoll(*(const char *const *)a, NULL, 10);
    long long y = strtoll(*(const char *const *)b, NULL, 10);
    return (x > y) - (x < y);
}

static int cmp_text_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* keylist_order: the chosen rows (the oldest first, as the reference chooses them) are deleted
 * in the order cmp gives (primary-key order, or (image_id, id) for chunked reads: cmp_pair), or
 * as fetched (cmp NULL), so that consecutive batches touch neighbouring pages instead of pages
 * all over the table */
static int keylist_order(struct keylist *k, int (*cmp)(const void *, const void *))
{
    k->key = malloc((k->n ? k->n : 1) * sizeof(*k->key));
    if (!k->key)
        return -1;
    for (size_t i = 0; i < k->n; i++)
        k->key[i] = k->arena.s + k->off[i];
    if (cmp)
        qsort(k->key, k->n, sizeof(*k->key), cmp);
    return 0;
}

static void keylist_free(struct keylist *k)
{
    free(k->key);
    strbuf_free(&k->arena);
    free(k->off);
    memset(k, 0, sizeof(*k));
}

/* sqlite_order: the column (of the inner query below) whose order the batches follow, or NULL
 * for primary-key order. SQLite journals and rewrites every page a transaction changes, indexes
 * included, so a batch costs the pages it touches, and the order to follow is the one most of
 * the table's pages follow:
 * - the image child tables go in image_id order, which keeps the pages of the two image_id
 *   indexes (and the rows of one image, written together) in few batches (a quarter faster than
 *   key order at 100k images);
 * - the tables keyed by a UUID (images, tasks, task_info) go in rowid order: key order scatters
 *   every batch over the table and over the indexes that follow insertion order (deleted,
 *   created_at, updated_at): purge_images_table at 100k images took 3.3 to 3.8 s instead of
 *   4.4 to 5.4 s.
 * PostgreSQL and MariaDB do best with primary-key ranges. */
static const char *sqlite_order(const struct emc_ctx *ctx, const struct purge_tab *pt)
{
    if (!ctx->dialect || strcmp(ctx->dialect, "sqlite") != 0)
        return NULL;
    if (pt->kind == PURGE_TAB_PLAIN && strcmp(pt->name, "tasks") != 0)
        return "x.image_id";
    if (!pt->int_key)
        return "x.rowid";
    return NULL;
}

/* pair_cb: a row (key, order value) stored as "key\0ord\0": the key is where key_cb puts it,
 * its order value right after it, for cmp_pair */
static int pair_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    struct keylist *k = ud;
    if (ncols < 2 || !vals[0] || !vals[1])
        return 0;
    int rc = key_cb(ud, 1, vals, names);
    if (rc == 0 && !strbuf_append(&k->arena, vals[1], strlen(vals[1]) + 1)) {
        k->oom = true;
        rc = 1;
    }
    return rc;
}

/* (order value, key) of two pair_cb records, the keys (the child tables' integer ids) compared
 * as numbers */
static int cmp_pair(const void *a, const void *b)
{
    const char *kx = *(const char *const *)a, *ky = *(const char *const *)b;
    size_t nx = strlen(kx), ny = strlen(ky);
    int c = strcmp(kx + nx + 1, ky + ny + 1);
    if (c)
        return c;
    return nx != ny ? (nx > ny) - (nx < ny) : strcmp(kx, ky);
}

/* fetch_keys_chunked: on SQLite, every row wanted (max_rows -1): the keys of the rows with
 * deleted_at < cutoff, read a chunk of rowids a statement. One statement over the whole table
 * holds SQLite's read lock for all of it, and no writer can commit meanwhile: at 1M images,
 * image_properties' took 1.5 to 4.6 s, and a service's write waited up to 3.5 s. The chunks
 * come in rowid order; with another order (x.image_id) each key is read with its order
 * value (pair_cb), and *pairs says that they must be sorted by cmp_pair. */
static int fetch_keys_chunked(struct emc_ctx *ctx, const struct purge_tab *pt,
                              const struct purge_opts *o, const char *cutoff, const char *order,
                              struct keylist *k, bool *pairs, struct emc_error *err)
{
    char refs[1024], sql[1600];
    snprintf(sql, sizeof(sql), "SELECT MAX(rowid) FROM %s", pt->name);
    int64_t max = 0;
    bool found = false;
    int rc = db_query_int(ctx->conn, sql, NULL, 0, &max, &found, err);
    *pairs = strcmp(order, "x.rowid") != 0;
    char ord[64] = "";
    if (*pairs)
        snprintf(ord, sizeof(ord), ", %s", order);
    switch (pt->kind) {
    case PURGE_TAB_TASK_INFO:
        snprintf(sql, sizeof(sql),
                 "SELECT x.task_id FROM task_info x JOIN tasks t ON t.id = x.task_id WHERE "
                 "x.rowid > ? AND x.rowid <= ? AND t.deleted_at < ? ORDER BY x.rowid");
        break;
    case PURGE_TAB_PLAIN:
        snprintf(sql, sizeof(sql),
                 "SELECT x.%s%s FROM %s x WHERE x.rowid > ? AND x.rowid <= ? AND x.deleted_at < ? "
                 "ORDER BY x.rowid",
                 pt->key, ord, pt->name);
        break;
    case PURGE_TAB_IMAGES:
        snprintf(sql, sizeof(sql),
                 "SELECT x.id FROM images x WHERE x.rowid > ? AND x.rowid <= ? AND "
                 "x.deleted_at < ? AND %s ORDER BY x.rowid",
                 purge_image_free_sql(refs, sizeof(refs), "x"));
        break;
    }
    int64_t chunk = o->key_chunk > 0               ? o->key_chunk
                    : pt->kind == PURGE_TAB_IMAGES ? IMAGES_CHUNK
                                                   : PURGE_KEY_CHUNK;
    for (int64_t lo = 0; rc == 0 && found && lo < max && !k->oom; lo += chunk) {
        struct db_param p[] = {DBP_I(lo), DBP_I(lo + chunk), DBP_S(cutoff)};
        rc = db_query(ctx->conn, sql, p, 3, *pairs ? pair_cb : key_cb, k, NULL, err);
    }
    if (rc == 0 && k->oom)
        rc = emc_error_set(err, EMC_E_NOMEM, "out of memory reading the keys of %s", pt->name);
    return rc;
}

bool purge_blocked_in_batches(const struct emc_ctx *ctx, const struct purge_opts *o)
{
    return o->images_only && o->batch_size > 0 && o->max_rows < 0 && !o->dry_run && ctx->dialect &&
           strcmp(ctx->dialect, "mysql") == 0;
}

void purge_log_blocked(struct emc_ctx *ctx, int64_t n, const char *cutoff)
{
    if (n > 0)
        emc_log(ctx, EMC_LOG_WARNING,
                "Skipping %lld image(s) deleted before %s UTC that rows of image_properties, "
                "image_tags, image_locations or image_members still reference (run `db "
                "purge` first; live rows of deleted images keep them)",
                (long long)n, cutoff);
}

/* fetch_keys: the keys of the rows to delete: the reference's choice (the oldest max_rows rows
 * with deleted_at < cutoff, less the blocked images), in the order of the column order (NULL:
 * as chosen). With unchecked (the images, when purge_blocked_in_batches), every eligible image,
 * referenced or not: the batches' DELETEs find the referenced ones (exec_batched). */
static int fetch_keys(struct emc_ctx *ctx, const struct purge_tab *pt, const struct purge_opts *o,
                      const char *cutoff, const char *order, bool unchecked, struct keylist *k,
                      struct emc_error *err)
{
    char lim[40], refs[1024], inner[1600], sql[1800];
    int np = 1;
    limit_clause(o, lim, sizeof(lim));
    char ord[64] = "";
    if (order)
        snprintf(ord, sizeof(ord), ", %s AS ord", order);
    switch (pt->kind) {
    case PURGE_TAB_TASK_INFO:
        snprintf(inner, sizeof(inner),
                 "SELECT x.task_id AS k%s FROM task_info x JOIN tasks t ON t.id = x.task_id WHERE "
                 "t.deleted_at < ? ORDER BY t.deleted_at, t.id%s",
                 ord, lim);
        break;
    case PURGE_TAB_PLAIN:
        snprintf(inner, sizeof(inner),
                 "SELECT x.%s AS k%s FROM %s x WHERE x.deleted_at < ? ORDER BY x.deleted_at, "
                 "x.%s%s",
                 pt->key, ord, pt->name, pt->key, lim);
        break;
    case PURGE_TAB_IMAGES:
        if (!unchecked && join_pays(ctx, cutoff)) { /* less the blocked ones, found by one join */
            struct strbuf b = {0};
            blocked_ids_sql(&b, false);
            snprintf(inner, sizeof(inner),
                     "SELECT x.id AS k%s FROM images x WHERE x.deleted_at < ? AND NOT EXISTS "
                     "(SELECT 1 FROM (%s) b WHERE b.image_id = x.id) ORDER BY x.deleted_at, "
                     "x.id%s",
                     ord, b.oom ? "" : b.s, lim);
            strbuf_free(&b);
            np = 2;
            break;
        }
        if (!unchecked)
            purge_image_free_sql(refs, sizeof(refs), "x");
        snprintf(inner, sizeof(inner),
                 "SELECT x.id AS k%s FROM images x WHERE x.deleted_at < ?%s%s ORDER BY "
                 "x.deleted_at, x.id%s",
                 ord, unchecked ? "" : " AND ", unchecked ? "" : refs, lim);
        break;
    }
    if (order)
        snprintf(sql, sizeof(sql), "SELECT T1.k FROM (%s) AS T1 ORDER BY T1.ord, T1.k", inner);
    else
        snprintf(sql, sizeof(sql), "%s", inner);
    struct db_param p[] = {DBP_S(cutoff), DBP_S(cutoff)};
    int rc = db_query(ctx->conn, sql, p, np, key_cb, k, NULL, err);
    if (rc == 0 && k->oom)
        rc = emc_error_set(err, EMC_E_NOMEM, "out of memory reading the keys of %s", pt->name);
    return rc;
}

static bool all_digits(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* one DELETE for keys [from, to) of k; params are the text keys then the cutoff. For images,
 * with fk_guard, only those no child row references (purge_image_free_sql); without, the
 * foreign keys refuse the statement if one does. */
static int delete_keys(struct emc_ctx *ctx, const struct purge_tab *pt, const struct keylist *k,
                       size_t from, size_t to, const char *cutoff, bool fk_guard, int64_t *affected,
                       struct emc_error *err)
{
    struct strbuf b = {0};
    struct db_param *p = calloc(to - from + 1, sizeof(*p));
    int np = 0;
    if (!p)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    strbuf_printf(&b, "DELETE FROM %s WHERE %s IN (", pt->name, pt->key);
    for (size_t i = from; i < to; i++) {
        const char *key = k->key[i];
        if (pt->int_key && all_digits(key)) {
            strbuf_printf(&b, "%s%s", i > from ? ", " : "", key);
        } else {
            strbuf_printf(&b, "%s?", i > from ? ", " : "");
            p[np++] = DBP_S(key);
        }
    }
    char refs[1024];
    switch (pt->kind) {
    case PURGE_TAB_TASK_INFO:
        strbuf_printf(&b, ") AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_info.task_id AND "
                          "t.deleted_at < ?)");
        break;
    case PURGE_TAB_PLAIN:
        strbuf_printf(&b, ") AND deleted_at < ?");
        break;
    case PURGE_TAB_IMAGES:
        if (fk_guard)
            strbuf_printf(&b, ") AND deleted_at < ? AND %s",
                          purge_image_free_sql(refs, sizeof(refs), "images"));
        else
            strbuf_printf(&b, ") AND deleted_at < ?");
        break;
    }
    p[np++] = DBP_S(cutoff);
    int rc = b.oom ? emc_error_set(err, EMC_E_NOMEM, "out of memory")
                   : db_query(ctx->conn, b.s, p, np, NULL, NULL, affected, err);
    strbuf_free(&b);
    free(p);
    return rc;
}

/* delete_range: one DELETE for the integer keys from..to, when the chosen rows are every row
 * with deleted_at < cutoff: then the eligible rows of the key range are exactly the batch, and a
 * range scan of the primary key is much cheaper than one lookup per key */
static int delete_range(struct emc_ctx *ctx, const struct purge_tab *pt, const char *lo,
                        const char *hi, const char *cutoff, int64_t *affected,
                        struct emc_error *err)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s >= %s AND %s <= %s AND deleted_at < ?",
             pt->name, pt->key, lo, pt->key, hi);
    struct db_param p = DBP_S(cutoff);
    return db_query(ctx->conn, sql, &p, 1, NULL, NULL, affected, err);
}

/* pace: the statements of a batch. With a target transaction time, a statement holds
 * stmt_keys keys (at most max_keys: KEYS_PER_STMT for a key list, PURGE_BATCH_MAX for a key
 * range), sized so that it takes about a sixth of the time a batch may hold its transaction:
 * then a batch can end early within a statement's time of that limit. s_per_key is the last
 * statement's time per key (0: none yet). */
struct pace {
    size_t stmt_keys, max_keys;
    double s_per_key;
    bool fk_guard; /* images: each DELETE checks that no child row references them (delete_keys) */
};

#define PACE_MIN_KEYS PURGE_BATCH_MIN /* a transaction holds at least as many rows */
#define PACE_SHARE 6.0 /* a statement: at most a sixth of the time a batch may hold */

/* pace_learn: after a statement of n keys (at least PACE_MIN_KEYS) that took d s, the next
 * statement's size: toward max_hold_s / PACE_SHARE, at most doubling at a time, within
 * PACE_MIN_KEYS..max_keys */
static void pace_learn(struct pace *p, size_t n, double d, double max_hold_s)
{
    if (n < PACE_MIN_KEYS || d <= 0) /* a short tail says more about a statement's overhead */
        return;
    p->s_per_key = d / (double)n;
    double want = max_hold_s / PACE_SHARE / p->s_per_key;
    want = want > 2.0 * (double)p->stmt_keys ? 2.0 * (double)p->stmt_keys : want;
    p->stmt_keys = (size_t)clampd(want, PACE_MIN_KEYS, (double)p->max_keys);
}

/* progress: a journal row to bring up to date in a batch's own transaction (id 0: none this
 * time): the batches and rows done before the batch, to which the batch's own are added */
struct progress {
    int64_t id, batches, rows;
};

/* CAP_SHARE: on PostgreSQL, a paced batch's statements run under a statement timeout (see
 * delete_batch) that ends when the transaction has lasted CAP_SHARE times max_hold_s (0.45 s
 * for the default 0.2 s batches); CAP_MIN_MS: the least a statement is given, so that a tiny
 * --txn-seconds does not cancel ordinary statements (with the default, a statement starts
 * before 0.3 s and is given at least 0.15 s: a transaction stays under 0.5 s) */
#define CAP_SHARE 1.5
#define CAP_MIN_MS 200

/* one batch: keys [from, to) in one transaction: with by_range in one statement (a key range),
 * else in key lists of KEYS_PER_STMT keys. With max_hold_s > 0 the statements follow p, and
 * the batch ends early, committing what it has deleted, when the next statement at the pace of
 * the last would take its transaction past max_hold_s: a batch sized from its predecessors'
 * rate can still meet a slow moment of the server (at 1M images on MariaDB a batch sized for
 * 0.2 s took 0.58 s when it was one statement). A client cannot cut a statement short, but the
 * server can: with *capped (PostgreSQL), each statement of a paced batch runs under
 * a statement timeout that ends CAP_SHARE * max_hold_s after the transaction began, and after
 * a SAVEPOINT unless it is the first. A statement cancelled so (a slow moment, a row another
 * session holds) is rolled back to its savepoint, the batch commits what came before it and
 * ends there (*end), and the statements shrink by half; a first statement cancelled fails the
 * batch with EMC_E_STMT_TIMEOUT, rolled back, for the caller to retry. With jp->id, the
 * journal row's progress is written before the commit: it then counts exactly what is
 * committed, at no commit of its own. *end = the key after the last one done. */
static int delete_batch(struct emc_ctx *ctx, const struct purge_tab *pt, const struct keylist *k,
                        size_t from, size_t to, bool by_range, const char *cutoff,
                        double max_hold_s, bool *capped, struct pace *p, const struct progress *jp,
                        size_t *end, int64_t *deleted, double *txn_s, struct emc_error *err)
{
    *deleted = 0;
    *end = to;
    bool cap = *capped && max_hold_s > 0, cap_set = false;
    int rc = db_begin(ctx->conn, err);
    double t0 = runner_now(); /* the lock is held from here (SQLite's BEGIN may have waited) */
    for (size_t s = from; rc == 0 && s < to;) {
        size_t n = max_hold_s > 0 ? p->stmt_keys : by_range ? to - from : KEYS_PER_STMT;
        size_t e = s + n < to ? s + n : to;
        int64_t a = 0;
        if (cap) {
            int ms = (int)((CAP_SHARE * max_hold_s - (runner_now() - t0)) * 1000.0);
            runner_stmt_cap(ctx, ms < CAP_MIN_MS ? CAP_MIN_MS : ms, capped);
            cap = cap_set = *capped;
            if (cap && s > from && (rc = db_exec(ctx->conn, "SAVEPOINT emc_stmt", err)) < 0)
                break;
        }
        double ts = runner_now();
        rc = by_range ? delete_range(ctx, pt, k->key[s], k->key[e - 1], cutoff, &a, err)
                      : delete_keys(ctx, pt, k, s, e, cutoff, p->fk_guard, &a, err);
        if (cap && rc == -EMC_E_STMT_TIMEOUT) /* cancelled: smaller statements from now */
            p->stmt_keys = p->stmt_keys / 2 < PACE_MIN_KEYS ? PACE_MIN_KEYS : p->stmt_keys / 2;
        if (cap && rc == -EMC_E_STMT_TIMEOUT && s > from) {
            emc_error_clear(err);
            rc = db_exec(ctx->conn, "ROLLBACK TO SAVEPOINT emc_stmt", err);
            *end = s;
            emc_log(ctx, EMC_LOG_WARNING,
                    "%s: a statement ran past the statement cap and was cancelled; its batch "
                    "keeps the %zu row(s) before it, and statements are now %zu row(s)",
                    pt->name, s - from, p->stmt_keys);
            break;
        }
        *deleted += a;
        size_t done = e - s;
        s = e;
        if (rc < 0 || max_hold_s <= 0)
            continue;
        double now = runner_now();
        pace_learn(p, done, now - ts, max_hold_s);
        if (e >= to)
            continue;
        size_t next = p->stmt_keys < to - e ? p->stmt_keys : to - e;
        if (now - t0 + p->s_per_key * (double)next >= max_hold_s) {
            *end = e;
            break;
        }
    }
    /* the journal's update and the commit run without the cap; after a failure, PostgreSQL
     * takes no SET until the transaction is rolled back */
    bool lift_after = cap_set && rc < 0;
    if (cap_set && rc == 0)
        runner_stmt_cap(ctx, 0, capped);
    if (rc == 0 && jp->id)
        rc = journal_step_update(ctx, jp->id, jp->batches + 1, jp->rows + *deleted, err);
    double tc = runner_now();
    if ((rc = db_end(ctx->conn, rc, err)) < 0)
        *deleted = 0;
    *txn_s = runner_now() - t0;
    if (max_hold_s > 0 && *txn_s > max_hold_s) /* where a long transaction spent its time */
        emc_log(ctx, EMC_LOG_DEBUG,
                "%s: a batch of %zu row(s) held its transaction %.3f s (statements %.3f s, "
                "commit %.3f s)",
                pt->name, *end - from, *txn_s, tc - t0, *txn_s - (tc - t0));
    if (lift_after)
        runner_stmt_cap(ctx, 0, capped);
    return rc;
}

/* sleep s seconds in short slices; false when a stop was asked meanwhile */
static bool pause_between(const struct emc_ctx *ctx, double s)
{
    double end = runner_now() + s;
    while (!runner_stop_asked(ctx)) {
        double left = end - runner_now();
        if (left <= 0)
            return true;
        double slice = left < 0.05 ? left : 0.05;
        struct timespec ts = {(time_t)slice, (long)((slice - (double)(time_t)slice) * 1e9)};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* SQLite's pause between batches (o->yield_writers). A service waiting for SQLite's lock does
 * not queue: its busy handler polls, up to 100 ms apart once it has waited a few hundred ms, so
 * a fixed pause shorter than that can be missed several times in a row (at 1M images, with
 * 0.05 s pauses after 0.2 s batches, a writer waited up to 3.5-4.2 s, near the 5 s after which
 * Python's sqlite3 gives up). The pause instead reads PRAGMA data_version, which moves when
 * another connection commits, every YIELD_POLL_MS:
 * - once another connection has committed in it, it ends at the first poll that sees no
 *   further commit: the service that was waiting is through (waiting for more costs the purge
 *   half its speed against a service that writes every 10 ms, and that service nothing);
 * - until then, it lasts YIELD_QUIET_POLLS polls (a plain 0.05 s pause) when nobody committed
 *   in the last pause either, and YIELD_BUSY_POLLS (longer than the busy handler's longest
 *   poll interval) when somebody did: a service is likely waiting, and gets in on its next
 *   poll;
 * - every YIELD_FULL_EVERY-th pause while others write runs YIELD_BUSY_POLLS whatever it sees,
 *   so that a second waiting service, which the first one's commit would otherwise cut out,
 *   gets its turn within that many batches;
 * - never more than YIELD_BUSY_POLLS in all, so that services committing back to back do not
 *   hold the purge up.
 * A data_version read takes SQLite's shared lock for a moment: a poll every 5 ms delays a
 * writer's commit rarely, and by a millisecond. */
#define YIELD_POLL_MS 5
#define YIELD_QUIET_POLLS 10
#define YIELD_BUSY_POLLS 24
#define YIELD_FULL_EVERY 8

struct yield {
    bool busy;    /* another connection committed in the last pause */
    int busy_run; /* pauses in a row since the first of them that followed a busy one */
};

/* yield_poll_done: whether the pause ends after poll number polls (1-based), given whether
 * another connection committed in it (seen), whether the last poll saw one (fresh), and the
 * pause's state */
static bool yield_poll_done(int polls, bool seen, bool fresh, const struct yield *y)
{
    if (polls >= YIELD_BUSY_POLLS)
        return true;
    if (y->busy && y->busy_run % YIELD_FULL_EVERY == YIELD_FULL_EVERY - 1)
        return false; /* the full pause */
    if (seen)
        return !fresh;
    return polls >= (y->busy ? YIELD_BUSY_POLLS : YIELD_QUIET_POLLS);
}

/* sqlite_yield: the pause above; *y carries its state from pause to pause (zeroed at first).
 * False when a stop was asked meanwhile. */
static bool sqlite_yield(struct emc_ctx *ctx, struct yield *y)
{
    int64_t v = runner_data_version(ctx);
    bool seen = false;
    for (int polls = 1;; polls++) {
        runner_sleep_ms(YIELD_POLL_MS);
        if (runner_stop_asked(ctx))
            return false;
        int64_t now = runner_data_version(ctx);
        bool fresh = now != v;
        seen |= fresh;
        v = now;
        if (yield_poll_done(polls, seen, fresh, y))
            break;
    }
    y->busy_run = y->busy ? y->busy_run + 1 : 0;
    y->busy = seen;
    return true;
}

/* next_batch: with a target transaction time, the size the last batch's rate suggests, growing
 * by half at most and shrinking by half at most at a time (a slow disk moment should not make
 * the next batch overshoot), within PURGE_BATCH_MIN..PURGE_BATCH_MAX */
static size_t next_batch(size_t bs, size_t rows, double txn_s, double target_s)
{
    if (target_s <= 0 || txn_s <= 0 || rows == 0)
        return bs;
    double want = clampd((double)rows / txn_s * target_s, (double)bs / 2, (double)bs * 1.5);
    return (size_t)clampd(want, PURGE_BATCH_MIN, PURGE_BATCH_MAX);
}

/* retry_batch: whether a batch that failed with rc, rolled back, is to run again after
 * `retries` earlier retries: when it waited too long for a row lock, was a deadlock victim or
 * was cancelled by the statement cap, within ctx->lock_retries; then logs why and sleeps the
 * backoff. When the retries are spent, a cancelled batch's error says what it means. */
static bool retry_batch(struct emc_ctx *ctx, const struct purge_tab *pt, int rc, int retries,
                        struct emc_error *err)
{
    bool cancelled = rc == -EMC_E_STMT_TIMEOUT;
    if (rc != -EMC_E_LOCK_TIMEOUT && rc != -EMC_E_DEADLOCK && !cancelled)
        return false;
    if (retries >= ctx->lock_retries || runner_stop_asked(ctx)) {
        if (!runner_stop_asked(ctx)) {
            char was[sizeof(err->msg)], why[96];
            snprintf(was, sizeof(was), "%s", err->msg);
            if (cancelled)
                snprintf(why, sizeof(why), "was cancelled %d time(s) at the statement cap",
                         retries + 1);
            else if (rc == -EMC_E_DEADLOCK)
                snprintf(why, sizeof(why), "was chosen as a deadlock victim %d time(s)",
                         retries + 1);
            else
                snprintf(why, sizeof(why), "waited more than --lock-timeout (%.0f s) %d time(s)",
                         ctx->lock_timeout_ms / 1000.0, retries + 1);
            emc_error_set(err, -rc,
                          "a batch of %s %s (%s): another session holds locks on these rows%s; "
                          "nothing of that batch was kept, and running the command again "
                          "continues",
                          pt->name, why, was, cancelled ? ", or the server is overloaded" : "");
        }
        return false;
    }
    int wait = runner_backoff_ms(retries);
    emc_log(ctx, EMC_LOG_WARNING,
            "%s: a batch %s (rolled back); retrying in %.2f s (retry %d of %d)", pt->name,
            cancelled               ? "ran past the statement cap and was cancelled"
            : rc == -EMC_E_DEADLOCK ? "was chosen as a deadlock victim"
                                    : "waited too long for a row lock",
            wait / 1000.0, retries + 1, ctx->lock_retries);
    emc_error_clear(err);
    runner_sleep_ms(wait);
    return true;
}

static int exec_batched(struct emc_ctx *ctx, const struct purge_tab *pt, const struct purge_opts *o,
                        const char *cutoff, int64_t jid, struct purge_table_result *tr,
                        struct emc_error *err)
{
    struct keylist k = {0};
    const char *order = sqlite_order(ctx, pt);
    bool chunked = order && o->max_rows < 0, pairs = false;
    bool unchecked = pt->kind == PURGE_TAB_IMAGES && purge_blocked_in_batches(ctx, o);
    int rc = chunked ? fetch_keys_chunked(ctx, pt, o, cutoff, order, &k, &pairs, err)
                     : fetch_keys(ctx, pt, o, cutoff, order, unchecked, &k, err);
    int (*cmp)(const void *, const void *) = pairs         ? cmp_pair
                                             : order       ? NULL
                                             : pt->int_key ? cmp_int_key
                                                           : cmp_text_key;
    if (rc == 0 && keylist_order(&k, cmp) < 0)
        rc = emc_error_set(err, EMC_E_NOMEM, "out of memory sorting the keys of %s", pt->name);
    if (rc < 0) {
        keylist_free(&k);
        return rc;
    }
    /* key ranges when the keys are integers and the chosen rows are all the eligible ones */
    bool by_range = !order && pt->int_key && (o->max_rows < 0 || (int64_t)k.n < o->max_rows);
    for (size_t i = 0; by_range && i < k.n; i++)
        by_range = all_digits(k.key[i]);
    double t0 = runner_now(), last_journal = t0 - 1.0; /* the first batch records too */
    size_t bs = (size_t)o->batch_size;
    struct emc_progress pr = {.what = pt->name, .total = (int64_t)k.n, .eta_s = -1};
    size_t max_keys = by_range ? PURGE_BATCH_MAX : KEYS_PER_STMT;
    /* On the servers the images go without the check that no child row references them: the
     * keys are of images nothing referenced when they were read, the foreign keys check each
     * deleted image again anyway, and the check made a batch slower (2,000 images after their
     * children: PostgreSQL 0.31-0.33 s against 0.16-0.17 s, MariaDB 0.25-0.46 s against
     * 0.17-0.32 s). A batch the foreign keys refuse (an image referenced since) runs again
     * with the check, as do all after it. SQLite keeps it: whether it checks foreign keys is
     * each connection's choice. */
    struct pace pace = {.stmt_keys = max_keys,
                        .max_keys = max_keys,
                        .fk_guard =
                            pt->kind != PURGE_TAB_IMAGES || strcmp(ctx->dialect, "sqlite") == 0};
    struct yield yield = {0}; /* o->yield_writers */
    /* the statement cap on PostgreSQL only, where a cancelled statement's work is undone at
     * once. On MariaDB at 1M images with a writer, three runs with it against two without
     * (same data, alternating) were slower (68-85 s against 56-78 s) and no shorter in their
     * longest transaction (0.64-1.96 s against 0.51-1.15 s: the server's own stalls, which a
     * cancellation waits out too); there a held row costs --lock-timeout instead */
    bool capped = strcmp(ctx->dialect, "postgresql") == 0;
    int retries = 0; /* of the batch at i */
    for (size_t i = 0, e = 0; i < k.n; i = e) {
        bool go_on = i == 0 || retries > 0 ? true
                     : o->yield_writers    ? sqlite_yield(ctx, &yield)
                     : o->sleep_s > 0      ? pause_between(ctx, o->sleep_s)
                                           : true;
        if (!go_on || runner_stop_asked(ctx)) {
            rc = emc_error_set(err, EMC_E_INTERRUPTED, "stopped in table %s after %lld row(s)",
                               pt->name, (long long)tr->deleted);
            break;
        }
        e = i + bs < k.n ? i + bs : k.n;
        int64_t del = 0;
        double txn = 0;
        bool journal_due = jid && runner_now() - last_journal >= 1.0;
        struct progress jp = {journal_due ? jid : 0, tr->batches, tr->deleted};
        rc = delete_batch(ctx, pt, &k, i, e, by_range, cutoff, 1.5 * o->target_txn_s, &capped,
                          &pace, &jp, &e, &del, &txn, err);
        if (txn > tr->longest_txn_s)
            tr->longest_txn_s = txn;
        /* a batch of images the foreign keys refused: with unchecked keys and no check yet,
         * the first referenced image among them (from then on every batch checks its images);
         * else an image referenced since its key was read, by a row committed while the batch
         * waited for the image's lock (so that the statement's own check could not see it), a
         * retry. Either way the batch runs again, with the check, in a new snapshot that sees
         * the row. */
        bool first_ref = unchecked && !pace.fk_guard;
        if (rc < 0 && pt->kind == PURGE_TAB_IMAGES && purge_is_fk_error(err) &&
            (first_ref || retries < ctx->lock_retries) && !runner_stop_asked(ctx)) {
            if (first_ref)
                emc_log(ctx, EMC_LOG_INFO,
                        "%s: a batch met an image that rows still reference (rolled back; %s); "
                        "from now on every batch checks its images",
                        pt->name, err->msg);
            else
                emc_log(ctx, EMC_LOG_WARNING,
                        "%s: an image of a batch became referenced while the batch ran (rolled "
                        "back; %s); retrying, leaving referenced images alone (retry %d of %d)",
                        pt->name, err->msg, ++retries, ctx->lock_retries);
            emc_error_clear(err);
            pace.fk_guard = true;
            e = i;
            continue;
        }
        if (rc < 0 && retry_batch(ctx, pt, rc, retries, err)) {
            retries++;
            e = i;
            continue;
        }
        if (rc < 0)
            break;
        retries = 0;
        tr->batches++;
        tr->deleted += del;
        if (e - i > (size_t)tr->max_batch)
            tr->max_batch = (int64_t)(e - i);
        bs = next_batch(bs, e - i, txn, o->target_txn_s);
        if (pt->kind == PURGE_TAB_IMAGES && del < (int64_t)(e - i))
            tr->blocked += (int64_t)(e - i) - del; /* referenced since the keys were read */
        double now = runner_now();
        pr.done = (int64_t)e;
        pr.batches = tr->batches;
        pr.longest_txn_s = tr->longest_txn_s;
        runner_progress_rates(&pr, t0);
        if (ctx->cb.on_progress)
            ctx->cb.on_progress(ctx->cb.ud, &pr);
        if (journal_due)
            last_journal = now;
    }
    keylist_free(&k);
    if (unchecked && rc == 0)
        purge_log_blocked(ctx, tr->blocked, cutoff);
    return rc;
}

int purge_exec_table(struct emc_ctx *ctx, const struct purge_tab *pt, const struct purge_opts *o,
                     const char *cutoff, int64_t jid, struct purge_table_result *tr,
                     struct emc_error *err)
{
    double t0 = runner_now();
    emc_log(ctx, EMC_LOG_INFO, "Purging deleted rows older than %ld day(s) from table %s",
            o->age_in_days, pt->name);
    int rc = o->batch_size > 0 ? exec_batched(ctx, pt, o, cutoff, jid, tr, err)
                               : exec_single(ctx, pt, o, cutoff, tr, err);
    tr->seconds = runner_now() - t0;
    if (rc < 0 && rc != -EMC_E_INTERRUPTED) {
        log_fk(ctx, pt->name, err);
        return rc;
    }
    emc_log(ctx, EMC_LOG_INFO, "Deleted %lld row(s) from table %s", (long long)tr->deleted,
            pt->name);
    return rc;
}
