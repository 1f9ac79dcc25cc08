/* canvas.c - see canvas.h */
#include "canvas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ui_canvas_init(struct ui_canvas *c, int w, int h)
{
    c->w = w > 0 ? w : 1;
    c->h = h > 0 ? h : 1;
    c->cells = calloc((size_t)c->w * (size_t)c->h, sizeof(struct ui_cell));
    if (!c->cells)
        return -1;
    ui_canvas_clear(c, UI_S_NORMAL);
    return 0;
}

void ui_canvas_free(struct ui_canvas *c)
{
    free(c->cells);
    c->cells = NULL;
    c->w = c->h = 0;
}

void ui_canvas_clear(struct ui_canvas *c, enum ui_style s)
{
    for (int i = 0; i < c->w * c->h; i++)
        c->cells[i] = (struct ui_cell){' ', (uint8_t)s};
    c->cursor_x = c->cursor_y = -1;
}

static struct ui_cell *at(struct ui_canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return NULL;
    return &c->cells[y * c->w + x];
}

int ui_put(struct ui_canvas *c, int x, int y, enum ui_style s, const char *text, int max)
{
    if (!text)
        return x;
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (max > 0 && n >= max)
            break;
        if (*p >= 0x80 && (*p & 0xC0) == 0x80)
            continue; /* UTF-8 continuation byte: the lead byte already took a cell */
        struct ui_cell *cell = at(c, x, y);
        if (cell)
            *cell = (struct ui_cell){(*p >= 32 && *p < 127) ? *p : '?', (uint8_t)s};
        x++;
        n++;
    }
    return x;
}

int ui_putf(struct ui_canvas *c, int x, int y, enum ui_style s, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return ui_put(c, x, y, s, buf, 0);
}

void ui_glyph(struct ui_canvas *c, int x, int y, enum ui_style s, int g)
{
    struct ui_cell *cell = at(c, x, y);
    if (cell)
        *cell = (struct ui_cell){(uint8_t)g, (uint8_t)s};
}

void ui_fill(struct ui_canvas *c, int x, int y, int n, int ch, enum ui_style s)
{
    for (int i = 0; i < n; i++)
        ui_glyph(c, x + i, y, s, ch);
}

void ui_style_row(struct ui_canvas *c, int x, int y, int n, enum ui_style s)
{
    for (int i = 0; i < n; i++) {
        struct ui_cell *cell = at(c, x + i, y);
        if (cell)
            cell->style = (uint8_t)s;
    }
}

void ui_box(struct ui_canvas *c, int x, int y, int w, int h, enum ui_style s, const char *title)
{
    if (w < 2 || h < 2)
        return;
    for (int r = y + 1; r < y + h - 1; r++) {
        ui_fill(c, x + 1, r, w - 2, ' ', s);
        ui_glyph(c, x, r, s, UI_G_VLINE);
        ui_glyph(c, x + w - 1, r, s, UI_G_VLINE);
    }
    ui_fill(c, x + 1, y, w - 2, UI_G_HLINE, s);
    ui_fill(c, x + 1, y + h - 1, w - 2, UI_G_HLINE, s);
    ui_glyph(c, x, y, s, UI_G_ULCORNER);
    ui_glyph(c, x + w - 1, y, s, UI_G_URCORNER);
    ui_glyph(c, x, y + h - 1, s, UI_G_LLCORNER);
    ui_glyph(c, x + w - 1, y + h - 1, s, UI_G_LRCORNER);
    if (title && *title) {
        int end = ui_put(c, x + 2, y, UI_S_HEADING, " ", w - 4);
        end = ui_put(c, end, y, UI_S_HEADING, title, w - 7);
        ui_put(c, end, y, UI_S_HEADING, " ", 1);
    }
}

int ui_put_marked(struct ui_canvas *c, int x, int y, const char *line, int max)
{
    enum ui_style st = UI_S_NORMAL;
    if (line[0] == UI_MARK_SQL)
        st = UI_S_INFO;
    else if (line[0] == UI_MARK_WARN)
        st = UI_S_WARN;
    else if (line[0] == UI_MARK_HEAD)
        st = UI_S_HEADING;
    return ui_put(c, x, y, st, st == UI_S_NORMAL ? line : line + 1, max);
}

char ui_glyph_ascii(int g)
{
    switch (g) {
    case UI_G_HLINE:
        return '-';
    case UI_G_VLINE:
        return '|';
    case UI_G_BLOCK:
        return '#';
    case UI_G_LARROW:
        return '<';
    case UI_G_ULCORNER:
    case UI_G_URCORNER:
    case UI_G_LLCORNER:
    case UI_G_LRCORNER:
    case UI_G_LTEE:
    case UI_G_RTEE:
    case UI_G_TTEE:
    case UI_G_BTEE:
    case UI_G_PLUS:
        return '+';
    default:
        return (g >= 32 && g < 127) ? (char)g : '?';
    }
}

size_t ui_canvas_text(const struct ui_canvas *c, char *buf, size_t n)
{
    size_t len = 0;
    for (int y = 0; y < c->h; y++) {
        int last = -1;
        for (int x = 0; x < c->w; x++)
            if (c->cells[y * c->w + x].ch != ' ')
                last = x;
        for (int x = 0; x <= last; x++) {
            if (len + 1 < n)
                buf[len] = ui_glyph_ascii(c->cells[y * c->w + x].ch);
            len++;
        }
        if (len + 1 < n)
            buf[len] = '\n';
        len++;
    }
    if (n > 0)
        buf[len < n ? len : n - 1] = '\0';
    return len + 1;
}
