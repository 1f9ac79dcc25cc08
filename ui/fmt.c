/* fmt.c - see fmt.h */
#include "fmt.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *fmt_count(int64_t v, char *buf, size_t n)
{
    char raw[32];
    int neg = v < 0;
    uint64_t u = neg ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    snprintf(raw, sizeof(raw), "%llu", (unsigned long long)u);
    char out[48];
    size_t len = strlen(raw), j = 0;
    if (neg)
        out[j++] = '-';
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[j++] = ',';
        out[j++] = raw[i];
    }
    out[j] = '\0';
    snprintf(buf, n, "%s", out);
    return buf;
}

char *fmt_eta(double s, char *buf, size_t n)
{
    if (s < 0)
        snprintf(buf, n, "--");
    else if (s < 90)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 5400)
        snprintf(buf, n, "%ldm%02lds", (long)s / 60, (long)s % 60);
    else
        snprintf(buf, n, "%.1fh", s / 3600);
    return buf;
}

char *fmt_utc(time_t t, char *buf, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

/* days_from_civil: days since 1970-01-01 of a proleptic Gregorian date (no timegm needed). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int fmt_parse_utc(const char *s, time_t *t)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (!s || sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &se) < 3)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    *t = (time_t)(days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L + se);
    return 0;
}

int lines_add(struct ui_lines *l, const char *s, int len)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, sizeof(char *) * (size_t)cap);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    size_t n = len >= 0 ? (size_t)len : strlen(s);
    char *c = malloc(n + 1);
    if (!c)
        return -1;
    memcpy(c, s, n);
    c[n] = '\0';
    l->v[l->n++] = c;
    return 0;
}

int lines_addf(struct ui_lines *l, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return lines_add(l, buf, -1);
}

/* wrap_one: wrap a line without '\n' */
static int wrap_one(struct ui_lines *l, const char *s, int width, int indent)
{
    char pad[64];
    if (indent > (int)sizeof(pad) - 1)
        indent = (int)sizeof(pad) - 1;
    if (indent >= width)
        indent = 0;
    memset(pad, ' ', (size_t)indent);
    pad[indent] = '\0';
    bool first = true;
    size_t len = strlen(s);
    if (len == 0)
        return lines_add(l, "", 0);
    while (len > 0) {
        int avail = first ? width : width - indent;
        if (avail < 1)
            avail = 1;
        size_t take = len;
        if ((int)len > avail) {
            take = (size_t)avail;
            for (size_t k = (size_t)avail; k > (size_t)avail / 2; k--)
                if (s[k] == ' ') {
                    take = k;
                    break;
                }
        }
        char buf[1100];
        snprintf(buf, sizeof(buf), "%s%.*s", first ? "" : pad, (int)take, s);
        if (lines_add(l, buf, -1) < 0)
            return -1;
        s += take;
        len -= take;
        while (len > 0 && *s == ' ') /* the break's blanks start no line */
            s++, len--;
        first = false;
    }
    return 0;
}

int lines_wrap(struct ui_lines *l, const char *text, int width, int indent)
{
    if (width > 1000)
        width = 1000;
    const char *p = text ? text : "";
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        /* expand tabs, drop CRs */
        char *line = malloc(n * 4 + 1);
        if (!line)
            return -1;
        size_t j = 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '\t') {
                memcpy(line + j, "    ", 4);
                j += 4;
            } else if (p[i] != '\r') {
                line[j++] = p[i];
            }
        }
        line[j] = '\0';
        int rc = wrap_one(l, line, width, indent);
        free(line);
        if (rc < 0)
            return rc;
        if (!nl)
            break;
        p = nl + 1;
        if (!*p)
            break;
    }
    return 0;
}

void lines_free(struct ui_lines *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
