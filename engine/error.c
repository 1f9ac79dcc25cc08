/* error.c - see error.h */
#include "error.h"

#include <stdio.h>
#include <string.h>

void emc_error_clear(struct emc_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

static void fold_one_line(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
}

int emc_error_vset(struct emc_error *err, int code, const char *fmt, va_list ap)
{
    if (code < 0)
        code = -code;
    if (!err)
        return -code;
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    fold_one_line(err->msg);
    return -code;
}

int emc_error_set(struct emc_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = emc_error_vset(err, code, fmt, ap);
    va_end(ap);
    return rc;
}

void emc_error_prefix(struct emc_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char pre[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    char old[sizeof(err->msg)];
    memcpy(old, err->msg, sizeof(old));
    snprintf(err->msg, sizeof(err->msg), "%s: %s", pre, old);
    fold_one_line(err->msg);
}

const char *emc_errclass_name(int code)
{
    static const char *const names[EMC_E__COUNT] = {
        [EMC_OK] = "ok",
        [EMC_E_UNREACHABLE] = "unreachable",
        [EMC_E_AUTH] = "authentication",
        [EMC_E_UNKNOWN_DB] = "unknown-database",
        [EMC_E_SYNTAX] = "syntax",
        [EMC_E_CONSTRAINT] = "constraint",
        [EMC_E_LOCK_TIMEOUT] = "lock-timeout",
        [EMC_E_DEADLOCK] = "deadlock",
        [EMC_E_CONN_LOST] = "connection-lost",
        [EMC_E_OTHER] = "other",
        [EMC_E_USAGE] = "usage",
        [EMC_E_IO] = "io",
        [EMC_E_NOMEM] = "no-memory",
        [EMC_E_NOT_GLANCE] = "not-glance",
        [EMC_E_REVISION] = "revision",
        [EMC_E_STATE] = "state",
        [EMC_E_LOCKED] = "locked",
        [EMC_E_INTERRUPTED] = "interrupted",
        [EMC_E_STMT_TIMEOUT] = "statement-timeout",
        [EMC_E_PERMISSION] = "permission",
    };
    if (code < 0)
        code = -code;
    if (code >= EMC_E__COUNT || !names[code])
        return "unknown";
    return names[code];
}
