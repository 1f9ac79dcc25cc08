/* runner.h - plans and runs the steps of an upgrade: schema revisions (trunk, expand,
 * contract) and data migrations, with alembic_version kept as alembic keeps it, the journal,
 * lock-timeout retries, and resumption of a half-applied revision on backends whose DDL is not
 * transactional. */
#ifndef EMC_RUNNER_H
#define EMC_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "emc.h"

enum step_kind { STEP_SCHEMA, STEP_DATA };

struct emc_step {
    enum step_kind kind;
    int rev;       /* index into migset.revs */
    char phase;    /* 'T' trunk, 'E' expand, 'M' data migration, 'C' contract */
    bool triggers; /* expand: also install the revision's rolling-upgrade triggers */
};

struct emc_plan {
    int n;
    struct emc_step *steps;
};

enum {
    PLAN_TRIGGERS = 1 << 0, /* install triggers for expand revisions left without their contract */
    PLAN_NO_DATA = 1 << 1,  /* schema steps only (the reference's `expand`) */
};

/* emc_plan_build: the steps that take the database from st->applied to every revision in
 * want: trunk revisions, then expand revisions, then the data migrations that must finish
 * before a wanted contract revision, then contract revisions, each group in graph order.
 * The plan is the caller's to free with emc_plan_free. */
int emc_plan_build(const struct emc_ctx *ctx, const struct emc_state *st, const bool *want,
                   unsigned flags, struct emc_plan *plan, struct emc_error *err);

/* emc_plan_data: the data migrations whose after revision is applied and whose before
 * revision is not (what `db migrate` runs), in graph order. */
int emc_plan_data(const struct emc_ctx *ctx, const struct emc_state *st, struct emc_plan *plan,
                  struct emc_error *err);

/* emc_plan_free: free a plan's steps. */
void emc_plan_free(struct emc_plan *plan);

/* emc_step_sql: the SQL a step runs on this backend, statements separated by ";\n", into a new
 * string (*out, caller frees). Data steps show their pending query and batch statements. */
int emc_step_sql(const struct emc_ctx *ctx, const struct emc_step *step, char **out,
                 struct emc_error *err);

/* emc_step_label: "mitaka02 -> ocata_expand01" style label into buf. */
const char *emc_step_label(const struct emc_ctx *ctx, const struct emc_step *step, char *buf,
                           size_t n);

/* emc_step_has_triggers: whether the step installs rolling-upgrade triggers on this backend
 * (an expand step planned with them, whose revision has a non-empty triggers file). */
bool emc_step_has_triggers(const struct emc_ctx *ctx, const struct emc_step *step);

/* emc_data_pending: rows a data migration still has to change. */
int emc_data_pending(struct emc_ctx *ctx, int rev, int64_t *pending, struct emc_error *err);

/* emc_run_plan: run the steps in order (asking cb.on_confirm before each when set), updating
 * st->applied and alembic_version after each schema step. *rows (may be NULL) receives the rows
 * changed by data migrations. Stops at the first failure with the database at the last
 * completed step (plus, on MySQL, a partly applied revision the next run finishes). */
int emc_run_plan(struct emc_ctx *ctx, struct emc_state *st, const struct emc_plan *plan,
                 int64_t *rows, struct emc_error *err);

/* emc_retry_locked: run fn(ctx, arg, err); while it fails because a lock wait ran out (or it
 * was a deadlock victim), report the wait (what waited, and on which session) and call it again
 * after a backoff, at most ctx->lock_retries times. For the statements around the steps (the
 * journal's), which on SQLite need the same database-wide write lock as the steps; fn must be
 * safe to call again after such a failure. */
int emc_retry_locked(struct emc_ctx *ctx, const char *what,
                     int (*fn)(struct emc_ctx *ctx, void *arg, struct emc_error *err), void *arg,
                     struct emc_error *err);

/* emc_fix_legacy_heads: rewrite stored ocata01 / pike01 rows to their new names, as Glance
 * does when it reads them. No-op when there are none. */
int emc_fix_legacy_heads(struct emc_ctx *ctx, struct emc_state *st, struct emc_error *err);

/* emc_stamp: make alembic_version hold exactly the heads of want (version_control), creating
 * the table when needed. */
int emc_stamp(struct emc_ctx *ctx, struct emc_state *st, const bool *want, struct emc_error *err);

/* runner_now: seconds on the monotonic clock, for durations (never a date). */
double runner_now(void);

/* runner_data_version: SQLite's PRAGMA data_version on ctx's connection, which changes when
 * another connection commits (never for the connection's own commits); -1 when it cannot be
 * read (another backend, an error: the error is dropped). A short read, outside any
 * transaction of the caller's. */
int64_t runner_data_version(struct emc_ctx *ctx);

/* runner_bulk: put ctx's connection in bulk mode for many short write transactions (on) or
 * back (off), db_set_bulk; speed only, so a refusal is a debug line, never a failure. */
void runner_bulk(struct emc_ctx *ctx, bool on);

/* runner_stop_asked: whether the caller's should_stop callback (if any) asks for a stop. */
bool runner_stop_asked(const struct emc_ctx *ctx);

/* runner_progress_rates: p's rows_per_s over the time since t0 (runner_now), and its eta_s
 * once 1% is done (-1 before); a total below done is raised to done. */
void runner_progress_rates(struct emc_progress *p, double t0);

#endif
