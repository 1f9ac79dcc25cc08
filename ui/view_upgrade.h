/* view_upgrade.h - screen 3: the plan to the target as E, M and C steps, run step by step. */
#ifndef EMC_UI_VIEW_UPGRADE_H
#define EMC_UI_VIEW_UPGRADE_H

#include <stdbool.h>
#include <stdint.h>

#include "runner.h"

struct ui_app;

enum plan_state {
    PS_PENDING,
    PS_ASKING, /* its SQL is shown, y/N asked */
    PS_RUNNING,
    PS_DONE,
    PS_FAILED,
    PS_STOPPED, /* the operator said no, or stopped */
};

struct plan_row {
    struct emc_step step;
    enum plan_state state;
    int64_t rows; /* data steps: rows left (-1 unknown); rows changed once done */
};

struct vm_upgrade {
    char target_label[200];
    char from[512]; /* the current version */
    char error[600];
    int n;
    struct plan_row *rows;
    int count[3];           /* steps per phase: [0] E (with trunk), [1] M, [2] C */
    int left[3];            /* steps not done per phase */
    int64_t data_left;      /* rows the M phase still has to change (-1 unknown) */
    char next_phase;        /* 'E', 'M', 'C', or 0 when the target is reached */
    char expand_target[64]; /* the revision the E phase upgrades to */
    int top;
    bool scrolled;    /* the operator moved the list (else it follows the next step) */
    int failed_rev;   /* the step that failed in this session, -1 */
    char result[300]; /* the last phase's outcome */
    /* the plan is made from the state the database was in when this target was first shown,
     * so the steps done in this session stay on the list, marked done */
    bool *base; /* migset.nrev entries, or NULL */
    char base_target[32];
    int64_t *migrated; /* per data migration: rows it changed in this session, -1 */
};

/* upgrade_mark: set the state of the plan rows for revision rev (from the run's callbacks). */
void upgrade_mark(struct ui_app *app, int rev, enum plan_state st, int64_t rows);

#endif
