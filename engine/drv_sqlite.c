/* drv_sqlite.c - the SQLite driver (db_driver_sqlite).
 *
 * Connections turn foreign keys on (Glance's model declares them), wait busy_timeout
 * milliseconds (default 5000, URL option timeout=SECONDS as pysqlite) on a locked database, and
 * begin transactions with BEGIN IMMEDIATE so a writer waits for the lock up front instead of
 * failing on a lock upgrade. exec runs every ';'-separated statement of its text; query runs
 * exactly one. The advisory lock is an flock() on "<database>.emc-lock" (per open file, so two
 * connections in one process exclude each other too); an in-memory database always gets it.
 * Reads go through a memory map of up to 2 GB (PRAGMA mmap_size), and a transaction keeps up
 * to 64 MB of changed pages in memory (PRAGMA cache_size). In bulk mode (set_bulk) a database
 * in the default rollback-journal mode keeps its journal file between transactions. */
#include "driver.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQLITE_DEFAULT_BUSY_MS 5000

struct db_conn {
    struct db_conn_base base;
    sqlite3 *db;
    char *path; /* NULL for an in-memory database */
    int busy_ms;
    int lock_fd; /* -1 when no advisory lock is held */
    int lock_depth;
    bool persist; /* set_bulk switched the journal mode from DELETE to PERSIST */
};

static int sqlite_classify(int rc, const char *msg, bool compiling)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return EMC_E_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return EMC_E_LOCK_TIMEOUT;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
        return EMC_E_IO;
    case SQLITE_NOMEM:
        return EMC_E_NOMEM;
    case SQLITE_INTERRUPT:
        return EMC_E_INTERRUPTED;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return EMC_E_PERMISSION;
    case SQLITE_ERROR:
        if (compiling || strstr(msg, "syntax error") || strstr(msg, "no such ") ||
            strstr(msg, "incomplete input"))
            return EMC_E_SYNTAX;
        return EMC_E_OTHER;
    default:
        return EMC_E_OTHER;
    }
}

/* fill err from the connection's last error (rc is the extended result code) */
static int sqlite_fail(struct db_conn *c, int rc, bool compiling, struct emc_error *err)
{
    const char *msg = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
    int cls = sqlite_classify(rc, msg, compiling);
    if (!err)
        return -cls;
    emc_error_clear(err);
    err->driver_code = rc;
    return emc_error_set(err, cls, "%s", msg);
}

static int sqlite_set_busy(struct db_conn *c, int ms, struct emc_error *err)
{
    int rc = sqlite3_busy_timeout(c->db, ms);
    if (rc != SQLITE_OK)
        return sqlite_fail(c, rc, false, err);
    c->busy_ms = ms;
    return 0;
}

/* the folder part of path ("." when there is none) */
static char *sqlite_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

static int sqlite_check_options(const struct dburl *url, int *busy_ms, struct emc_error *err)
{
    for (int i = 0; i < url->nopts; i++) {
        const char *k = url->opts[i].key, *v = url->opts[i].value;
        if (strcmp(k, "timeout") == 0) {
            char *end;
            double s = strtod(v, &end);
            if (end == v || *end || s < 0 || s > 86400)
                return emc_error_set(err, EMC_E_USAGE,
                                     "bad SQLite option timeout=%s (expected seconds)", v);
            *busy_ms = (int)(s * 1000);
        } else if (strcmp(k, "check_same_thread") != 0 && strcmp(k, "cached_statements") != 0 &&
                   strcmp(k, "isolation_level") != 0) {
            return emc_error_set(err, EMC_E_USAGE, "unknown SQLite URL option '%s'", k);
        }
    }
    return 0;
}

static int sqlite_set_bulk(struct db_conn *c, bool on, struct emc_error *err);

static void sqlite_close(struct db_conn *c)
{
    if (!c)
        return;
    struct emc_error ignored;
    sqlite_set_bulk(c, false, &ignored); /* removes a journal file kept for bulk mode */
    if (c->lock_fd >= 0)
        close(c->lock_fd); /* releases the flock */
    sqlite3_close_v2(c->db);
    free(c->path);
    free(c);
}

static int sqlite_run_simple(struct db_conn *c, const char *sql, struct emc_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    if (rc != SQLITE_OK)
        return sqlite_fail(c, sqlite3_extended_errcode(c->db), false, err);
    return 0;
}

static int sqlite_connect(struct db_conn **out, const struct dburl *url, int connect_timeout,
                          struct emc_error *err)
{
    (void)connect_timeout; /* nothing to reach */
    *out = NULL;
    emc_error_clear(err);
    int busy_ms = SQLITE_DEFAULT_BUSY_MS;
    int rc = sqlite_check_options(url, &busy_ms, err);
    if (rc)
        return rc;
    const char *path = url->database;
    bool memory = !path || !*path || strcmp(path, ":memory:") == 0;
    if (!memory) {
        char *dir = sqlite_dirname(path);
        if (!dir)
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
        struct stat st;
        bool dir_ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
        if (!dir_ok) {
            rc = emc_error_set(err, EMC_E_UNKNOWN_DB, "SQLite database folder does not exist: %s",
                               dir);
            free(dir);
            return rc;
        }
        free(dir);
        if (url->sqlite_no_create && stat(path, &st) != 0)
            return emc_error_set(err, EMC_E_UNKNOWN_DB, "SQLite database file does not exist: %s",
                                 path);
    }
    struct db_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    c->base.drv = &db_driver_sqlite;
    c->lock_fd = -1;
    if (!memory && !(c->path = strdup(path))) {
        free(c);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (!url->sqlite_no_create)
        flags |= SQLITE_OPEN_CREATE;
    rc = sqlite3_open_v2(memory ? ":memory:" : path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        int r;
        if (!c->db)
            r = emc_error_set(err, EMC_E_NOMEM, "out of memory");
        else
            r = sqlite_fail(c, sqlite3_extended_errcode(c->db), false, err);
        emc_error_prefix(err, "cannot open SQLite database %s", memory ? ":memory:" : path);
        sqlite_close(c);
        return r;
    }
    sqlite3_extended_result_codes(c->db, 1);
    /* foreign keys on (Glance's model); reading the schema also proves it is a database */
    if ((rc = sqlite_set_busy(c, busy_ms, err)) != 0 ||
        (rc = sqlite_run_simple(c, "PRAGMA foreign_keys = ON", err)) != 0 ||
        (rc = sqlite_run_simple(c, "SELECT count(*) FROM sqlite_master", err)) != 0) {
        emc_error_prefix(err, "cannot use SQLite database %s", memory ? ":memory:" : path);
        sqlite_close(c);
        return rc;
    }
    /* read pages through a memory map (as large as the library allows; writes still go through
     * write()): a scan then costs no read() call per page, which at 1M images halved the purge
     * preview's scans. Speed only: a library built without mmap ignores it. */
    if (!memory) {
        struct emc_error ignored;
        sqlite_run_simple(c, "PRAGMA mmap_size = 2147418112", &ignored);
        /* a page cache of up to 64 MB (the default is 2 MB), allocated as a transaction
         * needs it: when a transaction changes more pages than the cache holds, SQLite spills
         * them to the database file, and each spill syncs the journal first. A purge batch of
         * 10,000 image_properties rows changes about 1,100 pages and spilled three times
         * (17 fdatasync calls for one batch instead of 5); at 100k images `db purge --sleep 0`
         * took 7.0 to 7.2 s instead of 8.1 to 8.5 s. */
        sqlite_run_simple(c, "PRAGMA cache_size = -65536", &ignored);
    }
    *out = c;
    return 0;
}

static int sqlite_bind(struct db_conn *c, sqlite3_stmt *st, const struct db_param *params,
                       int nparams, struct emc_error *err)
{
    int want = sqlite3_bind_parameter_count(st);
    if (want != nparams)
        return emc_error_set(err, EMC_E_USAGE, "statement has %d placeholders but %d parameters",
                             want, nparams);
    for (int i = 0; i < nparams; i++) {
        int rc;
        switch (params[i].type) {
        case DBP_INT:
            rc = sqlite3_bind_int64(st, i + 1, params[i].i);
            break;
        case DBP_TEXT:
            rc = params[i].s ? sqlite3_bind_text(st, i + 1, params[i].s, -1, SQLITE_TRANSIENT)
                             : sqlite3_bind_null(st, i + 1);
            break;
        default:
            rc = sqlite3_bind_null(st, i + 1);
            break;
        }
        if (rc != SQLITE_OK)
            return sqlite_fail(c, rc, false, err);
    }
    return 0;
}

/* step st to the end, calling cb per row; *changed = rows changed by this statement */
static int sqlite_step_all(struct db_conn *c, sqlite3_stmt *st, db_row_cb cb, void *ud,
                           int64_t *changed, struct emc_error *err)
{
    int ncols = sqlite3_column_count(st);
    char **vals = NULL, **names = NULL;
    if (cb && ncols > 0) {
        vals = calloc((size_t)ncols, sizeof(char *));
        names = calloc((size_t)ncols, sizeof(char *));
        if (!vals || !names) {
            free(vals);
            free(names);
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
        }
    }
    sqlite3_int64 before = sqlite3_total_changes64(c->db);
    int rc, ret = 0;
    bool stopped = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!cb || stopped)
            continue;
        for (int i = 0; i < ncols; i++) {
            names[i] = (char *)sqlite3_column_name(st, i);
            vals[i] = sqlite3_column_type(st, i) == SQLITE_NULL
                          ? NULL
                          : (char *)sqlite3_column_text(st, i);
        }
        if (cb(ud, ncols, vals, names) != 0) {
            stopped = true;
            break;
        }
    }
    if (!stopped && rc != SQLITE_DONE)
        ret = sqlite_fail(c, sqlite3_extended_errcode(c->db), false, err);
    /* sqlite3_changes() keeps the count of the last DML even across DDL and SELECTs: only
     * trust it when this statement changed something (triggered changes excluded) */
    *changed = sqlite3_total_changes64(c->db) != before ? sqlite3_changes64(c->db) : 0;
    free(vals);
    free(names);
    return ret;
}

static bool sqlite_blank(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == ';')
        s++;
    return *s == '\0';
}

static int sqlite_query(struct db_conn *c, const char *sql, const struct db_param *params,
                        int nparams, db_row_cb cb, void *ud, int64_t *affected,
                        struct emc_error *err)
{
    emc_error_clear(err);
    if (affected)
        *affected = 0;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, &tail);
    if (rc != SQLITE_OK)
        return sqlite_fail(c, sqlite3_extended_errcode(c->db), true, err);
    if (!st)
        return emc_error_set(err, EMC_E_USAGE, "query: no SQL statement in the text");
    if (tail && !sqlite_blank(tail)) {
        sqlite3_stmt *next = NULL;
        int r2 = sqlite3_prepare_v2(c->db, tail, -1, &next, NULL);
        sqlite3_finalize(next);
        if (r2 != SQLITE_OK || next) {
            sqlite3_finalize(st);
            return emc_error_set(err, EMC_E_USAGE,
                                 "query: more than one SQL statement (use exec for scripts)");
        }
    }
    int64_t changed = 0;
    int ret = sqlite_bind(c, st, params, nparams, err);
    if (ret == 0)
        ret = sqlite_step_all(c, st, cb, ud, &changed, err);
    sqlite3_finalize(st);
    c->base.last_affected = changed;
    if (ret == 0 && affected)
        *affected = changed;
    return ret;
}

static int sqlite_exec(struct db_conn *c, const char *sql, struct emc_error *err)
{
    emc_error_clear(err);
    const char *p = sql;
    int64_t changed = 0;
    while (p && *p) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v2(c->db, p, -1, &st, &tail);
        if (rc != SQLITE_OK)
            return sqlite_fail(c, sqlite3_extended_errcode(c->db), true, err);
        if (!st)
            break; /* only blanks and comments left */
        int ret = sqlite_step_all(c, st, NULL, NULL, &changed, err);
        sqlite3_finalize(st);
        if (ret)
            return ret;
        p = tail;
    }
    c->base.last_affected = changed;
    return 0;
}

static int sqlite_begin(struct db_conn *c, struct emc_error *err)
{
    return sqlite_exec(c, "BEGIN IMMEDIATE", err);
}

static int sqlite_commit(struct db_conn *c, struct emc_error *err)
{
    return sqlite_exec(c, "COMMIT", err);
}

static int sqlite_rollback(struct db_conn *c, struct emc_error *err)
{
    emc_error_clear(err);
    if (sqlite3_get_autocommit(c->db))
        return 0; /* an error already rolled the transaction back */
    return sqlite_exec(c, "ROLLBACK", err);
}

static int sqlite_server_version(struct db_conn *c, char *buf, size_t n, struct emc_error *err)
{
    (void)c;
    emc_error_clear(err);
    snprintf(buf, n, "SQLite %s", sqlite3_libversion());
    return 0;
}

static int sqlite_lock_try(struct db_conn *c, const char *name, bool *acquired,
                           struct emc_error *err)
{
    emc_error_clear(err);
    *acquired = false;
    if (!c->path) {
        *acquired = true; /* nobody else can see an in-memory database */
        c->lock_depth++;
        return 0;
    }
    if (c->lock_fd >= 0) {
        *acquired = true; /* this session holds it already */
        c->lock_depth++;
        return 0;
    }
    size_t n = strlen(c->path) + sizeof(".emc-lock");
    char *lp = malloc(n);
    if (!lp)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    snprintf(lp, n, "%s.emc-lock", c->path);
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        int rc = emc_error_set(err, EMC_E_IO, "cannot open lock file %s: %s", lp, strerror(e));
        free(lp);
        return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            free(lp);
            return 0;
        }
        int rc = emc_error_set(err, EMC_E_IO, "cannot lock %s: %s", lp, strerror(e));
        free(lp);
        return rc;
    }
    free(lp);
    /* say who holds it, for whoever looks at the file */
    char who[160];
    int wn = snprintf(who, sizeof(who), "pid %ld lock %.100s\n", (long)getpid(), name);
    if (ftruncate(fd, 0) == 0 && wn > 0) {
        ssize_t w = write(fd, who, (size_t)wn);
        (void)w;
    }
    c->lock_fd = fd;
    c->lock_depth = 1;
    *acquired = true;
    return 0;
}

static int sqlite_lock_release(struct db_conn *c, const char *name, struct emc_error *err)
{
    (void)name;
    emc_error_clear(err);
    if (c->lock_depth > 0)
        c->lock_depth--;
    if (c->lock_depth == 0 && c->lock_fd >= 0) {
        if (ftruncate(c->lock_fd, 0) != 0) {
            /* the content is informative only */
        }
        close(c->lock_fd);
        c->lock_fd = -1;
    }
    return 0;
}

static int sqlite_set_lock_timeout(struct db_conn *c, int ms, struct emc_error *err)
{
    emc_error_clear(err);
    return sqlite_set_busy(c, ms > 0 ? ms : SQLITE_DEFAULT_BUSY_MS, err);
}

struct probe {
    db_probe_fn fn;
    void *ud;
};

static void sqlite_probe_call(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    const struct probe *p = sqlite3_user_data(cx);
    if (argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_int64(cx, 0);
        return;
    }
    const unsigned char *t = sqlite3_value_text(argv[0]);
    if (!t) {
        sqlite3_result_error_nomem(cx);
        return;
    }
    int n = sqlite3_value_bytes(argv[0]);
    sqlite3_result_int64(cx, p->fn(p->ud, (const char *)t, (size_t)n));
}

static int sqlite_set_probe(struct db_conn *c, const char *name, db_probe_fn fn, void *ud,
                            struct emc_error *err)
{
    emc_error_clear(err);
    struct probe *p = NULL;
    if (fn) {
        p = malloc(sizeof(*p));
        if (!p)
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
        *p = (struct probe){fn, ud};
    }
    /* SQLITE_DIRECTONLY: callable from the engine's own statements, never from a trigger or
     * view of the database. SQLite frees p with the function: when it is replaced or removed,
     * when the connection closes, or at once if this call fails. */
    int rc = sqlite3_create_function_v2(c->db, name, 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, p,
                                        fn ? sqlite_probe_call : NULL, NULL, NULL, free);
    return rc == SQLITE_OK ? 0 : sqlite_fail(c, rc, false, err);
}

static int text_cb(void *ud, int ncols, char **vals, char **names)
{
    (void)names;
    if (ncols > 0 && vals[0])
        snprintf(ud, 16, "%s", vals[0]);
    return 0;
}

/* journal_mode: set the connection's journal mode to mode (NULL: only read it) and put the mode
 * in force into out[16] (lower case, as SQLite reports it) */
static int journal_mode(struct db_conn *c, const char *mode, char out[16], struct emc_error *err)
{
    char sql[48];
    snprintf(sql, sizeof(sql), "PRAGMA journal_mode%s%s", mode ? " = " : "", mode ? mode : "");
    out[0] = '\0';
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, text_cb, out, &msg);
    sqlite3_free(msg);
    return rc == SQLITE_OK ? 0 : sqlite_fail(c, sqlite3_extended_errcode(c->db), false, err);
}

/* sqlite_set_bulk: in the default journal mode (DELETE) each transaction creates its journal
 * file, syncs the directory, and deletes the file at commit; PERSIST keeps the file and zeroes
 * its header at commit instead, which is as safe (a crash leaves a hot journal that the next
 * connection rolls back, in either mode; other connections may keep DELETE). At 100k images,
 * with nobody else writing, `db purge --sleep 0` took 6.0 to 6.5 s instead of 8.1 to 8.5 s
 * (ext4 allocating the blocks of a new file of a few MB at each batch was most of the
 * difference), 5.6 to 5.9 s with the larger page cache too. A concurrent writer in DELETE
 * mode deletes the file at each of its commits, which takes most of the gain away (9.2 to 9.5
 * s instead of 10.3 s with tests/bench/writer.py). Off: back to DELETE, which deletes the
 * kept file. Any other mode (WAL, TRUNCATE...) is the operator's and is left as it is. An
 * in-memory database has no journal file. */
static int sqlite_set_bulk(struct db_conn *c, bool on, struct emc_error *err)
{
    emc_error_clear(err);
    char mode[16];
    if (!c->path || on == c->persist)
        return 0;
    if (!on) {
        c->persist = false;
        return journal_mode(c, "DELETE", mode, err);
    }
    int rc = journal_mode(c, NULL, mode, err);
    if (rc == 0 && strcmp(mode, "delete") == 0 && (rc = journal_mode(c, "PERSIST", mode, err)) == 0)
        c->persist = strcmp(mode, "persist") == 0;
    return rc;
}

/* sqlite_change_counter: the file change counter of the database's header (4 bytes, big
 * endian, at offset 24), which each transaction that changes a database in rollback-journal
 * mode increments as it commits. Read through SQLite's own handle of the file (from its memory
 * map when the offset is mapped), taking no lock, so that polling it never delays another
 * connection's commit as a read transaction (PRAGMA data_version) can; a read torn by a
 * concurrent commit only shows a change a moment early. In WAL mode the counter does not move,
 * so the caller sees no change. -1: an in-memory database, or the file cannot be read. */
static int64_t sqlite_change_counter(struct db_conn *c)
{
    sqlite3_file *f = NULL;
    unsigned char b[4];
    if (!c->path ||
        sqlite3_file_control(c->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
        !f->pMethods || f->pMethods->xRead(f, b, 4, 24) != SQLITE_OK)
        return -1;
    return (int64_t)b[0] << 24 | (int64_t)b[1] << 16 | (int64_t)b[2] << 8 | (int64_t)b[3];
}

const struct db_driver db_driver_sqlite = {
    .name = "sqlite",
    .caps =
        {
            .dialect = "sqlite",
            .transactional_ddl = true,
            .placeholder = DB_PH_QMARK,
            .advisory_locks = false,
            .lock_timeout = true,
            .ident_quote = '"',
        },
    .connect = sqlite_connect,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .query = sqlite_query,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .server_version = sqlite_server_version,
    .lock_try = sqlite_lock_try,
    .lock_release = sqlite_lock_release,
    .set_lock_timeout = sqlite_set_lock_timeout,
    .set_probe = sqlite_set_probe,
    .set_bulk = sqlite_set_bulk,
    .change_counter = sqlite_change_counter,
};
