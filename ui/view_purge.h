/* view_purge.h - screen 4: the purge preview (table x age), its settings, and the purges. */
#ifndef EMC_UI_VIEW_PURGE_H
#define EMC_UI_VIEW_PURGE_H

#include <stdbool.h>
#include <stdint.h>

#include "purge.h"

struct vm_purge {
    long age;         /* age_in_days for every table but images */
    int64_t max_rows; /* per table; -1 no limit */
    long images_age;  /* age_in_days for the images table */
    int field;        /* the highlighted setting: 0 age, 1 max rows, 2 images age */
    bool pending;     /* the preview is read by the idle step, after the screen is up */
    bool ok;
    char error[600];
    struct purge_preview main;   /* the tables `db purge` touches */
    struct purge_preview images; /* the images table, with images_age */
    bool have_result;
    struct purge_result result;
    char result_note[300];
};

#endif
