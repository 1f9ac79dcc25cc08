/* error.h - the engine's error record: a class, the driver's own code, a one-line message.
 *
 * Every engine call returns 0 on success or a negative enum emc_errclass value, and fills the
 * struct emc_error it was given (which may be NULL when the caller does not care). Messages are
 * one line, never contain a password, and never end with a newline. */
#ifndef EMC_ERROR_H
#define EMC_ERROR_H

#include <stdarg.h>

enum emc_errclass {
    EMC_OK = 0,
    /* driver classes (issue 2) */
    EMC_E_UNREACHABLE = 1, /* server cannot be reached: refused, timeout, no route */
    EMC_E_AUTH,            /* credentials refused */
    EMC_E_UNKNOWN_DB,      /* the database (or SQLite file's folder) does not exist */
    EMC_E_SYNTAX,          /* SQL syntax error, unknown table or column */
    EMC_E_CONSTRAINT,      /* unique, not-null, check or foreign-key violation */
    EMC_E_LOCK_TIMEOUT,    /* a lock wait ran out */
    EMC_E_DEADLOCK,        /* the server chose this transaction as a deadlock victim */
    EMC_E_CONN_LOST,       /* the connection dropped mid-session */
    EMC_E_OTHER,           /* anything else the driver reported */
    /* engine classes */
    EMC_E_USAGE,        /* bad arguments, bad URL, bad option value */
    EMC_E_IO,           /* a file could not be read or written */
    EMC_E_NOMEM,        /* out of memory */
    EMC_E_NOT_GLANCE,   /* the database is not (recognisably) Glance's */
    EMC_E_REVISION,     /* unknown revision, release or inconsistent version table */
    EMC_E_STATE,        /* the command cannot run in the database's current state */
    EMC_E_LOCKED,       /* another run holds the database lock */
    EMC_E_INTERRUPTED,  /* stopped by a signal or the caller between batches */
    EMC_E_PERMISSION,   /* the database user lacks a needed privilege */
    EMC_E_STMT_TIMEOUT, /* (driver) a statement ran past its time limit and was cancelled */
    EMC_E__COUNT
};

struct emc_error {
    int code;         /* enum emc_errclass, EMC_OK when nothing failed */
    char sqlstate[6]; /* five-character SQLSTATE where the backend gave one, else "" */
    long driver_code; /* the driver's own error number (SQLite extended code, MySQL errno), or 0 */
    char msg[512];    /* one line, no trailing newline */
};

/* emc_error_clear: reset *err to EMC_OK with empty fields. err may be NULL. */
void emc_error_clear(struct emc_error *err);

/* emc_error_set: fill *err with code and a printf-formatted message, folded to one line
 * (newlines and tabs become spaces, trailing blanks removed). Returns -code so a caller can
 * write `return emc_error_set(err, EMC_E_USAGE, "...")`. err may be NULL. */
int emc_error_set(struct emc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* emc_error_vset: emc_error_set with a va_list. */
int emc_error_vset(struct emc_error *err, int code, const char *fmt, va_list ap);

/* emc_error_prefix: put "prefix: " before the message already in err (one line kept). */
void emc_error_prefix(struct emc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* emc_errclass_name: a stable lower-case name for a class ("unreachable", "auth", ...), for
 * JSON output and tests. Never NULL. */
const char *emc_errclass_name(int code);

#endif
