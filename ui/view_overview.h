/* view_overview.h - screen 1: the database at a glance. */
#ifndef EMC_UI_VIEW_OVERVIEW_H
#define EMC_UI_VIEW_OVERVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "canvas.h"

struct ov_phase {
    char letter;         /* 'E', 'M', 'C' */
    char name[12];       /* "expand" */
    char state[16];      /* "done", "pending", "waiting", "-" */
    enum ui_style style; /* how the state is drawn */
    char detail[160];
};

struct vm_overview {
    char url[512]; /* redacted */
    char url_source[64];
    bool connected;
    bool connecting;      /* the first frame, before the connection is tried */
    char conn_error[600]; /* why not, when not */
    bool can_create;      /* a missing SQLite file: 'c' creates it */
    char backend[24];
    char server[96];
    bool status_ok;
    char status_error[600];
    bool empty; /* nothing there yet */
    char current[512];
    char target[256];
    char check[200];
    char next[240];
    struct ov_phase phase[3];
    int pend_trunk, pend_expand, pend_contract, pend_data;
    char rows[300];
    char triggers[300];
    char lock[300];
    bool lock_held;
    bool soft_pending; /* counted by the idle step, after the first frame */
    char soft[160];
    char soft_detail[400];
};

struct ui_app;

/* overview_target_text: the target and the head it reaches on each branch, as
 * "latest (2024_1): 2024_1_expand01, 2024_1_contract01". */
void overview_target_text(const struct ui_app *app, const bool *want, char *buf, size_t n);

#endif
