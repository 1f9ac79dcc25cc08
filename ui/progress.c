/* progress.c - see progress.h */
#include "progress.h"

#include <stdio.h>
#include <string.h>

#include "fmt.h"

void progress_draw(struct ui_canvas *c, int y, const char *what, const struct emc_progress *p)
{
    char num[32], tot[32], eta[32], rate[32];
    double frac = p->total > 0 ? (double)p->done / (double)p->total : 0;
    if (frac > 1)
        frac = 1;
    int x = ui_put(c, 1, y, UI_S_BOLD, what, 20) + 1;
    char tail[160];
    snprintf(tail, sizeof(tail), " %5.1f%% %s/%s rows, %s rows/s, ETA %s", frac * 100,
             fmt_count(p->done, num, sizeof(num)), fmt_count(p->total, tot, sizeof(tot)),
             fmt_count((int64_t)(p->rows_per_s + 0.5), rate, sizeof(rate)),
             fmt_eta(p->eta_s, eta, sizeof(eta)));
    int bw = c->w - x - (int)strlen(tail) - 3;
    if (bw < 10)
        bw = 10;
    ui_glyph(c, x, y, UI_S_NORMAL, '[');
    int fill = (int)(frac * bw + 0.5);
    ui_fill(c, x + 1, y, fill, UI_G_BLOCK, UI_S_PROGRESS);
    ui_fill(c, x + 1 + fill, y, bw - fill, '.', UI_S_DIM);
    ui_glyph(c, x + 1 + bw, y, UI_S_NORMAL, ']');
    ui_put(c, x + 2 + bw, y, UI_S_NORMAL, tail, c->w - x - bw - 3);
}
