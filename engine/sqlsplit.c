/* sqlsplit.c - see sqlsplit.h */
#include "sqlsplit.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool only_comments(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (isspace((unsigned char)s[i])) {
            i++;
        } else if (s[i] == '-' && i + 1 < n && s[i + 1] == '-') {
            while (i < n && s[i] != '\n')
                i++;
        } else if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
            i += 2;
            while (i + 1 < n && !(s[i] == '*' && s[i + 1] == '/'))
                i++;
            i += 2;
        } else {
            return false;
        }
    }
    return true;
}

static int push(struct sql_list *l, const char *s, size_t n, struct emc_error *err)
{
    if (only_comments(s, n))
        return 0;
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    char **v = realloc(l->stmt, sizeof(char *) * (size_t)(l->n + 1));
    if (!v)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory splitting SQL");
    l->stmt = v;
    char *copy = malloc(n + 1);
    if (!copy)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory splitting SQL");
    memcpy(copy, s, n);
    copy[n] = '\0';
    l->stmt[l->n++] = copy;
    return 0;
}

/* at_line_start_delimiter: if p starts a "DELIMITER x" line, copy x to delim, set *skip to the
 * line's length (with its newline) and return true. */
static bool delimiter_line(const char *p, char *delim, size_t dsz, size_t *skip)
{
    if (strncasecmp(p, "DELIMITER", 9) != 0 || !(p[9] == ' ' || p[9] == '\t'))
        return false;
    const char *q = p + 9;
    while (*q == ' ' || *q == '\t')
        q++;
    size_t k = 0;
    while (q[k] && !isspace((unsigned char)q[k]))
        k++;
    if (k == 0 || k >= dsz)
        return false;
    memcpy(delim, q, k);
    delim[k] = '\0';
    const char *e = q + k;
    while (*e && *e != '\n')
        e++;
    if (*e == '\n')
        e++;
    *skip = (size_t)(e - p);
    return true;
}

int sql_split(const char *text, struct sql_list *out, struct emc_error *err)
{
    memset(out, 0, sizeof(*out));
    char delim[16] = ";";
    const char *p = text;
    const char *start = text;
    bool line_start = true;
    int rc = 0;
    while (*p) {
        if (line_start) {
            size_t skip;
            if (delimiter_line(p, delim, sizeof(delim), &skip)) {
                if ((rc = push(out, start, (size_t)(p - start), err)) < 0)
                    goto fail;
                p += skip;
                start = p;
                continue;
            }
        }
        line_start = false;
        char c = *p;
        if (c == '\'' || c == '"' || c == '`') {
            const char *q = p + 1;
            while (*q && !(*q == c && q[1] != c)) {
                if (*q == c && q[1] == c)
                    q++;
                else if (*q == '\\' && c == '\'' && q[1])
                    q++; /* MySQL-style escapes; harmless elsewhere for our files */
                q++;
            }
            if (!*q) {
                rc = emc_error_set(err, EMC_E_USAGE, "unterminated quote in SQL near: %.40s", p);
                goto fail;
            }
            p = q + 1;
            continue;
        }
        if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (c == '/' && p[1] == '*') {
            const char *q = strstr(p + 2, "*/");
            p = q ? q + 2 : p + strlen(p);
            continue;
        }
        if (c == '$') {
            /* dollar quote: $$ or $tag$ */
            const char *q = p + 1;
            while (isalnum((unsigned char)*q) || *q == '_')
                q++;
            if (*q == '$') {
                size_t tl = (size_t)(q - p + 1);
                char tag[64];
                if (tl < sizeof(tag)) {
                    memcpy(tag, p, tl);
                    tag[tl] = '\0';
                    const char *e = strstr(q + 1, tag);
                    if (!e) {
                        rc = emc_error_set(err, EMC_E_USAGE, "unterminated %s body in SQL", tag);
                        goto fail;
                    }
                    p = e + tl;
                    continue;
                }
            }
        }
        size_t dl = strlen(delim);
        if (strncmp(p, delim, dl) == 0) {
            if ((rc = push(out, start, (size_t)(p - start), err)) < 0)
                goto fail;
            p += dl;
            start = p;
            continue;
        }
        if (c == '\n')
            line_start = true;
        p++;
    }
    if ((rc = push(out, start, (size_t)(p - start), err)) < 0)
        goto fail;
    return 0;
fail:
    sql_list_free(out);
    return rc;
}

void sql_list_free(struct sql_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->stmt[i]);
    free(l->stmt);
    l->stmt = NULL;
    l->n = 0;
}
