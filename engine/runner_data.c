/* runner_data.c - one data-migration step of a plan: batches of at most ctx->batch_size rows,
 * each its own transaction (with the journal's progress row in it), progress through
 * cb.on_progress,
 * a stop between batches when cb.should_stop says so, and lock-timeout retries of a batch
 * (runner_int.h). */
#include <limits.h>
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

/* A window batch file (a line "-- emc:window TABLE.COLUMN") migrates the rows whose key lies in
 * a window of at most :batch keys, :lo <= key <= :hi, the windows walking the key in order: the
 * runner finds each window's first and last keys, passes them to the statements as parameters, and
 * runs every statement in each batch, until no key is left. The cost
 * of a batch does not grow as the migration goes on (a batch that looks for rows still to
 * migrate steps over the rows already done, or over their dead index entries). When a pass
 * ends with rows still to migrate (changed behind it meanwhile), another pass runs, three at
 * most. migrations/README.md. */
struct window {
    bool on;
    char table[64], column[64];
    char *after;   /* the last key of the previous window; NULL: from the start */
    char *lo, *hi; /* this window's first and last keys; NULL: no key left */
    /* PostgreSQL's ctid: windows of at most a batch of row versions in physical order,
     * :lo < ctid <= :hi (:lo being the last window's :hi, "(0,0)" at first), over the pages the
     * table had when the pass began (a row updated meanwhile moves to a page at the end, or to
     * free space, already migrated); each window is found by a TID range scan of at most span
     * pages (about four batches' worth), so that no query reads the rest of the table. npages
     * < 0: the pass has not read the table's size yet */
    bool pages;
    long npages, span;
    /* rows a window reads: the batch size; on a later pass with at most a batch of rows left
     * to change (servers) or while windows change under half a batch (SQLite,
     * sqlite_window_cap), up to fifty batches (a pass over a table migrated already then costs
     * a fiftieth of the transactions; window_batch keeps what a window changes to a batch) */
    int rows;
    /* the last batch's hold: from its BEGIN's return to its end. On SQLite the BEGIN may first
     * wait for a service's commit to finish; counted as the batch's time, that wait shrank the
     * next windows, and more so on a loaded machine, where the waits grow: with a test suite
     * running beside it, windows fell to about 60 rows and the first pass at 1M images took
     * 411 s instead of 32-37 s */
    double held_s;
};

static bool ident(const char *s, size_t n)
{
    if (n == 0 || n >= 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static const char window_mark[] = "-- emc:window ";

/* find_mark: the window marker at the start of a line of text, or NULL */
static const char *find_mark(const char *text)
{
    const char *p = strstr(text, window_mark);
    while (p && p != text && p[-1] != '\n')
        p = strstr(p + 1, window_mark);
    return p;
}

bool runner_batch_has_window(const char *batch)
{
    return find_mark(batch) != NULL;
}

/* parse_window: the marker line of a batch file, if any */
static int parse_window(const char *text, const char *id, struct window *w, struct emc_error *err)
{
    memset(w, 0, sizeof(*w));
    const char *p = find_mark(text);
    if (!p)
        return 0;
    p += sizeof(window_mark) - 1;
    size_t n = strcspn(p, " \t\r\n");
    const char *dot = memchr(p, '.', n);
    if (!dot || !ident(p, (size_t)(dot - p)) || !ident(dot + 1, n - (size_t)(dot - p) - 1))
        return emc_error_set(err, EMC_E_REVISION,
                             "data migration %s: bad window line (expected -- emc:window "
                             "TABLE.COLUMN)",
                             id);
    snprintf(w->table, sizeof(w->table), "%.*s", (int)(dot - p), p);
    snprintf(w->column, sizeof(w->column), "%.*s", (int)(n - (size_t)(dot - p) - 1), dot + 1);
    w->on = true;
    w->pages = strcmp(w->column, "ctid") == 0;
    w->npages = -1;
    return 0;
}

struct keys {
    char **lo, **hi;
};

static int keys_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct keys *k = ud;
    if (ncols > 1 && vals[0] && vals[1]) {
        *k->lo = strdup(vals[0]);
        *k->hi = strdup(vals[1]);
    }
    return 1;
}

struct table_pages {
    long npages, relpages;
    double reltuples;
};

static int pages_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct table_pages *t = ud;
    if (ncols > 2) {
        t->npages = vals[0] ? strtol(vals[0], NULL, 10) : 0;
        t->relpages = vals[1] ? strtol(vals[1], NULL, 10) : 0;
        t->reltuples = vals[2] ? strtod(vals[2], NULL) : 0;
    }
    return 1;
}

static int last_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    char **hi = ud;
    if (ncols > 0 && vals[0])
        *hi = strdup(vals[0]);
    return 1;
}

/* pages_next: the next window (PostgreSQL's ctid): at the start of a pass, the table's size
 * and the span of pages to search (four batches by the planner's statistics, about 32 rows a
 * page without them); then the last of the next n row versions after w->after, looking a span
 * of pages at a time */
static int pages_next(struct emc_ctx *ctx, struct window *w, int n, struct emc_error *err)
{
    char sql[512];
    if (w->npages < 0) {
        snprintf(sql, sizeof(sql),
                 "SELECT pg_relation_size('%s') / current_setting('block_size')::int, relpages, "
                 "reltuples FROM pg_class WHERE oid = '%s'::regclass",
                 w->table, w->table);
        struct table_pages t = {0};
        int rc = db_query(ctx->conn, sql, NULL, 0, pages_cb, &t, NULL, err);
        if (rc < 0)
            return rc;
        w->npages = t.npages;
        double per_page = t.relpages > 0 && t.reltuples > 0 ? t.reltuples / t.relpages : 32;
        w->span = (long)(4.0 * n / (per_page < 1 ? 1 : per_page)) + 8;
        free(w->after);
        w->after = strdup("(0,0)");
        if (!w->after)
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    for (;;) {
        long page = 0;
        if (sscanf(w->after, "(%ld,", &page) != 1)
            return emc_error_set(err, EMC_E_OTHER, "unexpected ctid %s", w->after);
        if (page >= w->npages)
            return 0;
        long end = page + w->span < w->npages ? page + w->span : w->npages;
        snprintf(sql, sizeof(sql),
                 "SELECT max(k)::text FROM (SELECT ctid AS k FROM %s WHERE ctid > CAST(? AS "
                 "tid) AND ctid < '(%ld,0)'::tid ORDER BY ctid LIMIT %d) w",
                 w->table, end, n);
        struct db_param p = DBP_S(w->after);
        int rc = db_query(ctx->conn, sql, &p, 1, last_cb, &w->hi, NULL, err);
        if (rc < 0)
            return rc;
        if (w->hi) {
            w->lo = strdup(w->after);
            return w->lo ? 0 : emc_error_set(err, EMC_E_NOMEM, "out of memory");
        }
        char next[48];
        snprintf(next, sizeof(next), "(%ld,0)", end);
        free(w->after);
        w->after = strdup(next);
        if (!w->after)
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
}

/* window_next: w->lo and w->hi = the first and last keys of the next window after w->after
 * (NULL: none left) */
static int window_next(struct emc_ctx *ctx, struct window *w, int n, struct emc_error *err)
{
    free(w->lo);
    free(w->hi);
    w->lo = w->hi = NULL;
    if (w->pages)
        return pages_next(ctx, w, n, err);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT MIN(k), MAX(k) FROM (SELECT %s AS k FROM %s%s%s%s ORDER BY %s LIMIT %d) w",
             w->column, w->table, w->after ? " WHERE " : "", w->after ? w->column : "",
             w->after ? " > ?" : "", w->column, n);
    struct db_param p = DBP_S(w->after);
    struct keys k = {&w->lo, &w->hi};
    int rc = db_query(ctx->conn, sql, &p, w->after ? 1 : 0, keys_cb, &k, NULL, err);
    if (rc == 0 && (!w->lo) != (!w->hi))
        rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
    return rc;
}

/* bind: stmt with each token :lo and :hi replaced by a placeholder (new string), and in
 * p[*np] the window's keys in the order of the tokens: numbers for SQLite's rowid (the window
 * of a table whose key is not its rowid: migrations/README.md), text otherwise, which the
 * driver passes as parameters. p has room for one entry per ':' of stmt. */
static char *bind(const char *stmt, const struct window *w, struct db_param *p, int *np)
{
    bool rowid = strcmp(w->column, "rowid") == 0;
    char *out = malloc(strlen(stmt) + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    *np = 0;
    for (const char *s = stmt; *s;) {
        if (s[0] == ':' && (strncmp(s + 1, "lo", 2) == 0 || strncmp(s + 1, "hi", 2) == 0) &&
            !ident(s + 3, 1)) {
            const char *v = s[1] == 'l' ? w->lo : w->hi;
            p[(*np)++] = rowid ? DBP_I(strtoll(v, NULL, 10)) : DBP_S(v);
            out[j++] = '?';
            s += 3;
        } else {
            out[j++] = *s++;
        }
    }
    out[j] = '\0';
    return out;
}

/* window_stmts: the window's statements, all of them, rows changed summed */
static int window_stmts(struct emc_ctx *ctx, const struct sql_list *l, const struct window *w,
                        int64_t *changed, struct emc_error *err)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < l->n; i++) {
        size_t ntok = 1;
        for (const char *c = strchr(l->stmt[i], ':'); c; c = strchr(c + 1, ':'))
            ntok++;
        struct db_param *p = calloc(ntok, sizeof(*p));
        int np = 0;
        char *s = p ? bind(l->stmt[i], w, p, &np) : NULL;
        int64_t a = 0;
        rc = s ? db_query(ctx->conn, s, p, np, NULL, NULL, &a, err)
               : emc_error_set(err, EMC_E_NOMEM, "out of memory");
        *changed += a;
        free(s);
        free(p);
    }
    return rc;
}

/* window_batch: the next window's statements, in the open transaction; *end: no key left. A
 * window wider than a batch (a later pass, where few rows are left to change) runs under a
 * savepoint: when it changed more than a batch after all, that is undone and a window of one
 * batch runs instead, so that no transaction changes more than --batch-size rows. */
static int window_batch(struct emc_ctx *ctx, const struct sql_list *l, struct window *w,
                        int64_t *changed, bool *end, struct emc_error *err)
{
    int rc = window_next(ctx, w, w->rows, err);
    *end = rc == 0 && !w->hi;
    if (rc < 0 || *end)
        return rc;
    bool wide = w->rows > ctx->batch_size;
    if (wide && (rc = db_exec(ctx->conn, "SAVEPOINT emc_window", err)) < 0)
        return rc;
    rc = window_stmts(ctx, l, w, changed, err);
    if (rc == 0 && wide && *changed > ctx->batch_size) {
        *changed = 0;
        w->rows = ctx->batch_size;
        rc = db_exec(ctx->conn, "ROLLBACK TO SAVEPOINT emc_window", err);
        if (rc == 0)
            rc = window_next(ctx, w, w->rows, err);
        if (rc == 0 && w->hi)
            rc = window_stmts(ctx, l, w, changed, err);
    }
    if (rc == 0 && wide)
        rc = db_exec(ctx->conn, "RELEASE SAVEPOINT emc_window", err);
    return rc;
}

/* one batch, in one transaction with the journal's progress: a window's statements, or the
 * statements in order until one changes rows (a later statement runs only once the earlier
 * ones have nothing left: migrations/README.md). *end: nothing left in this pass. */
static int one_batch(struct emc_ctx *ctx, const struct sql_list *l, struct window *w, int64_t jid,
                     const struct emc_progress *p, int64_t *changed, bool *end,
                     struct emc_error *err)
{
    *changed = 0;
    *end = false;
    int rc = db_begin(ctx->conn, err);
    double t0 = runner_now();
    if (w->on) {
        if (rc == 0)
            rc = window_batch(ctx, l, w, changed, end, err);
        /* a window with nothing to change writes nothing: its commit costs no sync */
        if (rc == 0 && !*end && *changed > 0)
            rc = journal_step_update(ctx, jid, p->batches + 1, p->done + *changed, err);
    } else {
        for (int i = 0; rc == 0 && i < l->n && *changed == 0; i++)
            rc = db_query(ctx->conn, l->stmt[i], NULL, 0, NULL, NULL, changed, err);
        *end = rc == 0 && *changed == 0;
        if (rc == 0 && *changed > 0)
            rc = journal_step_update(ctx, jid, p->batches + 1, p->done + *changed, err);
    }
    if ((rc = db_end(ctx->conn, rc, err)) < 0) {
        *changed = 0;
        *end = false;
    }
    w->held_s = runner_now() - t0;
    return rc;
}

/* BATCH_STMT_CAP_MS: on the servers, the statements of a windowed batch (and the window's
 * search) run under a statement timeout this long (PostgreSQL's statement_timeout, MariaDB's
 * max_statement_time), so that a batch that meets a slow moment of the server (a checkpoint
 * writing out, the undo purge) is cancelled and rolled back instead of holding its row locks
 * for seconds; it then runs again as a window of half the rows (at least BATCH_MIN_ROWS). At
 * 1M images a batch of 1000 rows took 70-110 ms on PostgreSQL with a service writing, and
 * 0.60-0.82 s during WAL checkpoints. */
#define BATCH_STMT_CAP_MS 300
#define BATCH_MIN_ROWS 10

/* batch_with_retries: a batch, retried with backoff when it waits too long on a row lock, is a
 * deadlock victim, or is cancelled by the statement cap (then as a narrower window): it is
 * idempotent and its transaction was rolled back. Every attempt's time counts toward the
 * longest transaction. */
static int batch_with_retries(struct emc_ctx *ctx, const char *id, const struct sql_list *l,
                              struct window *w, int64_t jid, struct emc_progress *p,
                              int64_t *changed, bool *end, struct emc_error *err)
{
    for (int attempt = 0;; attempt++) {
        double tb = runner_now();
        int rc = one_batch(ctx, l, w, jid, p, changed, end, err);
        double dt = runner_now() - tb;
        if (dt > p->longest_txn_s)
            p->longest_txn_s = dt;
        bool cancelled = rc == -EMC_E_STMT_TIMEOUT && w->on;
        bool retried = rc == -EMC_E_LOCK_TIMEOUT || rc == -EMC_E_DEADLOCK || cancelled;
        if (retried && attempt >= ctx->lock_retries && !runner_stop_asked(ctx)) {
            char was[sizeof(err->msg)], why[112];
            snprintf(was, sizeof(was), "%s", err->msg);
            if (cancelled)
                snprintf(why, sizeof(why),
                         "cancelled %d time(s) at the %.2f s statement cap, the last as %d row(s)",
                         attempt + 1, BATCH_STMT_CAP_MS / 1000.0, w->rows);
            else if (rc == -EMC_E_DEADLOCK)
                snprintf(why, sizeof(why), "chosen as a deadlock victim %d time(s)", attempt + 1);
            else
                snprintf(why, sizeof(why), "waited more than --lock-timeout (%.0f s) %d time(s)",
                         ctx->lock_timeout_ms / 1000.0, attempt + 1);
            return emc_error_set(err, -rc,
                                 "%s (%s): another session holds locks on these rows%s; nothing "
                                 "of this batch was kept, and running the command again continues",
                                 why, was, cancelled ? ", or the server is overloaded" : "");
        }
        if ((rc != -EMC_E_LOCK_TIMEOUT && rc != -EMC_E_DEADLOCK && !cancelled) ||
            attempt >= ctx->lock_retries || runner_stop_asked(ctx))
            return rc;
        int wait = runner_backoff_ms(attempt);
        if (cancelled) {
            int was = w->rows;
            w->rows = w->rows / 2 < BATCH_MIN_ROWS ? BATCH_MIN_ROWS : w->rows / 2;
            emc_log(ctx, EMC_LOG_WARNING,
                    "%s: batch %lld of %d row(s) ran past %.2f s and was cancelled (rolled "
                    "back); running it again as %d row(s) in %.2f s (retry %d of %d)",
                    id, (long long)p->batches + 1, was, BATCH_STMT_CAP_MS / 1000.0, w->rows,
                    wait / 1000.0, attempt + 1, ctx->lock_retries);
        } else {
            emc_log(ctx, EMC_LOG_WARNING, "%s: batch %lld %s; retrying in %.2f s (retry %d of %d)",
                    id, (long long)p->batches + 1,
                    rc == -EMC_E_DEADLOCK ? "was chosen as a deadlock victim"
                                          : "waited too long for a row lock",
                    wait / 1000.0, attempt + 1, ctx->lock_retries);
        }
        emc_error_clear(err);
        runner_sleep_ms(wait);
    }
}

/* yield_lock: SQLite has one write lock for the whole database, and the services waiting for it
 * poll (1, 2, 5, 10, 15, 20, 25 ms apart, then more) instead of queueing: a migration that
 * began its next batch as soon as it committed one would starve them. While other connections
 * commit (PRAGMA data_version moves), the lock is left free for up to as long as the batch
 * held it (at most 100 ms), which is longer than the gap between two looks of a service that
 * began waiting during the batch. The pause ends sooner, a millisecond after another
 * connection commits in it (the database's change counter, polled every millisecond without a
 * lock, moves): the service that waited is through, and waiting on would only idle the lock (at
 * 1M images with a service writing every 5 ms, the full pauses were half of the migration's
 * time). Every MIGRATE_FULL_EVERY-th pause lasts its full length whatever it sees, so that a
 * second waiting service, which the first one's commit cuts out, gets its turn within that
 * many batches. While nobody else writes, the pause halves at each batch down to 2 ms, so a
 * quiet database migrates at nearly full speed. *pause_ms, *version and *nth carry the state
 * from batch to batch (*version < 0 and *nth 0 at first). Returns whether others write. */
#define MIGRATE_FULL_EVERY 8

static bool yield_lock(struct emc_ctx *ctx, int batch_ms, int *pause_ms, int64_t *version, int *nth)
{
    int64_t v = runner_data_version(ctx);
    bool others = v >= 0 && *version >= 0 && v != *version;
    *version = v;
    int full = batch_ms < 1 ? 1 : batch_ms > 100 ? 100 : batch_ms;
    *pause_ms = others ? full : (*pause_ms / 2 < 2 ? 2 : *pause_ms / 2);
    int64_t c0 = others && ++*nth % MIGRATE_FULL_EVERY != 0 ? db_change_counter(ctx->conn) : -1;
    if (c0 < 0) {
        runner_sleep_ms(*pause_ms);
        return others;
    }
    for (int ms = 0; ms < *pause_ms && !runner_stop_asked(ctx); ms++) {
        runner_sleep_ms(1);
        if (db_change_counter(ctx->conn) != c0)
            break;
    }
    return others;
}

/* SQLITE_HOLD_MS: while others write to a SQLite database, a window holds the write lock about
 * this long: a service that finds it taken polls again within 18 ms and then every 15 to 25
 * ms, so with the pause after each batch as long as the batch, it gets in within about 40 ms */
#define SQLITE_HOLD_MS 20

/* adapt_rows: the rows of the next window, toward SQLITE_HOLD_MS a batch while others write
 * (half to twice the last, at least 10), back toward the cap while nobody does; never over the
 * cap (a --batch-size under 10 is kept) */
static int adapt_rows(int rows, int cap, double last_ms, bool others)
{
    double want =
        others ? (last_ms > 0 ? rows * SQLITE_HOLD_MS / last_ms : rows * 2.0) : rows * 2.0;
    double lo = rows / 2.0, hi = rows * 2.0;
    want = want < lo ? lo : want > hi ? hi : want;
    want = want < 10 ? 10 : want;
    return (int)(want > cap ? cap : want);
}

/* sqlite_window_cap: the most rows the next SQLite window may read. On the first pass, a
 * batch. On a later pass (rows changed behind the first, few as a rule: the rolling-upgrade
 * triggers migrate what services write), fifty batches while the windows change under half a
 * batch each, so that the pass reads the table in a fiftieth of the transactions (at 1M images
 * with a service writing, the second pass took 2000 windows, a third of the migration's time,
 * to change nothing); a window that changed more goes back to a batch at once. While others
 * write, adapt_rows still keeps each window to about SQLITE_HOLD_MS. */
static int sqlite_window_cap(int pass, int batch, int64_t changed)
{
    if (pass > 1 && changed < batch / 2)
        return batch > INT_MAX / 50 ? INT_MAX : batch * 50;
    return batch;
}

/* emit: in --sql mode, the statements a batch runs, for the operator to read */
static int emit(struct emc_ctx *ctx, const struct sql_list *l, const struct window *w,
                struct emc_error *err)
{
    int rc = 0;
    if (w->on) {
        char sql[512];
        snprintf(sql, sizeof(sql),
                 "-- for each window of keys :lo < %s <= :hi, :lo being the last window's :hi "
                 "(NULL at first), until :hi is NULL\nSELECT MAX(%s) FROM (SELECT %s FROM %s "
                 "WHERE %s > :lo ORDER BY %s LIMIT %d) w",
                 w->column, w->column, w->column, w->table, w->column, w->column, ctx->batch_size);
        rc = runner_sql(ctx, sql, NULL, err);
    }
    for (int i = 0; rc == 0 && i < l->n; i++)
        rc = runner_sql(ctx, l->stmt[i], NULL, err);
    return rc;
}

int runner_data_step(struct emc_ctx *ctx, const struct emc_step *step, int64_t *rows,
                     struct emc_error *err)
{
    const struct revision *r = &ctx->ms->revs[step->rev];
    const char *batch = runner_dialect_file(ctx, step->rev, "batch.%s.sql");
    if (!batch)
        return emc_error_set(err, EMC_E_REVISION, "data migration %s has no batch.%s.sql", r->id,
                             ctx->dialect);
    struct window w;
    int rc = parse_window(batch, r->id, &w, err);
    w.rows = ctx->batch_size;
    if (rc < 0)
        return rc;
    char *s = runner_batch_sql(batch, ctx->batch_size);
    if (!s)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    struct sql_list l = {0};
    rc = sql_split(s, &l, err);
    free(s);
    if (rc < 0)
        return rc;
    if (ctx->sql_only) {
        rc = emit(ctx, &l, &w, err);
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
            "Running data migration %s: %lld row(s) to migrate in batches of %d%s%s%s%s", r->id,
            (long long)total, ctx->batch_size, w.on ? " keys of " : "", w.on ? w.table : "",
            r->summary ? ", " : "", r->summary ? r->summary : "");
    int64_t jid = 0;
    rc = runner_journal_begin(ctx, r->id, "data", 'M', &jid, err);
    struct emc_progress p = {.what = r->id, .total = total, .eta_s = -1};
    bool sqlite = strcmp(ctx->dialect, "sqlite") == 0;
    /* bulk mode for the batches' many short transactions (SQLite keeps its journal file
     * between them) */
    runner_bulk(ctx, true);
    /* the windowed batches on the servers: under the statement cap; after a cancelled one,
     * narrower, and back to a batch as they run fast again */
    bool capped = !sqlite && w.on;
    runner_stmt_cap(ctx, BATCH_STMT_CAP_MS, &capped);
    int pause_ms = 100, nth_pause = 0;
    int64_t data_version = -1, pass_start = 0;
    bool others_in_pass = false;
    double t0 = runner_now();
    for (int pass = 1; rc == 0;) {
        if (runner_stop_asked(ctx)) {
            runner_progress_rates(&p, t0);
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
        bool end = false;
        double tb = runner_now();
        rc = batch_with_retries(ctx, r->id, &l, &w, jid, &p, &changed, &end, err);
        /* SQLite: the hold (the pause and the next window follow it); the servers: the whole
         * batch with its retries (a cancelled batch's narrower windows widen back after one
         * that ran fast, its retry's backoff included) */
        int last_ms = (int)((sqlite ? w.held_s : runner_now() - tb) * 1000);
        if (rc < 0)
            break;
        if (!end) {
            p.done += changed;
            p.batches++;
            runner_progress_rates(&p, t0);
            if (ctx->cb.on_progress)
                ctx->cb.on_progress(ctx->cb.ud, &p);
            if (capped && w.rows < ctx->batch_size && last_ms < BATCH_STMT_CAP_MS / 4)
                w.rows = w.rows > ctx->batch_size / 2 ? ctx->batch_size : w.rows * 2;
            if (sqlite) {
                bool others = yield_lock(ctx, last_ms, &pause_ms, &data_version, &nth_pause);
                others_in_pass |= others;
                if (w.on) {
                    int cap = sqlite_window_cap(pass, ctx->batch_size, changed);
                    w.rows = adapt_rows(w.rows < cap ? w.rows : cap, cap, last_ms, others);
                }
            }
            if (w.on) {
                free(w.after);
                w.after = w.hi;
                w.hi = NULL;
            }
            continue;
        }
        if (!w.on)
            break;
        /* the end of a pass: rows changed behind it meanwhile need another. On SQLite,
         * counting them would hold a read lock over the whole table, which keeps every
         * service from committing meanwhile: there another pass runs when others committed
         * during this one and it changed rows, and none when nobody else wrote. */
        int64_t left = 0;
        if (sqlite) {
            left = others_in_pass && p.done > pass_start ? 1 : 0;
        } else {
            runner_stmt_cap(ctx, 0, &capped); /* the count is no batch: it may take longer */
            rc = emc_data_pending(ctx, step->rev, &left, err);
            runner_stmt_cap(ctx, BATCH_STMT_CAP_MS, &capped);
        }
        if (rc < 0 || left == 0 || pass >= 3)
            break;
        pass++;
        pass_start = p.done;
        others_in_pass = false;
        if (!sqlite) {
            emc_log(ctx, EMC_LOG_INFO, "%s: %lld row(s) changed behind the pass; pass %d", r->id,
                    (long long)left, pass);
            p.total = p.done + left;
            w.rows = left <= ctx->batch_size ? ctx->batch_size * 50 : ctx->batch_size;
        } else {
            emc_log(ctx, EMC_LOG_INFO, "%s: pass %d, for rows changed behind the last", r->id,
                    pass);
        }
        free(w.after);
        w.after = NULL;
        w.npages = -1;
    }
    runner_stmt_cap(ctx, 0, &capped);
    runner_bulk(ctx, false);
    free(w.after);
    free(w.lo);
    free(w.hi);
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
