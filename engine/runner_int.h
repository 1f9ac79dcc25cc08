/* runner_int.h - what runner.c, runner_schema.c and runner_data.c share. Not for other modules:
 * they use runner.h. */
#ifndef EMC_RUNNER_INT_H
#define EMC_RUNNER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runner.h"
#include "sqlsplit.h"

/* runner_sql: execute one statement, or in offline mode hand it to cb.on_sql. */
int runner_sql(struct emc_ctx *ctx, const char *sql, int64_t *affected, struct emc_error *err);

/* runner_dialect_file: the file of revision rev named by pattern ("batch.%s.sql", the %s
 * being the dialect), or NULL. */
const char *runner_dialect_file(const struct emc_ctx *ctx, int rev, const char *pattern);

/* runner_batch_has_window: whether a batch file walks its table in windows (a line starting
 * "-- emc:window TABLE.COLUMN": migrations/README.md). */
bool runner_batch_has_window(const char *batch);

/* runner_batch_sql: stmt with every :batch replaced by n (new string, caller frees). */
char *runner_batch_sql(const char *stmt, int n);

/* runner_step_statements: every statement a schema step runs, in order (drop triggers,
 * schema, triggers; the drops go where a line "-- emc:drop-triggers-here" of the schema file
 * puts them), for a database whose applied revisions are applied (NULL: base files).
 * *drop_first and *drop_n (either may be NULL) receive where the drop statements are. */
int runner_step_statements(const struct emc_ctx *ctx, const bool *applied,
                           const struct emc_step *step, struct sql_list *out, int *drop_first,
                           int *drop_n, struct emc_error *err);

/* runner_version_table: create alembic_version when *has_table is false. */
int runner_version_table(struct emc_ctx *ctx, bool *has_table, struct emc_error *err);

/* runner_version_rows: change alembic_version's rows from the heads of old_applied to those of
 * new_applied (the table must exist). Callers run it inside a transaction. */
int runner_version_rows(struct emc_ctx *ctx, const bool *old_applied, const bool *new_applied,
                        struct emc_error *err);

/* runner_schema_step / runner_data_step: run one step of a plan (runner_schema.c,
 * runner_data.c). */
int runner_schema_step(struct emc_ctx *ctx, struct emc_state *st, const struct emc_step *step,
                       struct emc_error *err);
int runner_data_step(struct emc_ctx *ctx, const struct emc_step *step, int64_t *rows,
                     struct emc_error *err);

/* runner_journal_begin: journal_step_begin, retried while it waits on a lock (SQLite). */
int runner_journal_begin(struct emc_ctx *ctx, const char *step, const char *kind, char phase,
                         int64_t *id, struct emc_error *err);

/* runner_backoff_ms: the wait before retry number attempt (0-based) after a lock timeout:
 * 250 ms doubling, at most 8 s. */
int runner_backoff_ms(int attempt);

/* runner_excerpt: the start of a statement for a message: comments dropped, blanks folded,
 * at most n - 1 characters ("..." when cut). */
const char *runner_excerpt(const char *sql, char *buf, size_t n);

void runner_sleep_ms(int ms);

/* runner_stmt_cap: put the server's statement timeout on (ms > 0) or off (0) for ctx's
 * connection while *capped says the backend has one; a backend that refuses it (MySQL, which
 * has none for UPDATE and DELETE) runs without it from then on (*capped false, a debug line). */
void runner_stmt_cap(struct emc_ctx *ctx, int ms, bool *capped);

#endif
