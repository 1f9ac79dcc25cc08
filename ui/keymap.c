/* keymap.c - see keymap.h. The one table of keys: the key bar, the Help screen and the
 * dispatcher all read it. */
#include "keymap.h"

#include <stdio.h>
#include <string.h>

#define NAVIGABLE                                                                                  \
    (KC_GRAPH | KC_DETAIL | KC_UPGRADE | KC_PURGE | KC_JOURNAL | KC_HELP | KC_STEP | KC_PANEL |    \
     KC_CHOOSE | KC_ASK)
#define SCREENS (KC_GLOBAL)

/* B: a binding; BI: one that needs nothing running (it starts or re-reads something) */
#define B(act, ctx, keys, keyname, barkey, label, group, help)                                     \
    {                                                                                              \
        act, ctx, keys, keyname, barkey, label, group, help, 0                                     \
    }
#define BI(act, ctx, keys, keyname, barkey, label, group, help)                                    \
    {                                                                                              \
        act, ctx, keys, keyname, barkey, label, group, help, KC_IDLE                               \
    }
#define KEYS(...)                                                                                  \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

static const struct ui_binding table[] = {
    /* a step waits for an answer */
    B(ACT_YES, KC_STEP, KEYS('y', 'Y'), "y", NULL, "run it", KC_STEP, "run this step"),
    B(ACT_NO, KC_STEP, KEYS('n', 'N', UI_KEY_ESC), "n Esc", "n", "stop here", KC_STEP,
      "do not run it: the run stops here, the database stays at the last step done"),
    B(ACT_YES_PHASE, KC_STEP_ALL, KEYS('a'), "a", NULL, "yes to this phase", KC_STEP,
      "run this step and the rest of its phase (E or M) without asking again; contract steps "
      "always ask"),
    B(ACT_STOP_QUIT, KC_STEP, KEYS('q'), "q", NULL, "stop+quit", KC_STEP,
      "do not run it, and quit the console"),
    /* a question */
    B(ACT_YES, KC_ASK, KEYS('y', 'Y'), "y", NULL, "yes", KC_ASK, "yes: do it"),
    B(ACT_NO, KC_ASK, KEYS('n', 'N', UI_KEY_ESC, 'q'), "n Esc", "n", "no", KC_ASK,
      "no: change nothing (the default)"),
    /* typing */
    B(ACT_ACCEPT, KC_TYPE, KEYS(UI_KEY_ENTER), "Enter", NULL, "done", KC_TYPE,
      "accept what was typed"),
    B(ACT_CANCEL, KC_TYPE, KEYS(UI_KEY_ESC), "Esc", NULL, "cancel", KC_TYPE,
      "cancel, keep the old value"),
    B(ACT_ERASE, KC_TYPE, KEYS(UI_KEY_BACKSPACE, 8), "Backspace", NULL, "erase", KC_TYPE,
      "erase the last character"),
    B(ACT_TEXT, KC_TYPE, KEYS(0), "letters digits", NULL, NULL, KC_TYPE,
      "type the word asked for, or the number"),
    /* a message panel */
    B(ACT_CLOSE, KC_PANEL, KEYS(UI_KEY_ENTER, UI_KEY_ESC), "Enter Esc", "Enter", "close", KC_PANEL,
      "close the panel"),
    B(ACT_QUIT, KC_PANEL, KEYS('q'), "q", NULL, "quit", KC_PANEL, "quit the console"),
    /* choosing from a list */
    B(ACT_ACCEPT, KC_CHOOSE, KEYS(UI_KEY_ENTER), "Enter", NULL, "choose", KC_CHOOSE,
      "take the highlighted entry"),
    B(ACT_CANCEL, KC_CHOOSE, KEYS(UI_KEY_ESC, 'q'), "Esc", NULL, "cancel", KC_CHOOSE,
      "keep the current choice"),
    /* while a step or a purge runs */
    B(ACT_STOP, KC_RUNNING, KEYS('s'), "s", NULL, "stop", KC_RUNNING,
      "stop cleanly: after the current batch, or before the next step"),
    B(ACT_QUIT, KC_RUNNING, KEYS('q', UI_KEY_F(10)), "q F10", "q", "quit", KC_RUNNING,
      "asks, then stops cleanly as s does and quits"),
    /* not connected */
    B(ACT_RETRY, KC_OFFLINE, KEYS('r'), "r", NULL, "retry", KC_OFFLINE,
      "try to connect to the database again"),
    B(ACT_CREATE, KC_CREATE, KEYS('c'), "c", NULL, "create", KC_OFFLINE,
      "create the missing SQLite file as an empty database (asks first)"),
    /* moving around */
    B(ACT_UP, NAVIGABLE, KEYS(UI_KEY_UP, 'k'), "Up k", "Up/Dn", "move", KC_NAV,
      "move up, or scroll up"),
    B(ACT_DOWN, NAVIGABLE, KEYS(UI_KEY_DOWN, 'j'), "Down j", NULL, NULL, KC_NAV,
      "move down, or scroll down"),
    B(ACT_PGUP, NAVIGABLE, KEYS(UI_KEY_PGUP, 'b'), "PgUp b", NULL, NULL, KC_NAV, "one page up"),
    B(ACT_PGDN, NAVIGABLE, KEYS(UI_KEY_PGDN, ' '), "PgDn Space", NULL, NULL, KC_NAV,
      "one page down"),
    B(ACT_HOME, NAVIGABLE, KEYS(UI_KEY_HOME, 'g'), "Home g", NULL, NULL, KC_NAV, "to the top"),
    B(ACT_END, NAVIGABLE, KEYS(UI_KEY_END, 'G'), "End G", NULL, NULL, KC_NAV, "to the bottom"),
    /* Graph */
    B(ACT_LEFT, KC_GRAPH, KEYS(UI_KEY_LEFT, 'h'), "Left h", "Lt/Rt", "lane", KC_GRAPH,
      "to the trunk / expand lane"),
    B(ACT_RIGHT, KC_GRAPH, KEYS(UI_KEY_RIGHT, 'l'), "Right l", NULL, NULL, KC_GRAPH,
      "to the contract lane"),
    B(ACT_OPEN, KC_GRAPH, KEYS(UI_KEY_ENTER), "Enter", NULL, "details", KC_GRAPH,
      "open the revision: summary, release, its SQL on this backend, triggers, data "
      "migrations"),
    B(ACT_BACK, KC_DETAIL, KEYS(UI_KEY_ESC, UI_KEY_BACKSPACE, UI_KEY_ENTER, 'q'), "Esc Enter q",
      "Esc", "back", KC_DETAIL, "back to the list"),
    /* Upgrade */
    BI(ACT_RUN, KC_UPGRADE, KEYS(UI_KEY_ENTER), "Enter", NULL, "run next phase", KC_UPGRADE,
       "run the next phase (E, M or C) of the plan; every step shows its SQL and asks y/N"),
    BI(ACT_TARGET, KC_UPGRADE, KEYS('t'), "t", NULL, "target", KC_UPGRADE,
       "choose the target: the latest release, or one release"),
    /* Purge */
    BI(ACT_EDIT, KC_PURGE, KEYS(UI_KEY_ENTER, 'e'), "Enter e", "Enter", "edit", KC_PURGE,
       "edit the highlighted setting in place (age, max rows, images age)"),
    BI(ACT_PURGE, KC_PURGE, KEYS('p'), "p", NULL, "purge", KC_PURGE,
       "purge the rows that would go now (every table but images; asks first)"),
    BI(ACT_PURGE_IMAGES, KC_PURGE, KEYS('i'), "i", NULL, "images", KC_PURGE,
       "purge the images table (asks first, with the OSSN-0075 warning)"),
    /* Journal */
    B(ACT_OPEN, KC_JOURNAL, KEYS(UI_KEY_ENTER), "Enter", NULL, "details", KC_JOURNAL,
      "show the whole journal row"),
    /* everywhere */
    B(ACT_SCREEN_1, SCREENS | KC_OFFLINE, KEYS('1', UI_KEY_F(1)), "1 F1", "1-6", "screens",
      KC_GLOBAL, "Overview"),
    B(ACT_SCREEN_2, SCREENS, KEYS('2', UI_KEY_F(2)), "2 F2", NULL, NULL, KC_GLOBAL, "Graph"),
    B(ACT_SCREEN_3, SCREENS, KEYS('3', UI_KEY_F(3)), "3 F3", NULL, NULL, KC_GLOBAL, "Upgrade"),
    B(ACT_SCREEN_4, SCREENS, KEYS('4', UI_KEY_F(4)), "4 F4", NULL, NULL, KC_GLOBAL, "Purge"),
    B(ACT_SCREEN_5, SCREENS, KEYS('5', UI_KEY_F(5)), "5 F5", NULL, NULL, KC_GLOBAL, "Journal"),
    B(ACT_SCREEN_6, SCREENS | KC_OFFLINE, KEYS('6', UI_KEY_F(6)), "6 F6", NULL, NULL, KC_GLOBAL,
      "Help"),
    B(ACT_HELP, SCREENS | KC_OFFLINE, KEYS('?'), "?", NULL, NULL, KC_GLOBAL, "Help (this screen)"),
    BI(ACT_REFRESH, SCREENS, KEYS('r', 12), "r Ctrl-L", "r", "refresh", KC_GLOBAL,
       "read the database again and redraw"),
    B(ACT_QUIT, SCREENS | KC_OFFLINE, KEYS('q', UI_KEY_F(10)), "q F10", "q", "quit", KC_GLOBAL,
      "quit (asks first while a step runs)"),
    B(ACT_NONE, 0, KEYS(0), NULL, NULL, NULL, 0, NULL),
};

const struct ui_binding *keymap_table(size_t *n)
{
    if (n)
        *n = sizeof(table) / sizeof(table[0]) - 1;
    return table;
}

bool ui_nav(int *pos, enum ui_act act, int page, int max)
{
    int p = *pos;
    switch (act) {
    case ACT_UP:
        p--;
        break;
    case ACT_DOWN:
        p++;
        break;
    case ACT_PGUP:
        p -= page;
        break;
    case ACT_PGDN:
        p += page;
        break;
    case ACT_HOME:
        p = 0;
        break;
    case ACT_END:
        p = max;
        break;
    default:
        return false;
    }
    *pos = p > max ? max : p;
    if (*pos < 0)
        *pos = 0;
    return true;
}

enum ui_act keymap_lookup(unsigned active, int key)
{
    if (key == UI_KEY_NONE)
        return ACT_NONE;
    for (const struct ui_binding *b = table; b->act != ACT_NONE; b++) {
        if (!(b->ctx & active) || (b->need & active) != b->need)
            continue;
        for (int k = 0; k < 4 && b->keys[k]; k++)
            if (b->keys[k] == key)
                return b->act;
    }
    if ((active & KC_TYPE) && key >= 32 && key < 127)
        return ACT_TEXT;
    return ACT_NONE;
}

int keymap_bar(unsigned active, struct ui_lines *out, int *nown)
{
    if (nown)
        *nown = 0;
    /* screen-specific entries first, the everywhere ones last */
    bool shown[ACT__COUNT] = {false};
    for (int pass = 0; pass < 2; pass++)
        for (const struct ui_binding *b = table; b->act != ACT_NONE; b++) {
            if (!(b->ctx & active) || !b->label || (b->need & active) != b->need || shown[b->act])
                continue;
            bool global = (b->ctx & (KC_GLOBAL | KC_OFFLINE)) && b->group == KC_GLOBAL;
            if (global != (pass == 1))
                continue;
            const char *k = b->barkey ? b->barkey : b->keyname;
            if (lines_add(out, k, -1) < 0 || lines_add(out, b->label, -1) < 0)
                return -1;
            shown[b->act] = true;
            if (nown && pass == 0)
                (*nown)++;
        }
    return 0;
}

static const struct {
    unsigned bit;
    const char *title;
} groups[] = {
    {KC_GLOBAL, "Everywhere"},
    {KC_NAV, "Moving around (lists, SQL, panels)"},
    {KC_GRAPH, "Graph"},
    {KC_DETAIL, "Details (a revision, a journal row)"},
    {KC_UPGRADE, "Upgrade"},
    {KC_STEP, "A step asks before it runs"},
    {KC_RUNNING, "While a step or a purge runs"},
    {KC_PURGE, "Purge"},
    {KC_JOURNAL, "Journal"},
    {KC_ASK, "A question (y/N)"},
    {KC_TYPE, "Typing (contract word, purge settings)"},
    {KC_CHOOSE, "Choosing (the target)"},
    {KC_PANEL, "A message panel (errors)"},
    {KC_OFFLINE, "No connection"},
};

int keymap_help(struct ui_lines *out)
{
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        if (lines_addf(out, "#%s", groups[g].title) < 0)
            return -1;
        for (const struct ui_binding *b = table; b->act != ACT_NONE; b++)
            if (b->group == groups[g].bit && b->help &&
                lines_addf(out, "  %-16s %s", b->keyname, b->help) < 0)
                return -1;
    }
    return 0;
}

const char *keymap_key_name(int key, char *buf, size_t n)
{
    static const struct {
        int key;
        const char *name;
    } names[] = {{UI_KEY_ENTER, "Enter"}, {UI_KEY_ESC, "Esc"},
                 {UI_KEY_TAB, "Tab"},     {UI_KEY_BACKSPACE, "Backspace"},
                 {' ', "Space"},          {UI_KEY_UP, "Up"},
                 {UI_KEY_DOWN, "Down"},   {UI_KEY_LEFT, "Left"},
                 {UI_KEY_RIGHT, "Right"}, {UI_KEY_PGUP, "PgUp"},
                 {UI_KEY_PGDN, "PgDn"},   {UI_KEY_HOME, "Home"},
                 {UI_KEY_END, "End"},     {UI_KEY_BTAB, "Shift-Tab"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].key == key) {
            snprintf(buf, n, "%s", names[i].name);
            return buf;
        }
    if (key >= UI_KEY_F(1) && key <= UI_KEY_F(24))
        snprintf(buf, n, "F%d", key - UI_KEY_F0);
    else if (key > 0 && key < 32)
        snprintf(buf, n, "Ctrl-%c", '@' + key);
    else if (key >= 32 && key < 127)
        snprintf(buf, n, "%c", key);
    else
        snprintf(buf, n, "key %d", key);
    return buf;
}
