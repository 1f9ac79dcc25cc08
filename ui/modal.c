/* modal.c - see modal.h */
#include "modal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

static void reset(struct ui_modal *m)
{
    free(m->body);
    lines_free(&m->items);
    memset(m, 0, sizeof(*m));
}

static void open_common(struct ui_app *app, enum ui_modal_kind kind, enum ui_style style,
                        const char *title, const char *body, const char *prompt)
{
    struct ui_modal *m = &app->modal;
    reset(m);
    m->kind = kind;
    m->style = style;
    snprintf(m->title, sizeof(m->title), "%s", title ? title : "");
    m->body = strdup(body ? body : "");
    snprintf(m->prompt, sizeof(m->prompt), "%s", prompt ? prompt : "");
}

void modal_ask(struct ui_app *app, enum ui_style style, const char *title, const char *body,
               const char *prompt, ui_modal_done done)
{
    open_common(app, UI_MODAL_ASK, style, title, body, prompt);
    app->modal.done = done;
}

void modal_type(struct ui_app *app, const char *title, const char *body, const char *prompt,
                const char *expect, const char *initial, bool inplace, ui_modal_done done)
{
    open_common(app, UI_MODAL_TYPE, UI_S_WARN, title, body, prompt);
    struct ui_modal *m = &app->modal;
    snprintf(m->expect, sizeof(m->expect), "%s", expect ? expect : "");
    snprintf(m->input, sizeof(m->input), "%s", initial ? initial : "");
    m->fresh = m->input[0] != '\0';
    m->inplace = inplace;
    m->done = done;
}

void modal_panel(struct ui_app *app, enum ui_style style, const char *title, const char *body,
                 ui_modal_done done)
{
    open_common(app, UI_MODAL_PANEL, style, title, body, "Enter: close");
    app->modal.done = done;
}

void modal_choose(struct ui_app *app, const char *title, const struct ui_lines *items, int sel,
                  ui_modal_done done)
{
    open_common(app, UI_MODAL_CHOOSE, UI_S_NORMAL, title, "", "Enter: choose   Esc: cancel");
    struct ui_modal *m = &app->modal;
    for (int i = 0; i < items->n; i++)
        lines_add(&m->items, items->v[i], -1);
    m->sel = sel >= 0 && sel < items->n ? sel : 0;
    m->done = done;
}

void modal_step(struct ui_app *app, const char *title, const char *body, bool allow_all)
{
    open_common(app, UI_MODAL_STEP, UI_S_WARN, title, body,
                allow_all ? "Run this step?  y yes   n no, stop here   a yes to the rest of this "
                            "phase"
                          : "Run this step?  y yes   n no, stop here");
    app->modal.allow_all = allow_all;
}

void modal_close(struct ui_app *app)
{
    reset(&app->modal);
}

unsigned modal_kctx(const struct ui_modal *m)
{
    switch (m->kind) {
    case UI_MODAL_STEP:
        return KC_STEP | (m->allow_all ? KC_STEP_ALL : 0u);
    case UI_MODAL_ASK:
        return KC_ASK;
    case UI_MODAL_TYPE:
        return KC_TYPE;
    case UI_MODAL_PANEL:
        return KC_PANEL;
    case UI_MODAL_CHOOSE:
        return KC_CHOOSE;
    case UI_MODAL_NONE:
        break;
    }
    return 0;
}

/* finish: close the modal and call its done callback with the answer. */
static void finish(struct ui_app *app, int answer)
{
    struct ui_modal *m = &app->modal;
    if (m->kind == UI_MODAL_STEP) { /* waited on by the run: leave it for the run to read */
        m->answer = answer;
        return;
    }
    ui_modal_done done = m->done;
    char input[sizeof(m->input)];
    snprintf(input, sizeof(input), "%s", m->input);
    int choice = m->sel;
    modal_close(app);
    if (done)
        done(app, answer, input, choice);
}

static void scroll(struct ui_app *app, enum ui_act act)
{
    struct ui_modal *m = &app->modal;
    int page = ui_app_body_rows(app) - 6;
    if (page < 1)
        page = 1;
    if (m->kind == UI_MODAL_CHOOSE)
        ui_nav(&m->sel, act, page, m->items.n - 1);
    else
        ui_nav(&m->scroll, act, page, 1 << 20); /* clamped to the text when drawn */
}

void modal_action(struct ui_app *app, enum ui_act act, int key)
{
    struct ui_modal *m = &app->modal;
    switch (act) {
    case ACT_UP:
    case ACT_DOWN:
    case ACT_PGUP:
    case ACT_PGDN:
    case ACT_HOME:
    case ACT_END:
        scroll(app, act);
        return;
    case ACT_YES:
        finish(app, UI_ANS_YES);
        return;
    case ACT_NO:
    case ACT_CANCEL:
        finish(app, UI_ANS_NO);
        return;
    case ACT_YES_PHASE:
        if (m->allow_all)
            finish(app, UI_ANS_ALL);
        else
            ui_app_message(app, UI_S_WARN, "contract steps each need their own y");
        return;
    case ACT_STOP_QUIT:
        app->run.quit_after = true;
        finish(app, UI_ANS_NO);
        return;
    case ACT_CLOSE:
        finish(app, UI_ANS_YES);
        return;
    case ACT_QUIT:
        modal_close(app);
        app->quit = true;
        return;
    case ACT_ACCEPT:
        if (m->kind == UI_MODAL_TYPE && m->expect[0] && strcmp(m->input, m->expect) != 0) {
            ui_app_message(app, UI_S_WARN, "type exactly \"%s\" to go on, or Esc to cancel",
                           m->expect);
            return;
        }
        finish(app, UI_ANS_YES);
        return;
    case ACT_ERASE: {
        m->fresh = false;
        size_t l = strlen(m->input);
        if (l > 0)
            m->input[l - 1] = '\0';
        return;
    }
    case ACT_TEXT: {
        if (m->fresh)
            m->input[0] = '\0';
        m->fresh = false;
        size_t l = strlen(m->input);
        bool numeric = m->expect[0] == '\0';
        if (numeric && !((key >= '0' && key <= '9') || (key == '-' && l == 0))) {
            ui_app_message(app, UI_S_WARN, "a whole number, please (-1 means no limit)");
            return;
        }
        if (l + 1 < sizeof(m->input) && l < 20) {
            m->input[l] = (char)key;
            m->input[l + 1] = '\0';
        }
        return;
    }
    default:
        return;
    }
}

/* draw_text: wrapped body lines in a rectangle, from line m->scroll (clamped). */
static void draw_text(const struct ui_modal *m, struct ui_canvas *c, int x, int y, int w, int h,
                      const struct ui_lines *l)
{
    int maxtop = l->n - h > 0 ? l->n - h : 0;
    int top = m->scroll > maxtop ? maxtop : m->scroll;
    for (int i = 0; i < h && top + i < l->n; i++) {
        ui_put_marked(c, x, y + i, l->v[top + i], w);
    }
    if (top > 0)
        ui_put(c, x + w - 9, y, UI_S_DIM, " more ^ ", 0);
    if (top + h < l->n)
        ui_put(c, x + w - 9, y + h - 1, UI_S_DIM, " more v ", 0);
}

/* wrap_marked: wrap text keeping a leading marker byte on every piece of a marked line */
static void wrap_marked(struct ui_lines *out, const char *body, int width)
{
    const char *p = body;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char mark = (p[0] >= 1 && p[0] <= 3) ? p[0] : 0;
        char *line = strndup(p + (mark ? 1 : 0), n - (mark ? 1 : 0));
        struct ui_lines tmp = {0};
        if (line)
            lines_wrap(&tmp, line, width, mark == 1 ? 4 : 0);
        for (int i = 0; i < tmp.n; i++) {
            if (mark)
                lines_addf(out, "%c%s", mark, tmp.v[i]);
            else
                lines_add(out, tmp.v[i], -1);
        }
        lines_free(&tmp);
        free(line);
        if (!nl)
            break;
        p = nl + 1;
    }
}

void modal_draw(const struct ui_app *app, struct ui_canvas *c, int top, int rows)
{
    const struct ui_modal *m = &app->modal;
    if (m->kind == UI_MODAL_NONE || (m->kind == UI_MODAL_TYPE && m->inplace))
        return;
    int W = c->w;
    if (m->kind == UI_MODAL_STEP) {
        /* the whole body: title, framed SQL, prompt */
        for (int r = top; r < top + rows; r++)
            ui_fill(c, 0, r, W, ' ', UI_S_NORMAL);
        ui_box(c, 0, top, W, rows - 1, m->style, m->title);
        struct ui_lines l = {0};
        wrap_marked(&l, m->body, W - 4);
        draw_text(m, c, 2, top + 1, W - 4, rows - 3, &l);
        lines_free(&l);
        ui_put(c, 1, top + rows - 1, UI_S_WARN, m->prompt, W - 2);
        return;
    }
    int bw = W - 8 > 76 ? 76 : W - 8;
    struct ui_lines l = {0};
    if (m->kind == UI_MODAL_CHOOSE) {
        for (int i = 0; i < m->items.n; i++)
            lines_add(&l, m->items.v[i], -1);
    } else {
        wrap_marked(&l, m->body, bw - 4);
    }
    int extra = m->kind == UI_MODAL_TYPE ? 2 : 0;
    int bh = l.n + 4 + extra;
    if (bh > rows)
        bh = rows;
    int bx = (W - bw) / 2, by = top + (rows - bh) / 2;
    ui_box(c, bx, by, bw, bh, m->style, m->title);
    int texth = bh - 4 - extra;
    if (m->kind == UI_MODAL_CHOOSE) {
        int t = m->sel - texth + 1 > 0 ? m->sel - texth + 1 : 0;
        for (int i = 0; i < texth && t + i < l.n; i++) {
            bool sel = t + i == m->sel;
            ui_put(c, bx + 2, by + 1 + i, sel ? UI_S_SELECTED : UI_S_NORMAL, l.v[t + i], bw - 4);
            if (sel)
                ui_style_row(c, bx + 1, by + 1 + i, bw - 2, UI_S_SELECTED);
        }
    } else {
        draw_text(m, c, bx + 2, by + 1, bw - 4, texth, &l);
    }
    if (m->kind == UI_MODAL_TYPE) {
        int fy = by + bh - 4;
        int x = ui_put(c, bx + 2, fy, UI_S_BOLD, "> ", 0);
        ui_fill(c, x, fy, 24, ' ', UI_S_INPUT);
        int end = ui_put(c, x, fy, UI_S_INPUT, m->input, 23);
        c->cursor_x = end;
        c->cursor_y = fy;
    }
    ui_put(c, bx + 2, by + bh - 2, m->kind == UI_MODAL_PANEL ? UI_S_DIM : UI_S_WARN, m->prompt,
           bw - 4);
    lines_free(&l);
}
