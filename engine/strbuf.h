/* strbuf.h - a growable NUL-terminated string, for SQL and text the engine builds piece by
 * piece. A zeroed struct strbuf is empty. Running out of memory sticks: every later append
 * does nothing and returns false, so a caller can append several pieces and check once (oom,
 * or the last call's result). s stays NULL until the first successful append. */
#ifndef EMC_STRBUF_H
#define EMC_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
    char *s;    /* the text, NUL-terminated (NULL while nothing was appended) */
    size_t len; /* its length, without the NUL */
    size_t cap; /* bytes allocated at s */
    bool oom;   /* an append ran out of memory */
};

/* strbuf_append: append the n bytes at p (n may be 0: s then exists, empty). Returns false when
 * out of memory now or before. */
bool strbuf_append(struct strbuf *b, const char *p, size_t n);

/* strbuf_puts: append the string p (NULL appends nothing). Returns as strbuf_append. */
bool strbuf_puts(struct strbuf *b, const char *p);

/* strbuf_printf: append printf-formatted text. Returns false when out of memory (now or
 * before) or on a formatting error, which also sets oom. */
bool strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* strbuf_room: room for more bytes (and a NUL) after the text, for a caller that writes them in
 * place (such as an escaping function) and then calls strbuf_grew; NULL when out of memory
 * (now or before). */
char *strbuf_room(struct strbuf *b, size_t more);

/* strbuf_grew: the caller wrote n bytes at strbuf_room's pointer (n at most the room asked
 * for): count them and end the text after them. */
void strbuf_grew(struct strbuf *b, size_t n);

/* strbuf_take: the text (the caller frees it; NULL when out of memory or nothing was appended),
 * leaving b empty. */
char *strbuf_take(struct strbuf *b);

/* strbuf_free: free the text and leave b empty. */
void strbuf_free(struct strbuf *b);

#endif
