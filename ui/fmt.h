/* fmt.h - small text helpers the screens share: numbers with thousands separators, durations,
 * ages, word wrapping into a line list. */
#ifndef EMC_UI_FMT_H
#define EMC_UI_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* fmt_count: v with ',' between thousands ("12,345"); returns buf. */
char *fmt_count(int64_t v, char *buf, size_t n);

/* fmt_eta: seconds as "42s", "3m05s", "1.5h", or "--" when s < 0; returns buf. */
char *fmt_eta(double s, char *buf, size_t n);

/* fmt_utc: t as "YYYY-MM-DD HH:MM:SS" (UTC); returns buf. */
char *fmt_utc(time_t t, char *buf, size_t n);

/* fmt_parse_utc: parse "YYYY-MM-DD HH:MM:SS" (UTC) into *t; 0 on success, -1 otherwise. */
int fmt_parse_utc(const char *s, time_t *t);

/* A list of lines (each malloc'd). */
struct ui_lines {
    int n, cap;
    char **v;
};

/* lines_add: append a copy of s (at most len bytes when len >= 0). Returns 0 or -1. */
int lines_add(struct ui_lines *l, const char *s, int len);

/* lines_addf: append a printf-formatted line. */
int lines_addf(struct ui_lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* lines_wrap: append text split at '\n' and wrapped at width columns (at spaces when it can,
 * hard otherwise), each continuation line indented by indent spaces. Tabs become 4 spaces. */
int lines_wrap(struct ui_lines *l, const char *text, int width, int indent);

/* lines_free: free every line and the list. */
void lines_free(struct ui_lines *l);

#endif
