/* test_purge_run.c - purge_run on real SQLite databases: which rows go (deleted_at < cutoff,
 * oldest first, ties by key, max_rows per table, -1 all, 0 none, the deleted flag ignored),
 * the task_info rule, images only through purge_images_table with blocked images skipped and
 * max_rows counting the images that can go, batched mode deleting the same rows as the
 * reference's mode with progress and a stop between batches, the reference's words on a
 * foreign-key failure with the transaction rolled back, dry runs, the log lines and the
 * journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "purge.h"
#include "purge_fixture.h"

static struct purge_opts opts(long age, int64_t max_rows, int batch)
{
    return (struct purge_opts){.age_in_days = age, .max_rows = max_rows, .batch_size = batch};
}

static void expect_keys(struct emc_ctx *ctx, const char *table, const char *want)
{
    char *got = pf_keys(ctx, table);
    assert_string_equal(got, want);
    free(got);
}

static int run(struct emc_ctx *ctx, struct purge_opts o, struct purge_result *res)
{
    struct emc_error err;
    emc_error_clear(&err);
    return purge_run(ctx, &o, pf_now(), res, &err);
}

/* properties of one live image: ids 1..8 with these ages (days; -1 live) */
static void seed_properties(struct emc_ctx *ctx)
{
    static const double ages[] = {50, 300, 10, 45, -1, 300, 31, 29};
    pf_image(ctx, "img", -1);
    for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++)
        pf_child(ctx, "image_properties", "img", ages[i]);
    /* id 9: old deleted_at but deleted = 0 (the reference does not look at the flag) */
    char c[32], d[32];
    pf_exec(ctx,
            "INSERT INTO image_properties (image_id, name, created_at, deleted_at, deleted) "
            "VALUES ('img', 'x', '%s', '%s', 0)",
            pf_ago(900, c), pf_ago(500, d));
}

static void test_which_rows_go(void **state)
{
    (void)state;
    for (int batch = 0; batch <= 2; batch += 2) {
        struct pf_capture cap;
        struct purge_result res;
        struct emc_ctx *ctx = pf_open_copy(&cap);
        seed_properties(ctx);
        /* eligible at 30 days, oldest first: 9 (500), 2 and 6 (300, tie by id), 1, 4, 7 */
        assert_int_equal(run(ctx, opts(30, 2, batch), &res), 0);
        expect_keys(ctx, "image_properties", "1,3,4,5,6,7,8");
        assert_int_equal(pf_result_row(&res, "image_properties")->deleted, 2);
        assert_int_equal(run(ctx, opts(30, 2, batch), &res), 0);
        expect_keys(ctx, "image_properties", "3,4,5,7,8");
        assert_int_equal(run(ctx, opts(30, 0, batch), &res), 0);
        expect_keys(ctx, "image_properties", "3,4,5,7,8");
        assert_int_equal(run(ctx, opts(30, -1, batch), &res), 0);
        expect_keys(ctx, "image_properties", "3,5,8");
        assert_int_equal(pf_result_row(&res, "image_properties")->deleted, 2);
        expect_keys(ctx, "images", "img");
        assert_int_equal(res.ntables, 6); /* images are not db purge's */
        emc_close(ctx);
    }
}

static void test_task_info_rule(void **state)
{
    (void)state;
    struct pf_capture cap;
    struct purge_result res;
    struct emc_ctx *ctx = pf_open_copy(&cap);
    pf_task(ctx, "t1-old", 100, true);
    pf_task(ctx, "t2-older", 200, true);
    pf_task(ctx, "t3-young", 5, true);
    pf_task(ctx, "t4-live", -1, true);
    pf_task(ctx, "t5-noinfo", 300, false);
    /* max_rows 1: the info of the oldest task with one; the oldest task (which has none) */
    assert_int_equal(run(ctx, opts(30, 1, 0), &res), 0);
    expect_keys(ctx, "task_info", "t1-old,t3-young,t4-live");
    expect_keys(ctx, "tasks", "t1-old,t2-older,t3-young,t4-live");
    assert_int_equal(run(ctx, opts(30, -1, 3), &res), 0);
    expect_keys(ctx, "task_info", "t3-young,t4-live");
    expect_keys(ctx, "tasks", "t3-young,t4-live");
    assert_string_equal(res.t[0].table, "task_info");
    assert_string_equal(res.t[5].table, "tasks");
    emc_close(ctx);
}

static void populate(struct emc_ctx *ctx, int n)
{
    char id[32];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "img-%03d", i);
        pf_image(ctx, id, i % 3 == 0 ? -1 : 20 + (i * 7) % 400);
        pf_child(ctx, "image_properties", id,
                 i % 3 == 0 ? (i % 2 ? 40 + i : -1) : 20 + (i * 7) % 400);
        pf_child(ctx, "image_tags", id, i % 3 == 0 ? -1 : 20 + (i * 7) % 400);
        snprintf(id, sizeof(id), "task-%03d", i);
        pf_task(ctx, id, i % 2 ? 15 + i * 3 : -1, true);
    }
}

/* the same rows of table are left in a and in b */
static void expect_same_keys(struct emc_ctx *a, struct emc_ctx *b, const char *table)
{
    char *ka = pf_keys(a, table), *kb = pf_keys(b, table);
    assert_string_equal(ka, kb);
    free(ka);
    free(kb);
}

static void test_batched_same_rows_with_progress(void **state)
{
    (void)state;
    struct pf_capture ca, cb;
    struct purge_result ra, rb;
    struct emc_ctx *a = pf_open_copy(&ca), *b = pf_open_copy(&cb);
    populate(a, 60);
    populate(b, 60);
    assert_int_equal(run(a, opts(60, 25, 0), &ra), 0);
    assert_int_equal(run(b, opts(60, 25, 4), &rb), 0);
    static const char *const tabs[] = {"task_info", "image_properties", "image_tags", "tasks"};
    for (int i = 0; i < 4; i++) {
        expect_same_keys(a, b, tabs[i]);
        assert_int_equal(pf_result_row(&ra, tabs[i])->deleted,
                         pf_result_row(&rb, tabs[i])->deleted);
        assert_int_equal(pf_result_row(&ra, tabs[i])->batches, 1);
    }
    const struct purge_table_result *p = pf_result_row(&rb, "image_properties");
    assert_int_equal(p->deleted, 25);
    assert_int_equal(p->batches, 7); /* ceil(25 / 4) */
    assert_true(p->longest_txn_s > 0);
    int64_t batches = 0;
    for (int i = 0; i < rb.ntables; i++)
        batches += rb.t[i].batches;
    assert_int_equal(cb.nprogress, batches); /* one report per batch */
    assert_string_equal(cb.last.what, "tasks");
    assert_int_equal(cb.last.done, cb.last.total);
    assert_int_equal(ca.nprogress, 0); /* the reference's mode has no batches to report */
    emc_close(a);
    emc_close(b);
}

/* every row wanted (max_rows -1): batched mode reads the keys a few rowids a statement and
 * deletes exactly the rows the reference's mode deletes, images included */
static void test_chunked_key_reads_same_rows(void **state)
{
    (void)state;
    struct pf_capture ca, cb;
    struct purge_result ra, rb;
    struct emc_ctx *a = pf_open_copy(&ca), *b = pf_open_copy(&cb);
    populate(a, 60);
    populate(b, 60);
    struct purge_opts oa = opts(60, -1, 0), ob = opts(60, -1, 4);
    ob.key_chunk = 5;
    for (int images = 0; images <= 1; images++) {
        oa.images_only = ob.images_only = images;
        assert_int_equal(run(a, oa, &ra), 0);
        assert_int_equal(run(b, ob, &rb), 0);
        assert_int_equal(ra.ntables, rb.ntables);
        for (int i = 0; i < ra.ntables; i++)
            assert_int_equal(ra.t[i].deleted, rb.t[i].deleted);
    }
    static const char *const tabs[] = {"task_info",     "image_properties", "image_tags",
                                       "image_members", "image_locations",  "tasks",
                                       "images"};
    for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++)
        expect_same_keys(a, b, tabs[i]);
    assert_true(pf_result_row(&rb, "images")->deleted > 0);
    emc_close(a);
    emc_close(b);
}

static void test_stop_between_batches(void **state)
{
    (void)state;
    struct pf_capture cap;
    struct purge_result res;
    struct emc_ctx *ctx = pf_open_copy(&cap);
    populate(ctx, 60);
    char cutoff[32];
    purge_cutoff(pf_now(), 30, cutoff, sizeof(cutoff));
    /* what should go first: whole batches of the chosen rows, in key order */
    char *all = pf_keys(ctx, "task_info");
    pf_exec(ctx,
            "CREATE TABLE expect AS SELECT task_id FROM task_info WHERE task_id NOT IN (SELECT "
            "ti.task_id FROM task_info ti JOIN tasks t ON t.id = ti.task_id WHERE t.deleted_at < "
            "'%s' ORDER BY ti.task_id LIMIT 10)",
            cutoff);
    cap.stop_after_progress = 2;
    struct emc_error err;
    struct purge_opts o = opts(30, -1, 5);
    assert_int_equal(purge_run(ctx, &o, pf_now(), &res, &err), -EMC_E_INTERRUPTED);
    assert_true(res.interrupted);
    assert_int_equal(res.t[0].deleted, 10);
    assert_int_equal(res.t[0].batches, 2);
    assert_int_equal(res.t[1].deleted, 0);
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM task_info"),
                     pf_int(ctx, "SELECT COUNT(*) FROM expect"));
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM task_info WHERE task_id NOT IN (SELECT "
                                 "task_id FROM expect)"),
                     0);
    char *left = pf_keys(ctx, "task_info");
    assert_string_not_equal(all, left);
    free(all);
    free(left);
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "outcome = 'interrupted'"),
                     1);
    /* the same command again finishes the job */
    cap.stop_after_progress = 0;
    assert_int_equal(run(ctx, opts(30, -1, 5), &res), 0);
    /* as a run of its own, in the same context: the first keeps its outcome */
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "outcome = 'interrupted'"),
                     1);
    assert_int_equal(pf_int(ctx, "SELECT COUNT(DISTINCT run_id) FROM emc_journal WHERE kind = "
                                 "'run' AND command = 'purge'"),
                     2);
    assert_int_equal(pf_int(ctx,
                            "SELECT COUNT(*) FROM task_info ti JOIN tasks t ON t.id = "
                            "ti.task_id WHERE t.deleted_at < '%s'",
                            cutoff),
                     0);
    emc_close(ctx);
}

/* many eligible rows of one image, deleted 300 days ago */
static void many_properties(struct emc_ctx *ctx, int n)
{
    pf_image(ctx, "many", -1);
    char c[32], d[32];
    pf_exec(ctx,
            "INSERT INTO image_properties (image_id, name, created_at, deleted_at, deleted) WITH "
            "RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < %d) SELECT "
            "'many', 'p' || x, '%s', '%s', 1 FROM s",
            n, pf_ago(900, c), pf_ago(300, d));
}

/* purge_many: a fresh copy holding n such rows, purged with o (which must succeed); the
 * image_properties row of the result, and *left = the rows that remain */
static struct purge_table_result purge_many(int n, struct purge_opts o, int64_t *left)
{
    struct pf_capture cap;
    struct purge_result res;
    struct emc_ctx *ctx = pf_open_copy(&cap);
    many_properties(ctx, n);
    assert_int_equal(run(ctx, o, &res), 0);
    struct purge_table_result t = *pf_result_row(&res, "image_properties");
    *left = pf_int(ctx, "SELECT COUNT(*) FROM image_properties");
    emc_close(ctx);
    return t;
}

static void test_batch_size_adapts(void **state)
{
    (void)state;
    int64_t left;
    /* fast transactions against a long target: 100, 150, 225, 337, 505, then the 183 left */
    struct purge_opts o = opts(30, -1, 100);
    o.target_txn_s = 1000;
    struct purge_table_result t = purge_many(1500, o, &left);
    assert_int_equal(t.deleted, 1500);
    assert_int_equal(t.batches, 6);
    assert_int_equal(t.max_batch, 505);
    assert_int_equal(left, 0);
    /* slow ones against a tiny target: 400 in one statement, then statements and batches of
     * the floor of 100 (the second batch, sized 200, ends after its first statement) */
    o = opts(30, -1, 400);
    o.target_txn_s = 1e-9;
    t = purge_many(1500, o, &left);
    assert_int_equal(t.deleted, 1500);
    assert_int_equal(t.batches, 1 + 11);
    assert_int_equal(t.max_batch, 400);
    assert_int_equal(left, 0);
    /* a fixed size stays fixed */
    t = purge_many(1500, opts(30, 1000, 300), &left);
    assert_int_equal(t.deleted, 1000);
    assert_int_equal(t.batches, 4);
    assert_int_equal(t.max_batch, 300);
    assert_int_equal(left, 500);
}

/* a batch commits early when its next statement, at the pace of the last, would take its
 * transaction past 1.5 times the target: against a tiny target, the first batch of 2500 keys
 * stops after its first statement of 1000, and the statements then shrink to the floor of 100
 * keys, each a batch of its own */
static void test_batch_ends_early(void **state)
{
    (void)state;
    int64_t left;
    struct purge_opts o = opts(30, -1, 2500);
    o.target_txn_s = 1e-9;
    struct purge_table_result t = purge_many(3000, o, &left);
    assert_int_equal(t.deleted, 3000);
    assert_int_equal(t.max_batch, 1000);
    assert_int_equal(t.batches, 1 + 20);
    assert_int_equal(left, 0);
    /* a fixed size (no target) is never cut */
    t = purge_many(3000, opts(30, -1, 2500), &left);
    assert_int_equal(t.batches, 2);
    assert_int_equal(t.max_batch, 2500);
}

static void test_images_skip_blocked(void **state)
{
    (void)state;
    for (int batch = 0; batch <= 1; batch++) {
        struct pf_capture cap;
        struct purge_result res;
        struct emc_ctx *ctx = pf_open_copy(&cap);
        pf_image(ctx, "i1-oldest-blocked", 400);
        pf_child(ctx, "image_tags", "i1-oldest-blocked", -1);
        pf_image(ctx, "i2", 300);
        pf_image(ctx, "i3-blocked-by-deleted-row", 250);
        pf_child(ctx, "image_members", "i3-blocked-by-deleted-row", 250);
        pf_image(ctx, "i4", 200);
        pf_image(ctx, "i5-young", 100);
        pf_image(ctx, "i6-live", -1);
        struct purge_opts o = opts(180, 1, batch);
        o.images_only = true;
        assert_int_equal(run(ctx, o, &res), 0);
        /* max_rows counts the images that can go: i2, not the blocked i1 */
        expect_keys(ctx, "images",
                    "i1-oldest-blocked,i3-blocked-by-deleted-row,i4,i5-young,"
                    "i6-live");
        assert_int_equal(res.ntables, 1);
        assert_int_equal(res.t[0].deleted, 1);
        assert_int_equal(res.t[0].blocked, 2);
        assert_true(pf_logged(&cap, EMC_LOG_WARNING, "OSSN-0075"));
        assert_true(pf_logged(&cap, EMC_LOG_WARNING, "Skipping 2 image(s)"));
        o.max_rows = -1;
        assert_int_equal(run(ctx, o, &res), 0);
        expect_keys(ctx, "images", "i1-oldest-blocked,i3-blocked-by-deleted-row,i5-young,i6-live");
        /* the children were never touched */
        assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM image_members"), 1);
        assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM image_tags"), 1);
        emc_close(ctx);
    }
}

static void test_fk_failure_words_and_rollback(void **state)
{
    (void)state;
    for (int batch = 0; batch <= 1; batch++) {
        struct pf_capture cap;
        struct purge_result res;
        struct emc_ctx *ctx = pf_open_copy(&cap);
        pf_image(ctx, "i1", 300);
        pf_image(ctx, "i2", 250);
        /* a table of the site's own that glance-emc's check does not know */
        pf_exec(ctx, "CREATE TABLE site_refs (image_id VARCHAR(36) REFERENCES images (id))");
        pf_exec(ctx, "INSERT INTO site_refs VALUES ('i1')");
        struct purge_opts o = opts(180, -1, batch ? 10 : 0);
        o.images_only = true;
        struct emc_error err;
        assert_int_equal(purge_run(ctx, &o, pf_now(), &res, &err), -EMC_E_STATE);
        assert_string_equal(err.msg,
                            "Purge command failed, check glance-manage logs for more details.");
        assert_true(pf_logged(&cap, EMC_LOG_ERROR, "DBError detected when purging from images"));
        expect_keys(ctx, "images", "i1,i2");
        assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM emc_journal WHERE kind = 'purge' AND "
                                     "outcome = 'failed'"),
                         1);
        emc_close(ctx);
    }
}

static void test_dry_run_and_sql_only(void **state)
{
    (void)state;
    struct pf_capture cap;
    struct purge_result res;
    struct emc_ctx *ctx = pf_open_copy(&cap);
    seed_properties(ctx);
    struct purge_opts o = opts(30, 4, 1000);
    o.dry_run = true;
    assert_int_equal(run(ctx, o, &res), 0);
    assert_true(res.dry_run);
    assert_int_equal(pf_result_row(&res, "image_properties")->deleted, 4);
    expect_keys(ctx, "image_properties", "1,2,3,4,5,6,7,8,9");
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM emc_journal WHERE kind = 'purge'"), 0);
    ctx->sql_only = true;
    struct emc_error err;
    o.dry_run = false;
    assert_int_equal(purge_run(ctx, &o, pf_now(), &res, &err), -EMC_E_USAGE);
    ctx->sql_only = false;
    expect_keys(ctx, "image_properties", "1,2,3,4,5,6,7,8,9");
    emc_close(ctx);
}

static void test_log_lines_and_journal(void **state)
{
    (void)state;
    struct pf_capture cap;
    struct purge_result res;
    struct emc_ctx *ctx = pf_open_copy(&cap);
    seed_properties(ctx);
    assert_int_equal(run(ctx, opts(30, -1, 0), &res), 0);
    static const char *const want[] = {
        "Purging deleted rows older than 30 day(s) from table task_info",
        "Deleted 0 row(s) from table task_info",
        "Purging deleted rows older than 30 day(s) from table image_properties",
        "Deleted 6 row(s) from table image_properties",
        "Purging deleted rows older than 30 day(s) from table image_tags",
        "Deleted 0 row(s) from table image_tags",
        "Purging deleted rows older than 30 day(s) from table image_locations",
        "Deleted 0 row(s) from table image_locations",
        "Purging deleted rows older than 30 day(s) from table image_members",
        "Deleted 0 row(s) from table image_members",
        "Purging deleted rows older than 30 day(s) from table tasks",
        "Deleted 0 row(s) from table tasks",
    };
    int k = 0;
    for (int i = 0; i < cap.nlogs; i++)
        if (cap.levels[i] == EMC_LOG_INFO) {
            assert_true(k < 12);
            assert_string_equal(cap.logs[i], want[k++]);
        }
    assert_int_equal(k, 12);
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM emc_journal WHERE kind = 'purge' AND "
                                 "phase = 'P' AND outcome = 'done'"),
                     6);
    assert_int_equal(pf_int(ctx, "SELECT rows_done FROM emc_journal WHERE kind = 'purge' AND "
                                 "step = 'image_properties'"),
                     6);
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "command = 'purge' AND outcome = 'done'"),
                     1);
    /* the run is closed: closing again (a later command that opened no run) changes nothing */
    struct emc_error err;
    assert_int_equal(journal_run_end(ctx, "failed", "not this run's", &err), 0);
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "command = 'purge' AND outcome = 'done'"),
                     1);
    /* a run killed mid-purge leaves its rows running; the next purge, once it holds the lock,
     * says they crashed */
    pf_exec(ctx, "UPDATE emc_journal SET outcome = 'running'");
    int64_t rows = pf_int(ctx, "SELECT COUNT(*) FROM emc_journal");
    assert_true(rows >= 7); /* the fixture's own runs, the purge's run row and its 6 steps */
    assert_int_equal(run(ctx, opts(30, -1, 0), &res), 0);
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM emc_journal WHERE outcome = 'crashed'"),
                     rows);
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM emc_journal WHERE outcome = 'running'"), 0);
    emc_close(ctx);
}

static bool file_exists(const char *path, const char *suffix)
{
    char p[620];
    snprintf(p, sizeof(p), "%s%s", path, suffix);
    FILE *f = fopen(p, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

static int64_t journal_mode_is(struct emc_ctx *ctx, const char *mode)
{
    return pf_int(ctx, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = '%s'", mode);
}

/* batched purges on SQLite keep the journal file between their transactions (PERSIST) and
 * remove it at the end (back to DELETE); the reference's mode, one transaction a table, does
 * not; a database the operator put in WAL mode stays in it */
static void test_bulk_mode_journal_file(void **state)
{
    (void)state;
    struct pf_capture cap;
    struct purge_result res;
    for (int batch = 0; batch <= 100; batch += 100) {
        struct emc_ctx *ctx = pf_open_copy(&cap);
        many_properties(ctx, 1000);
        pf_image(ctx, "gone", 300);
        for (int i = 0; i < 300; i++)
            pf_child(ctx, "image_tags", "gone", 300);
        assert_int_equal(run(ctx, opts(30, -1, batch), &res), 0);
        assert_int_equal(pf_result_row(&res, "image_properties")->deleted, 1000);
        if (batch > 0) {
            assert_true(cap.nprogress > 2);
            assert_true(cap.journal_file_seen); /* kept from one batch to the next */
        } else {
            assert_int_equal(cap.nprogress, 0);
        }
        assert_false(file_exists(cap.path, "-journal"));
        assert_int_equal(journal_mode_is(ctx, "delete"), 1);
        emc_close(ctx);
    }
    struct emc_ctx *ctx = pf_open_copy(&cap);
    pf_exec(ctx, "PRAGMA journal_mode = WAL");
    many_properties(ctx, 1000);
    assert_int_equal(run(ctx, opts(30, -1, 100), &res), 0);
    assert_true(cap.nprogress > 2);
    assert_false(cap.journal_file_seen);
    assert_int_equal(journal_mode_is(ctx, "wal"), 1);
    assert_int_equal(pf_int(ctx, "SELECT COUNT(*) FROM image_properties"), 0);
    emc_close(ctx);
}

/* a batch writes its step's progress into the journal in its own transaction: when the first
 * batch has committed, the journal already counts its rows */
static void test_journal_progress_in_batch(void **state)
{
    (void)state;
    struct pf_capture cap;
    struct purge_result res;
    struct emc_ctx *ctx = pf_open_copy(&cap);
    many_properties(ctx, 500);
    assert_int_equal(run(ctx, opts(30, -1, 100), &res), 0);
    assert_true(cap.nprogress >= 5);
    assert_int_equal(cap.first_journal_rows, 100);
    assert_int_equal(pf_int(ctx, "SELECT rows_done FROM emc_journal WHERE kind = 'purge' AND "
                                 "step = 'image_properties'"),
                     500);
    emc_close(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_which_rows_go),
        cmocka_unit_test(test_task_info_rule),
        cmocka_unit_test(test_batched_same_rows_with_progress),
        cmocka_unit_test(test_chunked_key_reads_same_rows),
        cmocka_unit_test(test_stop_between_batches),
        cmocka_unit_test(test_batch_size_adapts),
        cmocka_unit_test(test_batch_ends_early),
        cmocka_unit_test(test_images_skip_blocked),
        cmocka_unit_test(test_fk_failure_words_and_rollback),
        cmocka_unit_test(test_dry_run_and_sql_only),
        cmocka_unit_test(test_log_lines_and_journal),
        cmocka_unit_test(test_bulk_mode_journal_file),
        cmocka_unit_test(test_journal_progress_in_batch),
    };
    return cmocka_run_group_tests(tests, pf_setup, pf_teardown);
}
