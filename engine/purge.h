/* purge.h - purge of soft-deleted rows, as glance-manage's `db purge` and
 * `db purge_images_table` do it, plus a preview by table and age and a batched mode.
 *
 * One cutoff per run (now minus age_in_days, UTC), shared by preview and delete. */
#ifndef EMC_PURGE_H
#define EMC_PURGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "emc.h"

#define PURGE_NBUCKETS 5 /* deleted_at age: <30 d, 30-90, 90-180, 180-365, >365 */
#define PURGE_MAX_TABLES 8

struct purge_opts {
    long age_in_days;  /* >= 0 */
    int64_t max_rows;  /* -1 = no limit, 0 = none, else per table */
    bool images_only;  /* purge_images_table */
    int batch_size;    /* 0 = the reference's mode (one DELETE per table); > 0 = batched */
    double sleep_s;    /* batched mode: pause between batches */
    bool dry_run;      /* count what would go, delete nothing */
};

struct purge_table_preview {
    char table[32];
    int64_t soft_deleted;             /* rows with deleted_at set (or deleted = 1) */
    int64_t buckets[PURGE_NBUCKETS];  /* soft-deleted rows per age bucket */
    char oldest[32];                  /* oldest deleted_at, "" when none */
    int64_t eligible;                 /* deleted_at < cutoff */
    int64_t would_delete;             /* eligible, capped by max_rows */
    int64_t blocked;                  /* images: eligible rows still referenced by kept rows */
};

struct purge_preview {
    char cutoff[32]; /* "YYYY-MM-DD HH:MM:SS" UTC */
    int ntables;
    struct purge_table_preview t[PURGE_MAX_TABLES];
};

struct purge_table_result {
    char table[32];
    int64_t deleted;
    int64_t blocked; /* images skipped because live rows still reference them */
    int64_t batches;
    double longest_txn_s;
};

struct purge_result {
    int ntables;
    struct purge_table_result t[PURGE_MAX_TABLES];
    bool interrupted;
};

/* purge_validate: the reference's checks, in its order and words (each EMC_E_STATE so the CLI
 * prints the line as is, exit 1): age < 0, age >= days since the epoch, max_rows < -1,
 * max_rows > 2147483647. now is the run's clock. */
int purge_validate(const struct purge_opts *o, time_t now, struct emc_error *err);

/* purge_preview: per table (task_info, image_properties, image_tags, image_locations,
 * image_members, tasks; images when o->images_only or always as the last row), soft-deleted
 * rows by age bucket, oldest, eligible now, what the settings would delete, blocked images.
 * One scan per table. Read-only. */
int purge_preview(struct emc_ctx *ctx, const struct purge_opts *o, time_t now,
                  struct purge_preview *out, struct emc_error *err);

/* purge_run: delete as the reference does (o->batch_size == 0) or in batches by primary key,
 * one commit each, with cb.on_progress and cb.should_stop between batches. Fills *res even when
 * interrupted or failing part-way. Log lines through cb.on_log in the reference's words
 * ("Purging deleted rows older than N day(s) from table T", "Deleted n row(s) from table T"). */
int purge_run(struct emc_ctx *ctx, const struct purge_opts *o, time_t now,
              struct purge_result *res, struct emc_error *err);

#endif
