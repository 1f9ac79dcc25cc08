/* modal.h - questions, typed confirmations, message panels and lists drawn over a screen.
 * While one is open it takes every key (its own key context). A modal opened with a done
 * callback calls it once closed, with the answer; the step confirmation is waited on instead
 * (the run's callback loops until the answer is in). */
#ifndef EMC_UI_MODAL_H
#define EMC_UI_MODAL_H

#include <stdbool.h>

#include "canvas.h"
#include "fmt.h"
#include "keymap.h"

struct ui_app;

enum ui_modal_kind {
    UI_MODAL_NONE,
    UI_MODAL_STEP,   /* a step's SQL and y/N (fills the screen's body) */
    UI_MODAL_ASK,    /* a y/N question in a box */
    UI_MODAL_TYPE,   /* type a word (or a number) */
    UI_MODAL_PANEL,  /* a message (an error) to read and close */
    UI_MODAL_CHOOSE, /* pick one line of a list */
};

enum ui_answer { UI_ANS_OPEN = 0, UI_ANS_YES, UI_ANS_NO, UI_ANS_ALL };

typedef void (*ui_modal_done)(struct ui_app *app, int answer, const char *input, int choice);

struct ui_modal {
    enum ui_modal_kind kind;
    int answer;
    enum ui_style style; /* the frame's style (UI_S_ERROR for errors) */
    char title[128];
    char *body; /* text, '\n' between lines; wrapped when drawn */
    char prompt[240];
    int scroll;
    char expect[32]; /* TYPE: the word that must be typed ("" = numeric input) */
    bool inplace;    /* TYPE: the screen draws the field itself */
    char input[32];
    bool fresh;            /* TYPE: the first key typed replaces the initial text */
    struct ui_lines items; /* CHOOSE */
    int sel;
    bool allow_all; /* STEP: 'a' is allowed */
    ui_modal_done done;
};

/* modal_ask: open a y/N question. */
void modal_ask(struct ui_app *app, enum ui_style style, const char *title, const char *body,
               const char *prompt, ui_modal_done done);

/* modal_type: ask for a word (expect) or, with expect NULL, a number starting from initial;
 * inplace: the screen draws the field. */
void modal_type(struct ui_app *app, const char *title, const char *body, const char *prompt,
                const char *expect, const char *initial, bool inplace, ui_modal_done done);

/* modal_panel: show a message to read; closing it calls done (may be NULL). */
void modal_panel(struct ui_app *app, enum ui_style style, const char *title, const char *body,
                 ui_modal_done done);

/* modal_choose: a list (items copied); done gets the chosen index. */
void modal_choose(struct ui_app *app, const char *title, const struct ui_lines *items, int sel,
                  ui_modal_done done);

/* modal_step: the step confirmation: body (header and SQL) and the y/N/a prompt. */
void modal_step(struct ui_app *app, const char *title, const char *body, bool allow_all);

/* modal_close: close without calling done; frees what the modal holds. */
void modal_close(struct ui_app *app);

/* modal_kctx: the key context of the open modal (0 when none). */
unsigned modal_kctx(const struct ui_modal *m);

/* modal_action: handle an action while a modal is open. */
void modal_action(struct ui_app *app, enum ui_act act, int key);

/* modal_draw: draw the open modal over rows [top, top + rows). */
void modal_draw(const struct ui_app *app, struct ui_canvas *c, int top, int rows);

#endif
