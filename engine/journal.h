/* journal.h - emc_journal: who ran which step, when, how long, how many rows, with what outcome.
 *
 * The table lives beside Glance's (it is not part of Glance's schema; parity dumps leave it out):
 *   id, run_id, command, step, kind (run|schema|data|purge|stamp), phase (T|E|M|C|P|-),
 *   started_at, finished_at (UTC text), rows_done, stmts_done, outcome (running|done|failed|
 *   interrupted|crashed), operator (user@host), pid, tool_version, detail.
 * A 'running' row whose process died (SIGKILL, power loss) is marked 'crashed' by the next run
 * that takes the lock. */
#ifndef EMC_JOURNAL_H
#define EMC_JOURNAL_H

#include <stdint.h>
#include <time.h>

#include "emc.h"

struct journal_row {
    int64_t id;
    char run_id[64];
    char command[64];
    char step[64];
    char kind[16];
    char phase[8];
    char started_at[32];
    char finished_at[32];
    int64_t rows_done;
    int64_t stmts_done;
    char outcome[16];
    char operator_[128];
    int64_t pid;
    char tool_version[32];
    char detail[256];
};

/* journal_ensure: create emc_journal if missing (never in sql_only mode). */
int journal_ensure(struct emc_ctx *ctx, struct emc_error *err);

/* journal_reap: with the lock held, mark 'running' rows (left by a run that died: no live run
 * can hold them while we hold the lock) 'crashed'. No-op without the table. */
int journal_reap(struct emc_ctx *ctx, struct emc_error *err);

/* journal_run_begin: give the run a new ctx->run_id (unique in the process, whatever the
 * context) and insert its row. Call with the lock held, after journal_reap. */
int journal_run_begin(struct emc_ctx *ctx, struct emc_error *err);

/* journal_run_end: close this run's row with outcome ("done", "failed", "interrupted"), and
 * the run; no-op when no run is open (journal_run_begin was not reached). */
int journal_run_end(struct emc_ctx *ctx, const char *outcome, const char *detail,
                    struct emc_error *err);

/* journal_step_begin: insert a 'running' row for a step; *id receives its id. */
int journal_step_begin(struct emc_ctx *ctx, const char *step, const char *kind, char phase,
                       int64_t *id, struct emc_error *err);

/* journal_step_update: record progress of a running step (statements and rows done so far). */
int journal_step_update(struct emc_ctx *ctx, int64_t id, int64_t stmts_done, int64_t rows_done,
                        struct emc_error *err);

/* journal_step_end: close a step's row. */
int journal_step_end(struct emc_ctx *ctx, int64_t id, const char *outcome, int64_t stmts_done,
                     int64_t rows_done, const char *detail, struct emc_error *err);

/* journal_resume_point: when the latest attempt at schema step did not finish (crashed,
 * failed, interrupted), *unfinished = true and *stmts_done = the statements it recorded as
 * done; else false and 0. */
int journal_resume_point(struct emc_ctx *ctx, const char *step, int64_t *stmts_done,
                         bool *unfinished, struct emc_error *err);

/* journal_holder: describe the newest 'running' run row ("user@host pid 123, `db expand`, since
 * 2026-11-23 10:00:00 UTC") into buf, or "" when the journal has none. Never fails the caller:
 * on any error buf is "". */
void journal_holder(struct emc_ctx *ctx, char *buf, size_t n);

/* journal_holder_gone: whether the newest 'running' run row belongs to a process on this host
 * that no longer exists (killed: its server-side lock is released as soon as the server
 * notices the closed connection). False when unsure. */
bool journal_holder_gone(struct emc_ctx *ctx);

/* journal_list: call cb for each row, oldest first (at most limit rows, newest ones; 0 = all).
 * A database without the table yields no rows. */
int journal_list(struct emc_ctx *ctx, int limit, int (*cb)(void *ud, const struct journal_row *row),
                 void *ud, struct emc_error *err);

/* journal_utc: t as UTC "YYYY-MM-DD HH:MM:SS" into buf (at least 20 bytes), the form every
 * timestamp the tool writes takes. */
void journal_utc(time_t t, char *buf, size_t n);

/* journal_now: current UTC time as "YYYY-MM-DD HH:MM:SS" into buf (at least 20 bytes). */
void journal_now(char *buf, size_t n);

#endif
