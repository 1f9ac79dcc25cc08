/* db.c - dispatchers over struct db_driver, and the fault-injection hook used by crash tests.
 *
 * EMC_CRASH_AT=N (environment) makes the process SIGKILL itself right after the N-th counted
 * statement (1-based) has completed through db_exec, db_query or db_commit. Counted are the
 * boundaries after which a kill can leave the database in a different state: every COMMIT,
 * every write outside a transaction (on MySQL each DDL statement commits by itself), and the
 * first write inside each transaction (a kill with a transaction open: the server, or SQLite's
 * hot journal on the next open, must roll it back). Reads (SELECT, SHOW, PRAGMA, SET, EXPLAIN,
 * DESCRIBE) and later writes of an open transaction are not counted: a kill after one of them
 * ends the same way as a kill after the counted statement before it. This keeps the
 * crash-safety tests, which stop a run at every boundary, affordable.
 * EMC_CRASH_TRACE=FILE appends one line per counted statement to FILE ("N<TAB>statement",
 * the statement cut at 100 characters; "COMMIT" for a commit), so a test can say where it
 * stopped a run. Neither variable is meant for anything but tests. */
#include "driver.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const struct db_driver *fake_driver;

/* db_set_fake_driver: let DB_FAKE URLs use drv (unit tests only). */
void db_set_fake_driver(const struct db_driver *drv);
void db_set_fake_driver(const struct db_driver *drv)
{
    fake_driver = drv;
}

const struct db_driver *db_driver_for(enum db_backend b)
{
    switch (b) {
    case DB_SQLITE:
        return &db_driver_sqlite;
    case DB_POSTGRESQL:
        return &db_driver_postgresql;
    case DB_MYSQL:
        return &db_driver_mysql;
    case DB_FAKE:
        return fake_driver;
    }
    return NULL;
}

int db_connect(struct db_conn **out, const struct dburl *url, int connect_timeout,
               struct emc_error *err)
{
    *out = NULL;
    const struct db_driver *d = db_driver_for(url->backend);
    if (!d)
        return emc_error_set(err, EMC_E_USAGE, "no driver for backend %s",
                             dburl_backend_name(url->backend));
    return d->connect(out, url, connect_timeout, err);
}

const struct db_driver *db_drv(const struct db_conn *c)
{
    return ((const struct db_conn_base *)c)->drv;
}

void db_close(struct db_conn *c)
{
    if (c)
        db_drv(c)->close(c);
}

static long crash_at = -1;
static long stmt_count;
static int txn_writes = -1; /* writes in the open transaction; -1 outside one */

/* first_word_is_read: whether sql (after blanks and comments) starts with a read-only verb */
static bool first_word_is_read(const char *sql)
{
    const char *p = sql;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else {
            break;
        }
    }
    static const char *const reads[] = {"SELECT",  "SHOW",     "PRAGMA", "SET",
                                        "EXPLAIN", "DESCRIBE", NULL};
    for (int i = 0; reads[i]; i++) {
        size_t l = strlen(reads[i]);
        if (strncasecmp(p, reads[i], l) == 0 &&
            !(p[l] == '_' || (p[l] >= 'A' && p[l] <= 'Z') || (p[l] >= 'a' && p[l] <= 'z')))
            return true;
    }
    return false;
}

static void crash_trace(const char *path, const char *sql)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    char line[128];
    int n = snprintf(line, sizeof(line), "%ld\t", stmt_count);
    size_t j = n > 0 ? (size_t)n : 0;
    for (const char *p = sql ? sql : "COMMIT"; *p && j + 2 < sizeof(line) && j < 100; p++)
        line[j++] = (*p == '\n' || *p == '\t' || *p == '\r') ? ' ' : *p;
    line[j++] = '\n';
    ssize_t w = write(fd, line, j);
    (void)w;
    close(fd);
}

static void crash_hook(const char *sql)
{
    static const char *trace;
    if (crash_at < 0) {
        const char *e = getenv("EMC_CRASH_AT");
        crash_at = (e && *e) ? atol(e) : 0;
        trace = getenv("EMC_CRASH_TRACE");
        if (trace && !*trace)
            trace = NULL;
    }
    if ((crash_at <= 0 && !trace) || (sql && first_word_is_read(sql)))
        return;
    if (sql && txn_writes >= 0 && txn_writes++ > 0)
        return;
    stmt_count++;
    if (trace)
        crash_trace(trace, sql);
    if (stmt_count == crash_at)
        kill(getpid(), SIGKILL);
}

int db_exec(struct db_conn *c, const char *sql, struct emc_error *err)
{
    int rc = db_drv(c)->exec(c, sql, err);
    if (rc == 0)
        crash_hook(sql);
    return rc;
}

int db_query(struct db_conn *c, const char *sql, const struct db_param *params, int nparams,
             db_row_cb cb, void *ud, int64_t *affected, struct emc_error *err)
{
    int rc = db_drv(c)->query(c, sql, params, nparams, cb, ud, affected, err);
    if (rc == 0)
        crash_hook(sql);
    return rc;
}

int db_begin(struct db_conn *c, struct emc_error *err)
{
    int rc = db_drv(c)->begin(c, err);
    if (rc == 0)
        txn_writes = 0;
    return rc;
}

int db_commit(struct db_conn *c, struct emc_error *err)
{
    int rc = db_drv(c)->commit(c, err);
    txn_writes = -1;
    if (rc == 0)
        crash_hook(NULL);
    return rc;
}

int db_rollback(struct db_conn *c, struct emc_error *err)
{
    txn_writes = -1;
    return db_drv(c)->rollback(c, err);
}

int db_end(struct db_conn *c, int rc, struct emc_error *err)
{
    if (rc == 0)
        rc = db_commit(c, err);
    if (rc < 0) {
        struct emc_error ignored;
        db_rollback(c, &ignored);
    }
    return rc;
}

int db_set_stmt_timeout(struct db_conn *c, int ms, bool *supported, struct emc_error *err)
{
    *supported = db_drv(c)->set_stmt_timeout != NULL;
    return *supported ? db_drv(c)->set_stmt_timeout(c, ms, err) : 0;
}

bool db_has_probe(const struct db_conn *c)
{
    return db_drv(c)->set_probe != NULL;
}

int db_set_probe(struct db_conn *c, const char *name, db_probe_fn probe, void *ud,
                 struct emc_error *err)
{
    if (!db_drv(c)->set_probe)
        return emc_error_set(err, EMC_E_OTHER, "the %s driver cannot call client code from SQL",
                             db_drv(c)->name);
    return db_drv(c)->set_probe(c, name, probe, ud, err);
}

int db_set_bulk(struct db_conn *c, bool on, struct emc_error *err)
{
    emc_error_clear(err);
    return db_drv(c)->set_bulk ? db_drv(c)->set_bulk(c, on, err) : 0;
}

int64_t db_change_counter(struct db_conn *c)
{
    return db_drv(c)->change_counter ? db_drv(c)->change_counter(c) : -1;
}

struct int_ud {
    int64_t v;
    bool found;
};

static int int_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct int_ud *u = ud;
    if (ncols > 0 && vals[0])
        u->v = strtoll(vals[0], NULL, 10);
    u->found = true;
    return 1;
}

int db_query_int(struct db_conn *c, const char *sql, const struct db_param *params, int nparams,
                 int64_t *out, bool *found, struct emc_error *err)
{
    struct int_ud u = {0, false};
    int rc = db_query(c, sql, params, nparams, int_cb, &u, NULL, err);
    *out = u.v;
    if (found)
        *found = u.found;
    return rc;
}

int db_table_exists(struct db_conn *c, const char *table, bool *exists, struct emc_error *err)
{
    const char *dialect = db_drv(c)->caps.dialect;
    const char *sql;
    if (strcmp(dialect, "sqlite") == 0)
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?";
    else if (strcmp(dialect, "postgresql") == 0)
        sql = "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
              "current_schema() AND table_name = ?";
    else
        sql = "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
              "AND table_name = ?";
    struct db_param p = DBP_S(table);
    int64_t n = 0;
    int rc = db_query_int(c, sql, &p, 1, &n, NULL, err);
    *exists = n > 0;
    return rc;
}

char *db_quote_ident(const struct db_conn *c, const char *name, char *buf, size_t n)
{
    char q = db_drv(c)->caps.ident_quote;
    size_t j = 0;
    if (n == 0)
        return buf;
    if (j + 1 < n)
        buf[j++] = q;
    for (const char *p = name; *p && j + 2 < n; p++) {
        if (*p == q && j + 3 < n)
            buf[j++] = q;
        buf[j++] = *p;
    }
    if (j + 1 < n)
        buf[j++] = q;
    buf[j] = '\0';
    return buf;
}
