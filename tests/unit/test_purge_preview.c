/* test_purge_preview.c - purge_validate (the reference's checks, order and words), the cutoff,
 * purge_preview on hand-written rows (buckets, oldest, eligible, capped, blocked), the refusal of
 * a database that is not under migration control, the foreign-key classification, and (on the
 * fake driver) that a missing DELETE privilege stops the run before any row or journal write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_driver.h"
#include "purge.h"
#include "purge_exec.h"
#include "purge_fixture.h"
#include "purge_scan.h"

static struct purge_opts opts(long age, int64_t max_rows)
{
    return (struct purge_opts){.age_in_days = age, .max_rows = max_rows, .batch_size = 1000};
}

static void expect_invalid(struct purge_opts o, time_t now, int cls, const char *msg)
{
    struct emc_error err;
    emc_error_clear(&err);
    assert_int_equal(purge_validate(&o, now, &err), -cls);
    assert_string_equal(err.msg, msg);
}

static void test_validate_order_and_words(void **state)
{
    (void)state;
    time_t now = pf_now(); /* noon: now / 86400 = d + 0.5 */
    long d = (long)(now / 86400);
    struct emc_error err;
    struct purge_opts ok = opts(30, 100);
    assert_int_equal(purge_validate(&ok, now, &err), 0);
    expect_invalid(opts(-1, 100), now, EMC_E_STATE, "Must supply a non-negative value for age.");
    expect_invalid(opts(-1, -2), now, EMC_E_STATE, "Must supply a non-negative value for age.");
    expect_invalid(opts(d + 1, -2), now, EMC_E_STATE, "Maximal age is count of days since epoch.");
    expect_invalid(opts(30, -2), now, EMC_E_STATE, "Minimal rows limit is -1.");
    expect_invalid(opts(30, 2147483648LL), now, EMC_E_STATE,
                   "'max_rows' value out of range, must not exceed 2147483647.");
    expect_invalid(opts(30, INT64_MAX), now, EMC_E_STATE,
                   "'max_rows' value out of range, must not exceed 2147483647.");
    /* a true division, as the reference's: d < d + 0.5 passes, d at midnight does not */
    struct purge_opts edge = opts(d, 2147483647LL);
    assert_int_equal(purge_validate(&edge, now, &err), 0);
    expect_invalid(opts(d, 0), (time_t)d * 86400, EMC_E_STATE,
                   "Maximal age is count of days since epoch.");
    struct purge_opts o = opts(30, -1);
    o.sleep_s = -1;
    assert_int_equal(purge_validate(&o, now, &err), -EMC_E_USAGE);
    o = opts(30, -1);
    o.batch_size = -5;
    assert_int_equal(purge_validate(&o, now, &err), -EMC_E_USAGE);
}

static void test_cutoff(void **state)
{
    (void)state;
    char buf[32];
    purge_cutoff(pf_now(), 30, buf, sizeof(buf));
    assert_string_equal(buf, "2026-10-24 12:00:00");
    purge_cutoff(pf_now(), 0, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-23 12:00:00");
}

static void test_preview_buckets_and_caps(void **state)
{
    (void)state;
    struct pf_capture cap;
    struct emc_ctx *ctx = pf_open_copy(&cap);
    pf_image(ctx, "img-1", -1);
    /* one row per bucket, a live row, a flagged row without deleted_at */
    pf_child(ctx, "image_tags", "img-1", 10);
    pf_child(ctx, "image_tags", "img-1", 40);
    pf_child(ctx, "image_tags", "img-1", 100);
    pf_child(ctx, "image_tags", "img-1", 200);
    pf_child(ctx, "image_tags", "img-1", 400);
    pf_child(ctx, "image_tags", "img-1", -1);
    pf_exec(ctx, "INSERT INTO image_tags (image_id, value, created_at, deleted) VALUES ('img-1', "
                 "'flag', '2020-01-01 00:00:00.000000', 1)");
    pf_task(ctx, "t-old", 100, true);
    pf_task(ctx, "t-new", 5, true);
    pf_task(ctx, "t-live", -1, true);
    struct purge_preview pv;
    struct emc_error err;
    struct purge_opts o = opts(30, 2);
    assert_int_equal(purge_preview(ctx, &o, pf_now(), &pv, &err), 0);
    assert_string_equal(pv.cutoff, "2026-10-24 12:00:00");
    assert_int_equal(pv.ntables, 7);
    static const char *const order[] = {"task_info",       "image_properties", "image_tags",
                                        "image_locations", "image_members",    "tasks",
                                        "images"};
    for (int i = 0; i < 7; i++)
        assert_string_equal(pv.t[i].table, order[i]);
    const struct purge_table_preview *t = pf_preview_row(&pv, "image_tags");
    assert_int_equal(t->soft_deleted, 6);
    for (int b = 0; b < PURGE_NBUCKETS; b++)
        assert_int_equal(t->buckets[b], 1);
    char oldest[32];
    pf_ago(400, oldest);
    oldest[19] = '\0';
    assert_string_equal(t->oldest, oldest);
    assert_int_equal(t->eligible, 4);
    assert_int_equal(t->would_delete, 2); /* capped by max_rows */
    assert_true(t->in_scope);
    const struct purge_table_preview *ti = pf_preview_row(&pv, "task_info");
    assert_int_equal(ti->soft_deleted, 2); /* infos of deleted tasks */
    assert_int_equal(ti->eligible, 1);
    assert_int_equal(ti->buckets[0], 1);
    assert_int_equal(ti->buckets[2], 1);
    const struct purge_table_preview *im = pf_preview_row(&pv, "images");
    assert_false(im->in_scope);
    assert_int_equal(im->would_delete, 0);
    /* -1: no cap; 0: nothing */
    o = opts(30, -1);
    assert_int_equal(purge_preview(ctx, &o, pf_now(), &pv, &err), 0);
    assert_int_equal(pf_preview_row(&pv, "image_tags")->would_delete, 4);
    o = opts(30, 0);
    assert_int_equal(purge_preview(ctx, &o, pf_now(), &pv, &err), 0);
    assert_int_equal(pf_preview_row(&pv, "image_tags")->would_delete, 0);
    assert_int_equal(pf_preview_row(&pv, "image_tags")->eligible, 4);
    emc_close(ctx);
}

static void test_preview_blocked_images(void **state)
{
    (void)state;
    struct pf_capture cap;
    struct emc_ctx *ctx = pf_open_copy(&cap);
    pf_image(ctx, "a-live-child", 200);
    pf_child(ctx, "image_members", "a-live-child", -1);
    pf_image(ctx, "b-free", 200);
    pf_image(ctx, "c-old-child", 200);
    pf_child(ctx, "image_properties", "c-old-child", 200);
    pf_image(ctx, "d-young-child", 200);
    pf_child(ctx, "image_locations", "d-young-child", 10);
    pf_image(ctx, "e-live", -1);
    pf_image(ctx, "f-recent", 20);
    struct purge_preview pv;
    struct emc_error err;
    /* purge_images_table: any child row blocks */
    struct purge_opts o = opts(180, -1);
    o.images_only = true;
    assert_int_equal(purge_preview(ctx, &o, pf_now(), &pv, &err), 0);
    const struct purge_table_preview *im = pf_preview_row(&pv, "images");
    assert_true(im->in_scope);
    assert_int_equal(im->soft_deleted, 5);
    assert_int_equal(im->eligible, 4);
    assert_int_equal(im->blocked, 3);
    assert_int_equal(im->would_delete, 1);
    assert_false(pf_preview_row(&pv, "image_properties")->in_scope);
    assert_int_equal(pf_preview_row(&pv, "image_properties")->would_delete, 0);
    /* db purge (age 30): only rows it keeps block (the live member, the 10-day location) */
    o = opts(30, -1);
    assert_int_equal(purge_preview(ctx, &o, pf_now(), &pv, &err), 0);
    im = pf_preview_row(&pv, "images");
    assert_int_equal(im->eligible, 4);
    assert_int_equal(im->blocked, 2);
    emc_close(ctx);
}

static void expect_same_preview(const struct purge_preview *a, const struct purge_preview *b)
{
    assert_int_equal(a->ntables, b->ntables);
    for (int i = 0; i < a->ntables; i++) {
        const struct purge_table_preview *x = &a->t[i], *y = &b->t[i];
        assert_string_equal(x->table, y->table);
        assert_int_equal(x->soft_deleted, y->soft_deleted);
        for (int k = 0; k < PURGE_NBUCKETS; k++)
            assert_int_equal(x->buckets[k], y->buckets[k]);
        assert_string_equal(x->oldest, y->oldest);
        assert_int_equal(x->eligible, y->eligible);
        assert_int_equal(x->would_delete, y->would_delete);
        assert_int_equal(x->blocked, y->blocked);
        assert_int_equal(x->in_scope, y->in_scope);
    }
}

/* the passes spread over two connections (two threads) give what one connection gives, for
 * both commands, whole or as a dry run's scope */
static void test_preview_two_connections(void **state)
{
    (void)state;
    struct pf_capture cap;
    struct emc_ctx *ctx = pf_open_copy(&cap);
    char id[40];
    for (int i = 0; i < 60; i++) {
        snprintf(id, sizeof(id), "img-%02d", i);
        pf_image(ctx, id, i % 3 ? 10.0 + 7 * i : -1);
        pf_child(ctx, "image_properties", id, i % 4 ? 10.0 + 7 * i : -1);
        pf_child(ctx, "image_tags", id, i % 5 ? 5.0 + 7 * i : -1);
        pf_child(ctx, "image_members", id, i % 7 ? 10.0 + 6 * i : -1);
        snprintf(id, sizeof(id), "task-%02d", i);
        pf_task(ctx, id, i % 2 ? 3.0 + 8 * i : -1, i % 3 == 0);
    }
    struct emc_error err;
    for (int images_only = 0; images_only < 2; images_only++) {
        for (int scope_only = 0; scope_only < 2; scope_only++) {
            struct purge_opts o = opts(images_only ? 180 : 30, 25);
            o.images_only = images_only;
            struct purge_preview one = {0}, two = {0};
            assert_int_equal(purge_scan(ctx, &o, pf_now(), scope_only, 1, &one, &err), 0);
            assert_int_equal(purge_scan(ctx, &o, pf_now(), scope_only, 2, &two, &err), 0);
            expect_same_preview(&one, &two);
            assert_int_equal(one.ntables, scope_only ? (images_only ? 1 : 6) : 7);
        }
    }
    /* the population has blocked images in both senses */
    struct purge_opts o = opts(30, -1);
    struct purge_preview two = {0};
    assert_int_equal(purge_scan(ctx, &o, pf_now(), false, 2, &two, &err), 0);
    assert_true(pf_preview_row(&two, "images")->blocked > 0);
    emc_close(ctx);
}

static void test_preview_refuses_uncontrolled_database(void **state)
{
    (void)state;
    struct pf_capture cap;
    struct emc_ctx *ctx = pf_open_copy(&cap);
    pf_exec(ctx, "DELETE FROM alembic_version");
    struct purge_preview pv;
    struct emc_error err;
    struct purge_opts o = opts(30, 100);
    assert_int_equal(purge_preview(ctx, &o, pf_now(), &pv, &err), -EMC_E_NOT_GLANCE);
    assert_non_null(strstr(err.msg, "not under migration control"));
    pf_exec(ctx, "INSERT INTO alembic_version VALUES ('no_such_rev01')");
    assert_int_equal(purge_preview(ctx, &o, pf_now(), &pv, &err), -EMC_E_REVISION);
    /* and validation comes first, before the database is read */
    o = opts(-1, 100);
    assert_int_equal(purge_preview(ctx, &o, pf_now(), &pv, &err), -EMC_E_STATE);
    emc_close(ctx);
}

static void test_fk_classification(void **state)
{
    (void)state;
    struct emc_error e = {.code = EMC_E_CONSTRAINT};
    snprintf(e.sqlstate, sizeof(e.sqlstate), "23503");
    assert_true(purge_is_fk_error(&e));
    e = (struct emc_error){.code = EMC_E_CONSTRAINT, .driver_code = 1451};
    assert_true(purge_is_fk_error(&e));
    e = (struct emc_error){.code = EMC_E_CONSTRAINT, .driver_code = 787};
    assert_true(purge_is_fk_error(&e));
    e = (struct emc_error){.code = EMC_E_CONSTRAINT, .driver_code = 1062};
    snprintf(e.sqlstate, sizeof(e.sqlstate), "23000");
    snprintf(e.msg, sizeof(e.msg), "Duplicate entry");
    assert_false(purge_is_fk_error(&e)); /* a unique violation is not the reference's case */
    e = (struct emc_error){.code = EMC_E_PERMISSION, .driver_code = 1451};
    assert_false(purge_is_fk_error(&e));
}

/* a fake database that looks like a synced Glance one */
static struct emc_ctx *fake_glance(void)
{
    fake_driver_install(NULL);
    static const char *const names[] = {"name"};
    static const char *const tables[] = {
        "alembic_version", "image_locations", "image_members", "image_properties",
        "image_tags",      "images",          "task_info",     "tasks"};
    static const char *const head[] = {"2024_1_contract01"};
    fake_script_int("count(*) FROM sqlite_master", 1, 0);
    fake_script_rows("SELECT name FROM sqlite_master", 1, names, 8, tables, 0, 0);
    fake_script_rows("FROM alembic_version", 1, names, 1, head, 0, 0);
    struct emc_ctx *ctx = calloc(1, sizeof(*ctx));
    assert_non_null(ctx);
    struct emc_error err;
    fake_url(&ctx->url);
    assert_int_equal(db_connect(&ctx->conn, &ctx->url, 0, &err), 0);
    assert_int_equal(migset_load_embedded(&ctx->ms, &err), 0);
    ctx->dialect = "sqlite";
    ctx->batch_size = 1000;
    return ctx;
}

/* close_fake: the end of a fake_glance context, and of the fake's state */
static void close_fake(struct emc_ctx *ctx)
{
    db_close(ctx->conn);
    migset_free(ctx->ms);
    free(ctx);
    fake_driver_reset();
}

static void test_no_delete_right_stops_before_anything(void **state)
{
    (void)state;
    for (int images_only = 0; images_only < 2; images_only++) {
        struct emc_ctx *ctx = fake_glance();
        const char *first = images_only ? "images" : "task_info";
        char probe[96];
        snprintf(probe, sizeof(probe), "DELETE FROM %s WHERE 1 = 0", first);
        fake_fail_matching(probe, EMC_E_PERMISSION, 0);
        struct purge_opts o = opts(30, -1);
        o.images_only = images_only;
        struct purge_result res;
        struct emc_error err;
        assert_int_equal(purge_run(ctx, &o, pf_now(), &res, &err), -EMC_E_PERMISSION);
        char want[128];
        snprintf(want, sizeof(want), "may not delete rows from table %s", first);
        assert_non_null(strstr(err.msg, want));
        assert_int_equal(fake_log_count_matching("emc_journal"), 0);
        assert_int_equal(fake_log_count_matching("deleted_at <"), 0);
        assert_int_equal(fake_calls(FAKE_COMMIT), 0);
        assert_int_equal(fake_calls(FAKE_LOCK_RELEASE), fake_calls(FAKE_LOCK_TRY));
        emc_close(ctx);
        fake_driver_reset();
    }
}

/* tab_named: the purge table called name (the test fails when there is none) */
static const struct purge_tab *tab_named(const char *name)
{
    const struct purge_tab *pt = NULL;
    for (int i = 0; i < PURGE_NTABS; i++)
        if (strcmp(purge_tabs[i].name, name) == 0)
            pt = &purge_tabs[i];
    assert_non_null(pt);
    return pt;
}

/* SQLite, every row wanted: the keys are read a chunk of rowids a statement, outside any
 * transaction (one statement over the whole table would hold the read lock that every
 * writer's commit waits for), then deleted in (image_id, id) order as before */
static void test_sqlite_keys_read_in_chunks(void **state)
{
    (void)state;
    struct emc_ctx *ctx = fake_glance();
    const struct purge_tab *pt = tab_named("image_properties");
    fake_script_int("SELECT MAX(rowid) FROM image_properties", 25, 0);
    static const char *const names[] = {"id", "image_id"};
    static const char *const c1[] = {"3", "b", "1", "a"};
    static const char *const c2[] = {"12", "a"};
    static const char *const c3[] = {"21", "c"};
    fake_script_rows("x.rowid > ?", 2, names, 2, c1, 0, 1);
    fake_script_rows("x.rowid > ?", 2, names, 1, c2, 0, 1);
    fake_script_rows("x.rowid > ?", 2, names, 1, c3, 0, 1);
    struct purge_opts o = {.age_in_days = 30, .max_rows = -1, .batch_size = 1000, .key_chunk = 10};
    struct purge_table_result tr = {0};
    struct emc_error err;
    assert_int_equal(purge_exec_table(ctx, pt, &o, "2026-01-01 00:00:00", 0, &tr, &err), 0);
    assert_int_equal(fake_log_count_matching("x.rowid > ?"), 3);
    long c = fake_log_find("x.rowid > ?", 0);
    assert_string_equal(fake_log_params_at((size_t)c), "0, 10, '2026-01-01 00:00:00'");
    c = fake_log_find("x.rowid > ?", (size_t)c + 1);
    assert_string_equal(fake_log_params_at((size_t)c), "10, 20, '2026-01-01 00:00:00'");
    c = fake_log_find("x.rowid > ?", (size_t)c + 1);
    assert_string_equal(fake_log_params_at((size_t)c), "20, 30, '2026-01-01 00:00:00'");
    assert_true(fake_log_find("BEGIN", 0) > c); /* no transaction around the reads */
    assert_true(fake_log_find("DELETE FROM image_properties WHERE id IN (1, 12, 3, 21)", 0) > c);
    /* a limited purge keeps the reference's one query (the oldest max_rows rows) */
    o.max_rows = 2;
    assert_int_equal(purge_exec_table(ctx, pt, &o, "2026-01-01 00:00:00", 0, &tr, &err), 0);
    assert_int_equal(fake_log_count_matching("x.rowid > ?"), 3);
    assert_true(fake_log_find("ORDER BY x.deleted_at, x.id LIMIT 2", 0) > c);
    close_fake(ctx);
}

/* On SQLite, purge_images_table's count of blocked images reads the images 10,000 rowids a
 * statement, outside any transaction, and adds the chunks up: one statement over the table
 * held the read lock, which stops every writer's commit, for about 3 s at 1M images */
static void test_sqlite_blocked_count_in_chunks(void **state)
{
    (void)state;
    struct emc_ctx *ctx = fake_glance();
    fake_script_int("SELECT MAX(rowid) FROM images", 25000, 0);
    fake_script_int("i.rowid > ?", 1, 1);
    fake_script_int("i.rowid > ?", 2, 1);
    fake_script_int("i.rowid > ?", 3, 1);
    int64_t n = 0;
    struct emc_error err;
    assert_int_equal(purge_count_blocked(ctx, "2026-01-01 00:00:00", NULL, &n, &err), 0);
    assert_int_equal(n, 6);
    assert_int_equal(fake_log_count_matching("i.rowid > ?"), 3);
    const char *want[] = {"0, 10000, '2026-01-01 00:00:00'", "10000, 20000, '2026-01-01 00:00:00'",
                          "20000, 30000, '2026-01-01 00:00:00'"};
    long c = -1;
    for (int i = 0; i < 3; i++) {
        c = fake_log_find("i.rowid > ?", (size_t)(c + 1));
        assert_true(c >= 0);
        assert_string_equal(fake_log_params_at((size_t)c), want[i]);
        assert_non_null(strstr(fake_log_at((size_t)c), "NOT (NOT EXISTS"));
    }
    assert_int_equal(fake_log_count_matching("BEGIN"), 0); /* each read on its own */
    close_fake(ctx);
}

/* count_between: log entries containing what between entries a and b (exclusive) */
static int count_between(const char *what, long a, long b)
{
    int n = 0;
    for (long i = a + 1; i < b; i++)
        n += strstr(fake_log_at((size_t)i), what) != NULL;
    return n;
}

/* a fake server of dialect ("postgresql" or "mysql": both have a statement timeout) whose
 * tasks table has n soft-deleted rows, keys "t0000".."t{n-1}" */
static struct emc_ctx *fake_server_tasks(const char *dialect, int n, char (*keybuf)[8],
                                         const char **keys)
{
    static struct db_caps caps = {
        .placeholder = DB_PH_QMARK, .advisory_locks = true, .lock_timeout = true};
    caps.dialect = dialect;
    caps.ident_quote = strcmp(dialect, "mysql") == 0 ? '`' : '"';
    struct emc_ctx *ctx = fake_glance();
    db_close(ctx->conn);
    fake_driver_install(&caps);
    struct emc_error err;
    assert_int_equal(db_connect(&ctx->conn, &ctx->url, 0, &err), 0);
    ctx->dialect = dialect;
    for (int i = 0; i < n; i++) {
        snprintf(keybuf[i], 8, "t%04d", i);
        keys[i] = keybuf[i];
    }
    static const char *const names[] = {"k"};
    fake_script_rows("FROM tasks x WHERE x.deleted_at < ?", 1, names, n, keys, 0, 1);
    return ctx;
}

/* On MariaDB, a batched purge_images_table of every eligible image reads the keys without the
 * four probes per image, and deletes without the check until the foreign keys refuse a batch:
 * that batch is rolled back and runs again with the check, as does every batch after it (no
 * retry counted, no warning of a race); the images the checked batches leave are counted as
 * blocked, with the warning, after the table. With a max_rows or on another backend the caller
 * counts them first (purge_blocked_in_batches false). */
static void test_mysql_blocked_found_by_the_batches(void **state)
{
    (void)state;
    static char keybuf[1][8];
    static const char *keys[1];
    struct emc_ctx *ctx = fake_server_tasks("mysql", 0, keybuf, keys);
    struct pf_capture cap;
    pf_capture_install(ctx, &cap);
    const struct purge_tab *pt = tab_named("images");
    static const char *const names[] = {"k"};
    static const char *const rows[] = {"img-a", "img-b", "img-c", "img-d", "img-e"};
    fake_script_rows("SELECT x.id AS k FROM images x WHERE x.deleted_at < ? ORDER BY", 1, names, 5,
                     rows, 0, 1);
    /* the first DELETE is refused by a foreign key; the checked one leaves 3 of the 5 */
    fake_fail_matching("DELETE FROM images", EMC_E_CONSTRAINT, 1);
    fake_script_rows("DELETE FROM images", 0, NULL, 0, NULL, 2, 1);
    struct purge_opts o = {
        .age_in_days = 180, .max_rows = -1, .batch_size = 100, .images_only = true};
    assert_true(purge_blocked_in_batches(ctx, &o));
    struct purge_table_result tr = {0};
    struct emc_error err;
    assert_int_equal(purge_exec_table(ctx, pt, &o, "2026-01-01 00:00:00", 0, &tr, &err), 0);
    long d1 = fake_log_find("DELETE FROM images", 0);
    assert_true(d1 > 0);
    long d2 = fake_log_find("DELETE FROM images", (size_t)d1 + 1);
    assert_true(d2 > d1);
    assert_null(strstr(fake_log_at((size_t)d1), "NOT EXISTS"));
    assert_non_null(strstr(fake_log_at((size_t)d2), "NOT EXISTS"));
    assert_int_equal(count_between("ROLLBACK", d1, d2), 1);
    assert_int_equal(fake_log_find("DELETE FROM images", (size_t)d2 + 1), -1);
    assert_int_equal(tr.deleted, 2);
    assert_int_equal(tr.blocked, 3);
    assert_true(pf_logged(&cap, EMC_LOG_WARNING, "Skipping 3 image(s)"));
    assert_false(pf_logged(&cap, EMC_LOG_WARNING, "became referenced"));
    o.max_rows = 10; /* the limit counts images that can go: the count comes first */
    assert_false(purge_blocked_in_batches(ctx, &o));
    o.max_rows = -1;
    ctx->dialect = "postgresql";
    assert_false(purge_blocked_in_batches(ctx, &o));
    ctx->dialect = "mysql";
    o.batch_size = 0; /* the reference's mode: one DELETE */
    assert_false(purge_blocked_in_batches(ctx, &o));
    close_fake(ctx);
}

/* On PostgreSQL, each statement of a paced batch runs under a statement timeout that ends
 * 0.45 s after the batch's BEGIN (0.2 s at the least), after a SAVEPOINT unless it is the first. A
 * later statement cancelled so is rolled back to its savepoint; the batch commits what came before
 * and ends there, and the next batch goes on from the cancelled statement's first key with
 * statements half as large. The journal's update and the commit run without the cap. */
static void test_server_statement_cap_commits_what_came_before(void **state)
{
    (void)state;
    enum { N = 2500 };
    static char keybuf[N][8];
    static const char *keys[N];
    struct emc_ctx *ctx = fake_server_tasks("postgresql", N, keybuf, keys);
    const struct purge_tab *pt = tab_named("tasks");
    /* query 1 reads the keys; 2 and 3 are the first batch's statements of 1000 keys each */
    fake_fail_nth(FAKE_QUERY, 3, EMC_E_STMT_TIMEOUT);
    struct purge_opts o = {
        .age_in_days = 30, .max_rows = -1, .batch_size = 5000, .target_txn_s = 0.2};
    struct purge_table_result tr = {0};
    struct emc_error err;
    assert_int_equal(purge_exec_table(ctx, pt, &o, "2026-01-01 00:00:00", 0, &tr, &err), 0);
    const char *del = "DELETE FROM tasks WHERE id IN";
    long d1 = fake_log_find(del, 0), d2 = fake_log_find(del, (size_t)d1 + 1);
    long d3 = fake_log_find(del, (size_t)d2 + 1);
    assert_true(d1 > 0 && d2 > d1 && d3 > d2);
    /* the first statement: a cap, no savepoint */
    assert_int_equal(fake_log_fn_at((size_t)d1 - 1), FAKE_SET_STMT_TIMEOUT);
    assert_int_equal(count_between("SAVEPOINT", 0, d1), 0);
    int ms = 0;
    assert_int_equal(sscanf(fake_log_at((size_t)d1 - 1), "STMT_TIMEOUT %d", &ms), 1);
    assert_true(ms > 400 && ms <= 450);
    /* the second: a cap, a savepoint, cancelled, rolled back to it, the cap lifted, a commit */
    assert_int_equal(fake_log_fn_at((size_t)d2 - 2), FAKE_SET_STMT_TIMEOUT);
    assert_string_equal(fake_log_at((size_t)d2 - 1), "SAVEPOINT emc_stmt");
    assert_string_equal(fake_log_at((size_t)d2 + 1), "ROLLBACK TO SAVEPOINT emc_stmt");
    assert_string_equal(fake_log_at((size_t)d2 + 2), "STMT_TIMEOUT 0");
    assert_string_equal(fake_log_at((size_t)d2 + 3), "COMMIT");
    /* the first batch kept its first 1000 keys; the next goes on from t1000, 500 at a time */
    assert_int_equal(tr.batches, 2);
    assert_int_equal(count_between("ROLLBACK", 0, (long)fake_log_count()), 1);
    const char *p3 = fake_log_params_at((size_t)d3);
    assert_non_null(strstr(p3, "'t1000'"));
    assert_non_null(strstr(p3, "'t1499'"));
    assert_null(strstr(p3, "'t1500'"));
    assert_null(strstr(p3, "'t0999'"));
    close_fake(ctx);

    /* MariaDB has the same timeout, but the purge leaves it off there (purge_exec.c) */
    ctx = fake_server_tasks("mysql", N, keybuf, keys);
    memset(&tr, 0, sizeof(tr));
    assert_int_equal(purge_exec_table(ctx, pt, &o, "2026-01-01 00:00:00", 0, &tr, &err), 0);
    assert_int_equal(fake_log_count_matching("DELETE FROM tasks"), 3);
    assert_int_equal(fake_calls(FAKE_SET_STMT_TIMEOUT), 0);
    assert_int_equal(fake_log_count_matching("SAVEPOINT"), 0);
    close_fake(ctx);
}

/* A first statement cancelled by the cap fails its batch (rolled back) and the batch runs
 * again after a backoff, within the lock retries; when they are spent, the error says what
 * the cancellations mean and that a re-run continues. So for a lock wait past --lock-timeout. */
static void test_server_batch_cancelled_past_retries(void **state)
{
    (void)state;
    enum { N = 300 };
    static char keybuf[N][8];
    static const char *keys[N];
    struct emc_ctx *ctx = fake_server_tasks("postgresql", N, keybuf, keys);
    ctx->lock_retries = 2;
    const struct purge_tab *pt = tab_named("tasks");
    fake_fail_matching("DELETE FROM tasks", EMC_E_STMT_TIMEOUT, 0);
    struct purge_opts o = {
        .age_in_days = 30, .max_rows = -1, .batch_size = 5000, .target_txn_s = 0.2};
    struct purge_table_result tr = {0};
    struct emc_error err;
    assert_int_equal(purge_exec_table(ctx, pt, &o, "2026-01-01 00:00:00", 0, &tr, &err),
                     -EMC_E_STMT_TIMEOUT);
    assert_int_equal(fake_log_count_matching("DELETE FROM tasks"), 3);
    assert_int_equal(fake_calls(FAKE_ROLLBACK), 3);
    assert_int_equal(fake_calls(FAKE_COMMIT), 0);
    assert_int_equal(fake_log_count_matching("SAVEPOINT"), 0);
    assert_int_equal(tr.deleted, 0);
    assert_non_null(strstr(err.msg, "a batch of tasks was cancelled 3 time(s) at the statement "
                                    "cap"));
    assert_non_null(strstr(err.msg, "running the command again continues"));
    /* the cap is lifted after each rollback */
    long r = -1;
    for (int i = 0; i < 3; i++) {
        r = fake_log_find("ROLLBACK", (size_t)r + 1);
        assert_string_equal(fake_log_at((size_t)r + 1), "STMT_TIMEOUT 0");
    }
    close_fake(ctx);

    /* a row lock waited on past --lock-timeout, every time: the same, with its own words */
    ctx = fake_server_tasks("mysql", N, keybuf, keys);
    ctx->lock_retries = 1;
    ctx->lock_timeout_ms = 3000;
    fake_fail_matching("DELETE FROM tasks", EMC_E_LOCK_TIMEOUT, 0);
    assert_int_equal(purge_exec_table(ctx, pt, &o, "2026-01-01 00:00:00", 0, &tr, &err),
                     -EMC_E_LOCK_TIMEOUT);
    assert_int_equal(fake_log_count_matching("DELETE FROM tasks"), 2);
    assert_non_null(strstr(err.msg, "a batch of tasks waited more than --lock-timeout (3 s) 2 "
                                    "time(s) ("));
    assert_non_null(strstr(err.msg, "another session holds locks on these rows; nothing of that "
                                    "batch was kept, and running the command again continues"));
    close_fake(ctx);
}

/* On SQLite, by default, the pause between batches watches other connections' commits
 * (PRAGMA data_version, every 5 ms): once one commits, the pause ends at the next poll that
 * sees no further commit, except every eighth pause in a row while others write, which runs
 * its full 24 polls for a second waiting service; when nobody commits, it lasts 24 polls after
 * a pause in which somebody did (a service is likely waiting for the lock and polls up to 100
 * ms apart), else 10 */
static void test_sqlite_pause_follows_writers(void **state)
{
    (void)state;
    struct emc_ctx *ctx = fake_glance();
    const struct purge_tab *pt = tab_named("image_properties");
    enum { NB = 12 };
    static const char *const names[] = {"id", "image_id"};
    static char keybuf[NB][2][8];
    const char *keys[NB * 2];
    for (int i = 0; i < NB; i++) {
        snprintf(keybuf[i][0], sizeof(keybuf[i][0]), "%d", i + 1);
        snprintf(keybuf[i][1], sizeof(keybuf[i][1]), "i%02d", i);
        keys[2 * i] = keybuf[i][0];
        keys[2 * i + 1] = keybuf[i][1];
    }
    fake_script_rows("ORDER BY x.deleted_at", 2, names, NB, keys, 0, 1);
    /* the data_version each read returns: a pause reads once before its first poll, then once
     * a poll; reads[i] is how many pause i + 1 makes */
    int64_t v = 1;
    int nreads = 0;
    int reads[NB - 1];
#define READ(x) (fake_script_int("PRAGMA data_version", (x), 1), nreads++)
    /* pause 1, nobody wrote before: a commit at poll 2, none at poll 3: it ends */
    READ(v), READ(v), READ(v + 1), READ(v + 1), v++;
    reads[0] = 4;
    /* pauses 2 to 8, others wrote in the pause before: a commit at once, none next */
    for (int i = 1; i < 8; i++, v++) {
        READ(v), READ(v + 1), READ(v + 1);
        reads[i] = 3;
    }
    /* pause 9, the eighth in a row while others write: a commit at once, yet 24 polls */
    READ(v), READ(v + 1), v++;
    for (int i = 0; i < 23; i++)
        READ(v);
    reads[8] = 25;
    /* pause 10: nobody commits after a pause in which somebody did: 24 polls */
    for (int i = 0; i < 25; i++)
        READ(v);
    reads[9] = 25;
    /* pause 11: nobody commits, nor did in the last pause: 10 polls */
    for (int i = 0; i < 11; i++)
        READ(v);
    reads[10] = 11;
#undef READ
    struct purge_opts o = {
        .age_in_days = 30, .max_rows = 100, .batch_size = 1, .yield_writers = true};
    struct purge_table_result tr = {0};
    struct emc_error err;
    assert_int_equal(purge_exec_table(ctx, pt, &o, "2026-01-01 00:00:00", 0, &tr, &err), 0);
    long d[NB];
    for (int i = 0; i < NB; i++) {
        char want[64];
        snprintf(want, sizeof(want), "DELETE FROM image_properties WHERE id IN (%d)", i + 1);
        d[i] = fake_log_find(want, 0);
        assert_true(d[i] >= 0);
    }
    const char *dv = "PRAGMA data_version";
    assert_int_equal(count_between(dv, 0, d[0]), 0); /* no pause before the first batch */
    for (int i = 0; i < NB - 1; i++)
        assert_int_equal(count_between(dv, d[i], d[i + 1]), reads[i]);
    assert_int_equal(fake_log_count_matching(dv), nreads);
    /* --sleep given (or another backend): no polling */
    size_t before = fake_log_count_matching(dv);
    fake_script_rows("ORDER BY x.deleted_at", 2, names, NB, keys, 0, 1);
    o.yield_writers = false;
    assert_int_equal(purge_exec_table(ctx, pt, &o, "2026-01-01 00:00:00", 0, &tr, &err), 0);
    assert_int_equal(fake_log_count_matching(dv), before);
    close_fake(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_order_and_words),
        cmocka_unit_test(test_cutoff),
        cmocka_unit_test(test_preview_buckets_and_caps),
        cmocka_unit_test(test_preview_blocked_images),
        cmocka_unit_test(test_preview_two_connections),
        cmocka_unit_test(test_preview_refuses_uncontrolled_database),
        cmocka_unit_test(test_fk_classification),
        cmocka_unit_test(test_no_delete_right_stops_before_anything),
        cmocka_unit_test(test_sqlite_keys_read_in_chunks),
        cmocka_unit_test(test_sqlite_pause_follows_writers),
        cmocka_unit_test(test_server_statement_cap_commits_what_came_before),
        cmocka_unit_test(test_server_batch_cancelled_past_retries),
        cmocka_unit_test(test_sqlite_blocked_count_in_chunks),
        cmocka_unit_test(test_mysql_blocked_found_by_the_batches),
    };
    return cmocka_run_group_tests(tests, pf_setup, pf_teardown);
}
