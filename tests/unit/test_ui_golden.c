/* test_ui_golden.c - every screen of the console at 80x24 on the demo database, compared with
 * the golden text files in tests/golden/. The frames come from the real event loop driven by
 * scripted keys; the clock is fixed (UI_TEST_NOW) and so is the demo's seed. Two things that
 * differ from machine to machine are made fixed before comparing, and only those: the journal
 * rows' times, operator and pid (the demo's own `db sync` run, written with the real clock) are
 * set to fixed values in the database, and the SQLite library version in the Overview is shown
 * as X.Y.Z. Regenerate the files on purpose only: EMC_UPDATE_GOLDEN=1 ctest -R test_ui_golden. */
#include "test_ui_support.h"

static void fix_journal(void)
{
    sql_exec("glance-demo.sqlite",
             "UPDATE emc_journal SET started_at = datetime(1748779080 + id, 'unixepoch'), "
             "finished_at = datetime(1748779081 + id, 'unixepoch'), operator = "
             "'operator@demo-host', pid = 4242, run_id = 'demo'");
}

static void run_script(const char *url, const struct ui_step *steps)
{
    struct script s;
    struct ui_app *app = calloc(1, sizeof(*app));
    assert_non_null(app);
    struct ui_options o = ui_test_options(url);
    ui_app_init(app, &o, script_io(&s, steps));
    ui_app_run(app);
    ui_app_free(app);
    free(app);
    script_done(&s);
}

static void test_demo_screens(void **state)
{
    (void)state;
    in_temp_dir("golden");
    make_demo(NULL);
    fix_journal();
    const struct ui_step steps[] = {
        KS('2', "overview"),
        KS(UI_KEY_DOWN, "graph"),
        K(UI_KEY_DOWN),
        K(UI_KEY_LEFT),
        KX(UI_KEY_ENTER, "rocky_expand01"),
        KS(UI_KEY_ESC, "graph_detail"),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        K(UI_KEY_DOWN),
        KX(UI_KEY_ENTER, "train_migrate01"),
        KS(UI_KEY_ESC, "graph_detail_data"),
        K(UI_KEY_END),
        KS('5', "graph_end"),
        KS('6', "journal"),
        KS('4', "help"),
        KS('p', "purge"),
        KS('n', "purge_confirm"),
        KX(UI_KEY_DOWN, "purge cancelled"),
        K(UI_KEY_ENTER),
        KS('-', "purge_edit"),
        K('1'),
        KX(UI_KEY_ENTER, "[   -1]"),
        KS('3', "purge_no_limit"),
        KS(UI_KEY_ENTER, "upgrade"),
        KS('n', "upgrade_step"),
        KS('t', "upgrade_stopped"),
        KS(UI_KEY_ESC, "upgrade_target"),
        RESIZE(60, 20),
        {.key = UI_KEY_RESIZE, .w = 80, .h = 24, .snap = "too_small"},
        KX('q', "Target"),
        K(0),
    };
    run_script("sqlite:///glance-demo.sqlite", steps);
    /* the keys changed nothing: the demo is still at queens, no row was purged */
    char v[256];
    sql_text("glance-demo.sqlite", "SELECT version_num FROM alembic_version", v, sizeof(v));
    assert_string_equal(v, "queens_contract01");
    assert_int_equal(sql_int("glance-demo.sqlite", "SELECT count(*) FROM images"), 3000);
    leave_temp_dir();
}

static void test_offline_and_empty(void **state)
{
    (void)state;
    in_temp_dir("golden-off");
    const struct ui_step off[] = {
        KS('q', "offline"),
        K(0),
    };
    run_script("sqlite:///missing.sqlite", off);
    struct stat st;
    assert_int_not_equal(stat("missing.sqlite", &st), 0); /* not created by itself */
    sql_exec("empty.sqlite", "PRAGMA user_version = 0");
    const struct ui_step empty[] = {
        KS('3', "empty_overview"),
        KS('q', "empty_upgrade"),
        K(0),
    };
    run_script("sqlite:///empty.sqlite", empty);
    assert_int_equal(sql_int("empty.sqlite", "SELECT count(*) FROM sqlite_master"), 0);
    leave_temp_dir();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_screens),
        cmocka_unit_test(test_offline_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
