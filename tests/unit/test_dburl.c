/* test_dburl.c - SQLAlchemy URLs: parsing, decoding, errors, redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dburl.h"

static struct dburl parse_ok(const char *text)
{
    struct dburl u;
    struct emc_error err;
    int rc = dburl_parse(&u, text, &err);
    if (rc != 0)
        fail_msg("%s: %s", text, err.msg);
    return u;
}

static struct emc_error parse_bad(const char *text)
{
    struct dburl u;
    struct emc_error err;
    emc_error_clear(&err);
    int rc = dburl_parse(&u, text, &err);
    if (rc == 0)
        fail_msg("%s parsed, expected an error", text);
    assert_int_equal(rc, -EMC_E_USAGE);
    assert_int_equal(err.code, EMC_E_USAGE);
    assert_true(err.msg[0] != '\0');
    assert_null(strchr(err.msg, '\n'));
    /* the struct is left empty: nothing to free, nothing half-filled */
    assert_null(u.user);
    assert_null(u.password);
    assert_null(u.host);
    assert_int_equal(u.nopts, 0);
    return err;
}

static void test_sqlite_forms(void **state)
{
    (void)state;
    struct dburl u = parse_ok("sqlite://");
    assert_int_equal(u.backend, DB_SQLITE);
    assert_string_equal(u.scheme, "sqlite");
    assert_null(u.database);
    dburl_free(&u);

    u = parse_ok("sqlite:///:memory:");
    assert_null(u.database);
    dburl_free(&u);

    u = parse_ok("sqlite:///glance.db");
    assert_string_equal(u.database, "glance.db");
    assert_null(u.host);
    dburl_free(&u);

    u = parse_ok("sqlite:///sub/dir/glance.db");
    assert_string_equal(u.database, "sub/dir/glance.db");
    dburl_free(&u);

    u = parse_ok("sqlite:////var/lib/glance/glance.sqlite");
    assert_string_equal(u.database, "/var/lib/glance/glance.sqlite");
    dburl_free(&u);

    u = parse_ok("sqlite+pysqlite:////tmp/x.db?timeout=3");
    assert_int_equal(u.backend, DB_SQLITE);
    assert_string_equal(u.database, "/tmp/x.db");
    assert_string_equal(dburl_opt(&u, "timeout"), "3");
    dburl_free(&u);

    struct emc_error err = parse_bad("sqlite://somehost/x.db");
    assert_non_null(strstr(err.msg, "sqlite:///"));
    parse_bad("sqlite://user:pw@/x.db");
}

static void test_server_forms(void **state)
{
    (void)state;
    struct dburl u = parse_ok("postgresql://glance:pw@db.example:5433/glance");
    assert_int_equal(u.backend, DB_POSTGRESQL);
    assert_string_equal(u.user, "glance");
    assert_string_equal(u.password, "pw");
    assert_string_equal(u.host, "db.example");
    assert_int_equal(u.port, 5433);
    assert_string_equal(u.database, "glance");
    assert_null(u.socket);
    dburl_free(&u);

    static const struct {
        const char *url;
        enum db_backend b;
    } schemes[] = {
        {"postgresql+psycopg2://u@h/d", DB_POSTGRESQL},
        {"mysql://u@h/d", DB_MYSQL},
        {"mysql+pymysql://u@h/d", DB_MYSQL},
        {"mysql+mysqldb://u@h/d", DB_MYSQL},
    };
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        u = parse_ok(schemes[i].url);
        assert_int_equal(u.backend, schemes[i].b);
        assert_string_equal(u.user, "u");
        assert_null(u.password);
        assert_string_equal(u.host, "h");
        assert_int_equal(u.port, 0);
        assert_string_equal(u.database, "d");
        dburl_free(&u);
    }
    assert_string_equal(dburl_backend_name(DB_MYSQL), "mysql");
    assert_string_equal(dburl_backend_name(DB_POSTGRESQL), "postgresql");
    assert_string_equal(dburl_backend_name(DB_SQLITE), "sqlite");

    /* nothing but a host; nothing at all (libpq's defaults) */
    u = parse_ok("postgresql://localhost");
    assert_string_equal(u.host, "localhost");
    assert_null(u.database);
    assert_null(u.user);
    dburl_free(&u);
    u = parse_ok("postgresql://");
    assert_null(u.host);
    dburl_free(&u);
}

static void test_percent_decoding(void **state)
{
    (void)state;
    struct dburl u = parse_ok("mysql+pymysql://gl%40nce:s3cr%40t%25pw@127.0.0.1:3306/my%2Ddb");
    assert_string_equal(u.user, "gl@nce");
    assert_string_equal(u.password, "s3cr@t%pw");
    assert_string_equal(u.database, "my-db");
    dburl_free(&u);

    /* SQLAlchemy: the password runs to the '@', so ':' and '/' may stay raw */
    u = parse_ok("mysql://u:a:b/c@h/db");
    assert_string_equal(u.password, "a:b/c");
    assert_string_equal(u.host, "h");
    dburl_free(&u);

    /* an invalid escape is kept as written, like Python's unquote */
    u = parse_ok("mysql://u:50%off%2@h/db");
    assert_string_equal(u.password, "50%off%2");
    dburl_free(&u);

    /* an empty password is a password */
    u = parse_ok("mysql://u:@h/db");
    assert_string_equal(u.password, "");
    dburl_free(&u);
}

static void test_ipv6_and_port(void **state)
{
    (void)state;
    struct dburl u = parse_ok("mysql://u:p@[::1]:3307/db");
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 3307);
    dburl_free(&u);
    u = parse_ok("postgresql://u@[fe80::1%25eth0]/db");
    assert_string_equal(u.host, "fe80::1%25eth0");
    assert_int_equal(u.port, 0);
    dburl_free(&u);
    u = parse_ok("postgresql://u@h:/db"); /* an empty port is no port */
    assert_int_equal(u.port, 0);
    dburl_free(&u);
    u = parse_ok("postgresql://u@h:65535/db");
    assert_int_equal(u.port, 65535);
    dburl_free(&u);

    static const char *const bad[] = {"mysql://u:p@h:abc/db", "mysql://u:p@h:0/db",
                                      "mysql://u:p@h:65536/db", "mysql://u:p@h:99999999999/db",
                                      "mysql://u:p@h:-1/db"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct emc_error err = parse_bad(bad[i]);
        assert_non_null(strstr(err.msg, "port"));
    }
    parse_bad("mysql://u@[::1/db");
    parse_bad("mysql://u@::1:3306/db");
    parse_bad("mysql://u@[::1]x/db");
}

static void test_query_options(void **state)
{
    (void)state;
    struct dburl u = parse_ok("mysql+pymysql://u:p@h/glance?charset=utf8&read_timeout=30");
    assert_int_equal(u.nopts, 2);
    assert_string_equal(dburl_opt(&u, "charset"), "utf8");
    assert_string_equal(dburl_opt(&u, "read_timeout"), "30");
    assert_null(dburl_opt(&u, "sslmode"));
    assert_null(u.socket);
    dburl_free(&u);

    u = parse_ok("mysql://u:p@localhost/glance?unix_socket=/run/mysqld/mysqld.sock&charset=utf8");
    assert_string_equal(u.socket, "/run/mysqld/mysqld.sock");
    assert_null(dburl_opt(&u, "unix_socket"));
    assert_int_equal(u.nopts, 1);
    dburl_free(&u);

    u = parse_ok("postgresql://u:p@/glance?host=/var/run/postgresql&sslmode=require");
    assert_string_equal(u.socket, "/var/run/postgresql");
    assert_null(u.host);
    assert_string_equal(dburl_opt(&u, "sslmode"), "require");
    dburl_free(&u);

    u = parse_ok("postgresql://u:p@/glance?host=db.example");
    assert_string_equal(u.host, "db.example");
    assert_null(u.socket);
    dburl_free(&u);

    /* form decoding of values; a repeated key: the last one wins */
    u = parse_ok("postgresql://u@h/d?options=-c%20lock_timeout%3D5s&application_name=a+b&"
                 "application_name=c");
    assert_string_equal(dburl_opt(&u, "options"), "-c lock_timeout=5s");
    assert_string_equal(dburl_opt(&u, "application_name"), "c");
    assert_int_equal(u.nopts, 2);
    dburl_free(&u);

    parse_bad("mysql://u@h/d?novalue");
    parse_bad("mysql://u@h/d?=v");
    char many[1024] = "mysql://u@h/d?";
    for (int i = 0; i <= DBURL_MAX_OPTS; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "k%d=v&", i);
    parse_bad(many);
}

static void test_errors_never_show_the_password(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "glance.db",
        "://u:Secr3tPw@h/db",
        "oracle://u:Secr3tPw@h/db",
        "mysql+foo://u:Secr3tPw@h/db",
        "postgresql+nope://u:Secr3tPw@h/db",
        "mysql://u:Secr3tPw@h:port/db",
        "mysql://u:Secr3tPw@ss@h/db", /* an '@' left unescaped in the password */
        "mysql://u:Secr3tPw@h/db\n",
        "mysql://u:Secr3tPw@h/db?x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct emc_error err = parse_bad(bad[i]);
        if (strstr(err.msg, "Secr3tPw"))
            fail_msg("%s: message shows the password: %s", bad[i], err.msg);
    }
    struct emc_error err = parse_bad("oracle://u:Secr3tPw@h/db");
    assert_non_null(strstr(err.msg, "oracle"));
    err = parse_bad("mysql+foo://u:Secr3tPw@h/db");
    assert_non_null(strstr(err.msg, "foo"));
    err = parse_bad("mysql://u:Secr3tPw@ss@h/db");
    assert_non_null(strstr(err.msg, "%40"));
}

static void test_redacted(void **state)
{
    (void)state;
    char buf[256];
    struct dburl u =
        parse_ok("mysql+pymysql://glance:s3cr%40t%25pw@db.example:3306/glance?charset=utf8");
    assert_string_equal(dburl_redacted(&u, buf, sizeof(buf)),
                        "mysql+pymysql://glance:***@db.example:3306/glance?charset=utf8");
    /* a short buffer truncates, still NUL-terminated */
    dburl_redacted(&u, buf, 12);
    assert_string_equal(buf, "mysql+pymys");
    dburl_free(&u);

    u = parse_ok("postgresql://u@[::1]:5432/glance");
    assert_string_equal(dburl_redacted(&u, buf, sizeof(buf)), "postgresql://u@[::1]:5432/glance");
    dburl_free(&u);

    u = parse_ok("mysql://gl%40nce:pw@localhost/glance?unix_socket=/run/my.sock");
    assert_string_equal(dburl_redacted(&u, buf, sizeof(buf)),
                        "mysql://gl%40nce:***@localhost/glance?unix_socket=/run/my.sock");
    dburl_free(&u);

    u = parse_ok("postgresql://u:pw@/glance?host=/run/pg&password=other");
    assert_string_equal(dburl_redacted(&u, buf, sizeof(buf)),
                        "postgresql://u:***@/glance?host=/run/pg&password=***");
    dburl_free(&u);

    u = parse_ok("sqlite:////var/lib/glance/glance.db");
    assert_string_equal(dburl_redacted(&u, buf, sizeof(buf)),
                        "sqlite:////var/lib/glance/glance.db");
    dburl_free(&u);
    u = parse_ok("sqlite:///rel.db");
    assert_string_equal(dburl_redacted(&u, buf, sizeof(buf)), "sqlite:///rel.db");
    dburl_free(&u);
}

static void test_redact_text(void **state)
{
    (void)state;
    char buf[256];
    assert_string_equal(dburl_redact_text("bad url mysql://u:Secr3t@h/db here", buf, sizeof(buf)),
                        "bad url mysql://u:***@h/db here");
    assert_string_equal(
        dburl_redact_text("a=postgresql://u:x@h/d, b='mysql+pymysql://v:y%40z@h2:1/e'", buf,
                          sizeof(buf)),
        "a=postgresql://u:***@h/d, b='mysql+pymysql://v:***@h2:1/e'");
    /* a raw '@' in the password: everything up to the last '@' goes */
    assert_string_equal(dburl_redact_text("mysql://u:p@ss:w/rd@h/db", buf, sizeof(buf)),
                        "mysql://u:***@h/db");
    /* no password, or not a URL at all: unchanged */
    static const char *const same[] = {"postgresql://h:5432/db", "postgresql://u@h/db",
                                       "sqlite:////a/b.db", "nothing to see: here@there", ""};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        assert_string_equal(dburl_redact_text(same[i], buf, sizeof(buf)), same[i]);
    dburl_redact_text("mysql://u:Secr3t@h/db", buf, 14);
    assert_string_equal(buf, "mysql://u:***");
    assert_string_equal(dburl_redact_text(NULL, buf, sizeof(buf)), "");
}

static void test_scrub_and_free(void **state)
{
    (void)state;
    char msg[128] = "login as u with s3cr@t%pw failed (s3cr@t%pw)";
    dburl_scrub_secret(msg, "s3cr@t%pw");
    assert_string_equal(msg, "login as u with *** failed (***)");
    char msg2[32] = "a*** b***";
    dburl_scrub_secret(msg2, "***"); /* does not loop forever on its own mask */
    assert_string_equal(msg2, "a*** b***");
    char msg3[32] = "ab";
    dburl_scrub_secret(msg3, "a"); /* too short to mask */
    assert_string_equal(msg3, "ab");
    dburl_scrub_secret(NULL, "x");

    struct dburl u = parse_ok("mysql://u:pw@h/db?charset=utf8");
    dburl_free(&u);
    dburl_free(&u); /* twice is fine */
    assert_null(u.password);
    assert_int_equal(u.nopts, 0);
    struct dburl z;
    memset(&z, 0, sizeof(z));
    dburl_free(&z);
    dburl_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_forms),
        cmocka_unit_test(test_server_forms),
        cmocka_unit_test(test_percent_decoding),
        cmocka_unit_test(test_ipv6_and_port),
        cmocka_unit_test(test_query_options),
        cmocka_unit_test(test_errors_never_show_the_password),
        cmocka_unit_test(test_redacted),
        cmocka_unit_test(test_redact_text),
        cmocka_unit_test(test_scrub_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
