/* test_strbuf.c - the engine's growable string: appends of bytes, strings and formatted text
 * across many reallocations, text always NUL-terminated, writing in place (room, grew), taking
 * the text out, and running out of memory sticking (a request larger than memory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void test_empty_and_take(void **state)
{
    (void)state;
    struct strbuf b = {0};
    assert_null(strbuf_take(&b)); /* nothing appended */
    assert_true(strbuf_puts(&b, NULL));
    assert_non_null(b.s);
    assert_string_equal(b.s, "");
    assert_int_equal(b.len, 0);
    char *s = strbuf_take(&b);
    assert_string_equal(s, "");
    assert_null(b.s); /* b is empty again */
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    free(s);
}

static void test_grows(void **state)
{
    (void)state;
    struct strbuf b = {0};
    char want[20000];
    size_t n = 0;
    for (int i = 0; i < 2000; i++) {
        switch (i % 3) {
        case 0:
            assert_true(strbuf_append(&b, "ab\0c", 2)); /* only the first two bytes */
            memcpy(want + n, "ab", 2);
            n += 2;
            break;
        case 1:
            assert_true(strbuf_puts(&b, "xyz"));
            memcpy(want + n, "xyz", 3);
            n += 3;
            break;
        default:
            assert_true(strbuf_printf(&b, "[%d]", i));
            n += (size_t)sprintf(want + n, "[%d]", i);
        }
        assert_int_equal(b.len, n);
        assert_true(b.cap > b.len);
        assert_int_equal(b.s[b.len], '\0');
    }
    want[n] = '\0';
    assert_string_equal(b.s, want);
    strbuf_free(&b);
    assert_null(b.s);
}

static void test_room_and_grew(void **state)
{
    (void)state;
    struct strbuf b = {0};
    assert_true(strbuf_puts(&b, "k="));
    char *at = strbuf_room(&b, 600);
    assert_non_null(at);
    assert_ptr_equal(at, b.s + 2);
    memset(at, 'v', 600);
    strbuf_grew(&b, 5); /* wrote 600 bytes of room, kept 5 */
    assert_string_equal(b.s, "k=vvvvv");
    assert_true(strbuf_printf(&b, ";%s", "end"));
    assert_string_equal(b.s, "k=vvvvv;end");
    strbuf_free(&b);
}

static void test_oom_sticks(void **state)
{
    (void)state;
    struct strbuf b = {0};
    assert_true(strbuf_puts(&b, "select"));
    assert_null(strbuf_room(&b, SIZE_MAX - 3)); /* len + more overflows */
    assert_true(b.oom);
    assert_false(strbuf_puts(&b, " 1"));
    assert_false(strbuf_printf(&b, "%d", 2));
    assert_false(strbuf_append(&b, "", 0));
    assert_string_equal(b.s, "select"); /* what was there is kept until taken or freed */
    assert_null(strbuf_take(&b));       /* and taking it reports the failure */
    assert_null(b.s);
    assert_false(b.oom);
    struct strbuf c = {0};
    assert_null(strbuf_room(&c, SIZE_MAX / 2 + 1)); /* no realloc of that size is tried */
    assert_true(c.oom);
    strbuf_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_take),
        cmocka_unit_test(test_grows),
        cmocka_unit_test(test_room_and_grew),
        cmocka_unit_test(test_oom_sticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
