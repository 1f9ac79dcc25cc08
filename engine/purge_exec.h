/* purge_exec.h - the tables a purge touches and the deletion of one table, in the reference's
 * mode (one DELETE) or in batches by primary key. Internal to the purge module (purge.c). */
#ifndef EMC_PURGE_EXEC_H
#define EMC_PURGE_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emc.h"
#include "purge.h"

enum purge_tab_kind {
    PURGE_TAB_TASK_INFO, /* no deleted_at of its own: follows its task's */
    PURGE_TAB_PLAIN,     /* image_properties, image_tags, image_locations, image_members, tasks */
    PURGE_TAB_IMAGES,    /* referenced by the four image child tables */
};

struct purge_tab {
    const char *name;
    const char *key; /* primary key column */
    enum purge_tab_kind kind;
    bool int_key; /* integer primary key (inlined in SQL), else text (bound) */
};

#define PURGE_NTABS 7

/* purge_tabs: in the reference's order (task_info, image_properties, image_tags,
 * image_locations, image_members, tasks), then images. */
extern const struct purge_tab purge_tabs[PURGE_NTABS];

/* purge_in_scope: whether the command (purge_images_table when images_only, else db purge)
 * deletes from table pt. */
bool purge_in_scope(const struct purge_tab *pt, bool images_only);

/* purge_image_children: the four tables whose rows reference images (image_id). */
extern const char *const purge_image_children[4];

/* purge_kept_sql: into buf, the condition that a purge keeps the row alias: deleted_at NULL or
 * not before the cutoff, a '?' parameter. With text_cmp (SQLite only), the column is compared as
 * +alias.deleted_at, without its NUMERIC affinity, which spares a text-to-number attempt per row
 * and gives the same result. Returns buf. */
const char *purge_kept_sql(char *buf, size_t n, const char *alias, bool text_cmp);

/* purge_image_free_sql: into buf, a condition true when no row of the four image child tables
 * references the image alias.id, written as NOT EXISTS ... AND NOT EXISTS ..., which PostgreSQL
 * plans as anti-joins. Returns buf. */
const char *purge_image_free_sql(char *buf, size_t n, const char *alias);

/* purge_is_fk_error: whether err is a foreign-key violation on any backend. */
bool purge_is_fk_error(const struct emc_error *err);

/* purge_count_blocked: *n = images with deleted_at < cutoff that a child row references; with
 * keep_cutoff, only child rows that a purge with that cutoff keeps (deleted_at NULL or not
 * before it) count: the preview's count on PostgreSQL. With keep_cutoff or on PostgreSQL, one
 * join of the child rows to the eligible images; without it, on SQLite, the images are read a
 * chunk of rowids a statement, so that no read holds the lock over the whole table; on
 * MariaDB, four anti-joins. */
int purge_count_blocked(struct emc_ctx *ctx, const char *cutoff, const char *keep_cutoff,
                        int64_t *n, struct emc_error *err);

/* purge_blocked_in_batches: whether purge_exec_table finds and counts the blocked images itself,
 * as it deletes (into tr->blocked, with the warning purge_log_blocked writes, after the table),
 * so that the caller need not count them first: batched purge_images_table of every eligible
 * image (max_rows -1) on MariaDB/MySQL. The keys are then every eligible image's, read without
 * the four probes per image that find the referenced ones (8.5 s of 26 s at 1M images right
 * after `db purge`, whose deleted child rows those probes meet until InnoDB purges them); the
 * batches delete without the check until the foreign keys refuse one, which then runs again
 * with the check, as does every batch after it. */
bool purge_blocked_in_batches(const struct emc_ctx *ctx, const struct purge_opts *o);

/* purge_log_blocked: the warning that n (> 0) images deleted before cutoff are skipped because
 * child rows still reference them; nothing when n is 0. */
void purge_log_blocked(struct emc_ctx *ctx, int64_t n, const char *cutoff);

/* purge_exec_table: delete what o selects from table pt (rows with deleted_at < cutoff, oldest
 * first, at most o->max_rows, blocked images left alone), logging the reference's two lines.
 * o->batch_size == 0: one DELETE in one transaction; else batches of o->batch_size keys, one
 * transaction each, progress and should_stop between them, o->sleep_s pause. jid is the
 * journal step to update (0 = none). tr->deleted, batches, longest_txn_s and seconds are
 * filled even on failure. A foreign-key failure is returned as the driver reported it (the
 * caller words it). Returns -EMC_E_INTERRUPTED when should_stop asked for a stop. */
int purge_exec_table(struct emc_ctx *ctx, const struct purge_tab *pt, const struct purge_opts *o,
                     const char *cutoff, int64_t jid, struct purge_table_result *tr,
                     struct emc_error *err);

#endif
