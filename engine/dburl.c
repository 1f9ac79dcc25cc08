/* dburl.c - see dburl.h.
 *
 * The grammar follows SQLAlchemy 1.4's make_url() (the one Debian 12's Glance uses):
 *
 *   scheme://[user[:password]@][host|[ipv6]][:port][/database][?key=value&...]
 *
 * user and password are percent-decoded (an invalid escape is kept as written, like Python's
 * unquote), the database name too (but not a SQLite path), query values as in a form. */
#include "dburl.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *dup_range(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* percent-decode s[0..n) into a new string; plus_space: '+' means ' ' (query strings). */
static char *decode_range(const char *s, size_t n, bool plus_space)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (plus_space && s[i] == '+') {
            out[j++] = ' ';
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return out;
}

struct scheme_entry {
    const char *backend;
    enum db_backend b;
    const char *drivers[6]; /* accepted "+driver" suffixes, NULL-terminated */
};

static const struct scheme_entry schemes[] = {
    {"sqlite", DB_SQLITE, {"pysqlite", "pysqlcipher", NULL}},
    {"postgresql", DB_POSTGRESQL, {"psycopg2", "psycopg", "pg8000", "psycopg2cffi", NULL}},
    {"mysql", DB_MYSQL, {"pymysql", "mysqldb", "mysqlconnector", "mariadbconnector", NULL}},
    {"mariadb", DB_MYSQL, {"pymysql", "mysqldb", "mysqlconnector", "mariadbconnector", NULL}},
};

static int parse_scheme(struct dburl *out, const char *s, size_t n, struct emc_error *err)
{
    out->scheme = dup_range(s, n);
    if (!out->scheme)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    const char *plus = memchr(s, '+', n);
    size_t blen = plus ? (size_t)(plus - s) : n;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strlen(schemes[i].backend) != blen || strncmp(schemes[i].backend, s, blen) != 0)
            continue;
        if (!plus) {
            out->backend = schemes[i].b;
            return 0;
        }
        for (const char *const *d = schemes[i].drivers; *d; d++) {
            if (strlen(*d) == n - blen - 1 && strncmp(*d, plus + 1, n - blen - 1) == 0) {
                out->backend = schemes[i].b;
                return 0;
            }
        }
        return emc_error_set(err, EMC_E_USAGE,
                             "unknown database driver '%.*s' in URL scheme '%.*s' (known: %s+%s, "
                             "%s+%s ...)",
                             (int)(n - blen - 1), plus + 1, (int)n, s, schemes[i].backend,
                             schemes[i].drivers[0], schemes[i].backend,
                             schemes[i].drivers[1] ? schemes[i].drivers[1] : "");
    }
    return emc_error_set(err, EMC_E_USAGE,
                         "unknown database URL scheme '%.*s' (use sqlite://, postgresql:// or "
                         "mysql://)",
                         (int)n, s);
}

static int add_opt(struct dburl *out, const char *k, size_t kn, const char *v, size_t vn,
                   struct emc_error *err)
{
    char *key = decode_range(k, kn, true);
    char *val = decode_range(v, vn, true);
    if (!key || !val) {
        free(key);
        free(val);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    bool is_socket = (out->backend == DB_MYSQL && strcmp(key, "unix_socket") == 0) ||
                     (out->backend == DB_POSTGRESQL && strcmp(key, "host") == 0 && val[0] == '/');
    if (is_socket) {
        free(key);
        free(out->socket);
        out->socket = val;
        return 0;
    }
    if (out->backend == DB_POSTGRESQL && strcmp(key, "host") == 0) {
        free(key);
        free(out->host);
        out->host = val;
        return 0;
    }
    for (int i = 0; i < out->nopts; i++) { /* a repeated key: the last one wins */
        if (strcmp(out->opts[i].key, key) == 0) {
            free(key);
            free(out->opts[i].value);
            out->opts[i].value = val;
            return 0;
        }
    }
    if (out->nopts >= DBURL_MAX_OPTS) {
        free(key);
        free(val);
        return emc_error_set(err, EMC_E_USAGE, "too many query options in database URL (max %d)",
                             DBURL_MAX_OPTS);
    }
    out->opts[out->nopts].key = key;
    out->opts[out->nopts].value = val;
    out->nopts++;
    return 0;
}

static int parse_query(struct dburl *out, const char *q, struct emc_error *err)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        if (n > 0) {
            const char *eq = memchr(q, '=', n);
            if (!eq || eq == q)
                return emc_error_set(err, EMC_E_USAGE,
                                     "malformed query option '%.*s' in database URL "
                                     "(expected key=value)",
                                     (int)(n > 60 ? 60 : n), q);
            int rc = add_opt(out, q, (size_t)(eq - q), eq + 1, n - (size_t)(eq - q) - 1, err);
            if (rc)
                return rc;
        }
        q += n;
        if (*q == '&')
            q++;
    }
    return 0;
}

static int parse_port(struct dburl *out, const char *s, size_t n, struct emc_error *err)
{
    if (n == 0)
        return 0; /* "host:" - SQLAlchemy treats an empty port as none */
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]) || v > 65535)
            return emc_error_set(err, EMC_E_USAGE,
                                 "bad port '%.*s' in database URL (expected 1-65535)",
                                 (int)(n > 20 ? 20 : n), s);
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return emc_error_set(err, EMC_E_USAGE, "bad port '%.*s' in database URL (expected 1-65535)",
                             (int)(n > 20 ? 20 : n), s);
    out->port = (int)v;
    return 0;
}

/* the user[:password]@ part at the start of s (which ends before the path); *consumed = its
 * length including the '@', or 0 when there is none. */
static int parse_userinfo(struct dburl *out, const char *s, size_t *consumed, struct emc_error *err)
{
    *consumed = 0;
    size_t un = strcspn(s, ":/?@");
    const char *pw = NULL;
    size_t pwn = 0;
    const char *at;
    if (s[un] == ':') {
        /* SQLAlchemy: the password runs to the next '@' (it may hold ':' and '/') */
        at = strchr(s + un + 1, '@');
        if (!at)
            return 0; /* host:port */
        pw = s + un + 1;
        pwn = (size_t)(at - pw);
    } else if (s[un] == '@') {
        at = s + un;
    } else {
        return 0;
    }
    out->user = decode_range(s, un, false);
    if (pw)
        out->password = decode_range(pw, pwn, false);
    if (!out->user || (pw && !out->password))
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    *consumed = (size_t)(at - s) + 1;
    return 0;
}

static int parse_hostport(struct dburl *out, const char *s, size_t n, struct emc_error *err)
{
    const char *portp = NULL;
    size_t hostn;
    const char *host = s;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return emc_error_set(err, EMC_E_USAGE,
                                 "malformed database URL: '[' without ']' around an IPv6 host");
        host = s + 1;
        hostn = (size_t)(close - host);
        size_t rest = n - (size_t)(close + 1 - s);
        if (rest > 0) {
            if (close[1] != ':')
                return emc_error_set(err, EMC_E_USAGE,
                                     "malformed database URL: unexpected text after ']'");
            portp = close + 2;
        }
    } else {
        const char *colon = memchr(s, ':', n);
        hostn = colon ? (size_t)(colon - s) : n;
        if (colon)
            portp = colon + 1;
    }
    if (memchr(host, '@', hostn))
        return emc_error_set(err, EMC_E_USAGE,
                             "malformed database URL: '@' in the host part (write '@' in a "
                             "password as %%40 and '%%' as %%25)");
    if (hostn > 0) {
        out->host = dup_range(host, hostn);
        if (!out->host)
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    if (portp) {
        size_t pn = n - (size_t)(portp - s);
        if (memchr(portp, ':', pn))
            return emc_error_set(err, EMC_E_USAGE,
                                 "malformed database URL: more than one ':' in host:port (write "
                                 "an IPv6 address as [::1])");
        return parse_port(out, portp, pn, err);
    }
    return 0;
}

static int parse_inner(struct dburl *out, const char *text, struct emc_error *err)
{
    const char *sep = strstr(text, "://");
    size_t sn = sep ? (size_t)(sep - text) : 0;
    for (size_t i = 0; sep && i < sn; i++)
        if (!isalnum((unsigned char)text[i]) && text[i] != '+' && text[i] != '_')
            sep = NULL;
    if (!sep || sn == 0)
        return emc_error_set(err, EMC_E_USAGE,
                             "malformed database URL: expected scheme://... such as "
                             "sqlite:///glance.db or mysql://user:password@host/glance");
    int rc = parse_scheme(out, text, sn, err);
    if (rc)
        return rc;
    const char *rest = sep + 3;
    size_t uin;
    rc = parse_userinfo(out, rest, &uin, err);
    if (rc)
        return rc;
    rest += uin;
    size_t hn = strcspn(rest, "/?");
    rc = parse_hostport(out, rest, hn, err);
    if (rc)
        return rc;
    rest += hn;
    const char *q = strchr(rest, '?');
    size_t pn = q ? (size_t)(q - rest) : strlen(rest);
    bool has_db = pn > 0; /* rest starts with '/' here */
    if (q) {
        rc = parse_query(out, q + 1, err);
        if (rc)
            return rc;
    }
    if (out->backend == DB_SQLITE) {
        if (out->user || out->password || out->host || out->port)
            return emc_error_set(err, EMC_E_USAGE,
                                 "invalid SQLite URL: use sqlite:///relative/path.db, "
                                 "sqlite:////absolute/path.db or sqlite:// (in memory)");
        if (has_db && pn > 1 && !(pn == 9 && strncmp(rest + 1, ":memory:", 8) == 0)) {
            out->database = dup_range(rest + 1, pn - 1);
            if (!out->database)
                return emc_error_set(err, EMC_E_NOMEM, "out of memory");
        }
        return 0;
    }
    if (has_db && pn > 1) {
        out->database = decode_range(rest + 1, pn - 1, false);
        if (!out->database)
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    return 0;
}

int dburl_parse(struct dburl *out, const char *text, struct emc_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!text || !*text)
        return emc_error_set(err, EMC_E_USAGE, "empty database URL");
    for (const char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return emc_error_set(err, EMC_E_USAGE,
                                 "malformed database URL: control character or newline in it");
    int rc = parse_inner(out, text, err);
    if (rc)
        dburl_free(out);
    return rc;
}

void dburl_free(struct dburl *u)
{
    if (!u)
        return;
    free(u->scheme);
    free(u->user);
    if (u->password) {
        /* do not leave the secret lying in freed memory */
        volatile char *p = u->password;
        while (*p)
            *p++ = '\0';
        free(u->password);
    }
    free(u->host);
    free(u->database);
    free(u->socket);
    for (int i = 0; i < u->nopts && i < DBURL_MAX_OPTS; i++) {
        free(u->opts[i].key);
        free(u->opts[i].value);
    }
    memset(u, 0, sizeof(*u));
}

const char *dburl_opt(const struct dburl *u, const char *key)
{
    for (int i = 0; u && i < u->nopts; i++)
        if (strcmp(u->opts[i].key, key) == 0)
            return u->opts[i].value;
    return NULL;
}

struct sbuf {
    char *buf;
    size_t n, len;
};

static void sb_putc(struct sbuf *b, char c)
{
    if (b->len + 1 < b->n)
        b->buf[b->len++] = c;
    if (b->n)
        b->buf[b->len < b->n ? b->len : b->n - 1] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
    while (s && *s)
        sb_putc(b, *s++);
}

/* append s, percent-encoding the characters that would change the URL's structure */
static void sb_put_enc(struct sbuf *b, const char *s, const char *special)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '%' || c <= 0x20 || c >= 0x7f || strchr(special, c)) {
            sb_putc(b, '%');
            sb_putc(b, hex[c >> 4]);
            sb_putc(b, hex[c & 15]);
        } else {
            sb_putc(b, (char)c);
        }
    }
}

char *dburl_redacted(const struct dburl *u, char *buf, size_t n)
{
    struct sbuf b = {buf, n, 0};
    if (n)
        buf[0] = '\0';
    sb_puts(&b, u->scheme ? u->scheme : dburl_backend_name(u->backend));
    sb_puts(&b, "://");
    if (u->user || u->password) {
        sb_put_enc(&b, u->user ? u->user : "", ":/?@#[]");
        if (u->password)
            sb_puts(&b, ":***");
        sb_putc(&b, '@');
    }
    if (u->host) {
        bool v6 = strchr(u->host, ':') != NULL;
        if (v6)
            sb_putc(&b, '[');
        sb_put_enc(&b, u->host, "/?@#");
        if (v6)
            sb_putc(&b, ']');
    }
    if (u->port) {
        char port[16];
        int pn = 0;
        unsigned v = (unsigned)u->port;
        char tmp[16];
        do
            tmp[pn++] = (char)('0' + v % 10);
        while ((v /= 10) && pn < 15);
        for (int i = 0; i < pn; i++)
            port[i] = tmp[pn - 1 - i];
        port[pn] = '\0';
        sb_putc(&b, ':');
        sb_puts(&b, port);
    }
    if (u->database && *u->database) {
        sb_putc(&b, '/');
        if (u->backend == DB_SQLITE)
            sb_puts(&b, u->database);
        else
            sb_put_enc(&b, u->database, "/?#");
    }
    char sep = '?';
    if (u->socket) {
        sb_putc(&b, sep);
        sb_puts(&b, u->backend == DB_MYSQL ? "unix_socket=" : "host=");
        sb_put_enc(&b, u->socket, "&#+=?");
        sep = '&';
    }
    for (int i = 0; i < u->nopts; i++) {
        sb_putc(&b, sep);
        sep = '&';
        sb_put_enc(&b, u->opts[i].key, "&#+=?");
        sb_putc(&b, '=');
        if (strcmp(u->opts[i].key, "password") == 0)
            sb_puts(&b, "***");
        else
            sb_put_enc(&b, u->opts[i].value, "&#+=?");
    }
    return buf;
}

static bool scheme_char(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '_' || c == '-' || c == '.';
}

static bool url_end_char(char c)
{
    return c == '\0' || isspace((unsigned char)c) || c == '\'' || c == '"' || c == '>' ||
           c == '<' || c == '`';
}

char *dburl_redact_text(const char *text, char *buf, size_t n)
{
    struct sbuf b = {buf, n, 0};
    if (n)
        buf[0] = '\0';
    if (!text)
        return buf;
    const char *p = text;
    while (*p) {
        const char *sep = strstr(p, "://");
        if (!sep) {
            sb_puts(&b, p);
            break;
        }
        const char *auth = sep + 3;
        /* the user name, then ':' and the password up to the last '@' before the URL ends */
        const char *colon = NULL, *at = NULL;
        for (const char *q = auth; !url_end_char(*q); q++) {
            if (*q == '/' && !colon)
                break;
            if (*q == ':' && !colon)
                colon = q;
            if (*q == '@')
                at = q;
        }
        bool scheme_ok = sep > p && scheme_char(sep[-1]);
        if (scheme_ok && colon && at && at > colon) {
            for (const char *q = p; q <= colon; q++)
                sb_putc(&b, *q);
            sb_puts(&b, "***");
            p = at;
        } else {
            for (const char *q = p; q < auth; q++)
                sb_putc(&b, *q);
            p = auth;
        }
    }
    return buf;
}

void dburl_scrub_secret(char *text, const char *secret)
{
    if (!text || !secret)
        return;
    size_t sl = strlen(secret);
    if (sl < 3)
        return; /* too short to tell apart from ordinary text */
    char *from = text, *hit;
    while ((hit = strstr(from, secret)) != NULL) {
        memmove(hit + 3, hit + sl, strlen(hit + sl) + 1);
        memcpy(hit, "***", 3);
        from = hit + 3;
    }
}

const char *dburl_backend_name(enum db_backend b)
{
    switch (b) {
    case DB_SQLITE:
        return "sqlite";
    case DB_POSTGRESQL:
        return "postgresql";
    case DB_MYSQL:
        return "mysql";
    case DB_FAKE:
        return "fake";
    }
    return "unknown";
}
