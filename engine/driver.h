/* driver.h - the database driver interface: one const struct db_driver per backend.
 *
 * A driver turns a parsed URL into a connection and runs SQL on it. The engine writes SQL with
 * '?' placeholders whatever the backend; drivers that need another style ($1 for libpq) rewrite
 * them outside quotes. Values cross the interface as text (NULL pointer = SQL NULL), which is
 * how all three client libraries hand them over anyway. Every function returns 0 or a negative
 * enum emc_errclass and fills err (class, SQLSTATE, driver code, one-line message).
 *
 * Dialect facts are data (struct db_caps), so the engine branches on capabilities, not names. */
#ifndef EMC_DRIVER_H
#define EMC_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dburl.h"
#include "error.h"

enum db_placeholder { DB_PH_QMARK, DB_PH_DOLLAR };

struct db_caps {
    const char *dialect;             /* "sqlite", "postgresql", "mysql": names migration files */
    bool transactional_ddl;          /* DDL inside BEGIN..ROLLBACK is undone */
    enum db_placeholder placeholder; /* native style (the engine always writes '?') */
    bool advisory_locks;             /* named server-side locks (pg_try_advisory_lock, GET_LOCK) */
    bool lock_timeout;               /* a settable DDL lock wait timeout */
    char ident_quote;                /* '"' or '`' */
};

enum db_param_type { DBP_NULL, DBP_INT, DBP_TEXT };

struct db_param {
    enum db_param_type type;
    int64_t i;
    const char *s;
};

#define DBP_I(v) ((struct db_param){.type = DBP_INT, .i = (v)})
/* dbp_text: a text parameter, or SQL NULL when v is NULL. */
static inline struct db_param dbp_text(const char *v)
{
    struct db_param p = {.type = v ? DBP_TEXT : DBP_NULL, .s = v};
    return p;
}
#define DBP_S(v) dbp_text(v)
#define DBP_NUL ((struct db_param){.type = DBP_NULL})

/* A row callback: ncols values as text (NULL = SQL NULL) and their column names. Return 0 to
 * go on, non-zero to stop (the query then returns 0 and leaves the rest unread). */
typedef int (*db_row_cb)(void *ud, int ncols, char *const *vals, char *const *names);

struct db_conn; /* each driver's own; begins with struct db_conn_base */

/* A probe: client code that SQL calls once per value (db_set_probe): the value's n bytes as
 * text in, an integer out. */
typedef int64_t (*db_probe_fn)(void *ud, const char *s, size_t n);

struct db_conn_base {
    const struct db_driver *drv;
    int64_t last_affected;
};

struct db_driver {
    const char *name;
    struct db_caps caps;

    /* connect: open a connection for url (whose backend matches this driver). Bounded connect
     * timeout (connect_timeout seconds; 0 means the driver default of 5). SQLite turns foreign
     * keys on. On failure *out is NULL and err says why (unreachable, auth, unknown-db...). */
    int (*connect)(struct db_conn **out, const struct dburl *url, int connect_timeout,
                   struct emc_error *err);

    /* close: close and free; NULL is a no-op. */
    void (*close)(struct db_conn *c);

    /* exec: run one statement without parameters, discarding any rows. */
    int (*exec)(struct db_conn *c, const char *sql, struct emc_error *err);

    /* query: run one statement with nparams bound '?' parameters; call cb for each row (cb may
     * be NULL). *affected (may be NULL) receives the rows changed by INSERT/UPDATE/DELETE. */
    int (*query)(struct db_conn *c, const char *sql, const struct db_param *params, int nparams,
                 db_row_cb cb, void *ud, int64_t *affected, struct emc_error *err);

    int (*begin)(struct db_conn *c, struct emc_error *err);
    int (*commit)(struct db_conn *c, struct emc_error *err);
    int (*rollback)(struct db_conn *c, struct emc_error *err);

    /* server_version: a human string such as "PostgreSQL 15.18" or "SQLite 3.40.1". */
    int (*server_version)(struct db_conn *c, char *buf, size_t n, struct emc_error *err);

    /* lock_try: try once to take the named advisory lock for this session (SQLite: an exclusive
     * lock file beside the database). *acquired = true if taken, false if held elsewhere. */
    int (*lock_try)(struct db_conn *c, const char *name, bool *acquired, struct emc_error *err);

    /* lock_release: release a lock taken by lock_try; releasing one not held is not an error. */
    int (*lock_release)(struct db_conn *c, const char *name, struct emc_error *err);

    /* set_lock_timeout: make lock waits of later statements give up after ms milliseconds
     * (0 = backend default). A backend without the facility returns 0 and does nothing. */
    int (*set_lock_timeout)(struct db_conn *c, int ms, struct emc_error *err);

    /* set_stmt_timeout: make the server cancel each later statement of this session that runs
     * longer than ms milliseconds, failing it with EMC_E_STMT_TIMEOUT (0 = back to the
     * session's default). NULL for a backend without the facility (SQLite). */
    int (*set_stmt_timeout)(struct db_conn *c, int ms, struct emc_error *err);

    /* set_probe: make the SQL function name(x) of this connection return probe(ud, x as text)
     * for a non-NULL x and 0 for NULL; probe NULL removes it. NULL for a backend that cannot
     * call client code from SQL (the servers). */
    int (*set_probe)(struct db_conn *c, const char *name, db_probe_fn probe, void *ud,
                     struct emc_error *err);

    /* set_bulk: on: many short write transactions follow on this connection, so keep between
     * them what each would otherwise make and remove again; off: they are over, undo what on
     * changed (also done at close). Speed only: the same durability, locking and results
     * either way. NULL for a backend with nothing to keep (the servers). */
    int (*set_bulk)(struct db_conn *c, bool on, struct emc_error *err);

    /* change_counter: a number that changes whenever any connection commits a change to the
     * database, read without taking a lock (cheap enough to poll every millisecond); -1 when
     * it cannot be read now. NULL for a backend without one (the servers). */
    int64_t (*change_counter)(struct db_conn *c);
};

/* db_driver_for: the driver for a backend (the fake one only in test builds that link it). */
const struct db_driver *db_driver_for(enum db_backend b);

/* db_connect: parse-free convenience: pick the driver by url->backend and connect. */
int db_connect(struct db_conn **out, const struct dburl *url, int connect_timeout,
               struct emc_error *err);

/* Thin dispatchers, so callers write db_exec(c, ...) instead of c->drv->exec(c, ...). */
const struct db_driver *db_drv(const struct db_conn *c);
void db_close(struct db_conn *c);
int db_exec(struct db_conn *c, const char *sql, struct emc_error *err);
int db_query(struct db_conn *c, const char *sql, const struct db_param *params, int nparams,
             db_row_cb cb, void *ud, int64_t *affected, struct emc_error *err);
int db_begin(struct db_conn *c, struct emc_error *err);
int db_commit(struct db_conn *c, struct emc_error *err);
int db_rollback(struct db_conn *c, struct emc_error *err);

/* db_end: end the open transaction by rc: commit when rc == 0, else roll back, keeping the
 * error that rc carries (a failed rollback is not reported over it). Returns rc, or the
 * commit's failure (the transaction is then rolled back). */
int db_end(struct db_conn *c, int rc, struct emc_error *err);

/* db_set_stmt_timeout: the driver's set_stmt_timeout; *supported false (and nothing done) for a
 * backend without one. */
int db_set_stmt_timeout(struct db_conn *c, int ms, bool *supported, struct emc_error *err);

/* db_has_probe: whether the connection's backend can call client code from SQL. */
bool db_has_probe(const struct db_conn *c);

/* db_set_probe: the driver's set_probe; EMC_E_OTHER for a backend without one. */
int db_set_probe(struct db_conn *c, const char *name, db_probe_fn probe, void *ud,
                 struct emc_error *err);

/* db_set_bulk: the driver's set_bulk; 0 (nothing done) for a backend without one. */
int db_set_bulk(struct db_conn *c, bool on, struct emc_error *err);

/* db_change_counter: the driver's change_counter; -1 for a backend without one. */
int64_t db_change_counter(struct db_conn *c);

/* db_query_int: run a query returning one integer in its first column of its first row;
 * *out = 0 and *found = false when there is no row (found may be NULL). */
int db_query_int(struct db_conn *c, const char *sql, const struct db_param *params, int nparams,
                 int64_t *out, bool *found, struct emc_error *err);

/* db_table_exists: *exists = whether a table of that name exists in the connected database. */
int db_table_exists(struct db_conn *c, const char *table, bool *exists, struct emc_error *err);

/* db_quote_ident: write name quoted for this backend into buf; returns buf. */
char *db_quote_ident(const struct db_conn *c, const char *name, char *buf, size_t n);

/* The drivers themselves. */
extern const struct db_driver db_driver_sqlite;
extern const struct db_driver db_driver_postgresql;
extern const struct db_driver db_driver_mysql;

#endif
