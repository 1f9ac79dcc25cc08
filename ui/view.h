/* view.h - a screen of the console: an ops table over its view-model. A view-model holds plain
 * data read from the engine (no curses types); draw renders it into a canvas, which the
 * terminal paints and the tests turn into text. */
#ifndef EMC_UI_VIEW_H
#define EMC_UI_VIEW_H

#include <stdbool.h>

#include "canvas.h"
#include "keymap.h"

struct ui_app;

enum ui_screen { UI_OVERVIEW, UI_GRAPH, UI_UPGRADE, UI_PURGE, UI_JOURNAL, UI_HELP, UI_NSCREENS };

struct ui_view {
    const char *name; /* the tab's name */
    unsigned kctx;    /* the screen's key context (enum ui_kctx bit) */
    /* build: (re)read what the screen shows from the engine into its view-model. Failures are
     * kept in the view-model (drawn as a message), never fatal. */
    void (*build)(struct ui_app *app);
    /* draw: render the view-model into rows [top, top + rows) of the canvas. */
    void (*draw)(const struct ui_app *app, struct ui_canvas *c, int top, int rows);
    /* action: handle an action bound in the screen's contexts. */
    void (*action)(struct ui_app *app, enum ui_act act, int key);
    /* keyctx: the screen's current key contexts (e.g. KC_DETAIL while a detail is open). */
    unsigned (*keyctx)(const struct ui_app *app);
    /* release: free the view-model's allocations. */
    void (*release)(struct ui_app *app);
    /* idle (may be NULL): the slow part of build (whole-table scans), run by the event loop
     * once the screen is drawn and no key is waiting, so a key is answered at once and the
     * figures follow. Returns true when it changed the view-model (the loop redraws). */
    bool (*idle)(struct ui_app *app);
};

extern const struct ui_view ui_view_overview;
extern const struct ui_view ui_view_graph;
extern const struct ui_view ui_view_upgrade;
extern const struct ui_view ui_view_purge;
extern const struct ui_view ui_view_journal;
extern const struct ui_view ui_view_help;

#endif
