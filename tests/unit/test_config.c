/* test_config.c - [database] connection from glance-api.conf style files (--config-file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("EMC_TEST_TMP");
    snprintf(dir, sizeof(dir), "%s/emc-config-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    static const char *const names[] = {"a.conf",   "b.conf",    "c.conf",
                                        "bad.conf", "long.conf", "sub.conf"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char p[400];
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

/* write text to dir/name; returns the path in a static slot (4 of them) */
static const char *write_file(const char *name, const char *text)
{
    static char paths[4][400];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 400, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static char *connection_ok(const char *const *files, int n)
{
    char *url = NULL;
    struct emc_error err;
    int rc = emc_config_connection(files, n, &url, &err);
    if (rc != 0)
        fail_msg("emc_config_connection: %s", err.msg);
    assert_non_null(url);
    return url;
}

static void test_later_file_wins(void **state)
{
    (void)state;
    const char *a = write_file("a.conf", "[DEFAULT]\ndebug = true\n\n# a comment\n[database]\n"
                                         "connection = sqlite:////var/lib/glance/a.db\n"
                                         "max_retries = 3\n");
    const char *b = write_file("b.conf", "[database]\nconnection: mysql+pymysql://glance:"
                                         "s3cr%40t@db/glance?charset=utf8\n");
    const char *c = write_file("c.conf", "[DEFAULT]\nverbose = true\n[paste_deploy]\n"
                                         "flavor = keystone\n");
    const char *ab[] = {a, b}, *ba[] = {b, a}, *acc[] = {a, c, c};
    char *url = connection_ok(ab, 2);
    assert_string_equal(url, "mysql+pymysql://glance:s3cr%40t@db/glance?charset=utf8");
    free(url);
    url = connection_ok(ba, 2);
    assert_string_equal(url, "sqlite:////var/lib/glance/a.db");
    free(url);
    /* a later file that does not set it does not unset it */
    url = connection_ok(acc, 3);
    assert_string_equal(url, "sqlite:////var/lib/glance/a.db");
    free(url);
    /* only validating */
    struct emc_error err;
    assert_int_equal(emc_config_connection(ab, 2, NULL, &err), 0);
}

static void test_missing_connection(void **state)
{
    (void)state;
    const char *c = write_file("c.conf", "[DEFAULT]\nconnection = sqlite:///not-this.db\n"
                                         "[paste_deploy]\nflavor = keystone\n");
    char *url = (char *)"untouched";
    struct emc_error err;
    int rc = emc_config_connection(&c, 1, &url, &err);
    assert_int_equal(rc, -EMC_E_USAGE);
    assert_null(url);
    assert_non_null(strstr(err.msg, "[database] connection"));
    assert_non_null(strstr(err.msg, "c.conf"));

    const char *b = write_file("b.conf", "[database]\nconnection =\n");
    const char *cb[] = {c, b};
    rc = emc_config_connection(cb, 2, &url, &err);
    assert_int_equal(rc, -EMC_E_USAGE);
    assert_null(url);

    rc = emc_config_connection(NULL, 0, &url, &err);
    assert_int_equal(rc, -EMC_E_USAGE);
}

static void test_unreadable_and_malformed(void **state)
{
    (void)state;
    char missing[400];
    snprintf(missing, sizeof(missing), "%s/does-not-exist.conf", dir);
    const char *a = write_file("a.conf", "[database]\nconnection = sqlite:///a.db\n");
    const char *am[] = {a, missing};
    char *url = NULL;
    struct emc_error err;
    int rc = emc_config_connection(am, 2, &url, &err);
    assert_int_equal(rc, -EMC_E_IO);
    assert_null(url);
    assert_non_null(strstr(err.msg, missing));
    assert_non_null(strstr(err.msg, "No such file"));

    const char *bad = write_file("bad.conf", "[DEFAULT]\ndebug = true\nthis line is not ini\n"
                                             "[database]\nconnection = sqlite:///b.db\n");
    rc = emc_config_connection(&bad, 1, &url, &err);
    assert_int_equal(rc, -EMC_E_USAGE);
    assert_null(url);
    assert_non_null(strstr(err.msg, "bad.conf"));
    assert_non_null(strstr(err.msg, "line 3"));

    bad = write_file("bad.conf", "[database\nconnection = sqlite:///b.db\n");
    rc = emc_config_connection(&bad, 1, &url, &err);
    assert_int_equal(rc, -EMC_E_USAGE);
    assert_non_null(strstr(err.msg, "line 1"));
}

static void test_values_as_oslo_reads_them(void **state)
{
    (void)state;
    /* ';' inside a value is not a comment; a long line is read whole */
    char text[1200], pw[700];
    memset(pw, 'x', 600);
    pw[600] = '\0';
    snprintf(text, sizeof(text),
             "; leading comment\n[database]\n  connection = mysql://u:pa ;ss@h/db  \n"
             "[other]\nconnection = mysql://u:%s@h/db\n",
             pw);
    const char *a = write_file("long.conf", text);
    char *url = connection_ok(&a, 1);
    assert_string_equal(url, "mysql://u:pa ;ss@h/db");
    free(url);
    char *other = NULL;
    struct emc_error err;
    assert_int_equal(emc_config_get(&a, 1, "other", "connection", &other, &err), 0);
    assert_non_null(other);
    assert_int_equal(strlen(other), strlen("mysql://u:@h/db") + 600);
    free(other);
    assert_int_equal(emc_config_get(&a, 1, "other", "nothing", &other, &err), 0);
    assert_null(other);
    /* libinih's own settings are put back for the engine's other users */
    assert_true(ini_allow_inline_comments);
    assert_true(ini_use_stack);
}

static void test_substitution(void **state)
{
    (void)state;
    const char *a = write_file("sub.conf", "[DEFAULT]\nstate_path = /var/lib/glance\n"
                                           "[database]\nconnection = sqlite:///$state_path/"
                                           "${state_path}.d/g$$1.sqlite\n");
    char *url = connection_ok(&a, 1);
    assert_string_equal(url, "sqlite:////var/lib/glance//var/lib/glance.d/g$1.sqlite");
    free(url);
    a = write_file("sub.conf", "[database]\nconnection = mysql://u:pa$word@h/db\n");
    struct emc_error err;
    url = NULL;
    assert_int_equal(emc_config_connection(&a, 1, &url, &err), -EMC_E_USAGE);
    assert_null(url);
    assert_null(strstr(err.msg, "word")); /* a piece of a password is not shown */
    assert_non_null(strstr(err.msg, "$$"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_later_file_wins),
        cmocka_unit_test(test_missing_connection),
        cmocka_unit_test(test_unreadable_and_malformed),
        cmocka_unit_test(test_values_as_oslo_reads_them),
        cmocka_unit_test(test_substitution),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
