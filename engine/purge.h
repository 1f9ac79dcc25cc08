/* purge.h - purge of soft-deleted rows, as glance-manage's `db purge` and
 * `db purge_images_table` do it, plus a preview by table and age and a batched mode.
 *
 * One cutoff per run (now minus age_in_days, UTC), shared by preview and delete.
 *
 * Which rows go is the reference's rule in both modes: rows with deleted_at < cutoff (the
 * `deleted` flag is not looked at; NULL deleted_at never goes), the oldest first, at most
 * max_rows per table; task_info rows follow their task's deleted_at. Ties on deleted_at are
 * broken by primary key (the reference leaves them to the database). purge_images_table never
 * deletes an image that a row of image_properties, image_tags, image_locations or
 * image_members still references (the reference fails on the foreign key instead): such
 * images are skipped, counted as blocked, and max_rows counts only the images that can go. */
#ifndef EMC_PURGE_H
#define EMC_PURGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "emc.h"

#define PURGE_NBUCKETS 5 /* deleted_at age: <30 d, 30-90, 90-180, 180-365, >365 */
#define PURGE_MAX_TABLES 8

struct purge_opts {
    long age_in_days;    /* >= 0 */
    int64_t max_rows;    /* -1 = no limit, 0 = none, else per table */
    bool images_only;    /* purge_images_table */
    int batch_size;      /* 0 = the reference's mode (one DELETE per table); > 0 = batched */
    double sleep_s;      /* batched mode: pause between batches (unless yield_writers) */
    bool yield_writers;  /* batched mode on SQLite: instead of sleep_s, a pause that watches
                            other connections' commits and lasts until the services that were
                            waiting for the lock are through (purge_exec.c, sqlite_yield) */
    bool dry_run;        /* count what would go, delete nothing */
    double target_txn_s; /* batched mode: > 0 = adapt the batch size (from batch_size, within
                            PURGE_BATCH_MIN..PURGE_BATCH_MAX) so a transaction takes about this
                            long, run a batch as statements paced to a sixth of 1.5 times this,
                            and end it early when its next statement would take it past 1.5
                            times this; 0 = keep batch_size (one statement per key range, else
                            1000 keys a statement) */
    int64_t key_chunk;   /* batched mode on SQLite with max_rows -1: the keys are read this many
                            rowids a statement (0 = PURGE_KEY_CHUNK), each statement a short read
                            of its own, so that a writer's commit never waits for the whole
                            table to be read */
};

#define PURGE_KEY_CHUNK 50000

#define PURGE_BATCH_MIN 100
#define PURGE_BATCH_MAX 100000

struct purge_table_preview {
    char table[32];
    int64_t soft_deleted;            /* rows with deleted_at set (or deleted = 1) */
    int64_t buckets[PURGE_NBUCKETS]; /* soft-deleted rows per age bucket */
    char oldest[32];                 /* oldest deleted_at, "" when none */
    int64_t eligible;                /* deleted_at < cutoff */
    int64_t would_delete;            /* eligible, capped by max_rows */
    int64_t blocked;                 /* images: eligible rows still referenced by kept rows */
    bool in_scope;                   /* this command purges the table (else would_delete 0) */
};

struct purge_preview {
    char cutoff[32]; /* "YYYY-MM-DD HH:MM:SS" UTC */
    int ntables;
    struct purge_table_preview t[PURGE_MAX_TABLES];
};

struct purge_table_result {
    char table[32];
    int64_t deleted; /* in a dry run: the rows that would go */
    int64_t blocked; /* images skipped because live rows still reference them */
    int64_t batches;
    int64_t max_batch; /* the largest batch, in rows */
    double longest_txn_s;
    double seconds; /* wall time spent on the table */
};

struct purge_result {
    int ntables;
    struct purge_table_result t[PURGE_MAX_TABLES];
    bool interrupted;
    bool dry_run;    /* nothing was deleted; deleted = would delete */
    char cutoff[32]; /* the run's cutoff, as in struct purge_preview */
};

/* purge_default_opts: what `db purge` (images_only false) or `db purge_images_table` does
 * without options on ctx's database: the reference's age and max_rows (30 or 180 days, 100
 * rows), batched from 1000 rows adapting to transactions of about 0.2 s, and on SQLite, where
 * a transaction locks the whole database, yield_writers: a pause between batches that lets the
 * waiting writers in. */
void purge_default_opts(const struct emc_ctx *ctx, bool images_only, struct purge_opts *o);

/* purge_validate: the reference's checks, in its order and words (each EMC_E_STATE so the CLI
 * prints the line as is, exit 1): age < 0, age >= days since the epoch, max_rows < -1,
 * max_rows > 2147483647. Then glance-emc's own: batch_size < 0, sleep_s or target_txn_s
 * negative or over an hour (EMC_E_USAGE).
 * now is the run's clock. */
int purge_validate(const struct purge_opts *o, time_t now, struct emc_error *err);

/* purge_cutoff: now minus age_in_days as "YYYY-MM-DD HH:MM:SS" UTC into buf (>= 20 bytes). */
void purge_cutoff(time_t now, long age_in_days, char *buf, size_t n);

/* purge_preview: per table (task_info, image_properties, image_tags, image_locations,
 * image_members, tasks, then images, always the last row), soft-deleted rows by age bucket,
 * oldest, eligible now, what the settings would delete, blocked images. Tables the command
 * does not purge (images for `db purge`, the others for purge_images_table) have in_scope
 * false and would_delete 0. blocked (images row): with images_only, eligible images that any
 * row of the four image child tables references; otherwise those referenced by a child row
 * that this purge can never delete (deleted_at NULL or not before the cutoff). One scan per
 * table. Read-only; validates o first and refuses a database that is not Glance's, not under
 * migration control or at an unknown revision. */
int purge_preview(struct emc_ctx *ctx, const struct purge_opts *o, time_t now,
                  struct purge_preview *out, struct emc_error *err);

/* purge_run: delete as the reference does (o->batch_size == 0: one DELETE per table, each in
 * its own transaction) or in batches: the rows the reference would choose are read first (one
 * scan), then deleted by primary key (key ranges when that is exact; on SQLite the image child
 * tables in image_id order), one commit per batch, with cb.on_progress after each batch and
 * cb.should_stop polled before each (a stop ends the run with EMC_E_INTERRUPTED and
 * res->interrupted, whole batches deleted; running again goes on). Before deleting anything it
 * validates o, takes the one-run lock, checks the database (as purge_preview) and that the user may
 * DELETE from every table it will touch; then it journals the run (kind "purge", phase 'P', one
 * step per table). A foreign-key failure rolls back the statement or batch and fails with the
 * reference's "Purge command failed, check glance-manage logs for more details." (EMC_E_STATE).
 * With o->dry_run nothing is locked, journaled or deleted: res holds what would go.
 * ctx->sql_only is refused (EMC_E_USAGE). Fills *res even when interrupted or failing
 * part-way. Log lines through cb.on_log in the reference's words ("Purging deleted rows older
 * than N day(s) from table T", "Deleted n row(s) from table T"); with images_only, the
 * OSSN-0075 warning and the count of blocked images as warnings. */
int purge_run(struct emc_ctx *ctx, const struct purge_opts *o, time_t now, struct purge_result *res,
              struct emc_error *err);

/* purge_ossn0075_warning: the one-line OSSN-0075 warning shown before purging images. */
const char *purge_ossn0075_warning(void);

#endif
