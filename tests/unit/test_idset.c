/* test_idset.c - the marked set behind the purge preview's blocked count on SQLite: members
 * added once, marks counted once, non-members never marked, keys compared by their bytes,
 * and all of it across the table's growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "idset.h"

static void test_add_mark_count(void **state)
{
    (void)state;
    struct idset *s = idset_new();
    assert_non_null(s);
    assert_int_equal(idset_size(s), 0);
    assert_int_equal(idset_mark(s, "a", 1), 0);
    assert_int_equal(idset_add(s, "a", 1), 0);
    assert_int_equal(idset_add(s, "a", 1), 0); /* again: still one member */
    assert_int_equal(idset_add(s, "", 0), 0);  /* the empty key is a key */
    assert_int_equal(idset_size(s), 2);
    assert_int_equal(idset_marked(s), 0);
    assert_int_equal(idset_mark(s, "a", 1), 1);
    assert_int_equal(idset_mark(s, "a", 1), 1); /* marked once, counted once */
    assert_int_equal(idset_marked(s), 1);
    assert_int_equal(idset_mark(s, "ab", 2), 0); /* a longer key is another key */
    assert_int_equal(idset_mark(s, "ab", 1), 1); /* only n bytes count */
    assert_int_equal(idset_mark(s, "", 0), 1);
    assert_int_equal(idset_marked(s), 2);
    idset_free(s);
    idset_free(NULL);
}

/* 100k UUID-like keys: the table grows many times over; every member is found, marked once,
 * and near-misses (one character changed) are not members */
static void test_growth(void **state)
{
    (void)state;
    struct idset *s = idset_new();
    assert_non_null(s);
    char k[40];
    for (int i = 0; i < 100000; i++) {
        snprintf(k, sizeof(k), "%08x-0000-4000-8000-%012d", (unsigned)i * 2654435761u, i);
        assert_int_equal(idset_add(s, k, strlen(k)), 0);
    }
    assert_int_equal(idset_size(s), 100000);
    for (int i = 0; i < 100000; i += 999) { /* the members, in the order added */
        snprintf(k, sizeof(k), "%08x-0000-4000-8000-%012d", (unsigned)i * 2654435761u, i);
        size_t n = 0;
        const char *m = idset_member(s, (size_t)i, &n);
        assert_int_equal(n, strlen(k));
        assert_memory_equal(m, k, n);
        assert_int_equal(m[n], '\0'); /* a C string, as a query parameter wants it */
    }
    size_t n = 1;
    assert_null(idset_member(s, 100000, &n));
    assert_int_equal(n, 0);
    size_t hits = 0;
    for (int i = 0; i < 100000; i += 3) {
        snprintf(k, sizeof(k), "%08x-0000-4000-8000-%012d", (unsigned)i * 2654435761u, i);
        hits += (size_t)idset_mark(s, k, strlen(k));
        k[9] = '1';
        assert_int_equal(idset_mark(s, k, strlen(k)), 0);
    }
    assert_int_equal(hits, 33334);
    assert_int_equal(idset_marked(s), 33334);
    idset_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_mark_count),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
