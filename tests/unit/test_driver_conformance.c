/* test_driver_conformance.c - one driver suite, run on every backend.
 *
 * SQLite always (a file in a fresh temporary folder); PostgreSQL when EMC_PG_URL is set and
 * MariaDB/MySQL when EMC_MYSQL_URL is set (admin-capable accounts from tests/servers.sh). For
 * each server a scratch database emc_conf_<pid> is created and dropped at the end. Under
 * CI=true a server variable that is missing fails the run; elsewhere its tests are skipped.
 * Only loopback addresses are contacted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"

struct backend {
    const char *name;   /* "sqlite", "postgresql", "mysql" */
    const char *envvar; /* NULL for sqlite */
    bool available;
    char why[600];    /* when not available */
    struct dburl url; /* of the scratch database */
    char dbname[64];
    char dir[256]; /* sqlite: the temporary folder */
};

static struct backend backends[] = {
    {.name = "sqlite"},
    {.name = "postgresql", .envvar = "EMC_PG_URL"},
    {.name = "mysql", .envvar = "EMC_MYSQL_URL"},
};

static bool under_ci(void)
{
    const char *ci = getenv("CI");
    return ci && strcmp(ci, "true") == 0;
}

static void require(struct backend *b)
{
    if (b->available)
        return;
    if (under_ci() || b->envvar == NULL || getenv(b->envvar))
        fail_msg("%s: %s", b->name, b->why);
    skip();
}

static bool is(const struct backend *b, const char *name)
{
    return strcmp(b->name, name) == 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* a deep copy of a URL, so tests can change one field */
static void url_copy(struct dburl *dst, const struct dburl *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->backend = src->backend;
#define COPY(f) dst->f = src->f ? strdup(src->f) : NULL
    COPY(scheme);
    COPY(user);
    COPY(password);
    COPY(host);
    COPY(database);
    COPY(socket);
#undef COPY
    dst->port = src->port;
    dst->nopts = src->nopts;
    for (int i = 0; i < src->nopts; i++) {
        dst->opts[i].key = strdup(src->opts[i].key);
        dst->opts[i].value = strdup(src->opts[i].value);
    }
}

static void set_str(char **f, const char *v)
{
    free(*f);
    *f = v ? strdup(v) : NULL;
}

/* no message may show the password, decoded or as written in the URL */
static void assert_no_password(const char *msg)
{
    const char *pw = getenv("EMC_DB_PASSWORD");
    if (pw && *pw)
        assert_null(strstr(msg, pw));
    assert_null(strstr(msg, "s3cr%40t%25pw"));
    assert_null(strstr(msg, "wrong-Pa55"));
    assert_null(strchr(msg, '\n'));
}

static struct db_conn *xconnect(struct backend *b)
{
    struct db_conn *c = NULL;
    struct emc_error err;
    int rc = db_connect(&c, &b->url, 5, &err);
    if (rc != 0)
        fail_msg("connect %s: %s", b->name, err.msg);
    assert_non_null(c);
    return c;
}

static void xexec(struct db_conn *c, const char *sql)
{
    struct emc_error err;
    if (db_exec(c, sql, &err) != 0)
        fail_msg("exec '%s': %s", sql, err.msg);
}

static void xquery(struct db_conn *c, const char *sql, const struct db_param *p, int n,
                   db_row_cb cb, void *ud, int64_t *affected)
{
    struct emc_error err;
    if (db_query(c, sql, p, n, cb, ud, affected, &err) != 0)
        fail_msg("query '%s': %s", sql, err.msg);
}

static int64_t xint(struct db_conn *c, const char *sql)
{
    struct emc_error err;
    int64_t v = -1;
    bool found = false;
    if (db_query_int(c, sql, NULL, 0, &v, &found, &err) != 0)
        fail_msg("query '%s': %s", sql, err.msg);
    assert_true(found);
    return v;
}

#define MAXR 16
#define MAXC 8
struct rows {
    int n, ncols, calls;
    char *names[MAXC];
    char *v[MAXR][MAXC];
    int stop_after; /* 0 = never */
};

static int rows_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    struct rows *r = ud;
    r->calls++;
    if (r->n < MAXR && ncols <= MAXC) {
        r->ncols = ncols;
        for (int i = 0; i < ncols; i++) {
            if (r->n == 0)
                r->names[i] = strdup(names[i]);
            r->v[r->n][i] = vals[i] ? strdup(vals[i]) : NULL;
        }
        r->n++;
    }
    return r->stop_after > 0 && r->calls >= r->stop_after;
}

static void rows_free(struct rows *r)
{
    for (int i = 0; i < MAXC; i++)
        free(r->names[i]);
    for (int j = 0; j < MAXR; j++)
        for (int i = 0; i < MAXC; i++)
            free(r->v[j][i]);
    memset(r, 0, sizeof(*r));
}

/* the error of one statement that must fail */
static struct emc_error xfail(struct db_conn *c, const char *sql, const struct db_param *p, int n)
{
    struct emc_error err;
    int rc = db_query(c, sql, p, n, NULL, NULL, NULL, &err);
    if (rc == 0)
        fail_msg("'%s' succeeded, expected an error", sql);
    assert_int_equal(rc, -err.code);
    assert_true(err.msg[0] != '\0');
    assert_no_password(err.msg);
    return err;
}

static const char *ts_type(const struct backend *b)
{
    return is(b, "postgresql") ? "TIMESTAMP" : "DATETIME";
}

/* ------------------------------------------------------------------------------------------ */

static void t_version_and_caps(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    const struct db_driver *d = db_drv(c);
    assert_string_equal(d->caps.dialect, b->name);
    char v[128];
    struct emc_error err;
    assert_int_equal(d->server_version(c, v, sizeof(v), &err), 0);
    struct rows r = {0};
    if (is(b, "sqlite")) {
        char want[64];
        snprintf(want, sizeof(want), "SQLite %s", sqlite3_libversion());
        assert_string_equal(v, want);
        assert_true(d->caps.transactional_ddl);
        assert_int_equal(d->caps.ident_quote, '"');
        /* foreign keys are on for every connection */
        assert_int_equal(xint(c, "PRAGMA foreign_keys"), 1);
    } else if (is(b, "postgresql")) {
        xquery(c, "SELECT current_setting('server_version'), current_setting('application_name')",
               NULL, 0, rows_cb, &r, NULL);
        char want[128];
        snprintf(want, sizeof(want), "PostgreSQL %.*s", (int)strcspn(r.v[0][0], " "), r.v[0][0]);
        assert_string_equal(v, want);
        assert_string_equal(r.v[0][1], "glance-emc");
        assert_true(d->caps.transactional_ddl && d->caps.advisory_locks && d->caps.lock_timeout);
        assert_int_equal(d->caps.ident_quote, '"');
    } else {
        xquery(c, "SELECT VERSION(), @@autocommit, @@character_set_client", NULL, 0, rows_cb, &r,
               NULL);
        assert_true(strncmp(v, "MariaDB ", 8) == 0 || strncmp(v, "MySQL ", 6) == 0);
        assert_non_null(strstr(r.v[0][0], strchr(v, ' ') + 1));
        assert_string_equal(r.v[0][1], "1");
        assert_string_equal(r.v[0][2], "utf8mb4");
        assert_false(d->caps.transactional_ddl);
        assert_true(d->caps.advisory_locks && d->caps.lock_timeout);
        assert_int_equal(d->caps.ident_quote, '`');
    }
    rows_free(&r);
    db_close(c);
}

static void t_ddl_dml(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    xexec(c, "CREATE TABLE t_dml (id INTEGER PRIMARY KEY, name VARCHAR(64), n BIGINT)");
    bool exists = false;
    struct emc_error err;
    assert_int_equal(db_table_exists(c, "t_dml", &exists, &err), 0);
    assert_true(exists);
    const char *names[] = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 3; i++) {
        struct db_param p[] = {DBP_I(i + 1), DBP_S(names[i]), DBP_I(10 * (i + 1))};
        int64_t aff = -1;
        xquery(c, "INSERT INTO t_dml (id, name, n) VALUES (?, ?, ?)", p, 3, NULL, NULL, &aff);
        assert_int_equal(aff, 1);
    }
    int64_t aff = -1;
    struct db_param p20 = DBP_I(20);
    xquery(c, "UPDATE t_dml SET n = n + 1 WHERE n >= ?", &p20, 1, NULL, NULL, &aff);
    assert_int_equal(aff, 2);
    /* a value set to what it already is: MySQL counts changed rows (no CLIENT_FOUND_ROWS),
     * SQLite and PostgreSQL matched rows */
    xquery(c, "UPDATE t_dml SET n = 10 WHERE id = 1", NULL, 0, NULL, NULL, &aff);
    assert_int_equal(aff, is(b, "mysql") ? 0 : 1);
    struct db_param pb = DBP_S("beta");
    xquery(c, "DELETE FROM t_dml WHERE name = ?", &pb, 1, NULL, NULL, &aff);
    assert_int_equal(aff, 1);
    struct rows r = {0};
    xquery(c, "SELECT id, name, n FROM t_dml ORDER BY id", NULL, 0, rows_cb, &r, &aff);
    assert_int_equal(aff, 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.ncols, 3);
    assert_string_equal(r.names[0], "id");
    assert_string_equal(r.names[1], "name");
    assert_string_equal(r.names[2], "n");
    assert_string_equal(r.v[0][1], "alpha");
    assert_string_equal(r.v[0][2], "10");
    assert_string_equal(r.v[1][0], "3");
    assert_string_equal(r.v[1][2], "31");
    rows_free(&r);
    xexec(c, "DROP TABLE t_dml");
    assert_int_equal(db_table_exists(c, "t_dml", &exists, &err), 0);
    assert_false(exists);
    db_close(c);
}

static void t_params_roundtrip(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    char ddl[256];
    snprintf(ddl, sizeof(ddl),
             "CREATE TABLE t_par (id INTEGER PRIMARY KEY, s VARCHAR(255), i BIGINT, ts %s)",
             ts_type(b));
    xexec(c, ddl);
    static const char *const texts[] = {
        NULL,
        "na\xc3\xafve caf\xc3\xa9 \xe2\x80\x93 \xe2\x98\x83 \xf0\x9f\x98\x80 "
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
        "it's a ? and a \\ backslash, $1, -- not a comment /* nor this */ \"q\" `b`",
        "",
    };
    static const int64_t ints[] = {0, INT64_MAX, INT64_MIN, -1};
    static const char *const stamps[] = {NULL, "2024-02-29 23:59:59", "1970-01-01 00:00:01",
                                         "9999-12-31 23:59:59"};
    for (int k = 0; k < 4; k++) {
        struct db_param p[] = {DBP_I(k + 1), DBP_S(texts[k]), k == 0 ? DBP_NUL : DBP_I(ints[k]),
                               DBP_S(stamps[k])};
        xquery(c, "INSERT INTO t_par (id, s, i, ts) VALUES (?, ?, ?, ?)", p, 4, NULL, NULL, NULL);
    }
    for (int k = 0; k < 4; k++) {
        struct rows r = {0};
        struct db_param id = DBP_I(k + 1);
        xquery(c, "SELECT s, i, ts FROM t_par WHERE id = ?", &id, 1, rows_cb, &r, NULL);
        assert_int_equal(r.n, 1);
        if (texts[k])
            assert_string_equal(r.v[0][0], texts[k]);
        else
            assert_null(r.v[0][0]);
        if (k == 0) {
            assert_null(r.v[0][1]);
        } else {
            char num[32];
            snprintf(num, sizeof(num), "%lld", (long long)ints[k]);
            assert_string_equal(r.v[0][1], num);
        }
        if (stamps[k])
            assert_string_equal(r.v[0][2], stamps[k]);
        else
            assert_null(r.v[0][2]);
        rows_free(&r);
    }
    /* a 64-bit integer compared by value, not as text */
    struct db_param big = DBP_I(INT64_MAX - 1);
    int64_t n = -1;
    struct emc_error err;
    assert_int_equal(
        db_query_int(c, "SELECT count(*) FROM t_par WHERE i > ?", &big, 1, &n, NULL, &err), 0);
    assert_int_equal(n, 1);
    db_close(c);
}

/* '?' inside each dialect's quotes and comments is text, not a placeholder */
static void t_placeholder_scanning(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    const char *sql, *d_want, *e_want;
    if (is(b, "postgresql")) {
        sql = "SELECT $$it's ? $$ AS d, E'\\'?' AS e, $q$ ? $q$ AS f, ?::text AS a, ? + 1 AS b, "
              "\"we?rd\" AS g FROM (SELECT 1 AS \"we?rd\") s /* ? /* nested ? */ ? */ -- ?";
        d_want = "it's ? ";
        e_want = "'?";
    } else if (is(b, "mysql")) {
        sql = "SELECT 'it\\'s ?' AS d, \"?\" AS e, ? AS a /* ? */, ? + 1 AS b, `we?rd` AS g "
              "FROM (SELECT 1 AS `we?rd`) s -- ?\n # ?";
        d_want = "it's ?";
        e_want = "?";
    } else {
        sql = "SELECT 'it''s ?' AS d, '?' AS e, ? AS a /* ? */, ? + 1 AS b, \"we?rd\" AS g "
              "FROM (SELECT 1 AS \"we?rd\") s -- ?";
        d_want = "it's ?";
        e_want = "?";
    }
    struct db_param p[] = {DBP_S("x'y\\"), DBP_I(5)};
    struct rows r = {0};
    xquery(c, sql, p, 2, rows_cb, &r, NULL);
    assert_int_equal(r.n, 1);
    for (int i = 0; i < r.ncols; i++) {
        const char *v = r.v[0][i];
        if (strcmp(r.names[i], "d") == 0)
            assert_string_equal(v, d_want);
        else if (strcmp(r.names[i], "e") == 0)
            assert_string_equal(v, e_want);
        else if (strcmp(r.names[i], "a") == 0)
            assert_string_equal(v, "x'y\\");
        else if (strcmp(r.names[i], "b") == 0)
            assert_string_equal(v, "6");
        else if (strcmp(r.names[i], "g") == 0)
            assert_string_equal(v, "1");
    }
    assert_int_equal(r.ncols, is(b, "postgresql") ? 6 : 5);
    rows_free(&r);
    db_close(c);
}

static void t_param_count_mismatch(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    struct db_param p = DBP_I(1);
    struct emc_error err = xfail(c, "SELECT 1 WHERE 1 = ? AND 2 = ?", &p, 1);
    assert_int_equal(err.code, EMC_E_USAGE);
    db_close(c);
}

static void t_transactions(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    struct emc_error err;
    xexec(c, "CREATE TABLE t_tx (id INTEGER PRIMARY KEY)");
    assert_int_equal(db_begin(c, &err), 0);
    xexec(c, "INSERT INTO t_tx (id) VALUES (1)");
    assert_int_equal(xint(c, "SELECT count(*) FROM t_tx"), 1);
    assert_int_equal(db_rollback(c, &err), 0);
    assert_int_equal(xint(c, "SELECT count(*) FROM t_tx"), 0);
    assert_int_equal(db_begin(c, &err), 0);
    xexec(c, "INSERT INTO t_tx (id) VALUES (2)");
    assert_int_equal(db_commit(c, &err), 0);
    assert_int_equal(xint(c, "SELECT count(*) FROM t_tx"), 1);
    /* DDL inside a transaction is undone where the backend says so */
    assert_int_equal(db_begin(c, &err), 0);
    xexec(c, "CREATE TABLE t_tx_ddl (id INTEGER)");
    assert_int_equal(db_rollback(c, &err), 0);
    bool exists = true;
    assert_int_equal(db_table_exists(c, "t_tx_ddl", &exists, &err), 0);
    assert_int_equal(exists, !db_drv(c)->caps.transactional_ddl);
    db_close(c);
}

static void t_exec_script(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    xexec(c, "CREATE TABLE t_scr (x INTEGER);\n INSERT INTO t_scr VALUES (1);\n"
             "INSERT INTO t_scr VALUES (2);\n");
    assert_int_equal(xint(c, "SELECT sum(x) FROM t_scr"), 3);
    struct emc_error err;
    int rc = db_exec(c, "INSERT INTO t_scr VALUES (4); INSERT INTO t_scr_nope VALUES (8)", &err);
    assert_int_equal(rc, -EMC_E_SYNTAX);
    /* PostgreSQL runs a multi-statement text as one implicit transaction: all or nothing;
     * SQLite and MySQL keep what ran before the failing statement */
    assert_int_equal(xint(c, "SELECT sum(x) FROM t_scr"), is(b, "postgresql") ? 3 : 7);
    db_close(c);
}

struct nested {
    struct db_conn *c;
    int rows;
    int64_t sum;
};

/* runs a second statement on the same connection for each row */
static int nested_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct nested *ns = ud;
    int64_t n = 0;
    struct emc_error err;
    if (ncols != 1 || db_query_int(ns->c, "SELECT count(*) FROM t_cb", NULL, 0, &n, NULL, &err))
        return 1;
    ns->rows++;
    ns->sum += strtoll(vals[0], NULL, 10) * n;
    return 0;
}

static void t_callback_stop_and_nested(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    xexec(c, "CREATE TABLE t_cb (x INTEGER)");
    xexec(c, "INSERT INTO t_cb VALUES (1), (2), (3)");
    struct rows r = {.stop_after = 1};
    xquery(c, "SELECT x FROM t_cb ORDER BY x", NULL, 0, rows_cb, &r, NULL);
    assert_int_equal(r.calls, 1);
    rows_free(&r);
    /* the connection is usable after a stopped query, even from inside a callback */
    struct nested ns = {.c = c};
    xquery(c, "SELECT x FROM t_cb ORDER BY x", NULL, 0, nested_cb, &ns, NULL);
    assert_int_equal(ns.rows, 3);
    assert_int_equal(ns.sum, 1 * 3 + 2 * 3 + 3 * 3);
    assert_int_equal(xint(c, "SELECT count(*) FROM t_cb"), 3);
    db_close(c);
}

static void t_quote_ident(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    char name[32], q[80], sql[200];
    snprintf(name, sizeof(name), "odd %c name", db_drv(c)->caps.ident_quote);
    db_quote_ident(c, name, q, sizeof(q));
    snprintf(sql, sizeof(sql), "CREATE TABLE %s (id INTEGER)", q);
    xexec(c, sql);
    snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (5)", q);
    xexec(c, sql);
    snprintf(sql, sizeof(sql), "SELECT id FROM %s", q);
    assert_int_equal(xint(c, sql), 5);
    db_close(c);
}

static int64_t probe_len(void *ud, const char *s, size_t n)
{
    int *calls = ud;
    (*calls)++;
    return (int64_t)n + (n && s[0] == 'x' ? 100 : 0);
}

/* set_probe: SQLite calls client code from SQL (the text of the value, 0 for NULL), never from
 * a view of the database, and forgets it when asked; the servers have no probe */
static void t_probe(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    struct emc_error err;
    int calls = 0;
    if (!is(b, "sqlite")) {
        assert_false(db_has_probe(c));
        assert_int_equal(db_set_probe(c, "emc_t", probe_len, &calls, &err), -EMC_E_OTHER);
        db_close(c);
        return;
    }
    assert_true(db_has_probe(c));
    assert_int_equal(db_set_probe(c, "emc_t", probe_len, &calls, &err), 0);
    assert_int_equal(xint(c, "SELECT emc_t('abc') + emc_t(NULL) + emc_t(12345) + emc_t('xy')"),
                     3 + 0 + 5 + 102);
    assert_int_equal(calls, 3); /* not for NULL */
    xexec(c, "CREATE TABLE t_probe (v TEXT)");
    xexec(c, "INSERT INTO t_probe VALUES ('a'), ('bb'), (NULL)");
    assert_int_equal(xint(c, "SELECT SUM(emc_t(v)) FROM t_probe"), 3);
    xexec(c, "CREATE VIEW v_probe AS SELECT emc_t(v) AS n FROM t_probe");
    int64_t n = 0;
    assert_true(db_query_int(c, "SELECT SUM(n) FROM v_probe", NULL, 0, &n, NULL, &err) < 0);
    assert_int_equal(db_set_probe(c, "emc_t", NULL, NULL, &err), 0);
    assert_int_equal(db_query_int(c, "SELECT emc_t('a')", NULL, 0, &n, NULL, &err), -EMC_E_SYNTAX);
    assert_int_equal(calls, 5);
    db_close(c);
}

static bool journal_file(const struct backend *b)
{
    char path[600];
    snprintf(path, sizeof(path), "%s-journal", b->url.database);
    struct stat st;
    return stat(path, &st) == 0;
}

/* bulk mode: speed only, so every backend commits and rolls back as before; on SQLite, a
 * connection in the default DELETE mode keeps its journal file between transactions (PERSIST)
 * until bulk mode ends or the connection closes, and leaves any other mode alone. A file
 * connection also gets a page cache of up to 64 MB. */
/* the savepoint statements a wide migration window runs under (runner_data.c window_batch):
 * the same words on every backend, undoing only what followed the savepoint */
static void t_savepoint(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    struct emc_error err;
    xexec(c, "CREATE TABLE t_sp (id INTEGER PRIMARY KEY, v INTEGER)");
    assert_int_equal(db_begin(c, &err), 0);
    xexec(c, "INSERT INTO t_sp (id, v) VALUES (1, 10)");
    xexec(c, "SAVEPOINT emc_window");
    xexec(c, "INSERT INTO t_sp (id, v) VALUES (2, 20)");
    xexec(c, "UPDATE t_sp SET v = v + 1");
    xexec(c, "ROLLBACK TO SAVEPOINT emc_window");
    xexec(c, "INSERT INTO t_sp (id, v) VALUES (3, 30)");
    xexec(c, "RELEASE SAVEPOINT emc_window");
    assert_int_equal(db_commit(c, &err), 0);
    assert_int_equal(xint(c, "SELECT SUM(v) FROM t_sp"), 40);
    assert_int_equal(xint(c, "SELECT COUNT(*) FROM t_sp WHERE id = 2"), 0);
    xexec(c, "DROP TABLE t_sp");
    db_close(c);
}

/* the statement cap: the servers cancel a statement that runs past it, as
 * EMC_E_STMT_TIMEOUT, and the connection goes on; off again, the same statement finishes.
 * SQLite has no cap (the runner keeps its batches short by other means). */
static void t_stmt_timeout(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    struct emc_error err;
    bool supported = true;
    const char *slow = is(b, "postgresql") ? "SELECT pg_sleep(0.6)" : "SELECT SLEEP(0.6)";
    assert_int_equal(db_set_stmt_timeout(c, 100, &supported, &err), 0);
    assert_int_equal(supported, !is(b, "sqlite"));
    if (supported) {
        assert_int_equal(db_exec(c, slow, &err), -EMC_E_STMT_TIMEOUT);
        assert_int_equal(err.code, EMC_E_STMT_TIMEOUT);
        assert_int_equal(xint(c, "SELECT 7"), 7);
        /* in a transaction: the cancelled statement's rows are undone with it */
        xexec(c, "CREATE TABLE t_cap (id INTEGER PRIMARY KEY, v INTEGER)");
        assert_int_equal(db_begin(c, &err), 0);
        xexec(c, "INSERT INTO t_cap (id, v) VALUES (1, 10)");
        assert_int_equal(db_exec(c, slow, &err), -EMC_E_STMT_TIMEOUT);
        assert_int_equal(db_rollback(c, &err), 0);
        assert_int_equal(xint(c, "SELECT COUNT(*) FROM t_cap"), 0);
        xexec(c, "DROP TABLE t_cap");
        assert_int_equal(db_set_stmt_timeout(c, 0, &supported, &err), 0);
        assert_int_equal(db_exec(c, slow, &err), 0);
    }
    db_close(c);
}

static void t_bulk(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    struct emc_error err;
    xexec(c, "CREATE TABLE t_bulk (id INTEGER PRIMARY KEY, v INTEGER)");
    assert_int_equal(db_set_bulk(c, true, &err), 0);
    assert_int_equal(db_begin(c, &err), 0);
    xexec(c, "INSERT INTO t_bulk (id, v) VALUES (1, 10), (2, 20)");
    assert_int_equal(db_commit(c, &err), 0);
    assert_int_equal(db_begin(c, &err), 0);
    xexec(c, "UPDATE t_bulk SET v = 99");
    assert_int_equal(db_rollback(c, &err), 0);
    assert_int_equal(xint(c, "SELECT SUM(v) FROM t_bulk"), 30);
    if (is(b, "sqlite")) {
        assert_true(journal_file(b));
        assert_int_equal(xint(c, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = "
                                 "'persist'"),
                         1);
        assert_int_equal(xint(c, "PRAGMA cache_size"), -65536);
    }
    assert_int_equal(db_set_bulk(c, true, &err), 0); /* again: no change */
    assert_int_equal(db_set_bulk(c, false, &err), 0);
    if (is(b, "sqlite")) {
        assert_false(journal_file(b));
        assert_int_equal(xint(c, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = "
                                 "'delete'"),
                         1);
        /* closing in bulk mode removes the kept file too */
        assert_int_equal(db_set_bulk(c, true, &err), 0);
        xexec(c, "UPDATE t_bulk SET v = v + 1");
        assert_true(journal_file(b));
        db_close(c);
        assert_false(journal_file(b));
        /* an operator's WAL database stays in WAL */
        c = xconnect(b);
        xexec(c, "PRAGMA journal_mode = WAL");
        assert_int_equal(db_set_bulk(c, true, &err), 0);
        xexec(c, "UPDATE t_bulk SET v = v + 1");
        assert_int_equal(db_set_bulk(c, false, &err), 0);
        assert_int_equal(xint(c, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = "
                                 "'wal'"),
                         1);
        xexec(c, "PRAGMA journal_mode = DELETE");
    }
    assert_int_equal(xint(c, "SELECT SUM(v) FROM t_bulk"), is(b, "sqlite") ? 34 : 30);
    xexec(c, "DROP TABLE t_bulk");
    db_close(c);
}

/* the change counter: SQLite's moves with each commit of another connection that changed the
 * database (and with the connection's own), not with reads, a rollback or a transaction still
 * open; it reads without a lock, even while another connection holds the write lock. The
 * servers have none (-1). */
static void t_change_counter(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *a = xconnect(b), *c2 = xconnect(b);
    struct emc_error err;
    if (!is(b, "sqlite")) {
        assert_int_equal(db_change_counter(a), -1);
        db_close(a);
        db_close(c2);
        return;
    }
    xexec(c2, "CREATE TABLE t_cc (id INTEGER PRIMARY KEY, v INTEGER)");
    int64_t v0 = db_change_counter(a);
    assert_true(v0 >= 0);
    xexec(c2, "INSERT INTO t_cc VALUES (1, 0)");
    int64_t v1 = db_change_counter(a);
    assert_true(v1 != v0);
    assert_int_equal(xint(c2, "SELECT COUNT(*) FROM t_cc"), 1);
    assert_int_equal(db_change_counter(a), v1); /* a read */
    assert_int_equal(db_begin(c2, &err), 0);
    xexec(c2, "UPDATE t_cc SET v = 1");
    assert_int_equal(db_change_counter(a), v1); /* open, holding the write lock */
    assert_int_equal(db_rollback(c2, &err), 0);
    assert_int_equal(db_change_counter(a), v1); /* rolled back */
    assert_int_equal(db_begin(c2, &err), 0);
    xexec(c2, "UPDATE t_cc SET v = 2");
    assert_int_equal(db_commit(c2, &err), 0);
    int64_t v2 = db_change_counter(a);
    assert_true(v2 != v1);
    xexec(a, "UPDATE t_cc SET v = 3"); /* its own */
    assert_true(db_change_counter(a) != v2);
    xexec(a, "DROP TABLE t_cc");
    db_close(a);
    db_close(c2);
    /* an in-memory database has no file to read it from */
    struct dburl mem = {0};
    assert_int_equal(dburl_parse(&mem, "sqlite://", &err), 0);
    struct db_conn *m = NULL;
    assert_int_equal(db_connect(&m, &mem, 5, &err), 0);
    assert_int_equal(db_change_counter(m), -1);
    db_close(m);
    dburl_free(&mem);
}

static void t_err_syntax(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    xexec(c, "CREATE TABLE t_syn (id INTEGER)");
    static const char *const bad[] = {"SELEC 1", "SELECT * FROM t_no_such_table",
                                      "SELECT no_such_column FROM t_syn"};
    static const char *const pg_states[] = {"42601", "42P01", "42703"};
    static const long my_codes[] = {1064, 1146, 1054};
    for (int i = 0; i < 3; i++) {
        struct emc_error err = xfail(c, bad[i], NULL, 0);
        assert_int_equal(err.code, EMC_E_SYNTAX);
        if (is(b, "postgresql"))
            assert_string_equal(err.sqlstate, pg_states[i]);
        if (is(b, "mysql"))
            assert_int_equal(err.driver_code, my_codes[i]);
        if (is(b, "sqlite"))
            assert_int_equal(err.driver_code & 0xff, SQLITE_ERROR);
    }
    /* the connection still works */
    assert_int_equal(xint(c, "SELECT count(*) FROM t_syn"), 0);
    db_close(c);
}

static void t_err_constraint(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *c = xconnect(b);
    xexec(c, "CREATE TABLE t_par_c (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL UNIQUE)");
    xexec(c, "CREATE TABLE t_child_c (id INTEGER PRIMARY KEY, parent_id INTEGER, "
             "FOREIGN KEY (parent_id) REFERENCES t_par_c (id))");
    xexec(c, "INSERT INTO t_par_c (id, name) VALUES (1, 'one')");
    xexec(c, "INSERT INTO t_child_c (id, parent_id) VALUES (1, 1)");
    struct {
        const char *sql;
        const char *pg_state;
        long my_code;
    } cases[] = {
        {"INSERT INTO t_par_c (id, name) VALUES (1, 'dup id')", "23505", 1062},
        {"INSERT INTO t_par_c (id, name) VALUES (2, 'one')", "23505", 1062},
        {"INSERT INTO t_par_c (id, name) VALUES (3, NULL)", "23502", 1048},
        {"INSERT INTO t_child_c (id, parent_id) VALUES (2, 99)", "23503", 1452},
        {"DELETE FROM t_par_c WHERE id = 1", "23503", 1451},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct emc_error err = xfail(c, cases[i].sql, NULL, 0);
        if (err.code != EMC_E_CONSTRAINT)
            fail_msg("%s: class %s: %s", cases[i].sql, emc_errclass_name(err.code), err.msg);
        if (is(b, "postgresql"))
            assert_string_equal(err.sqlstate, cases[i].pg_state);
        if (is(b, "mysql"))
            assert_int_equal(err.driver_code, cases[i].my_code);
        if (is(b, "sqlite"))
            assert_int_equal(err.driver_code & 0xff, SQLITE_CONSTRAINT);
    }
    assert_int_equal(xint(c, "SELECT count(*) FROM t_par_c"), 1);
    assert_int_equal(xint(c, "SELECT count(*) FROM t_child_c"), 1);
    db_close(c);
}

static void t_err_lock_timeout(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *a = xconnect(b), *c2 = xconnect(b);
    struct emc_error err;
    xexec(a, "CREATE TABLE t_lk (id INTEGER PRIMARY KEY, v INTEGER)");
    xexec(a, "INSERT INTO t_lk VALUES (1, 0)");
    assert_int_equal(db_begin(a, &err), 0);
    xexec(a, "UPDATE t_lk SET v = 1 WHERE id = 1");
    assert_int_equal(db_drv(c2)->set_lock_timeout(c2, 300, &err), 0);
    double t0 = now_s();
    struct emc_error e = xfail(c2, "UPDATE t_lk SET v = 2 WHERE id = 1", NULL, 0);
    double dt = now_s() - t0;
    if (e.code != EMC_E_LOCK_TIMEOUT)
        fail_msg("class %s: %s", emc_errclass_name(e.code), e.msg);
    if (is(b, "postgresql"))
        assert_string_equal(e.sqlstate, "55P03");
    if (is(b, "mysql"))
        assert_int_equal(e.driver_code, 1205);
    assert_true(dt >= 0.25);                    /* it waited ... */
    assert_true(dt < (is(b, "mysql") ? 4 : 3)); /* ... for the timeout (MySQL: whole seconds) */
    assert_int_equal(db_rollback(c2, &err), 0);
    /* in bulk mode too: a timeout set before bulk mode began stays in force */
    assert_int_equal(db_set_bulk(c2, true, &err), 0);
    t0 = now_s();
    e = xfail(c2, "UPDATE t_lk SET v = 2 WHERE id = 1", NULL, 0);
    dt = now_s() - t0;
    assert_int_equal(e.code, EMC_E_LOCK_TIMEOUT);
    assert_true(dt >= 0.25 && dt < (is(b, "mysql") ? 4 : 3));
    assert_int_equal(db_set_bulk(c2, false, &err), 0);
    assert_int_equal(db_rollback(a, &err), 0);
    assert_int_equal(db_rollback(c2, &err), 0);
    /* with the lock gone the same statement goes through */
    xexec(c2, "UPDATE t_lk SET v = 2 WHERE id = 1");
    assert_int_equal(xint(a, "SELECT v FROM t_lk WHERE id = 1"), 2);
    db_close(a);
    db_close(c2);
}

struct dl_arg {
    struct db_conn *c;
    int rc;
    struct emc_error err;
};

static void *dl_thread(void *p)
{
    struct dl_arg *a = p;
    a->rc = db_exec(a->c, "UPDATE t_dl SET v = v + 1 WHERE id = 2", &a->err);
    return NULL;
}

static void t_err_deadlock(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *a = xconnect(b), *c2 = xconnect(b);
    struct emc_error err;
    xexec(a, "CREATE TABLE t_dl (id INTEGER PRIMARY KEY, v INTEGER)");
    xexec(a, "INSERT INTO t_dl VALUES (1, 0), (2, 0)");
    assert_int_equal(db_drv(a)->set_lock_timeout(a, 20000, &err), 0);
    assert_int_equal(db_drv(c2)->set_lock_timeout(c2, 20000, &err), 0);
    assert_int_equal(db_begin(a, &err), 0);
    assert_int_equal(db_begin(c2, &err), 0);
    xexec(a, "UPDATE t_dl SET v = v + 1 WHERE id = 1");
    xexec(c2, "UPDATE t_dl SET v = v + 1 WHERE id = 2");
    struct dl_arg arg = {.c = a};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, dl_thread, &arg), 0);
    usleep(400 * 1000); /* a now waits for row 2 */
    struct emc_error e2;
    int rc2 = db_exec(c2, "UPDATE t_dl SET v = v + 1 WHERE id = 1", &e2);
    pthread_join(th, NULL);
    /* exactly one of the two is the victim */
    assert_true((arg.rc == 0) != (rc2 == 0));
    struct emc_error *e = arg.rc ? &arg.err : &e2;
    if (e->code != EMC_E_DEADLOCK)
        fail_msg("class %s: %s", emc_errclass_name(e->code), e->msg);
    if (is(b, "postgresql"))
        assert_string_equal(e->sqlstate, "40P01");
    if (is(b, "mysql"))
        assert_int_equal(e->driver_code, 1213);
    assert_no_password(e->msg);
    db_rollback(a, &err);
    db_rollback(c2, &err);
    db_close(a);
    db_close(c2);
}

static void t_err_conn_lost(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *a = xconnect(b), *killer = xconnect(b);
    struct db_param id;
    if (is(b, "postgresql")) {
        id = DBP_I(xint(a, "SELECT pg_backend_pid()"));
        xquery(killer, "SELECT pg_terminate_backend(?::int)", &id, 1, NULL, NULL, NULL);
    } else {
        id = DBP_I(xint(a, "SELECT CONNECTION_ID()"));
        xquery(killer, "KILL ?", &id, 1, NULL, NULL, NULL);
    }
    usleep(200 * 1000);
    struct emc_error e = xfail(a, "SELECT 1", NULL, 0);
    if (e.code != EMC_E_CONN_LOST)
        fail_msg("class %s: %s", emc_errclass_name(e.code), e.msg);
    /* and it stays lost, without crashing */
    e = xfail(a, "SELECT 1", NULL, 0);
    assert_int_equal(e.code, EMC_E_CONN_LOST);
    struct emc_error err;
    db_rollback(a, &err);
    db_close(a);
    assert_int_equal(xint(killer, "SELECT 1"), 1);
    db_close(killer);
}

static void t_advisory_lock(void **state)
{
    struct backend *b = *state;
    require(b);
    struct db_conn *a = xconnect(b), *c2 = xconnect(b);
    const struct db_driver *d = db_drv(a);
    struct emc_error err;
    bool got = false;
    assert_int_equal(d->lock_try(a, "emc-conformance", &got, &err), 0);
    assert_true(got);
    assert_int_equal(d->lock_try(c2, "emc-conformance", &got, &err), 0);
    assert_false(got);
    assert_int_equal(d->lock_release(a, "emc-conformance", &err), 0);
    assert_int_equal(d->lock_try(c2, "emc-conformance", &got, &err), 0);
    assert_true(got);
    /* releasing a lock one does not hold is not an error, and does not free it */
    assert_int_equal(d->lock_release(a, "emc-conformance", &err), 0);
    assert_int_equal(d->lock_try(a, "emc-conformance", &got, &err), 0);
    assert_false(got);
    /* closing the holder's connection frees the lock: on PostgreSQL once the server process
     * behind it has gone, which happens after PQfinish returns, so poll for up to 2 s */
    db_close(c2);
    got = false;
    for (int i = 0; i < 200 && !got; i++) {
        assert_int_equal(d->lock_try(a, "emc-conformance", &got, &err), 0);
        if (!got) {
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(got);
    assert_int_equal(d->lock_release(a, "emc-conformance", &err), 0);
    db_close(a);
}

/* connect to the scratch database with one thing changed (NULL/0: unchanged); the connection
 * must fail: returns its error, *dt the seconds it took */
static struct emc_error connect_bad(struct backend *b, const char *password, const char *db,
                                    int port, int timeout, double *dt)
{
    struct dburl u;
    url_copy(&u, &b->url);
    if (password)
        set_str(&u.password, password);
    if (db)
        set_str(&u.database, db);
    if (port) { /* loopback TCP only */
        set_str(&u.host, "127.0.0.1");
        set_str(&u.socket, NULL);
        u.port = port;
    }
    struct db_conn *c = NULL;
    struct emc_error err;
    double t0 = now_s();
    int rc = db_connect(&c, &u, timeout, &err);
    *dt = now_s() - t0;
    dburl_free(&u);
    assert_null(c);
    assert_true(rc < 0);
    assert_int_equal(rc, -err.code);
    assert_no_password(err.msg);
    return err;
}

static void t_err_auth(void **state)
{
    struct backend *b = *state;
    require(b);
    double dt;
    struct emc_error err = connect_bad(b, "wrong-Pa55", NULL, 0, 5, &dt);
    assert_int_equal(err.code, EMC_E_AUTH);
    if (is(b, "postgresql"))
        assert_string_equal(err.sqlstate, "28P01");
    if (is(b, "mysql"))
        assert_int_equal(err.driver_code, 1045);
}

static void t_err_unknown_db(void **state)
{
    struct backend *b = *state;
    require(b);
    double dt;
    struct emc_error err = connect_bad(b, NULL, "emc_no_such_database", 0, 5, &dt);
    assert_int_equal(err.code, EMC_E_UNKNOWN_DB);
    assert_non_null(strstr(err.msg, "emc_no_such_database"));
    if (is(b, "postgresql"))
        assert_string_equal(err.sqlstate, "3D000");
    if (is(b, "mysql"))
        assert_int_equal(err.driver_code, 1049);
}

/* a loopback TCP socket: listening (it accepts through the kernel's backlog and never says a
 * word) or closed at once (nobody listens on its port). Returns the port; *fd to close. */
static int loopback_port(bool listening, int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof(sa);
    assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    if (listening)
        assert_int_equal(listen(*fd, 8), 0);
    assert_int_equal(getsockname(*fd, (struct sockaddr *)&sa, &n), 0);
    if (!listening) {
        close(*fd);
        *fd = -1;
    }
    return ntohs(sa.sin_port);
}

static void t_err_closed_port(void **state)
{
    struct backend *b = *state;
    require(b);
    int fd;
    double dt;
    struct emc_error err = connect_bad(b, NULL, NULL, loopback_port(false, &fd), 5, &dt);
    assert_int_equal(err.code, EMC_E_UNREACHABLE);
    assert_true(dt < 2.0); /* refused at once, not after the timeout */
    assert_non_null(strstr(err.msg, "127.0.0.1"));
}

static void t_err_silent_server(void **state)
{
    struct backend *b = *state;
    require(b);
    int fd;
    double dt;
    struct emc_error err = connect_bad(b, NULL, NULL, loopback_port(true, &fd), 2, &dt);
    close(fd);
    if (err.code != EMC_E_UNREACHABLE)
        fail_msg("class %s: %s", emc_errclass_name(err.code), err.msg);
    assert_true(dt >= 1.0); /* it did wait for an answer ... */
    assert_true(dt < 6.0);  /* ... within the bound */
}

/* SQLite only: a missing folder, a missing file that must not be created, in-memory locks */
static void t_sqlite_files(void **state)
{
    struct backend *b = *state;
    require(b);
    char path[512];
    struct dburl u = {.backend = DB_SQLITE};
    struct db_conn *c = NULL;
    struct emc_error err;
    snprintf(path, sizeof(path), "%s/no-such-folder/glance.db", b->dir);
    u.database = path;
    assert_int_equal(db_connect(&c, &u, 5, &err), -EMC_E_UNKNOWN_DB);
    assert_null(c);
    assert_non_null(strstr(err.msg, "no-such-folder"));
    struct stat st;
    snprintf(path, sizeof(path), "%s/no-such-folder", b->dir);
    assert_int_not_equal(stat(path, &st), 0);
    snprintf(path, sizeof(path), "%s/absent.db", b->dir);
    u.sqlite_no_create = true;
    assert_int_equal(db_connect(&c, &u, 5, &err), -EMC_E_UNKNOWN_DB);
    assert_null(c);
    assert_non_null(strstr(err.msg, "absent.db"));
    assert_int_not_equal(stat(path, &st), 0);
    /* not a database at all */
    snprintf(path, sizeof(path), "%s/junk.db", b->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not a SQLite database, just some text that is long enough........\n", f);
    fclose(f);
    u.sqlite_no_create = false;
    int rc = db_connect(&c, &u, 5, &err);
    assert_true(rc < 0);
    assert_null(c);
    unlink(path);
    /* in memory: the lock is always there for the taking */
    u.database = NULL;
    struct db_conn *m1 = NULL, *m2 = NULL;
    assert_int_equal(db_connect(&m1, &u, 5, &err), 0);
    assert_int_equal(db_connect(&m2, &u, 5, &err), 0);
    bool got1 = false, got2 = false;
    assert_int_equal(db_drv(m1)->lock_try(m1, "x", &got1, &err), 0);
    assert_int_equal(db_drv(m2)->lock_try(m2, "x", &got2, &err), 0);
    assert_true(got1 && got2);
    db_close(m1);
    db_close(m2);
}

/* ------------------------------------------------------------------------------------------ */

static int admin_exec(const char *url_text, const char *sql, char *why, size_t whyn)
{
    struct dburl u;
    struct emc_error err;
    struct db_conn *c = NULL;
    int rc = dburl_parse(&u, url_text, &err);
    if (rc == 0)
        rc = db_connect(&c, &u, 10, &err);
    if (rc == 0)
        rc = db_exec(c, sql, &err);
    if (rc)
        snprintf(why, whyn, "%s", err.msg);
    db_close(c);
    dburl_free(&u);
    return rc;
}

static void prepare(struct backend *b)
{
    b->available = false;
    if (is(b, "sqlite")) {
        const char *base = getenv("EMC_TEST_TMP");
        snprintf(b->dir, sizeof(b->dir), "%s/emc-conf-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(b->dir)) {
            snprintf(b->why, sizeof(b->why), "mkdtemp: %s", strerror(errno));
            return;
        }
        char path[512];
        snprintf(path, sizeof(path), "%s/conf.db", b->dir);
        b->url.backend = DB_SQLITE;
        b->url.database = strdup(path);
        b->available = true;
        return;
    }
    const char *text = getenv(b->envvar);
    if (!text || !*text) {
        snprintf(b->why, sizeof(b->why), "%s is not set (the server is not configured)", b->envvar);
        return;
    }
    struct emc_error err;
    if (dburl_parse(&b->url, text, &err) != 0) {
        snprintf(b->why, sizeof(b->why), "%s: %s", b->envvar, err.msg);
        return;
    }
    snprintf(b->dbname, sizeof(b->dbname), "emc_conf_%ld", (long)getpid());
    if (is(b, "postgresql")) { /* CREATE DATABASE cannot run in a multi-statement string */
        char drop[128], create[128];
        snprintf(drop, sizeof(drop), "DROP DATABASE IF EXISTS %s WITH (FORCE)", b->dbname);
        snprintf(create, sizeof(create), "CREATE DATABASE %s", b->dbname);
        if (admin_exec(text, drop, b->why, sizeof(b->why)) ||
            admin_exec(text, create, b->why, sizeof(b->why)))
            return;
    } else {
        char sql[256]; /* a two-statement script: exercises CLIENT_MULTI_STATEMENTS */
        snprintf(sql, sizeof(sql),
                 "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s CHARACTER SET utf8mb4", b->dbname,
                 b->dbname);
        if (admin_exec(text, sql, b->why, sizeof(b->why)))
            return;
    }
    set_str(&b->url.database, b->dbname);
    b->available = true;
}

static void cleanup(struct backend *b)
{
    if (is(b, "sqlite") && b->dir[0]) {
        static const char *const suffixes[] = {"", "-journal", "-wal", "-shm", ".emc-lock"};
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
            char path[600];
            snprintf(path, sizeof(path), "%s/conf.db%s", b->dir, suffixes[i]);
            unlink(path);
        }
        rmdir(b->dir);
    } else if (b->available) {
        char sql[160], why[600];
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s%s", b->dbname,
                 is(b, "postgresql") ? " WITH (FORCE)" : "");
        if (admin_exec(getenv(b->envvar), sql, why, sizeof(why)))
            fprintf(stderr, "warning: could not drop %s: %s\n", b->dbname, why);
    }
    dburl_free(&b->url);
}

int main(void)
{
    int failed = 0;
    for (size_t k = 0; k < sizeof(backends) / sizeof(backends[0]); k++) {
        struct backend *b = &backends[k];
        prepare(b);
        struct CMUnitTest tests[32];
        size_t n = 0;
#define ADD(f) tests[n++] = (struct CMUnitTest)cmocka_unit_test_prestate(f, b)
        ADD(t_version_and_caps);
        ADD(t_ddl_dml);
        ADD(t_params_roundtrip);
        ADD(t_placeholder_scanning);
        ADD(t_param_count_mismatch);
        ADD(t_transactions);
        ADD(t_exec_script);
        ADD(t_callback_stop_and_nested);
        ADD(t_quote_ident);
        ADD(t_err_syntax);
        ADD(t_err_constraint);
        ADD(t_err_lock_timeout);
        ADD(t_advisory_lock);
        ADD(t_probe);
        ADD(t_bulk);
        ADD(t_change_counter);
        ADD(t_savepoint);
        ADD(t_stmt_timeout);
        if (is(b, "sqlite")) {
            ADD(t_sqlite_files);
        } else {
            ADD(t_err_deadlock);
            ADD(t_err_conn_lost);
            ADD(t_err_auth);
            ADD(t_err_unknown_db);
            ADD(t_err_closed_port);
            ADD(t_err_silent_server);
        }
#undef ADD
        failed += _cmocka_run_group_tests(b->name, tests, n, NULL, NULL);
        cleanup(b);
    }
    return failed ? 1 : 0;
}
