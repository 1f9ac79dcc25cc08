/* view_help.c - screen 6: every key, generated from the keymap's one table, and a short
 * explainer of the expand-migrate-contract cycle. */
#include "view_help.h"

#include <stdio.h>
#include <string.h>

#include "app.h"

static const char *const emc_text[] = {
    "#Expand, migrate, contract (E-M-C)",
    "A Glance release changes its database in three phases, so that the services of the old "
    "release (n-1) keep working while those of the new one (n) start:",
    "  E expand    adds what release n needs: columns, tables, indexes, and on a rolling "
    "upgrade the triggers that keep old and new columns in step. n-1 and n services can run "
    "side by side after it.",
    "  M migrate   moves existing rows into the new shape, in batches, one transaction each; "
    "it can be stopped and resumed at any batch.",
    "  C contract  removes what only n-1 needed. Every n-1 service must be stopped first; "
    "the console makes you type the word contract.",
    "glance-manage calls them db expand, db migrate and db contract; db sync does all three "
    "offline. Every step here shows the SQL it runs on this backend and asks y/N first: "
    "nothing runs without a yes.",
    "Graph marks: @ current head, * applied, o pending, ~ data migration that can run now.",
    NULL,
};

static void he_build(struct ui_app *app)
{
    struct vm_help *vm = &app->help;
    lines_free(&vm->lines);
    struct ui_lines keys = {0};
    keymap_help(&keys);
    for (int i = 0; i < keys.n; i++) {
        if (keys.v[i][0] == '#')
            lines_add(&vm->lines, keys.v[i], -1);
        else
            lines_wrap(&vm->lines, keys.v[i], 70, 19);
    }
    lines_free(&keys);
    lines_add(&vm->lines, "", 0);
    for (int i = 0; emc_text[i]; i++) {
        if (emc_text[i][0] == '#')
            lines_add(&vm->lines, emc_text[i], -1);
        else
            lines_wrap(&vm->lines, emc_text[i], 70, emc_text[i][0] == ' ' ? 14 : 0);
    }
}

static void he_draw(const struct ui_app *app, struct ui_canvas *c, int top, int rows)
{
    const struct vm_help *vm = &app->help;
    int maxtop = vm->lines.n - rows > 0 ? vm->lines.n - rows : 0;
    int t = vm->top > maxtop ? maxtop : vm->top;
    for (int i = 0; i < rows && t + i < vm->lines.n; i++) {
        const char *l = vm->lines.v[t + i];
        if (l[0] == '#')
            ui_put(c, 1, top + i, UI_S_HEADING, l + 1, c->w - 2);
        else
            ui_put(c, 1, top + i, UI_S_NORMAL, l, c->w - 2);
    }
    if (t > 0)
        ui_put(c, c->w - 9, top, UI_S_DIM, " more ^ ", 0);
    if (t + rows < vm->lines.n)
        ui_put(c, c->w - 9, top + rows - 1, UI_S_DIM, " more v ", 0);
}

static void he_action(struct ui_app *app, enum ui_act act, int key)
{
    (void)key;
    struct vm_help *vm = &app->help;
    int rows = ui_app_body_rows(app);
    ui_nav(&vm->top, act, rows - 1, vm->lines.n - rows);
}

static void he_release(struct ui_app *app)
{
    lines_free(&app->help.lines);
}

const struct ui_view ui_view_help = {
    .name = "Help",
    .kctx = KC_HELP,
    .build = he_build,
    .draw = he_draw,
    .action = he_action,
    .keyctx = NULL,
    .release = he_release,
};
