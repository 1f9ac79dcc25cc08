/* strbuf.c - see strbuf.h */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* reserve: room for more bytes and a NUL after len */
static bool reserve(struct strbuf *b, size_t more)
{
    if (b->oom)
        return false;
    if (more >= (size_t)-1 - b->len) { /* len + more + NUL would not fit in a size_t */
        b->oom = true;
        return false;
    }
    if (b->s && b->len + more < b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap <= b->len + more) {
        if (cap > ((size_t)-1) / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

bool strbuf_append(struct strbuf *b, const char *p, size_t n)
{
    if (!reserve(b, n))
        return false;
    if (n)
        memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

bool strbuf_puts(struct strbuf *b, const char *p)
{
    return strbuf_append(b, p ? p : "", p ? strlen(p) : 0);
}

bool strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0)
        b->oom = true;
    if (k < 0 || !reserve(b, (size_t)k))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)k;
    return true;
}

char *strbuf_room(struct strbuf *b, size_t more)
{
    return reserve(b, more) ? b->s + b->len : NULL;
}

void strbuf_grew(struct strbuf *b, size_t n)
{
    b->len += n;
    b->s[b->len] = '\0';
}

char *strbuf_take(struct strbuf *b)
{
    char *s = b->oom ? NULL : b->s;
    if (b->oom)
        free(b->s);
    *b = (struct strbuf){0};
    return s;
}

void strbuf_free(struct strbuf *b)
{
    free(b->s);
    *b = (struct strbuf){0};
}
