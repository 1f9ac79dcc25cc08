/* view_help.h - screen 6: every key (generated from the keymap) and the E-M-C cycle. */
#ifndef EMC_UI_VIEW_HELP_H
#define EMC_UI_VIEW_HELP_H

#include "fmt.h"

struct vm_help {
    struct ui_lines lines; /* headings start with '#' */
    int top;
};

#endif
