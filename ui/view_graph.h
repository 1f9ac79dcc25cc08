/* view_graph.h - screen 2: the revision graph with its lanes, marks and revision details. */
#ifndef EMC_UI_VIEW_GRAPH_H
#define EMC_UI_VIEW_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt.h"

struct graph_row {
    int left;         /* trunk or expand revision on this row, or -1 */
    int right;        /* contract revision, or -1 */
    int data;         /* data migration (a row of its own), or -1 */
    bool fork;        /* the row where the contract lane leaves the trunk */
    bool link;        /* right depends_on left: draw the arrow across */
    char release[16]; /* shown on the first row of a release */
};

struct vm_graph {
    int nrows;
    struct graph_row *rows;
    int nrev;
    char *mark;             /* per revision: '@' current, '*' applied, 'o' pending, '~' runnable */
    int64_t *data_rows;     /* per data migration: rows left, -1 unknown */
    int first_contract_row; /* rows from here on have a contract lane */
    int last_contract_row;
    int sel, lane, top; /* selected row, 0 = left lane / 1 = contract lane, first row shown */
    bool detail;
    int detail_rev;
    struct ui_lines detail_lines;
    int detail_top;
    char error[600];
};

#endif
