/* view_journal.h - screen 5: what glance-emc did to this database, by whom, when. */
#ifndef EMC_UI_VIEW_JOURNAL_H
#define EMC_UI_VIEW_JOURNAL_H

#include <stdbool.h>

#include "fmt.h"
#include "journal.h"

struct vm_journal {
    int n, cap;
    struct journal_row *rows;
    int sel, top;
    bool detail;
    struct ui_lines detail_lines;
    int detail_top;
    char error[600];
};

#endif
