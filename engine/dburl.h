/* dburl.h - SQLAlchemy-style database URLs as Glance operators write them.
 *
 *   sqlite://                       in-memory database
 *   sqlite:///relative/path.db      relative to the current folder
 *   sqlite:////abs/path.db          absolute
 *   postgresql[+psycopg2]://user:pw@host:port/db?sslmode=require
 *   mysql[+pymysql|+mysqldb]://user:pw@host:port/db?charset=utf8
 *   ...?unix_socket=/run/mysqld/mysqld.sock (mysql) or host=/run/postgresql (postgresql)
 *
 * User and password are percent-decoded. The password is never printed: use dburl_redacted(). */
#ifndef EMC_DBURL_H
#define EMC_DBURL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum db_backend { DB_SQLITE = 1, DB_POSTGRESQL, DB_MYSQL, DB_FAKE };

#define DBURL_MAX_OPTS 16

struct dburl_opt {
    char *key;
    char *value;
};

struct dburl {
    enum db_backend backend;
    char *scheme;          /* as written, e.g. "mysql+pymysql" */
    char *user;            /* decoded, or NULL */
    char *password;        /* decoded, or NULL; never print */
    char *host;            /* or NULL */
    int port;              /* 0 when not given */
    char *database;        /* db name; for sqlite the file path ("" or NULL means memory) */
    char *socket;          /* unix socket path (from unix_socket= or host=/path), or NULL */
    bool sqlite_no_create; /* set by the caller: connect fails instead of creating the file */
    int nopts;
    struct dburl_opt opts[DBURL_MAX_OPTS]; /* query options other than the socket, decoded */
};

/* dburl_parse: parse text into *out (zeroed first). On error returns a negative code
 * (EMC_E_USAGE) with a one-line message that never quotes the password; *out is then empty.
 * The caller frees with dburl_free(). */
int dburl_parse(struct dburl *out, const char *text, struct emc_error *err);

/* dburl_free: release what dburl_parse allocated; safe on a zeroed or already-freed struct. */
void dburl_free(struct dburl *u);

/* dburl_opt: the value of query option key, or NULL. */
const char *dburl_opt(const struct dburl *u, const char *key);

/* dburl_redacted: write the URL to buf with the password replaced by "***"; returns buf. */
char *dburl_redacted(const struct dburl *u, char *buf, size_t n);

/* dburl_redact_text: copy text (an unparsed URL or any message) to buf, replacing the
 * password part of anything that looks like "scheme://user:password@" by "***". Returns buf. */
char *dburl_redact_text(const char *text, char *buf, size_t n);

/* dburl_scrub_secret: replace every occurrence of secret (a password) in the NUL-terminated
 * text by "***", in place (the text never grows). Secrets shorter than 3 characters, NULL text
 * or NULL secret leave text unchanged. Drivers run their libraries' messages through it. */
void dburl_scrub_secret(char *text, const char *secret);

/* dburl_backend_name: "sqlite", "postgresql", "mysql" or "fake". */
const char *dburl_backend_name(enum db_backend b);

#endif
