/* db.c - dispatchers over struct db_driver, and the fault-injection hook used by crash tests.
 *
 * EMC_CRASH_AT=N (environment) makes the process SIGKILL itself right after the N-th
 * statement that reached a driver through db_exec/db_query has completed (1-based). The
 * crash-safety tests use it to stop a run at every statement boundary. */
#include "driver.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void crash_hook(void)
{
    if (crash_at < 0) {
        const char *e = getenv("EMC_CRASH_AT");
        crash_at = (e && *e) ? atol(e) : 0;
    }
    stmt_count++;
    if (crash_at > 0 && stmt_count == crash_at)
        kill(getpid(), SIGKILL);
}

int db_exec(struct db_conn *c, const char *sql, struct emc_error *err)
{
    int rc = db_drv(c)->exec(c, sql, err);
    if (rc == 0)
        crash_hook();
    return rc;
}

int db_query(struct db_conn *c, const char *sql, const struct db_param *params, int nparams,
             db_row_cb cb, void *ud, int64_t *affected, struct emc_error *err)
{
    int rc = db_drv(c)->query(c, sql, params, nparams, cb, ud, affected, err);
    if (rc == 0)
        crash_hook();
    return rc;
}

int db_begin(struct db_conn *c, struct emc_error *err)
{
    return db_drv(c)->begin(c, err);
}

int db_commit(struct db_conn *c, struct emc_error *err)
{
    int rc = db_drv(c)->commit(c, err);
    if (rc == 0)
        crash_hook();
    return rc;
}

int db_rollback(struct db_conn *c, struct emc_error *err)
{
    return db_drv(c)->rollback(c, err);
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
