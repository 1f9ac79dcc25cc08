/* drv_mysql.c - the MySQL/MariaDB driver (db_driver_mysql), on MariaDB Connector/C.
 *
 * Connections: connect timeout (default 5 s) bounding the TCP connect and the server's
 * greeting, read timeout 3600 s and write timeout 600 s (URL options connect_timeout,
 * read_timeout, write_timeout override them, as PyMySQL's), character set from charset= (else
 * utf8mb4), no automatic reconnect, autocommit on, affected rows = rows changed (no
 * CLIENT_FOUND_ROWS), and sql_mode TRADITIONAL as oslo.db sets it for Glance.
 *
 * Parameters: the driver interpolates each '?' (outside quotes and comments) as a literal,
 * escaped by mysql_real_escape_string for the connection's character set and sql_mode, exactly
 * as PyMySQL, Glance's own driver, does. Unlike server-side prepared statements this works for
 * every statement (DDL, triggers, KILL) and returns every value in the text protocol's form.
 * exec accepts several ';'-separated statements (CLIENT_MULTI_STATEMENTS) and stops at the
 * first that fails; query is meant for one (given several it runs them all, rows come from the
 * first result). Results are read whole (mysql_store_result), so a row callback may run other
 * statements on the same connection. */
#include "driver.h"
#include "strbuf.h"

#include <errmsg.h>
#include <limits.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MY_DEFAULT_CONNECT_TIMEOUT 5
#define MY_DEFAULT_READ_TIMEOUT 3600
#define MY_DEFAULT_WRITE_TIMEOUT 600
#define MY_LOCK_NAME_MAX 64

struct db_conn {
    struct db_conn_base base;
    MYSQL *my;
    char *password; /* to scrub from messages */
    bool connected;
    bool lost;
};

static int my_class_of(unsigned int code, const char *state, bool connected)
{
    switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_IPSOCK_ERROR:
        return EMC_E_UNREACHABLE;
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_READ_ERROR:
        return connected ? EMC_E_CONN_LOST : EMC_E_UNREACHABLE;
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
        return EMC_E_AUTH;
    case ER_BAD_DB_ERROR:
        return EMC_E_UNKNOWN_DB;
    case ER_LOCK_WAIT_TIMEOUT:
        return EMC_E_LOCK_TIMEOUT;
    case ER_LOCK_DEADLOCK:
        return EMC_E_DEADLOCK;
    case 1969: /* ER_STATEMENT_TIMEOUT (MariaDB's max_statement_time) */
    case 3024: /* ER_QUERY_TIMEOUT (MySQL's max_execution_time) */
        return EMC_E_STMT_TIMEOUT;
    case ER_DUP_ENTRY:
    case ER_DUP_KEY:
    case ER_BAD_NULL_ERROR:
    case ER_NO_DEFAULT_FOR_FIELD:
    case ER_ROW_IS_REFERENCED:
    case ER_NO_REFERENCED_ROW:
    case ER_ROW_IS_REFERENCED_2:
    case ER_NO_REFERENCED_ROW_2:
    case 1557: /* ER_FOREIGN_DUPLICATE_KEY */
    case ER_FOREIGN_DUPLICATE_KEY_WITH_CHILD_INFO:
    case ER_FOREIGN_DUPLICATE_KEY_WITHOUT_CHILD_INFO:
    case ER_DUP_ENTRY_WITH_KEY_NAME:
    case 3819:                 /* check constraint violated (MySQL) */
    case ER_CONSTRAINT_FAILED: /* 4025, MariaDB CHECK */
        return EMC_E_CONSTRAINT;
    case ER_PARSE_ERROR:
    case ER_NO_SUCH_TABLE:
    case ER_BAD_FIELD_ERROR:
    case ER_BAD_TABLE_ERROR:
    case ER_UNKNOWN_TABLE:
    case ER_TABLE_EXISTS_ERROR:
    case ER_DUP_FIELDNAME:
    case ER_DUP_KEYNAME:
    case ER_CANT_DROP_FIELD_OR_KEY:
    case ER_SP_DOES_NOT_EXIST:
        return EMC_E_SYNTAX;
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_BINLOG_CREATE_ROUTINE_NEED_SUPER:
        return EMC_E_PERMISSION;
    }
    if (state && strncmp(state, "23", 2) == 0)
        return EMC_E_CONSTRAINT;
    if (state && strncmp(state, "42", 2) == 0)
        return EMC_E_SYNTAX;
    if (state && strncmp(state, "08", 2) == 0)
        return connected ? EMC_E_CONN_LOST : EMC_E_UNREACHABLE;
    return EMC_E_OTHER;
}

static int my_fail(struct db_conn *c, struct emc_error *err)
{
    unsigned int code = mysql_errno(c->my);
    const char *state = mysql_sqlstate(c->my);
    int cls = my_class_of(code, state, c->connected);
    if (cls == EMC_E_CONN_LOST)
        c->lost = true;
    if (!err)
        return -cls;
    emc_error_clear(err);
    err->driver_code = code;
    if (state && strlen(state) == 5 && strcmp(state, "00000") != 0 && strcmp(state, "HY000") != 0)
        memcpy(err->sqlstate, state, 6);
    emc_error_set(err, cls, "%s", code ? mysql_error(c->my) : "MySQL error");
    dburl_scrub_secret(err->msg, c->password);
    return -cls;
}

static int my_uint_opt(const struct dburl *url, const char *key, unsigned def, unsigned *out,
                       struct emc_error *err)
{
    const char *v = dburl_opt(url, key);
    *out = def;
    if (!v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 1 || n > 86400 * 7)
        return emc_error_set(err, EMC_E_USAGE, "bad MySQL option %s=%s (expected seconds)", key, v);
    *out = (unsigned)n;
    return 0;
}

static int my_check_options(const struct dburl *url, struct emc_error *err)
{
    static const char *const known[] = {
        "charset",    "connect_timeout", "read_timeout", "write_timeout",
        "ssl_ca",     "ssl_capath",      "ssl_cert",     "ssl_key",
        "ssl_cipher", "ssl_verify_cert", "use_unicode",  "binary_prefix",
        NULL};
    for (int i = 0; i < url->nopts; i++) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, url->opts[i].key) == 0;
        if (!ok)
            return emc_error_set(err, EMC_E_USAGE, "unknown MySQL URL option '%s'",
                                 url->opts[i].key);
    }
    return 0;
}

static void my_close(struct db_conn *c)
{
    if (!c)
        return;
    if (c->my)
        mysql_close(c->my);
    if (c->password) {
        memset(c->password, 0, strlen(c->password));
        free(c->password);
    }
    free(c);
}

static int my_set_options(struct db_conn *c, const struct dburl *url, int connect_timeout,
                          struct emc_error *err)
{
    unsigned cto, rto, wto;
    int rc;
    if ((rc = my_uint_opt(url, "connect_timeout",
                          connect_timeout > 0 ? (unsigned)connect_timeout
                                              : MY_DEFAULT_CONNECT_TIMEOUT,
                          &cto, err)) != 0 ||
        (rc = my_uint_opt(url, "read_timeout", MY_DEFAULT_READ_TIMEOUT, &rto, err)) != 0 ||
        (rc = my_uint_opt(url, "write_timeout", MY_DEFAULT_WRITE_TIMEOUT, &wto, err)) != 0)
        return rc;
    const char *cs = dburl_opt(url, "charset");
    mysql_options(c->my, MYSQL_OPT_CONNECT_TIMEOUT, &cto);
    mysql_options(c->my, MYSQL_OPT_READ_TIMEOUT, &rto);
    mysql_options(c->my, MYSQL_OPT_WRITE_TIMEOUT, &wto);
    /* MYSQL_OPT_RECONNECT stays at its default, off (setting it makes MySQL 8's library warn
     * on stderr): a lost connection must surface, not silently lose the session's state */
    mysql_options(c->my, MYSQL_SET_CHARSET_NAME, cs && *cs ? cs : "utf8mb4");
    mysql_options(c->my, MYSQL_INIT_COMMAND, "SET SESSION sql_mode = 'TRADITIONAL'");
    static const struct {
        const char *key;
        enum mysql_option opt;
    } ssl[] = {
        {"ssl_ca", MYSQL_OPT_SSL_CA},         {"ssl_capath", MYSQL_OPT_SSL_CAPATH},
        {"ssl_cert", MYSQL_OPT_SSL_CERT},     {"ssl_key", MYSQL_OPT_SSL_KEY},
        {"ssl_cipher", MYSQL_OPT_SSL_CIPHER},
    };
    for (size_t i = 0; i < sizeof(ssl) / sizeof(ssl[0]); i++) {
        const char *v = dburl_opt(url, ssl[i].key);
        if (v)
            mysql_options(c->my, ssl[i].opt, v);
    }
    const char *verify = dburl_opt(url, "ssl_verify_cert");
    if (verify) {
        my_bool on = strcmp(verify, "true") == 0 || strcmp(verify, "1") == 0;
        mysql_options(c->my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    }
    return 0;
}

static int my_connect(struct db_conn **out, const struct dburl *url, int connect_timeout,
                      struct emc_error *err)
{
    *out = NULL;
    emc_error_clear(err);
    int rc = my_check_options(url, err);
    if (rc)
        return rc;
    struct db_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    c->base.drv = &db_driver_mysql;
    if (url->password && !(c->password = strdup(url->password))) {
        free(c);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    c->my = mysql_init(NULL);
    if (!c->my) {
        my_close(c);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    if ((rc = my_set_options(c, url, connect_timeout, err)) != 0) {
        my_close(c);
        return rc;
    }
    const char *host = url->host;
    if (url->socket && !host)
        host = "localhost"; /* the client library only uses the socket for localhost */
    if (!mysql_real_connect(c->my, host, url->user, url->password ? url->password : "",
                            url->database, (unsigned)url->port, url->socket,
                            CLIENT_MULTI_STATEMENTS)) {
        rc = my_fail(c, err);
        /* the library's messages name the host but not the port: say where we went */
        if (url->socket)
            emc_error_prefix(err, "MySQL server on socket %s", url->socket);
        else if (!host || strcmp(host, "localhost") == 0)
            emc_error_prefix(err, "MySQL server on localhost (default socket)");
        else
            emc_error_prefix(err, "MySQL server at %s port %u", host,
                             url->port ? (unsigned)url->port : 3306u);
        my_close(c);
        return rc;
    }
    c->connected = true;
    if (mysql_autocommit(c->my, 1) != 0) {
        rc = my_fail(c, err);
        my_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* skip a quoted run starting at p (on the quote); returns the character after it */
static const char *my_skip_quoted(const char *p)
{
    char q = *p++;
    while (*p) {
        if (*p == '\\' && q != '`' && p[1]) {
            p += 2;
            continue;
        }
        if (*p == q) {
            if (p[1] == q) {
                p += 2;
                continue;
            }
            return p + 1;
        }
        p++;
    }
    return p;
}

/* skip a comment starting at p, or return p when there is none */
static const char *my_skip_comment(const char *p)
{
    if (*p == '#' || (p[0] == '-' && p[1] == '-' && (p[2] == '\0' || (unsigned char)p[2] <= ' '))) {
        while (*p && *p != '\n')
            p++;
        return p;
    }
    if (p[0] == '/' && p[1] == '*') {
        const char *e = strstr(p + 2, "*/");
        return e ? e + 2 : p + strlen(p);
    }
    return p;
}

static bool my_append_param(struct db_conn *c, struct strbuf *b, const struct db_param *p)
{
    if (p->type == DBP_INT)
        return strbuf_printf(b, "%lld", (long long)p->i);
    if (p->type != DBP_TEXT || !p->s)
        return strbuf_puts(b, "NULL");
    size_t n = strlen(p->s);
    char *at = n > (ULONG_MAX - 3) / 2 ? NULL : strbuf_room(b, 2 * n + 2);
    if (!at)
        return false;
    at[0] = '\'';
    size_t k = mysql_real_escape_string(c->my, at + 1, p->s, (unsigned long)n);
    at[k + 1] = '\'';
    strbuf_grew(b, k + 2);
    return true;
}

/* sql with each '?' outside quotes and comments replaced by its parameter as a literal */
static int my_interpolate(struct db_conn *c, const char *sql, const struct db_param *params,
                          int nparams, char **out, size_t *outlen, struct emc_error *err)
{
    struct strbuf b = {0};
    int used = 0;
    bool ok = strbuf_room(&b, strlen(sql)) != NULL;
    const char *p = sql, *run = sql;
    while (ok && *p) {
        const char *next = p;
        if (*p == '\'' || *p == '"' || *p == '`')
            next = my_skip_quoted(p);
        else
            next = my_skip_comment(p);
        if (next != p) {
            p = next;
            continue;
        }
        if (*p == '?') {
            ok = strbuf_append(&b, run, (size_t)(p - run));
            if (ok && used < nparams)
                ok = my_append_param(c, &b, &params[used]);
            used++;
            run = ++p;
            continue;
        }
        p++;
    }
    if (ok)
        ok = strbuf_append(&b, run, (size_t)(p - run));
    if (!ok) {
        strbuf_free(&b);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    if (used != nparams) {
        strbuf_free(&b);
        return emc_error_set(err, EMC_E_USAGE, "statement has %d placeholders but %d parameters",
                             used, nparams);
    }
    *out = b.s;
    *outlen = b.len;
    return 0;
}

static int my_rows(MYSQL_RES *res, db_row_cb cb, void *ud, struct emc_error *err)
{
    unsigned ncols = mysql_num_fields(res);
    if (!cb || ncols == 0)
        return 0;
    char **names = calloc(ncols, sizeof(char *));
    if (!names)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    MYSQL_FIELD *f = mysql_fetch_fields(res);
    for (unsigned i = 0; i < ncols; i++)
        names[i] = f[i].name;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL)
        if (cb(ud, (int)ncols, row, names) != 0)
            break;
    free(names);
    return 0;
}

/* read the results of the statement(s) just sent; rows of the first result set go to cb */
static int my_read_results(struct db_conn *c, db_row_cb cb, void *ud, int64_t *affected,
                           struct emc_error *err)
{
    int rc = 0;
    for (;;) {
        MYSQL_RES *res = mysql_store_result(c->my);
        if (res) {
            if (rc == 0)
                rc = my_rows(res, cb, ud, err);
            cb = NULL;
            mysql_free_result(res);
            *affected = 0;
        } else if (mysql_field_count(c->my) != 0) {
            return my_fail(c, err); /* a result set was due but could not be read */
        } else {
            my_ulonglong n = mysql_affected_rows(c->my);
            *affected = n == (my_ulonglong)-1 ? 0 : (int64_t)n;
        }
        int more = mysql_next_result(c->my);
        if (more > 0)
            return my_fail(c, err); /* a later statement of the script failed */
        if (more < 0)
            return rc;
    }
}

static int my_run(struct db_conn *c, const char *sql, size_t len, db_row_cb cb, void *ud,
                  int64_t *affected, struct emc_error *err)
{
    int64_t n = 0;
    if (mysql_real_query(c->my, sql, (unsigned long)len) != 0)
        return my_fail(c, err);
    int rc = my_read_results(c, cb, ud, &n, err);
    c->base.last_affected = n;
    if (rc == 0 && affected)
        *affected = n;
    return rc;
}

static int my_query(struct db_conn *c, const char *sql, const struct db_param *params, int nparams,
                    db_row_cb cb, void *ud, int64_t *affected, struct emc_error *err)
{
    emc_error_clear(err);
    if (affected)
        *affected = 0;
    char *text = NULL;
    size_t len = 0;
    int rc = my_interpolate(c, sql, params, nparams, &text, &len, err);
    if (rc)
        return rc;
    rc = my_run(c, text, len, cb, ud, affected, err);
    free(text);
    return rc;
}

static int my_exec(struct db_conn *c, const char *sql, struct emc_error *err)
{
    emc_error_clear(err);
    return my_run(c, sql, strlen(sql), NULL, NULL, NULL, err);
}

static int my_begin(struct db_conn *c, struct emc_error *err)
{
    return my_exec(c, "START TRANSACTION", err);
}

static int my_commit(struct db_conn *c, struct emc_error *err)
{
    return my_exec(c, "COMMIT", err);
}

static int my_rollback(struct db_conn *c, struct emc_error *err)
{
    return my_exec(c, "ROLLBACK", err);
}

static int my_server_version(struct db_conn *c, char *buf, size_t n, struct emc_error *err)
{
    emc_error_clear(err);
    const char *v = mysql_get_server_info(c->my);
    if (!v)
        v = "";
    if (strncmp(v, "5.5.5-", 6) == 0) /* MariaDB's replication-compatible prefix */
        v += 6;
    size_t vn = strspn(v, "0123456789.");
    snprintf(buf, n, "%s %.*s", strstr(v, "MariaDB") ? "MariaDB" : "MySQL", (int)vn, v);
    return 0;
}

static int my_int_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    *(long *)ud = (ncols > 0 && vals[0]) ? strtol(vals[0], NULL, 10) : -1;
    return 1;
}

/* lock names are limited to 64 characters: longer ones become a stable hash */
static const char *my_lock_name(const char *name, char *buf, size_t n)
{
    if (strlen(name) <= MY_LOCK_NAME_MAX)
        return name;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    snprintf(buf, n, "%.40s-%016llx", name, (unsigned long long)h);
    return buf;
}

static int my_lock_try(struct db_conn *c, const char *name, bool *acquired, struct emc_error *err)
{
    char nb[MY_LOCK_NAME_MAX + 1];
    struct db_param p = DBP_S(my_lock_name(name, nb, sizeof(nb)));
    long v = -1;
    *acquired = false;
    int rc = my_query(c, "SELECT GET_LOCK(?, 0)", &p, 1, my_int_cb, &v, NULL, err);
    if (rc)
        return rc;
    if (v < 0)
        return emc_error_set(err, EMC_E_OTHER, "GET_LOCK('%s') failed", name);
    *acquired = v == 1;
    return 0;
}

static int my_lock_release(struct db_conn *c, const char *name, struct emc_error *err)
{
    char nb[MY_LOCK_NAME_MAX + 1];
    struct db_param p = DBP_S(my_lock_name(name, nb, sizeof(nb)));
    long v = -1;
    return my_query(c, "SELECT RELEASE_LOCK(?)", &p, 1, my_int_cb, &v, NULL, err);
}

static int my_set_lock_timeout(struct db_conn *c, int ms, struct emc_error *err)
{
    char sql[160];
    if (ms > 0) {
        long s = (ms + 999) / 1000; /* the server counts whole seconds: round up */
        snprintf(sql, sizeof(sql),
                 "SET SESSION lock_wait_timeout = %ld, SESSION innodb_lock_wait_timeout = %ld", s,
                 s);
    } else {
        snprintf(sql, sizeof(sql),
                 "SET SESSION lock_wait_timeout = DEFAULT, SESSION innodb_lock_wait_timeout = "
                 "DEFAULT");
    }
    return my_exec(c, sql, err);
}

/* MariaDB's max_statement_time (seconds, fractions allowed) covers every statement; MySQL has
 * none that covers UPDATE (its max_execution_time is for SELECT), so there this fails */
static int my_set_stmt_timeout(struct db_conn *c, int ms, struct emc_error *err)
{
    char sql[80];
    if (ms > 0)
        snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = %d.%03d", ms / 1000,
                 ms % 1000);
    else
        snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = DEFAULT");
    return my_exec(c, sql, err);
}

const struct db_driver db_driver_mysql = {
    .name = "mysql",
    .caps =
        {
            .dialect = "mysql",
            .transactional_ddl = false,
            .placeholder = DB_PH_QMARK,
            .advisory_locks = true,
            .lock_timeout = true,
            .ident_quote = '`',
        },
    .connect = my_connect,
    .close = my_close,
    .exec = my_exec,
    .query = my_query,
    .begin = my_begin,
    .commit = my_commit,
    .rollback = my_rollback,
    .server_version = my_server_version,
    .lock_try = my_lock_try,
    .lock_release = my_lock_release,
    .set_lock_timeout = my_set_lock_timeout,
    .set_stmt_timeout = my_set_stmt_timeout,
};
