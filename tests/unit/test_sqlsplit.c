/* test_sqlsplit.c - splitting migration files into statements. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sqlsplit.h"

static void test_plain_and_comments(void **state)
{
    (void)state;
    struct sql_list l;
    assert_int_equal(sql_split("-- header\nCREATE TABLE a (x INT);\n\n/* c; */\n"
                               "INSERT INTO a VALUES (1);\n-- trailing; comment\n",
                               &l, NULL),
                     0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.stmt[0], "-- header\nCREATE TABLE a (x INT)");
    assert_string_equal(l.stmt[1], "/* c; */\nINSERT INTO a VALUES (1)");
    sql_list_free(&l);
    assert_int_equal(sql_split("", &l, NULL), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(sql_split("-- only a comment\n", &l, NULL), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(sql_split("SELECT 1", &l, NULL), 0); /* no terminator */
    assert_int_equal(l.n, 1);
    sql_list_free(&l);
}

static void test_quotes(void **state)
{
    (void)state;
    struct sql_list l;
    assert_int_equal(
        sql_split("UPDATE t SET v = 'a;b''c';\nSELECT \"x;y\", `p;q` FROM t;", &l, NULL), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.stmt[0], "UPDATE t SET v = 'a;b''c'");
    assert_string_equal(l.stmt[1], "SELECT \"x;y\", `p;q` FROM t");
    sql_list_free(&l);
    struct emc_error err;
    assert_int_equal(sql_split("SELECT 'open;", &l, &err), -EMC_E_USAGE);
    assert_int_equal(l.n, 0);
}

static void test_dollar_bodies(void **state)
{
    (void)state;
    struct sql_list l;
    const char *pg = "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.a := 1;\n  "
                     "RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"
                     "CREATE FUNCTION g() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n";
    assert_int_equal(sql_split(pg, &l, NULL), 0);
    assert_int_equal(l.n, 2);
    assert_non_null(strstr(l.stmt[0], "RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql"));
    assert_non_null(strstr(l.stmt[1], "$body$ SELECT 1; $body$"));
    sql_list_free(&l);
}

static void test_delimiter(void **state)
{
    (void)state;
    struct sql_list l;
    const char *my = "DROP TRIGGER IF EXISTS t1;\nDELIMITER //\nCREATE TRIGGER t1 BEFORE "
                     "INSERT ON images FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\n  SET NEW.b = 2;\n"
                     "END//\nDELIMITER ;\nSELECT 2;\n";
    assert_int_equal(sql_split(my, &l, NULL), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.stmt[0], "DROP TRIGGER IF EXISTS t1");
    assert_non_null(strstr(l.stmt[1], "SET NEW.a = 1;\n  SET NEW.b = 2;\nEND"));
    assert_null(strstr(l.stmt[1], "//"));
    assert_null(strstr(l.stmt[1], "DELIMITER"));
    assert_string_equal(l.stmt[2], "SELECT 2");
    sql_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_comments),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_dollar_bodies),
        cmocka_unit_test(test_delimiter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
