/* test_runner_fake.c - the runner on the fake driver: the order of steps and statements, one
 * transaction per revision, alembic_version writes, and what a failure leaves behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emc.h"
#include "fake_driver.h"
#include "fixture.h"
#include "revgraph.h"
#include "runner.h"
#include "runner_int.h"

struct fx {
    char *dir;
    struct emc_ctx *ctx;
    struct emc_state st;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->dir = fixture_dir_new();
    fixture_graph_ab(f->dir);
    fake_driver_install(NULL);
    struct emc_ctx *ctx = calloc(1, sizeof(*ctx));
    struct emc_error err;
    if (migset_load_dir(&ctx->ms, f->dir, &err) != 0)
        return -1;
    fake_url(&ctx->url);
    if (db_connect(&ctx->conn, &ctx->url, 0, &err) != 0)
        return -1;
    ctx->dialect = db_drv(ctx->conn)->caps.dialect;
    ctx->batch_size = 2;
    snprintf(ctx->run_id, sizeof(ctx->run_id), "test");
    ctx->command = "test";
    f->ctx = ctx;
    /* an empty database: no tables */
    if (emc_read_state(ctx, &f->st, &err) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    emc_state_free(&f->st);
    db_close(f->ctx->conn);
    migset_free(f->ctx->ms);
    free(f->ctx);
    fixture_dir_free(f->dir);
    fake_driver_reset();
    free(f);
    return 0;
}

static void plan_to(struct fx *f, const char *target, unsigned flags, struct emc_plan *plan)
{
    bool want[64];
    struct emc_error err;
    assert_int_equal(rg_resolve_target(f->ctx->ms, target, want, &err), 0);
    assert_int_equal(emc_plan_build(f->ctx, &f->st, want, flags, plan, &err), 0);
}

static void test_plan_is_expand_migrate_contract(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    plan_to(f, NULL, 0, &plan);
    const char *want[] = {"base",        "a_expand01",   "b_expand01",
                          "a_migrate01", "a_contract01", "b_contract01"};
    const char phases[] = "TEEMCC";
    assert_int_equal(plan.n, 6);
    for (int i = 0; i < plan.n; i++) {
        assert_string_equal(f->ctx->ms->revs[plan.steps[i].rev].id, want[i]);
        assert_int_equal(plan.steps[i].phase, phases[i]);
    }
    emc_plan_free(&plan);
    /* expand only: no data migration, no contract */
    plan_to(f, "expand", PLAN_NO_DATA, &plan);
    assert_int_equal(plan.n, 3);
    assert_int_equal(plan.steps[2].phase, 'E');
    emc_plan_free(&plan);
}

static bool say_yes(void *ud, const struct emc_step *step, const char *sql)
{
    (void)ud;
    (void)step;
    (void)sql;
    return true;
}

/* with a confirmation per step (the console), each revision commits on its own */
static void test_each_revision_in_its_transaction(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    plan_to(f, "a_expand01", 0, &plan);
    f->ctx->cb.on_confirm = say_yes;
    struct emc_error err;
    assert_int_equal(emc_run_plan(f->ctx, &f->st, &plan, NULL, &err), 0);
    emc_plan_free(&plan);
    /* base: BEGIN, CREATE TABLE images, alembic_version created and written, COMMIT */
    long b = fake_log_find("BEGIN", 0);
    long ct = fake_log_find("CREATE TABLE images", 0);
    long av = fake_log_find("CREATE TABLE alembic_version", 0);
    long ins = fake_log_find("INSERT INTO alembic_version (version_num) VALUES ('base')", 0);
    long c = fake_log_find("COMMIT", 0);
    assert_true(b >= 0 && b < ct && ct < av && av < ins && ins < c);
    /* a_expand01: its statement, then the head moves by an UPDATE, in the next transaction */
    long add = fake_log_find("ALTER TABLE images ADD COLUMN a", 0);
    long upd = fake_log_find("UPDATE alembic_version SET version_num='a_expand01' WHERE "
                             "alembic_version.version_num = 'base'",
                             0);
    assert_true(add > c && upd > add);
    assert_true(fake_log_find("COMMIT", (size_t)upd) > upd);
    assert_true(f->st.applied[migset_find(f->ctx->ms, "a_expand01")]);
    /* SQLite: foreign keys off around a revision and checked after */
    assert_true(fake_log_find("PRAGMA foreign_keys = OFF", 0) >= 0);
    assert_true(fake_log_find("PRAGMA foreign_key_check", 0) >= 0);
    /* the journal saw both steps */
    assert_int_equal(fake_log_count_matching("INSERT INTO emc_journal"), 2);
}

/* without (the CLI), consecutive schema steps share one transaction: one commit */
static void test_schema_steps_share_one_transaction(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    plan_to(f, "a_expand01", 0, &plan);
    struct emc_error err;
    assert_int_equal(emc_run_plan(f->ctx, &f->st, &plan, NULL, &err), 0);
    emc_plan_free(&plan);
    long off = fake_log_find("PRAGMA foreign_keys = OFF", 0);
    long b = fake_log_find("BEGIN", 0);
    long ct = fake_log_find("CREATE TABLE images", 0);
    long ins = fake_log_find("INSERT INTO alembic_version (version_num) VALUES ('base')", 0);
    long add = fake_log_find("ALTER TABLE images ADD COLUMN a", 0);
    long upd = fake_log_find("UPDATE alembic_version SET version_num='a_expand01' WHERE "
                             "alembic_version.version_num = 'base'",
                             0);
    long c = fake_log_find("COMMIT", 0);
    long on = fake_log_find("PRAGMA foreign_keys = ON", 0);
    assert_true(off >= 0 && off < b && b < ct && ct < ins && ins < add && add < upd && upd < c &&
                c < on);
    assert_int_equal(fake_log_count_matching("COMMIT"), 1);
    assert_int_equal(fake_log_count_matching("BEGIN"), 1);
    /* each revision's foreign keys checked before the next, both journalled */
    assert_int_equal(fake_log_count_matching("PRAGMA foreign_key_check"), 2);
    assert_int_equal(fake_log_count_matching("INSERT INTO emc_journal"), 2);
    assert_true(f->st.applied[migset_find(f->ctx->ms, "a_expand01")]);
}

/* a group that fails is rolled back whole, and the steps run again one at a time: the first
 * commits, the second fails on its own */
static void test_group_failure_falls_back_to_steps(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    plan_to(f, "a_expand01", 0, &plan);
    fake_fail_matching("ALTER TABLE images ADD COLUMN a", EMC_E_SYNTAX, 0);
    struct emc_error err;
    assert_int_equal(emc_run_plan(f->ctx, &f->st, &plan, NULL, &err), -EMC_E_SYNTAX);
    emc_plan_free(&plan);
    long rb = fake_log_find("ROLLBACK", 0);
    long ct2 = rb >= 0 ? fake_log_find("CREATE TABLE images", (size_t)rb) : -1;
    assert_true(rb >= 0 && ct2 > rb);
    assert_true(fake_log_find("COMMIT", (size_t)ct2) > ct2);
    assert_true(f->st.applied[migset_find(f->ctx->ms, "base")]);
    assert_false(f->st.applied[migset_find(f->ctx->ms, "a_expand01")]);
}

static void test_failure_rolls_back_and_stops(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    plan_to(f, "expand", 0, &plan);
    fake_fail_matching("CREATE TABLE b_table", EMC_E_SYNTAX, 0);
    fake_script_int("SELECT max(id) FROM emc_journal", 7, 0);
    struct emc_error err;
    assert_int_equal(emc_run_plan(f->ctx, &f->st, &plan, NULL, &err), -EMC_E_SYNTAX);
    emc_plan_free(&plan);
    assert_non_null(strstr(err.msg, "b_expand01 statement 1"));
    long fail = fake_log_find("CREATE TABLE b_table", 0);
    assert_true(fake_log_find("ROLLBACK", (size_t)fail) > fail);
    assert_int_equal(fake_log_count_matching("version_num='b_expand01'"), 0);
    assert_true(f->st.applied[migset_find(f->ctx->ms, "a_expand01")]);
    assert_false(f->st.applied[migset_find(f->ctx->ms, "b_expand01")]);
    /* the journal row of the failed step says failed */
    long end = fake_log_find("outcome = ?", (size_t)fail);
    assert_true(end > fail);
    assert_non_null(strstr(fake_log_params_at((size_t)end), "'failed'"));
}

static void test_data_migration_in_batches(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    plan_to(f, "a_contract01", 0, &plan);
    /* 5 rows to migrate, batches of 2: 2 + 2 + 1, then a batch that changes nothing */
    fake_script_int("SELECT count(*) FROM images WHERE a IS NULL", 5, 0);
    const char *names[] = {"n"};
    fake_script_rows("LIMIT 2", 0, names, 0, NULL, 2, 2);
    fake_script_rows("LIMIT 2", 0, names, 0, NULL, 1, 1);
    fake_script_rows("LIMIT 2", 0, names, 0, NULL, 0, 1);
    struct emc_error err;
    int64_t rows = 0;
    assert_int_equal(emc_run_plan(f->ctx, &f->st, &plan, &rows, &err), 0);
    emc_plan_free(&plan);
    assert_int_equal(rows, 5);
    assert_int_equal(fake_log_count_matching("LIMIT 2"), 4);
    /* every batch is its own transaction: a COMMIT after each */
    long first = fake_log_find("LIMIT 2", 0);
    long second = fake_log_find("LIMIT 2", (size_t)first + 1);
    long commit = fake_log_find("COMMIT", (size_t)first);
    assert_true(commit > first && commit < second);
    /* the contract ran after the data */
    assert_true(fake_log_find("CREATE TABLE a_gone", 0) > second);
}

static bool stop_now(void *ud)
{
    int *calls = ud;
    return ++*calls > 1;
}

static void test_stop_between_batches(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    plan_to(f, "a_contract01", 0, &plan);
    fake_script_int("SELECT count(*) FROM images WHERE a IS NULL", 5, 0);
    const char *names[] = {"n"};
    fake_script_rows("LIMIT 2", 0, names, 0, NULL, 2, 0);
    int calls = 0;
    f->ctx->cb.ud = &calls;
    f->ctx->cb.should_stop = stop_now;
    struct emc_error err;
    int rc = emc_run_plan(f->ctx, &f->st, &plan, NULL, &err);
    emc_plan_free(&plan);
    assert_int_equal(rc, -EMC_E_INTERRUPTED);
    assert_int_equal(fake_log_count_matching("CREATE TABLE a_gone"), 0);
}

static bool say_no(void *ud, const struct emc_step *step, const char *sql)
{
    (void)step;
    int *asked = ud;
    (*asked)++;
    assert_non_null(sql);
    return false;
}

static void test_confirmation_refused(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    plan_to(f, "base", 0, &plan);
    int asked = 0;
    f->ctx->cb.ud = &asked;
    f->ctx->cb.on_confirm = say_no;
    struct emc_error err;
    assert_int_equal(emc_run_plan(f->ctx, &f->st, &plan, NULL, &err), -EMC_E_INTERRUPTED);
    emc_plan_free(&plan);
    assert_int_equal(asked, 1);
    assert_int_equal(fake_log_count_matching("CREATE TABLE images"), 0);
}

static void test_offline_sql_changes_nothing(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    plan_to(f, "a_expand01", 0, &plan);
    f->ctx->sql_only = true;
    size_t before = fake_log_count();
    struct emc_error err;
    assert_int_equal(emc_run_plan(f->ctx, &f->st, &plan, NULL, &err), 0);
    emc_plan_free(&plan);
    assert_int_equal(fake_log_count(), before);
}

/* a window migration over images.rowid, in place of a_migrate01's LIMIT batches */
static void use_window_batch(struct fx *f)
{
    fixture_write(f->dir, "a_migrate01/batch.sqlite.sql",
                  "-- emc:window images.rowid\n"
                  "UPDATE images SET a = 1 WHERE rowid BETWEEN :lo AND :hi AND a IS NULL;\n");
    migset_free(f->ctx->ms);
    f->ctx->ms = NULL;
    struct emc_error err;
    assert_int_equal(migset_load_dir(&f->ctx->ms, f->dir, &err), 0);
}

static void script_window(const char *limit, const char *lo, const char *hi)
{
    const char *names[] = {"lo", "hi"};
    const char *vals[] = {lo, hi};
    fake_script_rows(limit, 2, names, 1, vals, 0, 1);
}

/* window_with_others: f's a_migrate01 as the window batch, the plan to a_contract01 in *plan,
 * `pending` rows to migrate, and PRAGMA data_version moving at each of its first `versions`
 * reads (others commit all the time) */
static void window_with_others(struct fx *f, int64_t pending, int versions, struct emc_plan *plan)
{
    use_window_batch(f);
    plan_to(f, "a_contract01", 0, plan);
    fake_script_int("SELECT count(*) FROM images WHERE a IS NULL", pending, 0);
    for (int v = 1; v <= versions; v++)
        fake_script_int("PRAGMA data_version", v, 1);
}

/* SQLite, another connection committing between batches: a second pass runs; its windows grow
 * past a batch while they change little, and one that changed more than a batch after all is
 * rolled back to its savepoint and run again as a window of one batch, so that no transaction
 * changes more than --batch-size rows */
static void test_wide_window_capped_by_savepoint(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    window_with_others(f, 6, 20, &plan);
    script_window("LIMIT 2)", "1", "2"); /* pass 1 */
    script_window("LIMIT 2)", "3", "4");
    script_window("LIMIT 2)", NULL, NULL); /* end of pass 1 */
    script_window("LIMIT 2)", "1", "2");   /* pass 2: nothing left there */
    script_window("LIMIT 10)", "3", "12"); /* wider (ten keys at least): 3 rows to change */
    script_window("LIMIT 2)", "3", "4");   /* again, one batch wide */
    script_window("LIMIT 2)", NULL, NULL); /* end of pass 2 */
    script_window("LIMIT 2)", NULL, NULL); /* pass 3 (the last): nothing */
    const char *none[] = {"n"};
    const char *upd = "UPDATE images SET a = 1";
    fake_script_rows(upd, 0, none, 0, NULL, 2, 1);
    fake_script_rows(upd, 0, none, 0, NULL, 2, 1);
    fake_script_rows(upd, 0, none, 0, NULL, 0, 1);
    fake_script_rows(upd, 0, none, 0, NULL, 3, 1);
    fake_script_rows(upd, 0, none, 0, NULL, 2, 1);
    struct emc_error err;
    int64_t rows = 0;
    assert_int_equal(emc_run_plan(f->ctx, &f->st, &plan, &rows, &err), 0);
    emc_plan_free(&plan);
    assert_int_equal(rows, 6); /* 2 + 2, 0 + 2: the 3 rolled back are not counted */
    assert_int_equal(fake_log_count_matching("LIMIT 10)"), 1);
    assert_int_equal(fake_log_count_matching("ROLLBACK TO SAVEPOINT emc_window"), 1);
    long wide = fake_log_find("LIMIT 10)", 0);
    long sp = fake_log_find("SAVEPOINT emc_window", (size_t)wide);
    long undo = fake_log_find("ROLLBACK TO SAVEPOINT emc_window", (size_t)wide);
    long again = fake_log_find("LIMIT 2)", (size_t)undo);
    long redo = fake_log_find(upd, (size_t)again);
    long release = fake_log_find("RELEASE SAVEPOINT emc_window", (size_t)redo);
    long commit = fake_log_find("COMMIT", (size_t)wide);
    assert_true(sp > wide && undo > sp && again > undo && redo > again);
    assert_true(release > redo && commit > release);
    /* the window run again is the first batch of keys of the wide one */
    assert_string_equal(fake_log_params_at((size_t)redo), "3, 4");
}

/* SQLite, another connection committing all the time: the pause after a batch polls the
 * database's change counter and ends at the first read that sees it move (the waiting service
 * is through), instead of lasting as long as the batch held the lock; every eighth such pause
 * runs its full length without polling, for a second waiting service. The first pause, before
 * anybody is known to write, does not poll either. */
static void test_pause_ends_at_commit(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    window_with_others(f, 20, 40, &plan);
    char lo[8], hi[8];
    for (int w = 0; w < 10; w++) { /* pass 1: ten windows of two keys */
        snprintf(lo, sizeof(lo), "%d", 2 * w + 1);
        snprintf(hi, sizeof(hi), "%d", 2 * w + 2);
        script_window("LIMIT 2)", lo, hi);
    }
    script_window("LIMIT 2)", NULL, NULL); /* end of pass 1 */
    script_window("LIMIT 2)", NULL, NULL); /* pass 2: nothing */
    const char *none[] = {"n"};
    fake_script_rows("UPDATE images SET a = 1", 0, none, 0, NULL, 2, 10);
    /* each batch holds the lock 30 ms: a full pause is 30 ms, 30 polls a millisecond apart */
    fake_set_query_delay("UPDATE images SET a = 1", 30);
    fake_set_change_counter(2); /* another commit at every second read */
    struct emc_error err;
    int64_t rows = 0;
    assert_int_equal(emc_run_plan(f->ctx, &f->st, &plan, &rows, &err), 0);
    emc_plan_free(&plan);
    assert_int_equal(rows, 20);
    /* the counter reads in each pause: from a batch's COMMIT to the next BEGIN */
    int reads[16], npause = 0;
    bool in_batch = false, in_pause = false;
    for (size_t i = 0; i < fake_log_count() && npause < 16; i++) {
        const char *t = fake_log_at(i);
        if (strstr(t, "UPDATE images SET a = 1")) {
            in_batch = true;
        } else if (in_batch && strcmp(t, "COMMIT") == 0) {
            in_batch = false;
            in_pause = true;
            reads[npause++] = 0;
        } else if (in_pause && strcmp(t, "BEGIN") == 0) {
            in_pause = false;
        } else if (in_pause && strcmp(t, "CHANGE_COUNTER") == 0) {
            reads[npause - 1]++;
        }
    }
    assert_int_equal(npause, 10);
    assert_int_equal(reads[0], 0); /* nobody known to write yet: a plain pause */
    for (int i = 1; i < 10; i++) {
        if (i == 8) {
            assert_int_equal(reads[i], 0); /* the eighth pause while others write: full */
        } else {
            /* the first read, then polls until it moves: two or three reads, not thirty */
            assert_in_range(reads[i], 2, 3);
        }
    }
}

/* SQLite, another connection committing: the time a batch's BEGIN waits for the lock (a
 * service finishing its commit) is not the batch's hold, so it neither narrows the next
 * windows nor lengthens the pause (on a loaded machine those waits grow, and counting them
 * shrank the windows to a few dozen rows) */
static void test_lock_wait_is_not_hold(void **state)
{
    struct fx *f = *state;
    struct emc_plan plan;
    window_with_others(f, 120, 20, &plan);
    f->ctx->batch_size = 40;
    script_window("LIMIT 40)", "1", "40");
    script_window("LIMIT 40)", "41", "80");
    script_window("LIMIT 40)", "81", "120");
    script_window("LIMIT 40)", NULL, NULL); /* end of pass 1 */
    script_window("LIMIT 40)", NULL, NULL); /* pass 2: nothing */
    const char *none[] = {"n"};
    fake_script_rows("UPDATE images SET a = 1", 0, none, 0, NULL, 40, 3);
    fake_set_query_delay("BEGIN", 40); /* each BEGIN waits 40 ms for the lock */
    struct emc_error err;
    int64_t rows = 0;
    assert_int_equal(emc_run_plan(f->ctx, &f->st, &plan, &rows, &err), 0);
    emc_plan_free(&plan);
    assert_int_equal(rows, 120);
    /* every window a whole batch: none narrowed to the 20 ms a batch may hold */
    assert_int_equal(fake_log_count_matching("LIMIT 40)"), 5);
    assert_int_equal(fake_log_count_matching("LIMIT 20)"), 0);
}

/* On a server, a windowed batch runs under a statement cap; one that the server cancels is
 * rolled back and runs again as a window of half the rows, the windows widen back to a batch
 * once they run fast, and the count at the end of a pass runs without the cap */
/* use_mysql_window_batch: f's context on a MariaDB-like fake (it has a statement cap), with
 * a_migrate01 a windowed data migration of images.id, batches of 40 rows, 3 lock retries */
static struct emc_ctx *use_mysql_window_batch(struct fx *f)
{
    static const struct db_caps mysql_like = {.dialect = "mysql",
                                              .placeholder = DB_PH_QMARK,
                                              .advisory_locks = true,
                                              .lock_timeout = true,
                                              .ident_quote = '`'};
    struct emc_ctx *ctx = f->ctx;
    db_close(ctx->conn);
    fake_driver_install(&mysql_like);
    struct emc_error err;
    assert_int_equal(db_connect(&ctx->conn, &ctx->url, 0, &err), 0);
    ctx->dialect = "mysql";
    ctx->batch_size = 40;
    ctx->lock_retries = 3;
    fixture_write(f->dir, "a_migrate01/pending.mysql.sql",
                  "SELECT count(*) FROM images WHERE a IS NULL;\n");
    fixture_write(f->dir, "a_migrate01/batch.mysql.sql",
                  "-- emc:window images.id\n"
                  "UPDATE images SET a = 1 WHERE id BETWEEN :lo AND :hi AND a IS NULL;\n");
    migset_free(ctx->ms);
    ctx->ms = NULL;
    assert_int_equal(migset_load_dir(&ctx->ms, f->dir, &err), 0);
    return ctx;
}

/* a batch that waits past --lock-timeout on every try, or is a deadlock victim every time:
 * retried lock_retries times, then one error that says what happened and that a re-run goes
 * on (not the server's bare message) */
static void test_batch_past_lock_retries(void **state)
{
    struct fx *f = *state;
    static const int classes[] = {EMC_E_LOCK_TIMEOUT, EMC_E_DEADLOCK};
    static const char *const words[] = {"waited more than --lock-timeout (3 s) 2 time(s)",
                                        "chosen as a deadlock victim 2 time(s)"};
    for (int i = 0; i < 2; i++) {
        struct emc_ctx *ctx = use_mysql_window_batch(f);
        ctx->lock_retries = 1;
        ctx->lock_timeout_ms = 3000;
        fake_script_int("SELECT count(*) FROM images WHERE a IS NULL", 8, 1);
        script_window("LIMIT 40)", "1", "8");
        script_window("LIMIT 40)", "1", "8");
        fake_fail_matching("UPDATE images SET a = 1", classes[i], 0);
        struct emc_step step = {
            .kind = STEP_DATA, .rev = migset_find(ctx->ms, "a_migrate01"), .phase = 'M'};
        int64_t rows = 0;
        struct emc_error err;
        assert_int_equal(runner_data_step(ctx, &step, &rows, &err), -classes[i]);
        assert_int_equal(fake_log_count_matching("UPDATE images SET a = 1"), 2);
        assert_non_null(strstr(err.msg, words[i]));
        assert_non_null(strstr(err.msg, "another session holds locks on these rows; nothing of "
                                        "this batch was kept, and running the command again "
                                        "continues"));
    }
}

static void test_cancelled_batch_runs_narrower(void **state)
{
    struct fx *f = *state;
    struct emc_ctx *ctx = use_mysql_window_batch(f);
    struct emc_error err;
    const char *count = "SELECT count(*) FROM images WHERE a IS NULL";
    fake_script_int(count, 8, 1);
    fake_script_int(count, 0, 1);
    const char *upd = "UPDATE images SET a = 1";
    fake_fail_matching(upd, EMC_E_STMT_TIMEOUT, 1);
    script_window("LIMIT 40)", "1", "4"); /* cancelled */
    script_window("LIMIT 20)", "1", "2"); /* again, half as wide */
    script_window("LIMIT 20)", "3", "4"); /* (the last batch's time held its backoff) */
    script_window("LIMIT 40)", "5", "8"); /* fast again: a batch */
    script_window("LIMIT 40)", NULL, NULL);
    const char *none[] = {"n"};
    fake_script_rows(upd, 0, none, 0, NULL, 2, 2);
    fake_script_rows(upd, 0, none, 0, NULL, 4, 1);
    struct emc_step step = {
        .kind = STEP_DATA, .rev = migset_find(ctx->ms, "a_migrate01"), .phase = 'M'};
    int64_t rows = 0;
    assert_int_equal(runner_data_step(ctx, &step, &rows, &err), 0);
    assert_int_equal(rows, 8);
    long cap = fake_log_find("STMT_TIMEOUT 300", 0);
    long w1 = fake_log_find("LIMIT 40)", 0);
    long fail = fake_log_find(upd, (size_t)w1);
    long undo = fake_log_find("ROLLBACK", (size_t)fail);
    long w2 = fake_log_find("LIMIT 20)", (size_t)undo);
    assert_true(cap >= 0 && cap < w1 && w1 < fail && fail < undo && undo < w2);
    assert_string_equal(fake_log_params_at((size_t)fake_log_find(upd, (size_t)w2)), "'1', '2'");
    assert_int_equal(fake_log_count_matching("LIMIT 20)"), 2);
    assert_int_equal(fake_log_count_matching("LIMIT 40)"), 3);
    /* the pass-end count without the cap, which comes back after it, and goes at the end */
    long end_count = fake_log_find(count, (size_t)w2);
    long off = fake_log_find("STMT_TIMEOUT 0", (size_t)w2);
    long on = fake_log_find("STMT_TIMEOUT 300", (size_t)end_count);
    assert_true(off >= 0 && off < end_count && on > end_count);
    assert_true(fake_log_find("STMT_TIMEOUT 0", (size_t)on) > on);
    assert_int_equal(fake_log_count_matching("STMT_TIMEOUT"), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plan_is_expand_migrate_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_revision_in_its_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_steps_share_one_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_failure_falls_back_to_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_rolls_back_and_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_migration_in_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_between_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confirmation_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_sql_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wide_window_capped_by_savepoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_ends_at_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_wait_is_not_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_batch_runs_narrower, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_past_lock_retries, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
