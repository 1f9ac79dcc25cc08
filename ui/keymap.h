/* keymap.h - every key the console knows, in ONE table: which action it triggers in which
 * context, with a short label for the key bar and a line for the Help screen (which is
 * generated from this table). Key codes are the console's own, not curses': printable ASCII as
 * is, the rest UI_KEY_*; term.c translates. */
#ifndef EMC_UI_KEYMAP_H
#define EMC_UI_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "fmt.h"

enum ui_key {
    UI_KEY_NONE = -1, /* no key before the timeout */
    UI_KEY_TAB = '\t',
    UI_KEY_ENTER = '\n',
    UI_KEY_ESC = 27,
    UI_KEY_BACKSPACE = 127,
    UI_KEY_UP = 0x1000,
    UI_KEY_DOWN,
    UI_KEY_LEFT,
    UI_KEY_RIGHT,
    UI_KEY_PGUP,
    UI_KEY_PGDN,
    UI_KEY_HOME,
    UI_KEY_END,
    UI_KEY_BTAB,
    UI_KEY_RESIZE,      /* the terminal changed size */
    UI_KEY_F0 = 0x1100, /* UI_KEY_F0 + n is Fn */
};
#define UI_KEY_F(n) (UI_KEY_F0 + (n))

/* Contexts: where a binding applies. A screen in its normal state is KC_GLOBAL plus its own
 * bit; an open question replaces them all with its own bit. */
enum ui_kctx {
    KC_GLOBAL = 1u << 0, /* any screen, no question open */
    KC_OVERVIEW = 1u << 1,
    KC_GRAPH = 1u << 2,
    KC_DETAIL = 1u << 3, /* a revision's or a journal row's details */
    KC_UPGRADE = 1u << 4,
    KC_PURGE = 1u << 5,
    KC_JOURNAL = 1u << 6,
    KC_HELP = 1u << 7,
    KC_RUNNING = 1u << 8,   /* a step or a purge is running */
    KC_STEP = 1u << 9,      /* a step waits for y/N */
    KC_ASK = 1u << 10,      /* a question waits for y/N */
    KC_TYPE = 1u << 11,     /* typing a word or a number */
    KC_PANEL = 1u << 12,    /* a message panel (an error) */
    KC_CHOOSE = 1u << 13,   /* choosing from a list */
    KC_OFFLINE = 1u << 14,  /* no database connection */
    KC_NAV = 1u << 15,      /* only a Help grouping: the keys that move and scroll */
    KC_STEP_ALL = 1u << 16, /* a step of E or M asks: 'a' is allowed too */
    KC_CREATE = 1u << 17,   /* no connection, and the SQLite file can be created */
    KC_IDLE = 1u << 18,     /* nothing runs: actions that start or re-read something */
};

enum ui_act {
    ACT_NONE = 0,
    ACT_SCREEN_1, /* ACT_SCREEN_1 + k shows screen k (0-based) */
    ACT_SCREEN_2,
    ACT_SCREEN_3,
    ACT_SCREEN_4,
    ACT_SCREEN_5,
    ACT_SCREEN_6,
    ACT_HELP,
    ACT_REFRESH,
    ACT_QUIT,
    ACT_UP,
    ACT_DOWN,
    ACT_PGUP,
    ACT_PGDN,
    ACT_HOME,
    ACT_END,
    ACT_LEFT,
    ACT_RIGHT,
    ACT_OPEN,
    ACT_BACK,
    ACT_TARGET,
    ACT_RUN,
    ACT_STOP,
    ACT_YES,
    ACT_NO,
    ACT_YES_PHASE,
    ACT_STOP_QUIT,
    ACT_EDIT,
    ACT_PURGE,
    ACT_PURGE_IMAGES,
    ACT_ACCEPT,
    ACT_CANCEL,
    ACT_ERASE,
    ACT_TEXT, /* a printable key typed into a field */
    ACT_CLOSE,
    ACT_RETRY,
    ACT_CREATE,
    ACT__COUNT
};

struct ui_binding {
    enum ui_act act;
    unsigned ctx;        /* enum ui_kctx bits */
    int keys[4];         /* 0-terminated when fewer */
    const char *keyname; /* as the Help screen shows it: "Up k", "1 F1" */
    const char *barkey;  /* as the key bar shows it (NULL: keyname) */
    const char *label;   /* key bar label, NULL = not on the key bar */
    unsigned group;      /* the Help section it is listed under (one enum ui_kctx bit) */
    const char *help;    /* Help screen line */
    unsigned need;       /* contexts that must all be active too (KC_IDLE: not while running) */
};

/* keymap_table: the table, terminated by an entry with act == ACT_NONE; *n = its length. */
const struct ui_binding *keymap_table(size_t *n);

/* keymap_lookup: the action key triggers in the active contexts (bits), or ACT_NONE. In
 * KC_TYPE printable keys other than those bound are ACT_TEXT. */
enum ui_act keymap_lookup(unsigned active, int key);

/* ui_nav: apply a navigation action (up, down, a page of page lines up or down, home, end) to
 * the position *pos, clamped to 0..max (0 when max < 0). Returns false, and leaves *pos alone,
 * for any other action. Every scrolled list and text of the console moves through it. */
bool ui_nav(int *pos, enum ui_act act, int page, int max);

/* keymap_bar: the key bar for the active contexts as alternating key / label pairs appended to
 * out (out->v[2k] = key name, out->v[2k+1] = label): the screen's own keys in table order, then
 * the ones that work everywhere; *nown (may be NULL) = how many pairs are the screen's own. */
int keymap_bar(unsigned active, struct ui_lines *out, int *nown);

/* keymap_help: the Help screen's key lines, grouped by context with a heading line each
 * (headings start with "#"), generated from the table; appended to out. */
int keymap_help(struct ui_lines *out);

/* keymap_key_name: a key as text ("Enter", "F3", "q"); returns buf. */
const char *keymap_key_name(int key, char *buf, size_t n);

#endif
