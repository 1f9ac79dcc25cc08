/* purge_fixture.c - see purge_fixture.h */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "fixture.h"
#include "purge_fixture.h"

static char *dir;
static char tpl[512];
static int seq;

time_t pf_now(void)
{
    struct tm tm = {.tm_year = 126, .tm_mon = 10, .tm_mday = 23, .tm_hour = 12};
    return timegm(&tm);
}

int pf_setup(void **state)
{
    (void)state;
    dir = fixture_dir_new();
    if (!dir)
        return -1;
    snprintf(tpl, sizeof(tpl), "%s/tpl.db", dir);
    char url[600];
    snprintf(url, sizeof(url), "sqlite:///%s", tpl);
    struct emc_ctx *ctx;
    struct emc_error err;
    if (emc_open(&ctx, url, NULL, false, 0, &err) < 0) {
        fprintf(stderr, "pf_setup: %s\n", err.msg);
        return -1;
    }
    int rc = emc_cmd_sync(ctx, NULL, &err);
    if (rc < 0)
        fprintf(stderr, "pf_setup: sync: %s\n", err.msg);
    emc_close(ctx);
    return rc < 0 ? -1 : 0;
}

int pf_teardown(void **state)
{
    (void)state;
    fixture_dir_free(dir);
    dir = NULL;
    return 0;
}

static void pf_log(void *ud, int level, const char *line)
{
    struct pf_capture *c = ud;
    if (c->nlogs < PF_MAX_LOGS) {
        c->levels[c->nlogs] = level;
        snprintf(c->logs[c->nlogs++], sizeof(c->logs[0]), "%s", line);
    }
}

static void pf_progress(void *ud, const struct emc_progress *p)
{
    struct pf_capture *c = ud;
    if (c->nprogress++ == 0)
        c->first_journal_rows =
            pf_int(c->ctx, "SELECT COALESCE(MAX(rows_done), -1) FROM emc_journal WHERE "
                           "kind = 'purge' AND outcome = 'running'");
    char j[620];
    snprintf(j, sizeof(j), "%s-journal", c->path);
    struct stat st;
    if (stat(j, &st) == 0)
        c->journal_file_seen = true;
    c->last = *p;
}

static bool pf_stop(void *ud)
{
    struct pf_capture *c = ud;
    return c->stop_after_progress > 0 && c->nprogress >= c->stop_after_progress;
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

struct emc_ctx *pf_open_copy(struct pf_capture *cap)
{
    char path[600], url[620];
    snprintf(path, sizeof(path), "%s/t%d.db", dir, ++seq);
    copy_file(tpl, path);
    snprintf(url, sizeof(url), "sqlite:///%s", path);
    struct emc_ctx *ctx;
    struct emc_error err;
    if (emc_open(&ctx, url, NULL, false, 0, &err) < 0)
        fail_msg("open %s: %s", url, err.msg);
    pf_capture_install(ctx, cap);
    snprintf(cap->path, sizeof(cap->path), "%s", path);
    return ctx;
}

void pf_capture_install(struct emc_ctx *ctx, struct pf_capture *cap)
{
    memset(cap, 0, sizeof(*cap));
    cap->ctx = ctx;
    ctx->cb = (struct emc_callbacks){
        .ud = cap, .on_log = pf_log, .on_progress = pf_progress, .should_stop = pf_stop};
}

const char *pf_ago(double days, char *buf)
{
    time_t t = pf_now() - (time_t)(days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%d %H:%M:%S.000000", &tm);
    return buf;
}

void pf_exec(struct emc_ctx *ctx, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    struct emc_error err;
    if (db_exec(ctx->conn, sql, &err) < 0)
        fail_msg("%s: %s", sql, err.msg);
}

int64_t pf_int(struct emc_ctx *ctx, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    int64_t v = -1;
    struct emc_error err;
    if (db_query_int(ctx->conn, sql, NULL, 0, &v, NULL, &err) < 0)
        fail_msg("%s: %s", sql, err.msg);
    return v;
}

void pf_image(struct emc_ctx *ctx, const char *id, double days)
{
    char c[32], d[32];
    if (days < 0)
        pf_exec(ctx,
                "INSERT INTO images (id, status, created_at, deleted, min_disk, min_ram) VALUES "
                "('%s', 'active', '%s', 0, 0, 0)",
                id, pf_ago(900, c));
    else
        pf_exec(ctx,
                "INSERT INTO images (id, status, created_at, deleted_at, deleted, min_disk, "
                "min_ram) VALUES ('%s', 'deleted', '%s', '%s', 1, 0, 0)",
                id, pf_ago(900, c), pf_ago(days, d));
}

void pf_child(struct emc_ctx *ctx, const char *table, const char *image, double days)
{
    static int k;
    char c[32], d[32];
    bool members = strcmp(table, "image_members") == 0;
    const char *col = strcmp(table, "image_properties") == 0 ? "name"
                      : members                              ? "member, can_share"
                                                             : "value";
    char deleted_at[48] = "NULL";
    if (days >= 0)
        snprintf(deleted_at, sizeof(deleted_at), "'%s'", pf_ago(days, d));
    pf_exec(ctx,
            "INSERT INTO %s (image_id, created_at, deleted_at, deleted, %s) VALUES ('%s', '%s', "
            "%s, %d, 'v%d'%s)",
            table, col, image, pf_ago(900, c), deleted_at, days >= 0, ++k, members ? ", 0" : "");
}

void pf_task(struct emc_ctx *ctx, const char *id, double days, bool with_info)
{
    char c[32], d[32];
    char deleted_at[48] = "NULL";
    if (days >= 0)
        snprintf(deleted_at, sizeof(deleted_at), "'%s'", pf_ago(days, d));
    pf_exec(ctx,
            "INSERT INTO tasks (id, type, status, owner, created_at, deleted_at, deleted) VALUES "
            "('%s', 'import', 'success', 'p', '%s', %s, %d)",
            id, pf_ago(900, c), deleted_at, days >= 0);
    if (with_info)
        pf_exec(ctx, "INSERT INTO task_info (task_id, input) VALUES ('%s', '{}')", id);
}

bool pf_logged(const struct pf_capture *c, int level, const char *substr)
{
    for (int i = 0; i < c->nlogs; i++)
        if ((level < 0 || c->levels[i] == level) && strstr(c->logs[i], substr))
            return true;
    return false;
}

const struct purge_table_preview *pf_preview_row(const struct purge_preview *pv, const char *t)
{
    for (int i = 0; i < pv->ntables; i++)
        if (strcmp(pv->t[i].table, t) == 0)
            return &pv->t[i];
    fail_msg("no preview row for %s", t);
    return NULL;
}

const struct purge_table_result *pf_result_row(const struct purge_result *r, const char *t)
{
    for (int i = 0; i < r->ntables; i++)
        if (strcmp(r->t[i].table, t) == 0)
            return &r->t[i];
    fail_msg("no result row for %s", t);
    return NULL;
}

struct keys_ud {
    char *s;
    size_t len;
};

static int keys_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct keys_ud *k = ud;
    const char *v = ncols > 0 && vals[0] ? vals[0] : "NULL";
    size_t l = strlen(v);
    char *ns = realloc(k->s, k->len + l + 2);
    assert_non_null(ns);
    k->s = ns;
    if (k->len)
        k->s[k->len++] = ',';
    memcpy(k->s + k->len, v, l + 1);
    k->len += l;
    return 0;
}

char *pf_keys(struct emc_ctx *ctx, const char *table)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT %s FROM %s ORDER BY 1",
             strcmp(table, "task_info") == 0 ? "task_id" : "id", table);
    struct keys_ud k = {0};
    struct emc_error err;
    if (db_query(ctx->conn, sql, NULL, 0, keys_cb, &k, NULL, &err) < 0)
        fail_msg("%s: %s", sql, err.msg);
    return k.s ? k.s : strdup("");
}
