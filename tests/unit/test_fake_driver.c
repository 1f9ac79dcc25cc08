/* test_fake_driver.c - the fake driver records, counts, answers and fails as told. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_driver.h"

static struct db_conn *open_fake(void)
{
    struct dburl u;
    fake_url(&u);
    struct db_conn *c = NULL;
    struct emc_error err;
    assert_int_equal(db_connect(&c, &u, 0, &err), 0);
    assert_non_null(c);
    return c;
}

static int setup(void **state)
{
    (void)state;
    fake_driver_install(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_driver_reset();
    return 0;
}

struct collect {
    int rows;
    char first[64];
    char names[64];
    bool saw_null;
};

static int collect_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    struct collect *c = ud;
    c->rows++;
    if (c->rows == 1 && ncols >= 2) {
        strncpy(c->first, vals[0] ? vals[0] : "(null)", sizeof(c->first) - 1);
        snprintf(c->names, sizeof(c->names), "%s,%s", names[0], names[1]);
    }
    for (int i = 0; i < ncols; i++)
        c->saw_null |= vals[i] == NULL;
    return 0;
}

static void test_records_calls_in_order(void **state)
{
    (void)state;
    struct db_conn *c = open_fake();
    struct emc_error err;
    assert_int_equal(db_begin(c, &err), 0);
    assert_int_equal(db_exec(c, "CREATE TABLE t (x INT)", &err), 0);
    struct db_param p[] = {DBP_I(-7), DBP_S("it's"), DBP_NUL};
    assert_int_equal(db_query(c, "INSERT INTO t VALUES (?, ?, ?)", p, 3, NULL, NULL, NULL, &err),
                     0);
    assert_int_equal(db_commit(c, &err), 0);
    bool got = false;
    assert_int_equal(db_drv(c)->lock_try(c, "glance-emc", &got, &err), 0);
    assert_true(got);
    assert_int_equal(db_drv(c)->set_lock_timeout(c, 250, &err), 0);
    db_close(c);

    assert_int_equal(fake_calls(FAKE_CONNECT), 1);
    assert_int_equal(fake_calls(FAKE_EXEC), 1);
    assert_int_equal(fake_calls(FAKE_QUERY), 1);
    assert_int_equal(fake_calls(FAKE_BEGIN), 1);
    assert_int_equal(fake_calls(FAKE_COMMIT), 1);
    assert_int_equal(fake_calls(FAKE_ROLLBACK), 0);
    assert_int_equal(fake_calls(FAKE_ANY), 8);
    assert_int_equal(fake_log_count(), 8);
    assert_string_equal(fake_log_at(2), "CREATE TABLE t (x INT)");
    assert_int_equal(fake_log_fn_at(3), FAKE_QUERY);
    assert_string_equal(fake_log_params_at(3), "-7, 'it's', NULL");
    assert_string_equal(fake_log_params_at(2), "");
    assert_null(fake_log_at(99));
    char *text = fake_log_text();
    assert_string_equal(text, "CONNECT\nBEGIN\nCREATE TABLE t (x INT)\n"
                              "INSERT INTO t VALUES (?, ?, ?) | -7, 'it's', NULL\nCOMMIT\n"
                              "LOCK glance-emc\nLOCK_TIMEOUT 250\nCLOSE\n");
    free(text);
    assert_int_equal(fake_log_find("INSERT", 0), 3);
    assert_int_equal(fake_log_find("INSERT", 4), -1);
    assert_int_equal(fake_log_count_matching("LOCK"), 2); /* LOCK x, LOCK_TIMEOUT n */
    assert_int_equal(fake_open_connections(), 0);

    fake_driver_reset();
    assert_int_equal(fake_log_count(), 0);
    assert_int_equal(fake_calls(FAKE_ANY), 0);
}

static void test_scripted_rows(void **state)
{
    (void)state;
    const char *names[] = {"name", "size"};
    const char *vals[] = {"cirros", NULL, "ubuntu", "42"};
    fake_script_rows("FROM images", 2, names, 2, vals, 0, 0);
    fake_script_int("count(*) FROM pending", 5, 1); /* once, then ... */
    fake_script_int("count(*) FROM pending", 0, 0); /* ... forever */
    fake_script_rows("DELETE", 0, NULL, 0, NULL, 17, 0);
    struct db_conn *c = open_fake();
    struct emc_error err;
    struct collect col = {0};
    assert_int_equal(
        db_query(c, "SELECT name, size FROM images", NULL, 0, collect_cb, &col, NULL, &err), 0);
    assert_int_equal(col.rows, 2);
    assert_string_equal(col.first, "cirros");
    assert_string_equal(col.names, "name,size");
    assert_true(col.saw_null);
    int64_t n = -1;
    bool found = false;
    const char *q = "SELECT count(*) FROM pending";
    assert_int_equal(db_query_int(c, q, NULL, 0, &n, &found, &err), 0);
    assert_true(found);
    assert_int_equal(n, 5);
    assert_int_equal(db_query_int(c, q, NULL, 0, &n, &found, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(db_query_int(c, q, NULL, 0, &n, &found, &err), 0);
    assert_int_equal(n, 0);
    /* no script: no rows */
    assert_int_equal(db_query_int(c, "SELECT 1 FROM nowhere", NULL, 0, &n, &found, &err), 0);
    assert_false(found);
    int64_t aff = 0;
    assert_int_equal(db_query(c, "DELETE FROM old_rows", NULL, 0, NULL, NULL, &aff, &err), 0);
    assert_int_equal(aff, 17);
    db_close(c);
}

static void test_fail_on_command(void **state)
{
    (void)state;
    struct db_conn *c = open_fake();
    struct emc_error err;
    fake_fail_nth(FAKE_QUERY, 2, EMC_E_DEADLOCK);
    assert_int_equal(db_query(c, "SELECT 1", NULL, 0, NULL, NULL, NULL, &err), 0);
    assert_int_equal(db_query(c, "SELECT 2", NULL, 0, NULL, NULL, NULL, &err), -EMC_E_DEADLOCK);
    assert_int_equal(err.code, EMC_E_DEADLOCK);
    assert_non_null(strstr(err.msg, "deadlock"));
    assert_int_equal(db_query(c, "SELECT 3", NULL, 0, NULL, NULL, NULL, &err), 0);
    /* the failed call is still recorded */
    assert_int_equal(fake_log_count_matching("SELECT 2"), 1);

    fake_fail_matching("ALTER TABLE", EMC_E_LOCK_TIMEOUT, 2);
    assert_int_equal(db_exec(c, "ALTER TABLE a ADD x INT", &err), -EMC_E_LOCK_TIMEOUT);
    assert_int_equal(db_exec(c, "SELECT 4", &err), 0);
    assert_int_equal(db_exec(c, "ALTER TABLE a ADD x INT", &err), -EMC_E_LOCK_TIMEOUT);
    assert_int_equal(db_exec(c, "ALTER TABLE a ADD x INT", &err), 0);

    fake_fail_matching("DROP", EMC_E_CONN_LOST, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(db_exec(c, "DROP TABLE x", &err), -EMC_E_CONN_LOST);

    long before = fake_calls(FAKE_ANY);
    fake_fail_nth(FAKE_ANY, 2, EMC_E_OTHER);
    assert_int_equal(db_begin(c, &err), 0);
    assert_int_equal(db_commit(c, &err), -EMC_E_OTHER);
    assert_int_equal(db_rollback(c, &err), 0);
    assert_int_equal(fake_calls(FAKE_ANY), before + 3);
    db_close(c);

    fake_fail_nth(FAKE_CONNECT, 1, EMC_E_AUTH);
    struct dburl u;
    fake_url(&u);
    struct db_conn *c2 = NULL;
    assert_int_equal(db_connect(&c2, &u, 0, &err), -EMC_E_AUTH);
    assert_null(c2);
    assert_int_equal(fake_open_connections(), 0);
}

static void test_caps_locks_version(void **state)
{
    (void)state;
    const struct db_caps my = {.dialect = "mysql",
                               .transactional_ddl = false,
                               .placeholder = DB_PH_QMARK,
                               .advisory_locks = true,
                               .lock_timeout = true,
                               .ident_quote = '`'};
    const struct db_driver *d = fake_driver_install(&my);
    assert_string_equal(d->name, "fake");
    struct db_conn *c = open_fake();
    assert_ptr_equal(db_drv(c), d);
    assert_string_equal(db_drv(c)->caps.dialect, "mysql");
    assert_false(db_drv(c)->caps.transactional_ddl);
    char q[32];
    assert_string_equal(db_quote_ident(c, "a`b", q, sizeof(q)), "`a``b`");
    struct emc_error err;
    bool got = true;
    fake_set_lock_held_elsewhere(true);
    assert_int_equal(d->lock_try(c, "glance-emc", &got, &err), 0);
    assert_false(got);
    fake_set_lock_held_elsewhere(false);
    assert_int_equal(d->lock_try(c, "glance-emc", &got, &err), 0);
    assert_true(got);
    char v[32];
    assert_int_equal(d->server_version(c, v, sizeof(v), &err), 0);
    assert_string_equal(v, "Fake 1.0");
    fake_set_server_version("MariaDB 10.11.6");
    assert_int_equal(d->server_version(c, v, sizeof(v), &err), 0);
    assert_string_equal(v, "MariaDB 10.11.6");
    assert_int_equal(fake_open_connections(), 1);
    db_close(c);
    assert_int_equal(fake_open_connections(), 0);
    /* back to the SQLite-like default */
    d = fake_driver_install(NULL);
    assert_string_equal(d->caps.dialect, "sqlite");
    assert_true(d->caps.transactional_ddl);
    assert_int_equal(d->caps.ident_quote, '"');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records_calls_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scripted_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_on_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caps_locks_version, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
