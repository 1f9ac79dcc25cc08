/* purge_scan.h - the purge preview's passes over the tables: per table, the soft-deleted rows,
 * their age buckets, the oldest, the rows deleted before the cutoff; for images, the eligible
 * rows that child rows staying after the purge still reference. The passes are independent
 * queries, spread over up to PURGE_SCAN_CONNS connections in as many threads (the caller's
 * connection and new ones to the same URL). Internal to the purge module (purge.c). */
#ifndef EMC_PURGE_SCAN_H
#define EMC_PURGE_SCAN_H

#include <stdbool.h>
#include <time.h>

#include "emc.h"
#include "purge.h"

/* two: what a 2-core machine gains from; a server with more cores runs each query on one
 * core (MariaDB, SQLite) or already spreads it (PostgreSQL's parallel scans) */
#define PURGE_SCAN_CONNS 2

/* purge_scan: out->t = the preview of every table in purge_tabs order, or, with scope_only (a
 * dry run), of the tables the command deletes from only; would_delete is capped by
 * o->max_rows. conns is how many connections may share the work (1 = the caller's only);
 * when another connection cannot be opened the work stays on fewer. out->cutoff is left to
 * the caller. Returns 0 or the first pass's failure. */
int purge_scan(struct emc_ctx *ctx, const struct purge_opts *o, time_t now, bool scope_only,
               int conns, struct purge_preview *out, struct emc_error *err);

#endif
