/* canvas.h - a character grid with styles, what every screen draws into. No curses here: the
 * terminal module (term.c) paints a canvas with curses, the tests turn it into text. Cells hold
 * printable ASCII or one of the UI_G_* line-drawing glyphs (shown as ASCII in text). */
#ifndef EMC_UI_CANVAS_H
#define EMC_UI_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Line-drawing glyphs: cell values below 32. Text rendering shows the ASCII fallback. */
enum ui_glyph {
    UI_G_HLINE = 1,
    UI_G_VLINE,
    UI_G_ULCORNER,
    UI_G_URCORNER,
    UI_G_LLCORNER,
    UI_G_LRCORNER,
    UI_G_LTEE,
    UI_G_RTEE,
    UI_G_TTEE,
    UI_G_BTEE,
    UI_G_PLUS,
    UI_G_BLOCK, /* progress bar fill */
    UI_G_LARROW,
    UI_G__COUNT
};

/* Semantic styles; term.c maps them to colours (or, under NO_COLOR, to bold/reverse/dim). */
enum ui_style {
    UI_S_NORMAL = 0,
    UI_S_BOLD,
    UI_S_DIM,
    UI_S_BAR,      /* the tab bar and the key bar background */
    UI_S_TAB,      /* the current screen's tab */
    UI_S_KEY,      /* a key name in the key bar */
    UI_S_SELECTED, /* the selected row or cell */
    UI_S_HEADING,  /* section titles */
    UI_S_OK,       /* applied, done */
    UI_S_WARN,     /* pending, attention */
    UI_S_ERROR,    /* failed, errors */
    UI_S_CURRENT,  /* the current heads */
    UI_S_INFO,     /* SQL text, hints */
    UI_S_PROGRESS, /* the filled part of a progress bar */
    UI_S_INPUT,    /* a field being edited */
    UI_S__COUNT
};

struct ui_cell {
    uint8_t ch;    /* printable ASCII, or an enum ui_glyph */
    uint8_t style; /* enum ui_style */
};

struct ui_canvas {
    int w, h;
    struct ui_cell *cells;  /* w * h, row-major */
    int cursor_x, cursor_y; /* where the terminal cursor goes, -1 = hidden */
};

/* ui_canvas_init: allocate a w x h canvas of blanks. Returns 0, or -1 out of memory. */
int ui_canvas_init(struct ui_canvas *c, int w, int h);

/* ui_canvas_free: release the cells; the struct may be initialised again. */
void ui_canvas_free(struct ui_canvas *c);

/* ui_canvas_clear: blank every cell with style s; hide the cursor. */
void ui_canvas_clear(struct ui_canvas *c, enum ui_style s);

/* ui_put: write text at (x, y) in style s, clipped at the right edge (and at max columns when
 * max > 0). Bytes outside printable ASCII are shown as '?'. Returns the column after the text. */
int ui_put(struct ui_canvas *c, int x, int y, enum ui_style s, const char *text, int max);

/* ui_putf: ui_put of a printf-formatted string (clipped, no max). */
int ui_putf(struct ui_canvas *c, int x, int y, enum ui_style s, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ui_glyph: put one glyph (or ASCII character) at (x, y). */
void ui_glyph(struct ui_canvas *c, int x, int y, enum ui_style s, int g);

/* ui_fill: fill n cells of row y from x with character ch in style s. */
void ui_fill(struct ui_canvas *c, int x, int y, int n, int ch, enum ui_style s);

/* ui_style_row: set the style of n cells of row y from x, keeping their characters. */
void ui_style_row(struct ui_canvas *c, int x, int y, int n, enum ui_style s);

/* ui_box: a frame with corners at (x, y) and (x + w - 1, y + h - 1), inside blanked, with an
 * optional title on the top edge. */
void ui_box(struct ui_canvas *c, int x, int y, int w, int h, enum ui_style s, const char *title);

/* Line markers: a text line starting with one of these bytes is drawn in that style (the byte
 * itself is not shown). Builders of long texts (SQL, panels) use them. */
#define UI_MARK_SQL '\x01'
#define UI_MARK_WARN '\x02'
#define UI_MARK_HEAD '\x03'
/* the same as strings, to write UI_MK_HEAD "Title" (separate literals: no hex-escape trap) */
#define UI_MK_SQL "\x01"
#define UI_MK_WARN "\x02"
#define UI_MK_HEAD "\x03"

/* ui_put_marked: ui_put of a line that may start with a UI_MARK_* byte. */
int ui_put_marked(struct ui_canvas *c, int x, int y, const char *line, int max);

/* ui_canvas_text: the canvas as text, one line per row ending in '\n', trailing blanks cut,
 * glyphs as ASCII. Writes at most n bytes (NUL included); returns the length it needed. */
size_t ui_canvas_text(const struct ui_canvas *c, char *buf, size_t n);

/* ui_glyph_ascii: the ASCII stand-in of a cell value. */
char ui_glyph_ascii(int g);

#endif
