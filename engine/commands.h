/* commands.h - glance-manage's db commands as engine calls. Each reads the database's state,
 * refuses what cannot run (one-line error, nothing changed), takes the one-run lock for
 * anything that changes the database, journals the run, and reports the reference's result
 * lines through cb.on_message. The exit code the CLI should use is returned through *exit_code
 * where the reference has more than success/failure. */
#ifndef EMC_COMMANDS_H
#define EMC_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "emc.h"

enum emc_verdict {
    EMC_VERDICT_UP_TO_DATE = 0,
    EMC_VERDICT_EXPAND = 3,
    EMC_VERDICT_MIGRATE = 4,
    EMC_VERDICT_CONTRACT = 5,
};

/* What the database looks like, for `check`, `version --json`, the console's overview. */
struct emc_status {
    struct emc_state st;
    enum emc_verdict verdict;
    int expand_head, contract_head; /* the newest revisions this build knows, per branch */
    int expand_at, contract_at;     /* the newest applied revision per branch, or -1 */
    int trunk_at;                   /* the newest applied trunk revision, or -1 */
    int pending_expand, pending_contract, pending_trunk; /* schema revisions left per branch */
    int64_t data_rows_pending; /* rows left in data migrations now runnable */
    int data_pending_steps;    /* data migrations with rows left */
    int64_t *data_pending;     /* per revision (migset order): rows left in each data migration
                                  now runnable, -1 for every other revision */
};

/* emc_status_read: fill *s (free with emc_status_free). Works on an empty database (nothing
 * applied, verdict expand). Fails on a database that is not Glance's or at an unknown revision. */
int emc_status_read(struct emc_ctx *ctx, struct emc_status *s, struct emc_error *err);

/* emc_status_free: free what emc_status_read allocated. */
void emc_status_free(struct emc_status *s);

/* emc_heads_text: the current heads joined by ", " as glance-manage prints them. */
const char *emc_heads_text(const struct emc_ctx *ctx, const bool *applied, char *buf, size_t n);

/* emc_cmd_version: the stored heads, one message line each, or the reference's "not under
 * migration control" line. Read-only. */
int emc_cmd_version(struct emc_ctx *ctx, struct emc_error *err);

/* emc_cmd_check: the reference's verdict line; *exit_code 0, 3, 4 or 5. Read-only. */
int emc_cmd_check(struct emc_ctx *ctx, int *exit_code, struct emc_error *err);

/* emc_cmd_expand: apply every expand revision (with rolling-upgrade triggers when triggers is
 * true, as `db expand` does; false for `sync`). */
int emc_cmd_expand(struct emc_ctx *ctx, bool triggers, struct emc_error *err);

/* emc_cmd_migrate: run every data migration now runnable, in batches; *rows = rows changed. */
int emc_cmd_migrate(struct emc_ctx *ctx, int64_t *rows, struct emc_error *err);

/* emc_cmd_contract: apply every contract revision; refuses before expand or with data left. */
int emc_cmd_contract(struct emc_ctx *ctx, struct emc_error *err);

/* emc_cmd_sync: expand (no triggers), migrate, contract; or, with version, upgrade offline
 * to that revision or release running every data migration on the way. */
int emc_cmd_sync(struct emc_ctx *ctx, const char *version, struct emc_error *err);

/* emc_cmd_upgrade: upgrade to version ("heads" when NULL), running the data migrations on
 * the path and installing triggers for an expand left without its contract. */
int emc_cmd_upgrade(struct emc_ctx *ctx, const char *version, struct emc_error *err);

/* emc_cmd_version_control: stamp the database at version (liberty when NULL); refuses a
 * database already under control unless force. */
int emc_cmd_version_control(struct emc_ctx *ctx, const char *version, bool force,
                            struct emc_error *err);

#endif
