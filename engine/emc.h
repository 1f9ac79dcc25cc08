/* emc.h - the engine's session: one database, one migration set, the callbacks through which
 * progress, log lines, confirmations and offline SQL reach the caller (CLI or console). */
#ifndef EMC_EMC_H
#define EMC_EMC_H

#include <stdbool.h>
#include <stdint.h>

#include "dburl.h"
#include "driver.h"
#include "error.h"
#include "migset.h"

#define EMC_TOOL_VERSION "0.1.0"
#define EMC_MAX_HEADS 8
#define EMC_REV_LEN 64

enum emc_log_level { EMC_LOG_DEBUG, EMC_LOG_INFO, EMC_LOG_WARNING, EMC_LOG_ERROR };

struct emc_progress {
    const char *what;  /* data migration id, or table name for purge */
    int64_t done;      /* rows done so far in this step */
    int64_t total;     /* rows expected in all (estimate; may grow), 0 if unknown */
    double rows_per_s; /* over the step so far */
    double eta_s;      /* seconds left, < 0 until 1% is done */
    int64_t batches;   /* batches committed */
    double longest_txn_s;
};

struct emc_step;

struct emc_callbacks {
    void *ud;
    /* on_log: one line (no newline) such as "Running upgrade mitaka02 -> ocata_expand01, ..." */
    void (*on_log)(void *ud, int level, const char *line);
    /* on_progress: during batched work, after each batch */
    void (*on_progress)(void *ud, const struct emc_progress *p);
    /* on_confirm: before each step that changes something, with the SQL it will run; return
     * true to run it, false to stop before it (the run then ends with EMC_E_INTERRUPTED).
     * NULL means yes to everything (the CLI: the operator asked for the command). */
    bool (*on_confirm)(void *ud, const struct emc_step *step, const char *sql);
    /* should_stop: polled between batches and steps; true ends the run cleanly after the
     * current batch with EMC_E_INTERRUPTED. */
    bool (*should_stop)(void *ud);
    /* on_sql: in offline (--sql) mode each statement goes here instead of to the database. */
    void (*on_sql)(void *ud, const char *stmt);
    /* on_message: a result line for the operator, worded as glance-manage words it (the CLI
     * prints these on stdout). */
    void (*on_message)(void *ud, const char *line);
};

struct emc_ctx {
    struct dburl url;
    struct db_conn *conn;
    struct migset *ms;
    const char *dialect;
    struct emc_callbacks cb;
    int batch_size;      /* rows per data-migration batch, default 1000 */
    int lock_timeout_ms; /* DDL lock wait before retry, default 3000 */
    int lock_retries;    /* retries with backoff after a lock timeout, default 5 */
    bool sql_only;       /* offline: emit SQL through cb.on_sql, change nothing */
    const char *command; /* the command name, for the journal and the lock holder */
    bool locked;
    bool journal_ready;
    /* runner: consecutive schema steps share one transaction (emc_run_plan); a step then
     * neither begins nor commits, and does not retry a lock wait (the group falls back to one
     * step at a time, which does) */
    bool in_group;
    char run_id[64];
};

/* The database's state as read from it. */
struct emc_state {
    bool has_version_table;
    int nheads;
    char heads[EMC_MAX_HEADS][EMC_REV_LEN]; /* as stored (legacy names mapped) */
    bool legacy_names;                      /* ocata01 / pike01 were stored */
    bool *applied;                          /* migset.nrev entries */
    bool has_migrate_version;               /* sqlalchemy-migrate's table: pre-Liberty */
    long migrate_version;
    bool has_images;  /* a Glance table is there */
    int nforeign;     /* tables that are neither Glance's, alembic's nor ours */
    char foreign[64]; /* one of them, for the message */
};

/* emc_open: parse url, load the migrations (embedded, or from migrations_dir when not NULL),
 * and connect (connect_timeout seconds, 0 = 5). read_only asks SQLite not to create a missing
 * file. On failure *out is NULL and err holds a one-line message without the password. */
int emc_open(struct emc_ctx **out, const char *url, const char *migrations_dir, bool read_only,
             int connect_timeout, struct emc_error *err);

/* emc_close: release the lock if held, close, free. NULL is a no-op. */
void emc_close(struct emc_ctx *ctx);

/* emc_read_state: read alembic_version and the table list. st->applied is allocated; free
 * with emc_state_free. Fails with EMC_E_REVISION for rows that make no sense or name a
 * revision this build does not know. */
int emc_read_state(struct emc_ctx *ctx, struct emc_state *st, struct emc_error *err);

/* emc_state_free: free st->applied. */
void emc_state_free(struct emc_state *st);

/* emc_require_glance: refuse (one line saying what to do) a database that is not Glance's, or
 * that is under sqlalchemy-migrate or has Glance tables without alembic_version. An empty
 * database passes (it can be built). */
int emc_require_glance(const struct emc_ctx *ctx, const struct emc_state *st,
                       struct emc_error *err);

/* emc_lock: take the one-run-at-a-time lock for this database; a lock held by a live run fails
 * at once with EMC_E_LOCKED naming the holder (user@host, pid, command, since). A holder the
 * journal shows to be a killed process of this host is waited for, up to 2 s, while its
 * server ends the dropped session. Idempotent. */
int emc_lock(struct emc_ctx *ctx, struct emc_error *err);

/* emc_unlock: release the lock if held. */
void emc_unlock(struct emc_ctx *ctx);

/* emc_message: send a formatted result line to cb.on_message (no-op without one). */
void emc_message(const struct emc_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* emc_log: send a formatted line to cb.on_log (no-op without one). */
void emc_log(const struct emc_ctx *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
