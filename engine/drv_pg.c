/* drv_pg.c - the PostgreSQL driver (db_driver_postgresql), on libpq.
 *
 * Connections: PQconnectdbParams with connect_timeout (libpq's floor is 2 s), TCP keepalives,
 * application_name "glance-emc", client_encoding UTF8, and the URL's query options passed on as
 * libpq keywords (sslmode=..., host=/socket/dir); then `SET jit = off` for the session. Notices
 * (DROP ... IF EXISTS skipping, unlock warnings) are swallowed: the engine never prints.
 *
 * query rewrites the engine's '?' placeholders to $1..$n outside quotes, comments and
 * dollar-quoted strings, and sends the values as untyped text (the server infers each type
 * from its use, as for a quoted literal). The whole result is read before the row callback
 * runs, so a callback may run other statements on the same connection. exec uses the simple
 * protocol, so a text of several ';'-separated statements runs in one go. */
#include "driver.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_DEFAULT_CONNECT_TIMEOUT 5

struct db_conn {
    struct db_conn_base base;
    PGconn *pg;
    char *password; /* to scrub from messages */
};

static void pg_notice_ignore(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* copy msg into err->msg on one line with runs of blanks collapsed and the password scrubbed */
static void pg_set_msg(struct emc_error *err, const char *msg, const char *password)
{
    size_t j = 0;
    bool blank = false;
    for (const char *p = msg ? msg : ""; *p && j + 1 < sizeof(err->msg); p++) {
        bool b = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
        if (b) {
            blank = true;
            continue;
        }
        if (blank && j > 0 && j + 2 < sizeof(err->msg))
            err->msg[j++] = ' ';
        blank = false;
        err->msg[j++] = *p;
    }
    err->msg[j] = '\0';
    dburl_scrub_secret(err->msg, password);
}

static int pg_class_of_state(const char *st)
{
    if (!st || strlen(st) != 5)
        return EMC_E_OTHER;
    if (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
        strcmp(st, "57P03") == 0)
        return EMC_E_CONN_LOST;
    if (strncmp(st, "23", 2) == 0)
        return EMC_E_CONSTRAINT;
    if (strcmp(st, "55P03") == 0)
        return EMC_E_LOCK_TIMEOUT;
    if (strcmp(st, "40P01") == 0)
        return EMC_E_DEADLOCK;
    if (strcmp(st, "57014") == 0) /* query_canceled: statement_timeout (or a cancel request) */
        return EMC_E_STMT_TIMEOUT;
    if (strcmp(st, "42501") == 0)
        return EMC_E_PERMISSION;
    if (strncmp(st, "42", 2) == 0)
        return EMC_E_SYNTAX;
    if (strcmp(st, "3D000") == 0)
        return EMC_E_UNKNOWN_DB;
    if (strncmp(st, "28", 2) == 0)
        return EMC_E_AUTH;
    return EMC_E_OTHER;
}

/* fill err from a failed result (res may be NULL: then the connection's message counts) */
static int pg_fail(struct db_conn *c, PGresult *res, struct emc_error *err)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int cls = pg_class_of_state(st);
    if (PQstatus(c->pg) == CONNECTION_BAD)
        cls = EMC_E_CONN_LOST;
    if (!err)
        return -cls;
    emc_error_clear(err);
    err->code = cls;
    if (st && strlen(st) == 5)
        memcpy(err->sqlstate, st, 6);
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    char buf[sizeof(err->msg)];
    if (primary)
        snprintf(buf, sizeof(buf), "%s%s%s", primary, detail ? ": " : "", detail ? detail : "");
    else
        snprintf(buf, sizeof(buf), "%s", PQerrorMessage(c->pg));
    if (cls == EMC_E_CONN_LOST && !primary)
        snprintf(buf, sizeof(buf), "connection to PostgreSQL lost: %s", PQerrorMessage(c->pg));
    pg_set_msg(err, buf, c->password);
    if (!err->msg[0])
        snprintf(err->msg, sizeof(err->msg), "PostgreSQL error %s", st ? st : "");
    return -cls;
}

/* classify a failed connection attempt by libpq's message (no SQLSTATE is exposed there) */
static int pg_connect_fail(PGconn *pg, const char *password, struct emc_error *err)
{
    const char *m = pg ? PQerrorMessage(pg) : "out of memory";
    static const struct {
        const char *needle, *also; /* both must appear (also may be NULL) */
        int cls;
        const char *state;
    } rules[] = {
        {"password authentication failed", NULL, EMC_E_AUTH, "28P01"},
        {"no password supplied", NULL, EMC_E_AUTH, "28P01"},
        {"authentication failed", NULL, EMC_E_AUTH, "28000"},
        {"role \"", "does not exist", EMC_E_AUTH, "28000"},
        {"no pg_hba.conf entry", NULL, EMC_E_AUTH, "28000"},
        {"permission denied for database", NULL, EMC_E_PERMISSION, "42501"},
        {"database \"", "does not exist", EMC_E_UNKNOWN_DB, "3D000"},
        {"timeout expired", NULL, EMC_E_UNREACHABLE, "08001"},
        {"Connection refused", NULL, EMC_E_UNREACHABLE, "08001"},
        {"No such file or directory", NULL, EMC_E_UNREACHABLE, "08001"},
        {"could not translate host name", NULL, EMC_E_UNREACHABLE, "08001"},
        {"Network is unreachable", NULL, EMC_E_UNREACHABLE, "08001"},
        {"No route to host", NULL, EMC_E_UNREACHABLE, "08001"},
        {"Connection reset", NULL, EMC_E_UNREACHABLE, "08001"},
        {"server closed the connection unexpectedly", NULL, EMC_E_UNREACHABLE, "08001"},
        {"the database system is", NULL, EMC_E_UNREACHABLE, "57P03"}, /* starting, stopping */
        {"too many connections", NULL, EMC_E_UNREACHABLE, "53300"},
        {"invalid connection option", NULL, EMC_E_USAGE, ""},
        {"invalid sslmode value", NULL, EMC_E_USAGE, ""},
    };
    int cls = pg ? EMC_E_OTHER : EMC_E_NOMEM;
    const char *state = "";
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (strstr(m, rules[i].needle) && (!rules[i].also || strstr(m, rules[i].also))) {
            cls = rules[i].cls;
            state = rules[i].state;
            break;
        }
    }
    if (!err)
        return -cls;
    emc_error_clear(err);
    err->code = cls;
    snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
    pg_set_msg(err, m, password);
    return -cls;
}

static bool pg_known_keyword(const char *k)
{
    static const char *const extra_forbidden[] = {"replication", "dbname", NULL};
    for (const char *const *f = extra_forbidden; *f; f++)
        if (strcmp(k, *f) == 0)
            return false;
    PQconninfoOption *defs = PQconndefaults();
    bool found = false;
    for (PQconninfoOption *o = defs; o && o->keyword; o++)
        if (strcmp(o->keyword, k) == 0)
            found = true;
    PQconninfoFree(defs);
    return found;
}

static void pg_close(struct db_conn *c)
{
    if (!c)
        return;
    PQfinish(c->pg);
    if (c->password) {
        memset(c->password, 0, strlen(c->password));
        free(c->password);
    }
    free(c);
}

static int pg_connect(struct db_conn **out, const struct dburl *url, int connect_timeout,
                      struct emc_error *err)
{
    *out = NULL;
    emc_error_clear(err);
    enum { MAXKW = 16 + DBURL_MAX_OPTS };
    const char *kw[MAXKW + 1], *val[MAXKW + 1];
    int n = 0;
    char portbuf[16], tobuf[16];
    if (connect_timeout <= 0)
        connect_timeout = PG_DEFAULT_CONNECT_TIMEOUT;
    snprintf(tobuf, sizeof(tobuf), "%d", connect_timeout);
#define PG_KW(k, v)                                                                                \
    do {                                                                                           \
        kw[n] = (k);                                                                               \
        val[n] = (v);                                                                              \
        n++;                                                                                       \
    } while (0)
    if (url->socket)
        PG_KW("host", url->socket);
    else if (url->host)
        PG_KW("host", url->host);
    if (url->port) {
        snprintf(portbuf, sizeof(portbuf), "%d", url->port);
        PG_KW("port", portbuf);
    }
    if (url->database)
        PG_KW("dbname", url->database);
    if (url->user)
        PG_KW("user", url->user);
    if (url->password)
        PG_KW("password", url->password);
    PG_KW("connect_timeout", tobuf);
    PG_KW("application_name", "glance-emc");
    PG_KW("client_encoding", "UTF8");
    PG_KW("keepalives_idle", "30");
    PG_KW("keepalives_interval", "10");
    PG_KW("keepalives_count", "3");
    for (int i = 0; i < url->nopts; i++) {
        if (!pg_known_keyword(url->opts[i].key))
            return emc_error_set(err, EMC_E_USAGE, "unknown PostgreSQL URL option '%s'",
                                 url->opts[i].key);
        PG_KW(url->opts[i].key, url->opts[i].value); /* later keywords win in libpq */
    }
#undef PG_KW
    kw[n] = NULL;
    val[n] = NULL;

    struct db_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    c->base.drv = &db_driver_postgresql;
    if (url->password && !(c->password = strdup(url->password))) {
        free(c);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    c->pg = PQconnectdbParams(kw, val, 0); /* expand_dbname 0: a db name is only a name */
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        int rc = pg_connect_fail(c->pg, url->password, err);
        pg_close(c);
        return rc;
    }
    PQsetNoticeProcessor(c->pg, pg_notice_ignore, NULL);
    /* no JIT compilation (PostgreSQL 11 and later): it costs 50 to 70 ms of compiling per
     * statement that the planner deems large, and none of ours runs long enough to win it back:
     * at 1M images the purge preview's scans took 0.3 to 0.5 s longer with it. A failure here
     * changes nothing but speed, so it is not reported. */
    if (PQserverVersion(c->pg) >= 110000)
        PQclear(PQexec(c->pg, "SET jit = off"));
    *out = c;
    return 0;
}

/* a character that may continue an identifier (letters, digits, '_', '$', non-ASCII) */
static bool pg_ident_char(char ch)
{
    unsigned char u = (unsigned char)ch;
    return u == '_' || u == '$' || isalnum(u) || u >= 0x80;
}

/* rewrite '?' to $1..$n outside quotes and comments; *count = placeholders found */
static char *pg_rewrite(const char *sql, int *count)
{
    size_t len = strlen(sql), q = 0;
    for (size_t i = 0; i < len; i++)
        q += sql[i] == '?';
    char *out = malloc(len + q * 11 + 1); /* each '?' grows to "$" and up to 10 digits */
    if (!out)
        return NULL;
    size_t j = 0;
    int n = 0;
    const char *p = sql;
    while (*p) {
        char ch = *p;
        if (ch == '\'' || ch == '"') {
            /* E'...' strings take backslash escapes */
            bool esc = ch == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
                       (p - 1 == sql || !pg_ident_char(p[-2]));
            out[j++] = *p++;
            while (*p) {
                if (esc && *p == '\\' && p[1]) {
                    out[j++] = *p++;
                    out[j++] = *p++;
                    continue;
                }
                if (*p == ch) {
                    out[j++] = *p++;
                    if (*p == ch) {
                        out[j++] = *p++;
                        continue;
                    }
                    break;
                }
                out[j++] = *p++;
            }
        } else if (ch == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                out[j++] = *p++;
        } else if (ch == '/' && p[1] == '*') {
            int depth = 0;
            do {
                if (p[0] == '/' && p[1] == '*') {
                    depth++;
                    out[j++] = *p++;
                } else if (p[0] == '*' && p[1] == '/') {
                    depth--;
                    out[j++] = *p++;
                }
                out[j++] = *p++;
            } while (*p && depth > 0);
        } else if (ch == '$' && !(p > sql && pg_ident_char(p[-1]))) {
            /* $tag$ ... $tag$ (a tag never starts with a digit: $1 is a parameter) */
            const char *t = p + 1;
            while (*t && *t != '$' && pg_ident_char(*t) &&
                   !(t == p + 1 && isdigit((unsigned char)*t)))
                t++;
            if (*t != '$') {
                out[j++] = *p++;
                continue;
            }
            size_t taglen = (size_t)(t - p) + 1;
            const char *end = NULL;
            for (const char *s = t + 1; *s; s++)
                if (*s == '$' && strncmp(s, p, taglen) == 0) {
                    end = s;
                    break;
                }
            const char *stop = end ? end + taglen : p + strlen(p);
            while (p < stop)
                out[j++] = *p++;
        } else if (ch == '?') {
            n++;
            j += (size_t)snprintf(out + j, 12, "$%d", n);
            p++;
        } else {
            out[j++] = *p++;
        }
    }
    out[j] = '\0';
    *count = n;
    return out;
}

static int pg_result_rows(PGresult *res, db_row_cb cb, void *ud, struct emc_error *err)
{
    int nrows = PQntuples(res), ncols = PQnfields(res);
    if (!cb || nrows == 0 || ncols == 0)
        return 0;
    char **vals = calloc((size_t)ncols, sizeof(char *));
    char **names = calloc((size_t)ncols, sizeof(char *));
    if (!vals || !names) {
        free(vals);
        free(names);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    for (int i = 0; i < ncols; i++)
        names[i] = PQfname(res, i);
    for (int r = 0; r < nrows; r++) {
        for (int i = 0; i < ncols; i++)
            vals[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
        if (cb(ud, ncols, vals, names) != 0)
            break;
    }
    free(vals);
    free(names);
    return 0;
}

static int64_t pg_affected(PGresult *res)
{
    const char *t = PQcmdTuples(res);
    return (t && *t) ? strtoll(t, NULL, 10) : 0;
}

static int pg_query(struct db_conn *c, const char *sql, const struct db_param *params, int nparams,
                    db_row_cb cb, void *ud, int64_t *affected, struct emc_error *err)
{
    emc_error_clear(err);
    if (affected)
        *affected = 0;
    int count = 0;
    char *text = pg_rewrite(sql, &count);
    if (!text)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    if (count != nparams) {
        free(text);
        return emc_error_set(err, EMC_E_USAGE, "statement has %d placeholders but %d parameters",
                             count, nparams);
    }
    const char **values = calloc((size_t)(nparams > 0 ? nparams : 1), sizeof(char *));
    char(*ints)[24] = calloc((size_t)(nparams > 0 ? nparams : 1), sizeof(*ints));
    if (!values || !ints) {
        free(text);
        free(values);
        free(ints);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    for (int i = 0; i < nparams; i++) {
        if (params[i].type == DBP_INT) {
            snprintf(ints[i], sizeof(ints[i]), "%lld", (long long)params[i].i);
            values[i] = ints[i];
        } else if (params[i].type == DBP_TEXT) {
            values[i] = params[i].s;
        }
    }
    PGresult *res = PQexecParams(c->pg, text, nparams, NULL, values, NULL, NULL, 0);
    free(text);
    free(values);
    free(ints);
    int rc = 0;
    switch (res ? PQresultStatus(res) : PGRES_FATAL_ERROR) {
    case PGRES_TUPLES_OK:
        c->base.last_affected = 0;
        rc = pg_result_rows(res, cb, ud, err);
        break;
    case PGRES_COMMAND_OK:
        c->base.last_affected = pg_affected(res);
        if (affected)
            *affected = c->base.last_affected;
        break;
    case PGRES_EMPTY_QUERY:
        break;
    default:
        rc = pg_fail(c, res, err);
        break;
    }
    PQclear(res);
    return rc;
}

static int pg_exec(struct db_conn *c, const char *sql, struct emc_error *err)
{
    emc_error_clear(err);
    PGresult *res = PQexec(c->pg, sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int rc = 0;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
        c->base.last_affected = st == PGRES_COMMAND_OK ? pg_affected(res) : 0;
    else
        rc = pg_fail(c, res, err);
    PQclear(res);
    return rc;
}

static int pg_begin(struct db_conn *c, struct emc_error *err)
{
    return pg_exec(c, "BEGIN", err);
}

static int pg_commit(struct db_conn *c, struct emc_error *err)
{
    emc_error_clear(err);
    if (PQtransactionStatus(c->pg) == PQTRANS_INERROR) {
        /* COMMIT would silently turn into ROLLBACK: say so */
        pg_exec(c, "ROLLBACK", NULL);
        return emc_error_set(err, EMC_E_OTHER,
                             "commit impossible: an earlier statement failed, the transaction "
                             "was rolled back");
    }
    PGresult *res = PQexec(c->pg, "COMMIT");
    int rc = 0;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_fail(c, res, err);
    else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
        rc = emc_error_set(err, EMC_E_OTHER, "commit turned into a rollback by the server");
    PQclear(res);
    return rc;
}

static int pg_rollback(struct db_conn *c, struct emc_error *err)
{
    emc_error_clear(err);
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        return 0;
    return pg_exec(c, "ROLLBACK", err);
}

static int pg_server_version(struct db_conn *c, char *buf, size_t n, struct emc_error *err)
{
    emc_error_clear(err);
    const char *v = PQparameterStatus(c->pg, "server_version");
    if (!v) {
        int num = PQserverVersion(c->pg);
        snprintf(buf, n, "PostgreSQL %d.%d", num / 10000, num % 10000);
        return 0;
    }
    size_t vn = strcspn(v, " ");
    snprintf(buf, n, "PostgreSQL %.*s", (int)vn, v);
    return 0;
}

static int pg_bool_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    *(bool *)ud = ncols > 0 && vals[0] && vals[0][0] == 't';
    return 1;
}

/* the lock key: the server's 64-bit text hash of the name, so an operator can compute it in
 * psql (SELECT hashtextextended('name', 0)) and find the holder in pg_locks */
static int pg_lock_sql(struct db_conn *c, const char *fn, const char *name, bool *result,
                       struct emc_error *err)
{
    char sql[160];
    if (PQserverVersion(c->pg) >= 110000)
        snprintf(sql, sizeof(sql), "SELECT %s(hashtextextended(?, 0))", fn);
    else
        snprintf(sql, sizeof(sql), "SELECT %s(hashtext(?)::bigint)", fn);
    struct db_param p = DBP_S(name);
    *result = false;
    return pg_query(c, sql, &p, 1, pg_bool_cb, result, NULL, err);
}

static int pg_lock_try(struct db_conn *c, const char *name, bool *acquired, struct emc_error *err)
{
    return pg_lock_sql(c, "pg_try_advisory_lock", name, acquired, err);
}

static int pg_lock_release(struct db_conn *c, const char *name, struct emc_error *err)
{
    bool released;
    return pg_lock_sql(c, "pg_advisory_unlock", name, &released, err);
}

/* pg_set_timeout: SET the session setting name to ms milliseconds, or RESET it (ms <= 0) */
static int pg_set_timeout(struct db_conn *c, const char *name, int ms, struct emc_error *err)
{
    char sql[64];
    if (ms > 0)
        snprintf(sql, sizeof(sql), "SET %s = %d", name, ms);
    else
        snprintf(sql, sizeof(sql), "RESET %s", name);
    return pg_exec(c, sql, err);
}

static int pg_set_lock_timeout(struct db_conn *c, int ms, struct emc_error *err)
{
    return pg_set_timeout(c, "lock_timeout", ms, err);
}

static int pg_set_stmt_timeout(struct db_conn *c, int ms, struct emc_error *err)
{
    return pg_set_timeout(c, "statement_timeout", ms, err);
}

const struct db_driver db_driver_postgresql = {
    .name = "postgresql",
    .caps =
        {
            .dialect = "postgresql",
            .transactional_ddl = true,
            .placeholder = DB_PH_DOLLAR,
            .advisory_locks = true,
            .lock_timeout = true,
            .ident_quote = '"',
        },
    .connect = pg_connect,
    .close = pg_close,
    .exec = pg_exec,
    .query = pg_query,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .server_version = pg_server_version,
    .lock_try = pg_lock_try,
    .lock_release = pg_lock_release,
    .set_lock_timeout = pg_set_lock_timeout,
    .set_stmt_timeout = pg_set_stmt_timeout,
};
