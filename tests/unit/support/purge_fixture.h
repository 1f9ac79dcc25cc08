/* purge_fixture.h - SQLite Glance databases for the purge unit tests: one template built by
 * `sync`, copied per test, filled with hand-written rows whose deleted_at are given in days
 * before a fixed clock (PF_NOW, 2026-11-23 12:00:00 UTC), and callbacks that record what the
 * engine reports. Failures abort the test through cmocka. */
#ifndef EMC_TEST_PURGE_FIXTURE_H
#define EMC_TEST_PURGE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "emc.h"
#include "purge.h"

#define PF_MAX_LOGS 96

struct pf_capture {
    char logs[PF_MAX_LOGS][320];
    int levels[PF_MAX_LOGS];
    int nlogs;
    int nprogress;
    struct emc_progress last;
    int stop_after_progress; /* should_stop turns true after this many progress calls; 0 never */
    /* what the progress calls saw between batches: the database's "-journal" file present at
     * any of them; at the first, the journal's rows_done for the running step (-1: none) */
    bool journal_file_seen;
    int64_t first_journal_rows;
    struct emc_ctx *ctx; /* the context the callbacks belong to */
    char path[600];      /* its database file */
};

/* pf_now: the fixed clock. */
time_t pf_now(void);

/* pf_setup / pf_teardown: build the synced template in a temporary folder (cmocka group
 * setup/teardown signatures); remove it. */
int pf_setup(void **state);
int pf_teardown(void **state);

/* pf_open_copy: open a fresh copy of the template with callbacks into cap (cleared). */
struct emc_ctx *pf_open_copy(struct pf_capture *cap);

/* pf_capture_install: clear cap and point ctx's callbacks (log, progress, stop) at it; for a
 * context that pf_open_copy did not make (a fake driver's). */
void pf_capture_install(struct emc_ctx *ctx, struct pf_capture *cap);

/* pf_ago: PF_NOW minus days, as SQLAlchemy stores a DateTime in SQLite, into buf[32]. */
const char *pf_ago(double days, char *buf);

/* pf_exec: run printf-formatted SQL; pf_int: the integer a query returns. */
void pf_exec(struct emc_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int64_t pf_int(struct emc_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* pf_image / pf_child / pf_task: rows deleted days ago (days < 0: live). pf_child writes to
 * image_properties, image_tags, image_locations or image_members. */
void pf_image(struct emc_ctx *ctx, const char *id, double days);
void pf_child(struct emc_ctx *ctx, const char *table, const char *image, double days);
void pf_task(struct emc_ctx *ctx, const char *id, double days, bool with_info);

/* pf_logged: whether a log line at level (-1: any) contains substr. */
bool pf_logged(const struct pf_capture *c, int level, const char *substr);

/* pf_preview_row / pf_result_row: the row of a table (fails the test when missing). */
const struct purge_table_preview *pf_preview_row(const struct purge_preview *pv, const char *t);
const struct purge_table_result *pf_result_row(const struct purge_result *r, const char *t);

/* pf_keys: the keys of table ordered by key, joined by "," (caller frees). */
char *pf_keys(struct emc_ctx *ctx, const char *table);

#endif
