/* purge_scan.c - see purge_scan.h */
#include "purge_scan.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "idset.h"
#include "purge_exec.h"

static const int bucket_days[PURGE_NBUCKETS - 1] = {30, 90, 180, 365};

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

/* cmp_col: x.deleted_at as the scans compare it with a timestamp parameter. On SQLite, as
 * +x.deleted_at: the column's NUMERIC affinity makes SQLite try to turn the text parameter
 * into a number at every comparison (sqlite3AtoF, 7% of a preview's time); the unary plus
 * drops the affinity, and both sides compare as the text they are stored as, with the same
 * result (the biggest table's scan: 0.89 s instead of 1.07 s at 1M images). */
static const char *cmp_col(const struct emc_ctx *ctx)
{
    return strcmp(ctx->dialect, "sqlite") == 0 ? "+x.deleted_at" : "x.deleted_at";
}

/* load_eligible: for `db purge`'s preview on SQLite or MariaDB (marks), fill bd->eligible with
 * the images deleted before the cutoff. The images row's blocked count is then the members
 * that a pass over the kept rows of each child table marks (mark_kept_refs), where the four
 * EXISTS per eligible image read every child row of each again through the image_id indexes.
 * At 1M images on SQLite the preview took 4.7 s instead of 8.0 to 9.2 s (on one connection).
 * purge_images_table's preview keeps its anti-join: with every child row blocking, marking
 * took 6.0 s against 3.8 s on SQLite, and on MariaDB the session table's join 14 s against
 * 9.3 s. */
static int load_eligible(struct emc_ctx *ctx, const struct bounds *bd, struct emc_error *err)
{
    struct db_param p = DBP_S(bd->cutoff);
    struct add_ids a = {bd->eligible, false};
    char sql[80];
    snprintf(sql, sizeof(sql), "SELECT x.id FROM images x WHERE %s < ?", cmp_col(ctx));
    int rc = db_query(ctx->conn, sql, &p, 1, add_id_cb, &a, NULL, err);
    if (rc == 0 && a.oom)
        rc = emc_error_set(err, EMC_E_NOMEM, "out of memory reading the eligible images");
    return rc;
}

/* --- MariaDB/MySQL: a session table of the eligible ids for the child tables to probe ------- */

#define ELIGIBLE_TMP "emc_purge_eligible"
#define ELIGIBLE_ROWS_PER_INSERT 1000
#define ELIGIBLE_HEAP_BYTES "268435456" /* a MEMORY table's ceiling for this session: 256 MB */

/* what a worker's MariaDB session holds for the marking passes */
struct session {
    enum { TMP_NONE, TMP_READY, TMP_FAILED } tmp;
    int64_t heap; /* max_heap_table_size before, to restore (0: untouched) */
};

/* fill_tmp: the eligible ids into the session table, ELIGIBLE_ROWS_PER_INSERT a statement */
static int fill_tmp(struct emc_ctx *ctx, const struct idset *ids, struct emc_error *err)
{
    int rc = 0;
    size_t total = idset_size(ids), n;
    struct db_param *p = calloc(ELIGIBLE_ROWS_PER_INSERT, sizeof(*p));
    char *sql = malloc(64 + 6 * ELIGIBLE_ROWS_PER_INSERT);
    if (!p || !sql)
        rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
    for (size_t s = 0; rc == 0 && s < total; s += ELIGIBLE_ROWS_PER_INSERT) {
        size_t e = s + ELIGIBLE_ROWS_PER_INSERT < total ? s + ELIGIBLE_ROWS_PER_INSERT : total;
        int len = snprintf(sql, 64, "INSERT INTO " ELIGIBLE_TMP " (id) VALUES ");
        for (size_t i = s; i < e; i++) {
            p[i - s] = DBP_S(idset_member(ids, i, &n));
            len += sprintf(sql + len, "%s(?)", i > s ? ", " : "");
        }
        rc = db_query(ctx->conn, sql, p, (int)(e - s), NULL, NULL, NULL, err);
    }
    free(p);
    free(sql);
    return rc;
}

/* make_tmp: the session's MEMORY table (hash primary key) of the eligible ids, as bytes: the
 * marking passes probe it with CAST(x.image_id AS BINARY), so that each of the millions of
 * probes hashes bytes instead of a utf8 string under its collation (image_properties' pass at
 * 1M images: 1.4 s instead of 2.2 s). Glance writes an image's id into its child rows as it
 * reads it from images, byte for byte; a child row that differs only in case or trailing spaces
 * (possible only by hand: the foreign key compares under the collation) is not counted as
 * blocking, and purge_images_table, which checks under the collation, would still skip its
 * image. The client fills the table, so that no statement reads images under a shared lock.
 * (A join across character sets, unconverted, ran for over 10 minutes at 1M images.) False (and
 * nothing left behind) without the CREATE TEMPORARY TABLES privilege or past the MEMORY
 * ceiling: the marking then probes images with EXISTS. */
static bool make_tmp(struct emc_ctx *ctx, struct session *ss, const struct idset *ids)
{
    if (ss->tmp != TMP_NONE)
        return ss->tmp == TMP_READY;
    struct emc_error e;
    int64_t heap = 0;
    int rc = db_query_int(ctx->conn, "SELECT @@max_heap_table_size", NULL, 0, &heap, NULL, &e);
    if (rc == 0 &&
        (rc = db_exec(ctx->conn, "SET SESSION max_heap_table_size = " ELIGIBLE_HEAP_BYTES, &e)) ==
            0)
        ss->heap = heap;
    bool made = false;
    if (rc == 0)
        made = (rc = db_exec(ctx->conn,
                             "CREATE TEMPORARY TABLE " ELIGIBLE_TMP " (id VARBINARY(144) NOT NULL, "
                             "PRIMARY KEY USING HASH (id)) ENGINE=MEMORY",
                             &e)) == 0;
    if (rc == 0)
        rc = fill_tmp(ctx, ids, &e);
    if (rc < 0 && made) {
        struct emc_error e2;
        db_exec(ctx->conn, "DROP TEMPORARY TABLE IF EXISTS " ELIGIBLE_TMP, &e2);
    }
    ss->tmp = rc == 0 ? TMP_READY : TMP_FAILED;
    return rc == 0;
}

static void drop_tmp(struct emc_ctx *ctx, struct session *ss)
{
    struct emc_error e;
    if (ss->tmp == TMP_READY)
        db_exec(ctx->conn, "DROP TEMPORARY TABLE IF EXISTS " ELIGIBLE_TMP, &e);
    if (ss->heap > 0) {
        char sql[80];
        snprintf(sql, sizeof(sql), "SET SESSION max_heap_table_size = %lld", (long long)ss->heap);
        db_exec(ctx->conn, sql, &e);
    }
    *ss = (struct session){0};
}

static int mark_row_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    if (ncols >= 1 && vals[0])
        idset_mark(ud, vals[0], strlen(vals[0]));
    return 0;
}

/* mark_kept_refs: mark the eligible images that rows of child table pt staying after the purge
 * reference, in a pass over the table's kept rows:
 * - SQLite: the probe function marks them as the pass meets them (folding the marking into the
 *   table's first scan made SQLite evaluate every aggregate on every row: 5.9 s for the preview
 *   at 1M images, against 4.7 s with two passes);
 * - MariaDB: the kept rows probe the session's table of eligible ids, and the images they
 *   reference come back to be marked (few: the blocked ones), at 1M images 11 s for the four
 *   tables against 30 s for four EXISTS per eligible image; without the table, that EXISTS. */
static int mark_kept_refs(struct emc_ctx *ctx, struct session *ss, const struct purge_tab *pt,
                          const struct bounds *bd, struct emc_error *err)
{
    char kept[112], sql[400];
    struct db_param p = DBP_S(bd->cutoff);
    if (db_has_probe(ctx->conn)) {
        snprintf(sql, sizeof(sql), "SELECT SUM(" PROBE_FN "(x.image_id)) FROM %s x WHERE %s",
                 pt->name, purge_kept_sql(kept, sizeof(kept), "x", true));
        int64_t refs = 0; /* the kept rows that reference eligible images: not needed */
        return db_query_int(ctx->conn, sql, &p, 1, &refs, NULL, err);
    }
    purge_kept_sql(kept, sizeof(kept), "x", false);
    if (make_tmp(ctx, ss, bd->eligible)) {
        snprintf(sql, sizeof(sql),
                 "SELECT DISTINCT x.image_id FROM %s x STRAIGHT_JOIN " ELIGIBLE_TMP
                 " e ON e.id = CAST(x.image_id AS BINARY) WHERE %s",
                 pt->name, kept);
        return db_query(ctx->conn, sql, &p, 1, mark_row_cb, bd->eligible, NULL, err);
    }
    snprintf(sql, sizeof(sql),
             "SELECT i.id FROM images i WHERE i.deleted_at < ? AND EXISTS (SELECT 1 FROM %s x "
             "WHERE x.image_id = i.id AND %s)",
             pt->name, kept);
    struct db_param pp[] = {DBP_S(bd->cutoff), DBP_S(bd->cutoff)};
    return db_query(ctx->conn, sql, pp, 2, mark_row_cb, bd->eligible, NULL, err);
}

static bool is_image_child(const struct purge_tab *pt)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(pt->name, purge_image_children[i]) == 0)
            return true;
    return false;
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
    /* counted with FILTER where the dialect has it (SQLite, PostgreSQL): SQLite skips the
     * aggregate's step for a row that fails it, 13% of the largest scan's time */
    const char *d = cmp_col(ctx);
    bool filter = strcmp(ctx->dialect, "mysql") != 0;
    char ge[80];
    snprintf(
        ge, sizeof(ge),
        filter ? "COUNT(*) FILTER (WHERE %s >= ?)" : "SUM(CASE WHEN %s >= ? THEN 1 ELSE 0 END)", d);
    char sql[1000];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*), COUNT(x.deleted_at), %s, %s, %s, %s, MIN(x.deleted_at), %s "
             "FROM %s WHERE x.deleted_at IS NOT NULL OR x.deleted",
             ge, ge, ge, ge, ge, from);
    return db_query(ctx->conn, sql, p, PURGE_NBUCKETS, scan_cb, tp, NULL, err);
}

static int64_t capped(int64_t n, int64_t max_rows)
{
    return max_rows >= 0 && n > max_rows ? max_rows : n;
}

/* marks: whether the blocked images are found by marking passes (SQLite's probe, MariaDB's
 * session table) rather than by one query (PostgreSQL's hash join, purge_count_blocked) */
static bool marks(struct emc_ctx *ctx)
{
    return db_has_probe(ctx->conn) || strcmp(ctx->dialect, "mysql") == 0;
}

/* --- the passes, spread over connections -------------------------------------------------- */

enum job_kind {
    JOB_LOAD,    /* load_eligible, which the JOB_MARKs wait for */
    JOB_SCAN,    /* scan_table */
    JOB_MARK,    /* mark_kept_refs (with bd->eligible) */
    JOB_BLOCKED, /* the images row's blocked count as a query of its own (without it) */
};

struct job {
    enum job_kind kind;
    const struct purge_tab *pt;
    struct purge_table_preview *tp;
};

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t loaded_cv;
    bool loaded; /* JOB_LOAD is done (or failed: then rc < 0) */
    struct job jobs[2 * PURGE_NTABS + 1];
    int njobs, next;
    const struct bounds *bd;
    int rc; /* the first failure, which stops the others taking more jobs */
    struct emc_error err;
};

struct worker {
    struct pool *pool;
    struct emc_ctx ctx; /* the caller's, on this worker's connection, without callbacks */
    bool own_conn;
    struct session session;
    pthread_t thread;
};

/* wait_loaded: false when the eligible set failed to load (or another job failed) */
static bool wait_loaded(struct pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (!p->loaded && p->rc == 0)
        pthread_cond_wait(&p->loaded_cv, &p->mu);
    bool ok = p->rc == 0;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

static void fail(struct pool *p, int rc, const struct emc_error *e)
{
    pthread_mutex_lock(&p->mu);
    if (p->rc == 0) {
        p->rc = rc;
        p->err = *e;
    }
    pthread_cond_broadcast(&p->loaded_cv);
    pthread_mutex_unlock(&p->mu);
}

static int run_job(struct worker *w, struct pool *p, const struct job *j, struct emc_error *err)
{
    struct emc_ctx *ctx = &w->ctx;
    const struct bounds *bd = p->bd;
    switch (j->kind) {
    case JOB_LOAD: {
        int rc = load_eligible(ctx, bd, err);
        if (rc == 0) {
            pthread_mutex_lock(&p->mu);
            p->loaded = true;
            pthread_cond_broadcast(&p->loaded_cv);
            pthread_mutex_unlock(&p->mu);
        }
        return rc;
    }
    case JOB_SCAN:
        return scan_table(ctx, j->pt, bd, j->tp, err);
    case JOB_MARK:
        if (!wait_loaded(p))
            return 0; /* the failure is already the pool's */
        return mark_kept_refs(ctx, &w->session, j->pt, bd, err);
    case JOB_BLOCKED:
        return purge_count_blocked(ctx, bd->cutoff, bd->images_only ? NULL : bd->cutoff,
                                   &j->tp->blocked, err);
    }
    return emc_error_set(err, EMC_E_OTHER, "unknown preview pass");
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct pool *p = w->pool;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        const struct job *j = p->rc == 0 && p->next < p->njobs ? &p->jobs[p->next++] : NULL;
        pthread_mutex_unlock(&p->mu);
        if (!j)
            return NULL;
        struct emc_error e;
        emc_error_clear(&e);
        int rc = run_job(w, p, j, &e);
        if (rc < 0)
            fail(p, rc, &e);
    }
}

static void add_job(struct pool *p, enum job_kind kind, const struct purge_tab *pt,
                    struct purge_table_preview *tp)
{
    p->jobs[p->njobs++] = (struct job){kind, pt, tp};
}

/* plan: the jobs for the n tables tab[i] (previews out[i]), the longest first so that the last
 * to finish are short: the blocked count (the longest query on MariaDB) or the load of the
 * eligible set (which the marking passes wait for: the other worker meanwhile scans), then the
 * tables in the order of their usual size in Glance (properties, tags, members, locations per
 * image; images; tasks), each table's marking pass right after its scan */
static void plan(struct pool *p, const struct bounds *bd, const struct purge_tab *const *tab,
                 struct purge_table_preview *out, int n)
{
    static const char *const by_size[] = {"image_properties", "image_tags", "image_members",
                                          "image_locations",  "images",     "tasks",
                                          "task_info"};
    for (int i = 0; i < n; i++)
        if (tab[i]->kind == PURGE_TAB_IMAGES)
            add_job(p, bd->eligible ? JOB_LOAD : JOB_BLOCKED, NULL, &out[i]);
    for (size_t k = 0; k < sizeof(by_size) / sizeof(by_size[0]); k++)
        for (int i = 0; i < n; i++) {
            if (strcmp(tab[i]->name, by_size[k]) != 0)
                continue;
            add_job(p, JOB_SCAN, tab[i], &out[i]);
            if (bd->eligible && is_image_child(tab[i]))
                add_job(p, JOB_MARK, tab[i], &out[i]);
        }
}

/* open_workers: w[0] on the caller's connection, then up to n - 1 on new connections to the
 * same database (not for an in-memory SQLite database, which another connection would not
 * see); with bd->eligible, each gets the probe. Returns how many are ready. */
static int open_workers(struct emc_ctx *ctx, struct pool *p, struct worker *w, int n)
{
    int k = 0;
    bool memory = ctx->url.backend == DB_SQLITE && !ctx->url.database;
    for (int i = 0; i < n && (i == 0 || !memory); i++) {
        struct db_conn *c = ctx->conn;
        struct emc_error e;
        if (i > 0 && db_connect(&c, &ctx->url, 5, &e) < 0) {
            emc_log(ctx, EMC_LOG_DEBUG, "the preview runs on %d connection(s): %s", k, e.msg);
            break;
        }
        if (p->bd->eligible && db_has_probe(c) &&
            db_set_probe(c, PROBE_FN, probe_mark, p->bd->eligible, &e) < 0) {
            if (i > 0)
                db_close(c);
            break;
        }
        w[k] = (struct worker){.pool = p, .ctx = *ctx, .own_conn = i > 0};
        w[k].ctx.conn = c;
        memset(&w[k].ctx.cb, 0, sizeof(w[k].ctx.cb)); /* the callbacks are the caller's thread's */
        k++;
    }
    return k;
}

static void close_workers(struct pool *p, struct worker *w, int n)
{
    for (int i = 0; i < n; i++) {
        struct emc_error e;
        if (p->bd->eligible && db_has_probe(w[i].ctx.conn))
            db_set_probe(w[i].ctx.conn, PROBE_FN, NULL, NULL, &e);
        drop_tmp(&w[i].ctx, &w[i].session);
        if (w[i].own_conn)
            db_close(w[i].ctx.conn);
    }
}

int purge_scan(struct emc_ctx *ctx, const struct purge_opts *o, time_t now, bool scope_only,
               int conns, struct purge_preview *out, struct emc_error *err)
{
    struct bounds bd = {.images_only = o->images_only};
    purge_cutoff(now, o->age_in_days, bd.cutoff, sizeof(bd.cutoff));
    for (int b = 0; b < PURGE_NBUCKETS - 1; b++)
        purge_cutoff(now, bucket_days[b], bd.edge[b], sizeof(bd.edge[b]));
    const struct purge_tab *tab[PURGE_NTABS]; /* the table of each row of out */
    for (int i = 0; i < PURGE_NTABS; i++) {
        const struct purge_tab *pt = &purge_tabs[i];
        if (scope_only && !purge_in_scope(pt, o->images_only))
            continue;
        tab[out->ntables] = pt;
        struct purge_table_preview *tp = &out->t[out->ntables++];
        snprintf(tp->table, sizeof(tp->table), "%s", pt->name);
        tp->in_scope = purge_in_scope(pt, o->images_only);
    }
    /* marking needs every child table's pass: a whole preview (not a dry run's scope) of db
     * purge */
    int rc = 0;
    if (!scope_only && !o->images_only && marks(ctx) && !(bd.eligible = idset_new()))
        rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
    struct pool p = {.bd = &bd};
    struct worker w[PURGE_SCAN_CONNS];
    int nw = 0;
    if (rc == 0) {
        pthread_mutex_init(&p.mu, NULL);
        pthread_cond_init(&p.loaded_cv, NULL);
        plan(&p, &bd, tab, out->t, out->ntables);
        nw = open_workers(ctx, &p, w,
                          conns < 1                  ? 1
                          : conns > PURGE_SCAN_CONNS ? PURGE_SCAN_CONNS
                                                     : conns);
        if (nw == 0) {
            rc = emc_error_set(err, EMC_E_OTHER, "cannot register the preview's probe");
            pthread_cond_destroy(&p.loaded_cv);
            pthread_mutex_destroy(&p.mu);
        }
    }
    if (rc == 0) {
        int started = 1;
        for (int i = 1; i < nw; i++)
            if (pthread_create(&w[i].thread, NULL, work, &w[i]) == 0)
                started = i + 1;
            else
                break;
        work(&w[0]);
        for (int i = 1; i < started; i++)
            pthread_join(w[i].thread, NULL);
        close_workers(&p, w, nw);
        pthread_cond_destroy(&p.loaded_cv);
        pthread_mutex_destroy(&p.mu);
        if (p.rc < 0) {
            rc = p.rc;
            *err = p.err;
        }
    }
    for (int i = 0; rc == 0 && i < out->ntables; i++) {
        struct purge_table_preview *tp = &out->t[i];
        if (bd.eligible && tab[i]->kind == PURGE_TAB_IMAGES)
            tp->blocked = (int64_t)idset_marked(bd.eligible);
        if (tp->in_scope)
            tp->would_delete = capped(tp->eligible - tp->blocked, o->max_rows);
    }
    idset_free(bd.eligible);
    return rc;
}
