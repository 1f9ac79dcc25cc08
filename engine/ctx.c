/* ctx.c - the engine session (emc.h): open, state, lock, log. */
#include "emc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "revgraph.h"

void emc_log(const struct emc_ctx *ctx, int level, const char *fmt, ...)
{
    if (!ctx->cb.on_log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    ctx->cb.on_log(ctx->cb.ud, level, line);
}

void emc_message(const struct emc_ctx *ctx, const char *fmt, ...)
{
    if (!ctx->cb.on_message)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    ctx->cb.on_message(ctx->cb.ud, line);
}

/* sqlite_file_missing: a SQLite URL naming a file that does not exist in a folder that does. */
static bool sqlite_file_missing(const struct dburl *u)
{
    if (u->backend != DB_SQLITE || !u->database || !u->database[0])
        return false;
    struct stat st;
    if (stat(u->database, &st) == 0)
        return false;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", u->database);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return true;
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int emc_open(struct emc_ctx **out, const char *url, const char *migrations_dir, bool read_only,
             int connect_timeout, struct emc_error *err)
{
    *out = NULL;
    struct emc_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    ctx->batch_size = 1000;
    ctx->lock_timeout_ms = 3000;
    ctx->lock_retries = 5;
    ctx->run_id[0] = '\0'; /* no run open: journal_run_begin names each run */
    int rc = dburl_parse(&ctx->url, url, err);
    if (rc == 0)
        rc = migrations_dir ? migset_load_dir(&ctx->ms, migrations_dir, err)
                            : migset_load_embedded(&ctx->ms, err);
    if (rc == 0) {
        ctx->url.sqlite_no_create = read_only;
        struct dburl mem = ctx->url;
        if (read_only && sqlite_file_missing(&ctx->url)) {
            /* a read-only look at a SQLite file that is not there yet: answer as for an empty
             * database (as glance-manage does) without creating the file */
            mem.database = NULL;
            mem.sqlite_no_create = false;
        }
        rc = db_connect(&ctx->conn, &mem, connect_timeout, err);
    }
    if (rc < 0) {
        emc_close(ctx);
        return rc;
    }
    ctx->dialect = db_drv(ctx->conn)->caps.dialect;
    *out = ctx;
    return 0;
}

void emc_close(struct emc_ctx *ctx)
{
    if (!ctx)
        return;
    emc_unlock(ctx);
    db_close(ctx->conn);
    migset_free(ctx->ms);
    dburl_free(&ctx->url);
    free(ctx);
}

void emc_state_free(struct emc_state *st)
{
    free(st->applied);
    st->applied = NULL;
}

static const char *const glance_tables[] = {"images",
                                            "image_properties",
                                            "image_locations",
                                            "image_members",
                                            "image_tags",
                                            "tasks",
                                            "task_info",
                                            "metadef_namespaces",
                                            "metadef_namespace_resource_types",
                                            "metadef_objects",
                                            "metadef_properties",
                                            "metadef_resource_types",
                                            "metadef_tags",
                                            "node_reference",
                                            "cached_images",
                                            "artifacts",
                                            "artifact_blobs",
                                            "artifact_blob_locations",
                                            "artifact_dependencies",
                                            "artifact_properties",
                                            "artifact_tags",
                                            NULL};

static bool is_glance_table(const char *t)
{
    for (int i = 0; glance_tables[i]; i++)
        if (strcmp(glance_tables[i], t) == 0)
            return true;
    return false;
}

struct tables_ud {
    struct emc_state *st;
};

static int tables_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct emc_state *st = ((struct tables_ud *)ud)->st;
    if (ncols < 1 || !vals[0])
        return 0;
    const char *t = vals[0];
    if (strcmp(t, "alembic_version") == 0)
        st->has_version_table = true;
    else if (strcmp(t, "migrate_version") == 0)
        st->has_migrate_version = true;
    else if (is_glance_table(t))
        st->has_images = true;
    else if (strncmp(t, "emc_", 4) != 0 && strncmp(t, "sqlite_", 7) != 0) {
        if (st->nforeign++ == 0)
            snprintf(st->foreign, sizeof(st->foreign), "%s", t);
    }
    return 0;
}

static int heads_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct emc_state *st = ud;
    if (ncols < 1 || !vals[0] || st->nheads >= EMC_MAX_HEADS)
        return 0;
    const char *v = vals[0];
    if (strcmp(v, "ocata01") == 0) {
        v = "ocata_contract01";
        st->legacy_names = true;
    } else if (strcmp(v, "pike01") == 0) {
        v = "pike_contract01";
        st->legacy_names = true;
    }
    snprintf(st->heads[st->nheads++], EMC_REV_LEN, "%s", v);
    return 0;
}

static int migrate_version_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct emc_state *st = ud;
    if (ncols >= 1 && vals[0])
        st->migrate_version = atol(vals[0]);
    return 1;
}

int emc_read_state(struct emc_ctx *ctx, struct emc_state *st, struct emc_error *err)
{
    memset(st, 0, sizeof(*st));
    st->applied = calloc((size_t)ctx->ms->nrev + 1, sizeof(bool));
    if (!st->applied)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    const char *sql;
    if (strcmp(ctx->dialect, "sqlite") == 0)
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
    else if (strcmp(ctx->dialect, "postgresql") == 0)
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = "
              "current_schema() ORDER BY table_name";
    else
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
              "ORDER BY table_name";
    struct tables_ud tu = {st};
    int rc = db_query(ctx->conn, sql, NULL, 0, tables_cb, &tu, NULL, err);
    if (rc == 0 && st->has_migrate_version)
        rc = db_query(ctx->conn, "SELECT version FROM migrate_version", NULL, 0, migrate_version_cb,
                      st, NULL, err);
    if (rc == 0 && st->has_version_table) {
        rc = db_query(ctx->conn, "SELECT version_num FROM alembic_version", NULL, 0, heads_cb, st,
                      NULL, err);
        if (rc == 0) {
            char *hv[EMC_MAX_HEADS];
            for (int i = 0; i < st->nheads; i++)
                hv[i] = st->heads[i];
            rc = rg_applied_from_heads(ctx->ms, hv, st->nheads, st->applied, err);
        }
    }
    if (rc < 0)
        emc_state_free(st);
    return rc;
}

int emc_require_glance(const struct emc_ctx *ctx, const struct emc_state *st, struct emc_error *err)
{
    (void)ctx;
    if (st->has_version_table)
        return 0;
    if (st->has_migrate_version)
        return emc_error_set(
            err, EMC_E_NOT_GLANCE,
            "the database is under legacy sqlalchemy-migrate control (migrate_version at %ld): "
            "bring it to Liberty (version 42) with that release's glance-manage, then run "
            "`glance-emc db version_control --version liberty`",
            st->migrate_version);
    if (st->has_images)
        return emc_error_set(err, EMC_E_NOT_GLANCE,
                             "Glance tables are there but alembic_version is not: find the "
                             "revision the schema is at and stamp it with `glance-emc db "
                             "version_control --version REVISION`");
    if (st->nforeign > 0)
        return emc_error_set(err, EMC_E_NOT_GLANCE,
                             "this is not a Glance database (it holds %d other table%s, such as "
                             "'%s'); point --database-url at Glance's database or an empty one",
                             st->nforeign, st->nforeign == 1 ? "" : "s", st->foreign);
    return 0;
}

static void lock_name(const struct emc_ctx *ctx, char *buf, size_t n)
{
    snprintf(buf, n, "glance-emc:%s", ctx->url.database ? ctx->url.database : "");
}

int emc_lock(struct emc_ctx *ctx, struct emc_error *err)
{
    if (ctx->locked || ctx->sql_only)
        return 0;
    char name[256];
    lock_name(ctx, name, sizeof(name));
    bool got = false;
    int rc = db_drv(ctx->conn)->lock_try(ctx->conn, name, &got, err);
    /* a holder that the journal shows to be a process of this host that is gone (killed) is
     * waited for, up to 2 s, while its server notices the closed connection and releases the
     * lock; a live holder makes this fail at once */
    for (int i = 0; rc == 0 && !got && i < 40 && journal_holder_gone(ctx); i++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        rc = db_drv(ctx->conn)->lock_try(ctx->conn, name, &got, err);
    }
    if (rc < 0)
        return rc;
    if (!got) {
        char holder[256];
        journal_holder(ctx, holder, sizeof(holder));
        return emc_error_set(err, EMC_E_LOCKED,
                             "another glance-emc run holds the lock on this database (%s); "
                             "wait for it to finish",
                             holder[0] ? holder : "holder unknown");
    }
    ctx->locked = true;
    return 0;
}

void emc_unlock(struct emc_ctx *ctx)
{
    if (!ctx->locked)
        return;
    char name[256];
    lock_name(ctx, name, sizeof(name));
    struct emc_error e;
    db_drv(ctx->conn)->lock_release(ctx->conn, name, &e);
    ctx->locked = false;
}
