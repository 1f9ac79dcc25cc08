/* inspect.c - see inspect.h */
#include "inspect.h"

#include <stdio.h>
#include <string.h>

#include "journal.h"

static int trig_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct emc_triggers *t = ud;
    if (ncols >= 1 && vals[0] && t->n < EMC_MAX_TRIGGERS)
        snprintf(t->name[t->n++], sizeof(t->name[0]), "%s", vals[0]);
    return 0;
}

int emc_list_triggers(struct emc_ctx *ctx, struct emc_triggers *out, struct emc_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *sql;
    if (strcmp(ctx->dialect, "sqlite") == 0)
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'images' "
              "ORDER BY name";
    else if (strcmp(ctx->dialect, "postgresql") == 0)
        sql = "SELECT DISTINCT trigger_name FROM information_schema.triggers WHERE "
              "event_object_schema = current_schema() AND event_object_table = 'images' ORDER BY "
              "trigger_name";
    else
        sql = "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = "
              "DATABASE() AND event_object_table = 'images' ORDER BY trigger_name";
    return db_query(ctx->conn, sql, NULL, 0, trig_cb, out, NULL, err);
}

int emc_lock_probe(struct emc_ctx *ctx, bool *held, char *buf, size_t n, struct emc_error *err)
{
    *held = false;
    buf[0] = '\0';
    if (ctx->locked)
        return 0;
    int rc = emc_lock(ctx, err);
    if (rc == -EMC_E_LOCKED) {
        *held = true;
        journal_holder(ctx, buf, n);
        if (!buf[0])
            snprintf(buf, n, "another session (no journal entry)");
        emc_error_clear(err);
        return 0;
    }
    if (rc == 0)
        emc_unlock(ctx);
    return rc;
}
