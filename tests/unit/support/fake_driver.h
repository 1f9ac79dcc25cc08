/* fake_driver.h - a scriptable database driver for unit tests.
 *
 * fake_driver_install() makes URLs with backend DB_FAKE use it (through db_set_fake_driver).
 * It keeps one global state shared by all its connections:
 *   - a log of every call in order (SQL text for exec/query; "BEGIN", "COMMIT", "ROLLBACK",
 *     "CONNECT", "CLOSE", "LOCK name", "UNLOCK name", "LOCK_TIMEOUT ms" for the others),
 *     with the parameters of each query rendered as text;
 *   - a count of calls per function;
 *   - scripted results: queries whose SQL contains a substring return given rows and/or an
 *     affected-row count, a given number of times or forever;
 *   - scripted failures: the Nth call (of one function or of any), or calls whose SQL contains
 *     a substring, fail with a chosen error class.
 * Everything the fake allocates is freed by fake_driver_reset(). Not thread-safe. */
#ifndef EMC_FAKE_DRIVER_H
#define EMC_FAKE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"

enum fake_fn {
    FAKE_ANY = -1,
    FAKE_CONNECT = 0,
    FAKE_CLOSE,
    FAKE_EXEC,
    FAKE_QUERY,
    FAKE_BEGIN,
    FAKE_COMMIT,
    FAKE_ROLLBACK,
    FAKE_SERVER_VERSION,
    FAKE_LOCK_TRY,
    FAKE_LOCK_RELEASE,
    FAKE_SET_LOCK_TIMEOUT,
    FAKE_SET_STMT_TIMEOUT,
    FAKE_CHANGE_COUNTER,
    FAKE__COUNT
};

/* fake_driver_install: reset the fake, give it caps (NULL: SQLite-like - dialect "sqlite",
 * transactional DDL, '"' quoting, no advisory locks, a lock timeout) and register it for
 * DB_FAKE; with another dialect it also has set_stmt_timeout, as the servers. Returns the
 * driver. The caps' dialect string must outlive the fake's use. */
const struct db_driver *fake_driver_install(const struct db_caps *caps);

/* fake_driver_reset: forget the log, counts, scripts and failures (caps stay). */
void fake_driver_reset(void);

/* fake_url: fill *u (zeroed) as a DB_FAKE URL; nothing to free. */
void fake_url(struct dburl *u);

/* fake_calls: how many times fn was called (FAKE_ANY: all functions). */
int fake_calls(enum fake_fn fn);

/* fake_log_count / fake_log_at / fake_log_params_at / fake_log_fn_at: the log, in call order.
 * fake_log_at returns NULL past the end; params are "" for calls without them, else the
 * values joined by ", " with text quoted ('x'), NULL as NULL. */
size_t fake_log_count(void);
const char *fake_log_at(size_t i);
const char *fake_log_params_at(size_t i);
enum fake_fn fake_log_fn_at(size_t i);

/* fake_log_find: index of the first log entry at or after from whose text contains substr,
 * or -1. fake_log_count_matching: how many entries contain substr. */
long fake_log_find(const char *substr, size_t from);
size_t fake_log_count_matching(const char *substr);

/* fake_log_text: the whole log, one entry per line ("text" or "text | params"); caller
 * frees. */
char *fake_log_text(void);

/* fake_script_rows: queries whose SQL contains match return nrows rows of ncols columns
 * (names[ncols], vals[nrows * ncols] row-major, NULL = SQL NULL) and *affected = affected.
 * uses = how many matching queries it answers before it is spent (0 = forever). Scripts are
 * tried in the order they were added; the first one not spent wins. Strings are copied. */
void fake_script_rows(const char *match, int ncols, const char *const *names, int nrows,
                      const char *const *vals, int64_t affected, int uses);

/* fake_script_int: shorthand for a one-row, one-column ("n") integer answer. */
void fake_script_int(const char *match, int64_t value, int uses);

/* fake_fail_nth: the nth (1-based, counted from now) call of fn (FAKE_ANY: of any function)
 * fails with errclass (a positive enum emc_errclass). One-shot. */
void fake_fail_nth(enum fake_fn fn, int nth, int errclass);

/* fake_fail_matching: exec/query calls whose SQL contains substr fail with errclass, the
 * next `times` times (0 = always). */
void fake_fail_matching(const char *substr, int errclass, int times);

/* fake_set_lock_held_elsewhere: lock_try reports the lock as held by someone else. */
void fake_set_lock_held_elsewhere(bool held);

/* fake_set_server_version: what server_version returns (default "Fake 1.0"). */
void fake_set_server_version(const char *v);

/* fake_set_query_delay: exec/query calls whose SQL contains match (and begin, for the match
 * "BEGIN") sleep ms milliseconds before they return (one such rule; NULL match: none). */
void fake_set_query_delay(const char *match, int ms);

/* fake_set_change_counter: give connections a change counter (driver.h change_counter) that
 * reads as the number of its earlier reads divided by every (so it moves at every every-th
 * read), each read logged as "CHANGE_COUNTER"; every <= 0: none (reads -1, unlogged, the
 * default). */
void fake_set_change_counter(int every);

/* fake_open_connections: connections opened and not yet closed. */
int fake_open_connections(void);

/* db_set_fake_driver is defined in engine/db.c. */
void db_set_fake_driver(const struct db_driver *drv);

#endif
