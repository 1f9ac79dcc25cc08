/* test_ui_flow.c - scripted keys drive the console's real event loop (ui_app_run) through a
 * whole expand-migrate-contract upgrade and both purges of the demo database, then the
 * database is checked with SQLite itself: version, visibility values, the data migration's
 * rows, what the purges deleted. Also: keys typed while a step runs, stopping and quitting in
 * the middle of a data migration, a step that fails, a connection lost in the middle of a step,
 * a database that is not under migration control, a SQLite file that is not there, resizing. */
#include "test_ui_support.h"

#include "journal.h"

#define DB "glance-demo.sqlite"

/* open_app: the console on url (batch: its --batch-size, 0 for none), reading keys from s's
 * steps; not yet running. close_app frees it and checks the script was played whole. */
static struct ui_app *open_app(const char *url, int batch, struct script *s,
                               const struct ui_step *steps)
{
    struct ui_app *app = calloc(1, sizeof(*app));
    assert_non_null(app);
    struct ui_options o = ui_test_options(url);
    o.batch_size = batch;
    o.stop_flag = &s->stop_flag;
    ui_app_init(app, &o, script_io(s, steps));
    return app;
}

static void close_app(struct ui_app *app, const struct script *s)
{
    ui_app_free(app);
    free(app);
    script_done(s);
}

/* run: the console on url with the script; returns after it quits */
static void run(const char *url, const struct ui_step *steps, int batch,
                void (*tamper)(struct ui_app *))
{
    struct script s;
    struct ui_app *app = open_app(url, batch, &s, steps);
    if (tamper)
        tamper(app);
    assert_int_equal(ui_app_run(app), 0);
    close_app(app, &s);
}

static int64_t live_visibility(const char *v)
{
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM images WHERE deleted = 0 AND visibility = '%s'", v);
    return sql_int(DB, sql);
}

static void test_emc_upgrade_and_purges(void **state)
{
    (void)state;
    in_temp_dir("flow");
    struct emc_demo_summary sum;
    make_demo(&sum);
    static const char *const vis[] = {"public", "private", "shared", "community"};
    int64_t before[4];
    for (int i = 0; i < 4; i++) {
        before[i] = live_visibility(vis[i]);
        assert_true(before[i] > 0);
    }
    int64_t live_backend = sql_int(DB, "SELECT count(*) FROM image_locations WHERE deleted = 0 "
                                       "AND instr(meta_data, '\"backend\":') > 0");
    int64_t live_store = sql_int(DB, "SELECT count(*) FROM image_locations WHERE deleted = 0 AND "
                                     "instr(meta_data, '\"store\":') > 0");
    assert_true(live_backend > 0);
    const struct ui_step steps[] = {
        KX('3', "Current          queens_contract01"),
        KX(UI_KEY_ENTER, "Next: E expand"),
        KX('y',
           "Run queens_expand01 -> rocky_expand01?|SQL it runs on sqlite|ADD COLUMN os_hidden"),
        /* typed while rocky_expand01 runs: it must not answer the next step's question */
        AHEAD('y', "running queens_expand01 -> rocky_expand01"),
        KX('a', "Run rocky_expand01 -> rocky_expand02?|y ignored: a step is running"),
        KX(UI_KEY_ENTER, "E expand done: 10 steps run|Next: M migrate"),
        /* the empty data migrations before it change nothing and ask nothing */
        KX('a', "Run train_migrate01?|Rows to migrate now: 1,192, in batches of 500|"
                "rocky_migrate02: no row left to migrate, nothing to run or ask"),
        /* typed while train_migrate01 runs (its progress bar on screen): the Journal */
        AHEAD('5', "train_migrate01 ["),
        KX('3', "M migrate done: 10 steps run|When (UTC)"),
        KX(UI_KEY_HOME, "Migrated 1192 rows|Next: C contract"),
        K(UI_KEY_PGDN),
        KX(UI_KEY_ENTER, "13  M  train_migrate01|done 1,192 rows"),
        KX('c', "Every release n-1 service must be stopped first"),
        K('o'),
        K('n'),
        K('t'),
        K('r'),
        K('a'),
        KX(UI_KEY_ENTER, "> contra"),
        K('c'),
        K('t'),
        KX(UI_KEY_ENTER, "> contract"),
        KX('a', "Run queens_contract01 -> rocky_contract01?"),
        KX('y', "each need their own y"),
        KX('y', "Run rocky_contract01 -> rocky_contract02?"),
        K('y'),
        K('y'),
        K('y'),
        K('y'),
        K('y'),
        K('y'),
        K('y'),
        KX('y', "Run 2023_1_contract01 -> 2024_1_contract01?"),
        KX('4', "C contract done: 10 steps run|The database is at the target"),
        KX(UI_KEY_DOWN, "p purges 600 rows"),
        K(UI_KEY_ENTER),
        K('-'),
        K('1'),
        K(UI_KEY_ENTER),
        KX('p', "p purges 5,454 rows"),
        KX('y', "Purge soft-deleted rows?|image_properties   2,664"),
        KX('i', "Purge done: 5,454 rows deleted"),
        KX('y', "OSSN-0075|Purge the images table?"),
        KX('q', "Images purge done"),
        K(0),
    };
    run("sqlite:///" DB, steps, 500, NULL);

    /* the database: at the head, visibility untouched, "backend" gone, purges done */
    char v[256];
    sql_text(DB, "SELECT version_num FROM alembic_version", v, sizeof(v));
    assert_string_equal(v, "2024_1_contract01");
    for (int i = 0; i < 4; i++)
        assert_int_equal(live_visibility(vis[i]), before[i]);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM image_locations WHERE instr(meta_data, "
                                 "'\"backend\":') > 0"),
                     0);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM image_locations WHERE deleted = 0 AND "
                                 "instr(meta_data, '\"store\":') > 0"),
                     live_store + live_backend);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM pragma_table_info('images') WHERE name "
                                 "= 'os_hidden'"),
                     1);
    /* purge: nothing deleted over 30 days ago is left in the child tables */
    static const char *const children[] = {"image_properties", "image_tags", "image_locations",
                                           "image_members", "tasks"};
    for (int i = 0; i < 5; i++) {
        char sql[200];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM %s WHERE deleted_at < '2025-05-02 12:00:00'", children[i]);
        assert_int_equal(sql_int(DB, sql), 0);
    }
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM task_info ti JOIN tasks t ON t.id = "
                                 "ti.task_id WHERE t.deleted_at < '2025-05-02 12:00:00'"),
                     0);
    /* images purge: the old deleted images went, but those live rows still name stayed */
    int64_t old_left = sql_int(DB, "SELECT count(*) FROM images WHERE deleted_at < '2024-12-03 "
                                   "12:00:00'");
    int64_t blocked = sql_int(
        DB, "SELECT count(*) FROM images i WHERE i.deleted_at < '2024-12-03 12:00:00' AND ("
            "EXISTS (SELECT 1 FROM image_properties x WHERE x.image_id = i.id) OR EXISTS "
            "(SELECT 1 FROM image_tags x WHERE x.image_id = i.id) OR EXISTS (SELECT 1 FROM "
            "image_locations x WHERE x.image_id = i.id) OR EXISTS (SELECT 1 FROM image_members "
            "x WHERE x.image_id = i.id))");
    assert_true(blocked > 0); /* the demo's leftovers */
    assert_int_equal(old_left, blocked);
    assert_true(sql_int(DB, "SELECT count(*) FROM images") < sum.images);
    /* the journal holds each run, done */
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "outcome = 'done' AND command IN ('expand', 'migrate', "
                                 "'contract', 'purge', 'purge_images_table')"),
                     5);
    leave_temp_dir();
}

static void test_target_one_release(void **state)
{
    (void)state;
    in_temp_dir("release");
    make_demo(NULL);
    const struct ui_step steps[] = {
        K('3'),
        KX('t', "Target   latest (2024_1)"),
        KX(UI_KEY_DOWN, "Upgrade to|rocky|queens       (the database is there already)"),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        KX(UI_KEY_ENTER, "Upgrade to"),
        KX(UI_KEY_ENTER, "Target   rocky: rocky_expand02, rocky_contract02|E expand: 2 to run|"
                         "M migrate: 2 to run|C contract: 2 to run|target: rocky"),
        KX('a', "Run queens_expand01 -> rocky_expand01?"),
        /* rocky's data migrations have no row to migrate: M is done with E */
        KX(UI_KEY_ENTER, "Next: C contract|M migrate: done"),
        KX('c', "queens or any release before rocky"),
        K('o'),
        K('n'),
        K('t'),
        K('r'),
        K('a'),
        K('c'),
        K('t'),
        K(UI_KEY_ENTER),
        KX('y', "Run queens_contract01 -> rocky_contract01?"),
        KX('y', "Run rocky_contract01 -> rocky_contract02?"),
        KX('q', "The database is at the target|C contract done|rocky_migrate02      empty data "
                "migration                done, no rows"),
        K(0),
    };
    run("sqlite:///" DB, steps, 0, NULL);
    char v[256];
    sql_text(DB, "SELECT version_num FROM alembic_version", v, sizeof(v));
    assert_string_equal(v, "rocky_contract02");
    /* train's data migration is not on the way to rocky */
    assert_true(sql_int(DB, "SELECT count(*) FROM image_locations WHERE instr(meta_data, "
                            "'\"backend\":') > 0") > 0);
    leave_temp_dir();
}

static void test_stop_and_quit_mid_migration(void **state)
{
    (void)state;
    in_temp_dir("stop");
    make_demo(NULL);
    const struct ui_step steps[] = {
        K('3'),
        K(UI_KEY_ENTER),
        KX('a', "Run queens_expand01 -> rocky_expand01?"),
        KX(UI_KEY_ENTER, "Next: M migrate"),
        K('a'),
        /* q while the progress bar shows: the console asks, then stops after the batch */
        AHEAD('q', "train_migrate01 ["),
        AHEAD('y', "A step is running|Quit now?"),
        K(0),
    };
    run("sqlite:///" DB, steps, 500, NULL);
    char v[256];
    sql_text(DB, "SELECT version_num FROM alembic_version ORDER BY 1", v, sizeof(v));
    assert_string_equal(v, "2024_1_expand01,queens_contract01");
    /* one batch went (a window of the first 500 ids: migrations/README.md), the rest waits
     * for the next run */
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM image_locations WHERE instr(meta_data, "
                                 "'\"backend\":') > 0 AND id <= (SELECT id FROM image_locations "
                                 "ORDER BY id LIMIT 1 OFFSET 499)"),
                     0);
    int64_t left = sql_int(DB, "SELECT count(*) FROM image_locations WHERE instr(meta_data, "
                               "'\"backend\":') > 0 AND id > (SELECT id FROM image_locations "
                               "ORDER BY id LIMIT 1 OFFSET 499)");
    assert_true(left > 0 && left < 1192);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM image_locations WHERE instr(meta_data, "
                                 "'\"backend\":') > 0"),
                     left);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "command = 'migrate' AND outcome = 'interrupted'"),
                     1);
    /* each command of the session is a run of its own in the journal */
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "command = 'expand' AND outcome = 'done'"),
                     1);
    leave_temp_dir();
}

static void test_stop_then_go_on(void **state)
{
    (void)state;
    in_temp_dir("stopgo");
    make_demo(NULL);
    const struct ui_step steps[] = {
        K('3'),
        K(UI_KEY_ENTER),
        KX('a', "Run queens_expand01 -> rocky_expand01?"),
        KX(UI_KEY_ENTER, "Next: M migrate"),
        K('a'),
        /* s while the progress bar shows: the run stops after the batch, the console stays */
        AHEAD('s', "train_migrate01 [|s stop"),
        KX(UI_KEY_ENTER, "M migrate stopped after 2 steps|train_migrate01|stopped|990 rows"),
        /* `db migrate` again: train_migrate01 goes on with its 990 rows, the 202 done
         * before (the first window of 500 ids holds 202 of the demo's 1,192) are counted too */
        KX('a', "Run train_migrate01?|Rows to migrate now: 990"),
        KX(UI_KEY_HOME, "M migrate done|Migrated 990 rows"),
        K(UI_KEY_PGDN),
        KX('q', "13  M  train_migrate01|done 1,192 rows"),
        K(0),
    };
    run("sqlite:///" DB, steps, 500, NULL);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM image_locations WHERE instr(meta_data, "
                                 "'\"backend\":') > 0"),
                     0);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "command = 'migrate' AND outcome = 'interrupted'"),
                     1);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "command = 'migrate' AND outcome = 'done'"),
                     1);
    leave_temp_dir();
}

static void test_signal_mid_migration(void **state)
{
    (void)state;
    in_temp_dir("signal");
    make_demo(NULL);
    const struct ui_step steps[] = {
        K('3'),
        K(UI_KEY_ENTER),
        KX('a', "Run queens_expand01 -> rocky_expand01?"),
        KX(UI_KEY_ENTER, "Next: M migrate"),
        K('a'),
        /* SIGTERM once the first batch (a window of 500 ids, 202 rows to change) shows as
         * done: no batch after it, then quit */
        SIGNAL_WHEN("train_migrate01 [|202/1,192 rows"),
        K(0),
    };
    run("sqlite:///" DB, steps, 500, NULL);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM image_locations WHERE instr(meta_data, "
                                 "'\"backend\":') > 0"),
                     1192 - 202);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "command = 'migrate' AND outcome = 'interrupted'"),
                     1);
    leave_temp_dir();
}

static void test_failing_step(void **state)
{
    (void)state;
    in_temp_dir("fail");
    make_demo(NULL);
    /* someone added the column by hand: rocky_expand01 fails on it */
    sql_exec(DB, "ALTER TABLE images ADD COLUMN os_hidden BOOLEAN");
    const struct ui_step steps[] = {
        K('3'),
        K(UI_KEY_ENTER),
        KX('y', "Run queens_expand01 -> rocky_expand01?"),
        KX(UI_KEY_ENTER, "Expand failed|duplicate column name: os_hidden|Read just now: "
                         "current version queens_contract01|was rolled back"),
        KX('q', "FAILED"),
        K(0),
    };
    run("sqlite:///" DB, steps, 0, NULL);
    char v[256];
    sql_text(DB, "SELECT version_num FROM alembic_version", v, sizeof(v));
    assert_string_equal(v, "queens_contract01");
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM emc_journal WHERE kind = 'run' AND "
                                 "outcome = 'failed'"),
                     1);
    leave_temp_dir();
}

/* --- a connection lost in the middle of a step: the SQLite driver, failing on command ---- */

static struct db_driver lossy;
static bool lost;

static int lossy_check(const char *sql, struct emc_error *err)
{
    if (!lost && sql && strstr(sql, "UPDATE image_locations"))
        lost = true;
    if (lost)
        return emc_error_set(err, EMC_E_CONN_LOST, "server closed the connection unexpectedly");
    return 0;
}

static int lossy_exec(struct db_conn *c, const char *sql, struct emc_error *err)
{
    int rc = lossy_check(sql, err);
    return rc ? rc : db_driver_sqlite.exec(c, sql, err);
}

static int lossy_query(struct db_conn *c, const char *sql, const struct db_param *p, int n,
                       db_row_cb cb, void *ud, int64_t *aff, struct emc_error *err)
{
    int rc = lossy_check(sql, err);
    return rc ? rc : db_driver_sqlite.query(c, sql, p, n, cb, ud, aff, err);
}

static int lossy_begin(struct db_conn *c, struct emc_error *err)
{
    int rc = lossy_check(NULL, err);
    return rc ? rc : db_driver_sqlite.begin(c, err);
}

static int lossy_commit(struct db_conn *c, struct emc_error *err)
{
    int rc = lossy_check(NULL, err);
    return rc ? rc : db_driver_sqlite.commit(c, err);
}

static void make_lossy(struct ui_app *app)
{
    lossy = db_driver_sqlite;
    lossy.exec = lossy_exec;
    lossy.query = lossy_query;
    lossy.begin = lossy_begin;
    lossy.commit = lossy_commit;
    lost = false;
    assert_non_null(app->ctx);
    ((struct db_conn_base *)app->ctx->conn)->drv = &lossy;
}

static void test_connection_lost(void **state)
{
    (void)state;
    in_temp_dir("lost");
    make_demo(NULL);
    const struct ui_step steps[] = {
        K('3'),
        K(UI_KEY_ENTER),
        KX('a', "Run queens_expand01 -> rocky_expand01?"),
        KX(UI_KEY_ENTER, "Next: M migrate"),
        K('a'),
        KX(UI_KEY_ENTER, "Migrate failed|server closed the connection|connection-lost|It "
                         "cannot be read just now|r reconnects"),
        KX('1', "No plan can be made"),
        KX('r', "Current          cannot be read"),
        KX('3', "Current          2024_1_expand01, queens_contract01"),
        KX('q', "Next: M migrate|FAILED"),
        K(0),
    };
    run("sqlite:///" DB, steps, 500, make_lossy);
    assert_true(lost);
    assert_int_equal(sql_int(DB, "SELECT count(*) FROM image_locations WHERE instr(meta_data, "
                                 "'\"backend\":') > 0"),
                     1192);
    leave_temp_dir();
}

static void test_not_under_control_and_missing(void **state)
{
    (void)state;
    in_temp_dir("nocontrol");
    /* Glance tables without alembic_version: say what to do, offer nothing that changes it */
    sql_exec("old.sqlite", "CREATE TABLE images (id VARCHAR(36) PRIMARY KEY)");
    const struct ui_step old[] = {
        KX('3', "Current          cannot be read|alembic_version is not|version_control"),
        KX(UI_KEY_ENTER, "No plan can be made"),
        KX('q', "no plan: see 1 Overview"),
        K(0),
    };
    run("sqlite:///old.sqlite", old, 0, NULL);
    assert_int_equal(sql_int("old.sqlite", "SELECT count(*) FROM sqlite_master WHERE type = "
                                           "'table'"),
                     1);
    /* a missing file: the console opens, says so, creates it only after a yes */
    const struct ui_step missing[] = {
        KX('c', "NOT CONNECTED|does not exist: new.sqlite|c creates the file"),
        KX('n', "Create the database file?"),
        KX('c', "NOT CONNECTED"),
        KX('y', "Create the database file?"),
        KX('3', "created an empty database|none: an empty database"),
        KX('q', "T  liberty"),
        K(0),
    };
    run("sqlite:///new.sqlite", missing, 0, NULL);
    assert_int_equal(sql_int("new.sqlite", "SELECT count(*) FROM sqlite_master"), 0);
    leave_temp_dir();
}

static void test_unreachable_server_hides_password(void **state)
{
    (void)state;
    /* a closed loopback port: refused at once */
    const struct ui_step steps[] = {
        KX('r', "NOT CONNECTED|postgresql://glance:***@127.0.0.1:9/glance"),
        KX('2', "still cannot connect"),
        KX('q', "not connected: r retries, q quits"),
        K(0),
    };
    struct script s;
    struct ui_app *app = calloc(1, sizeof(*app));
    assert_non_null(app);
    struct ui_options o = ui_test_options("postgresql://glance:Sup3rS3cret@127.0.0.1:9/glance");
    o.connect_timeout = 2;
    ui_app_init(app, &o, script_io(&s, steps));
    ui_app_run(app);
    assert_null(strstr(s.frame, "Sup3rS3cret"));
    ui_app_free(app);
    free(app);
    script_done(&s);
}

static void test_resize(void **state)
{
    (void)state;
    in_temp_dir("resize");
    make_demo(NULL);
    const struct ui_step steps[] = {
        RESIZE(60, 20),
        {.key = UI_KEY_RESIZE,
         .w = 79,
         .h = 24,
         .expect = "The terminal is 60x20|at least 80x24|q quits"},
        {.key = UI_KEY_RESIZE, .w = 120, .h = 40, .expect = "The terminal is 79x24"},
        KX('2', "1 Overview|Soft-deleted"),
        KX('q', "2024_1_expand01"), /* 40 rows: the whole graph fits */
        K(0),
    };
    run("sqlite:///" DB, steps, 0, NULL);
    leave_temp_dir();
}

/* purge_opts_on: the console on url (a fixed batch size or none) builds the options its
 * purges run with; they must be the command line's for that backend */
static void purge_opts_on(const char *url, bool sqlite)
{
    for (int batch = 0; batch <= 500; batch += 500) {
        struct script s;
        static const struct ui_step none[1]; /* no key: the console is not run */
        struct ui_app *app = open_app(url, batch, &s, none);
        assert_non_null(app->ctx);
        app->purge.age = 12;
        app->purge.images_age = 345;
        app->purge.max_rows = 67;
        struct purge_opts cli, got;
        purge_default_opts(app->ctx, true, &cli);
        run_purge_opts(app, true, &got);
        assert_true(got.images_only);
        assert_int_equal(got.age_in_days, 345);
        assert_int_equal(got.max_rows, 67);
        assert_false(got.dry_run);
        assert_int_equal(got.batch_size, batch ? batch : cli.batch_size);
        assert_true(cli.target_txn_s > 0);
        assert_true(cli.yield_writers == sqlite); /* SQLite: one write lock */
        assert_true(cli.sleep_s == 0);
        assert_true(got.target_txn_s == (batch ? 0 : cli.target_txn_s));
        assert_true(got.sleep_s == cli.sleep_s);
        assert_true(got.yield_writers == cli.yield_writers);
        run_purge_opts(app, false, &got);
        assert_false(got.images_only);
        assert_int_equal(got.age_in_days, 12);
        close_app(app, &s);
    }
}

/* the console's purges take the command line's defaults: batches adapting to ~0.2 s
 * transactions and, on SQLite, a pause between them for other writers; --batch-size fixes the
 * size, as on the command line. On each backend (the servers' URLs from the environment; under
 * CI=true a missing one is a failure) */
static void test_purge_opts_as_cli(void **state)
{
    (void)state;
    in_temp_dir("purge-opts");
    struct emc_demo_summary sum;
    make_demo(&sum);
    purge_opts_on("sqlite:///" DB, true);
    const char *servers[] = {"EMC_PG_URL", "EMC_MYSQL_URL"};
    for (int i = 0; i < 2; i++) {
        const char *url = getenv(servers[i]);
        const char *ci = getenv("CI");
        if (!url && ci && strcmp(ci, "true") == 0)
            fail_msg("%s is not set under CI=true", servers[i]);
        if (url)
            purge_opts_on(url, false);
    }
    leave_temp_dir();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emc_upgrade_and_purges),
        cmocka_unit_test(test_target_one_release),
        cmocka_unit_test(test_stop_and_quit_mid_migration),
        cmocka_unit_test(test_stop_then_go_on),
        cmocka_unit_test(test_signal_mid_migration),
        cmocka_unit_test(test_failing_step),
        cmocka_unit_test(test_connection_lost),
        cmocka_unit_test(test_not_under_control_and_missing),
        cmocka_unit_test(test_unreachable_server_hides_password),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_purge_opts_as_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
