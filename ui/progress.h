/* progress.h - the progress bar of data migrations and purges: what, bar, percent, rows,
 * rows per second, ETA. */
#ifndef EMC_UI_PROGRESS_H
#define EMC_UI_PROGRESS_H

#include "canvas.h"
#include "emc.h"

/* progress_draw: one line at row y, full width. */
void progress_draw(struct ui_canvas *c, int y, const char *what, const struct emc_progress *p);

#endif
