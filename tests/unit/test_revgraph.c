/* test_revgraph.c - the revision graph and alembic's head rules, on text fixtures and on the
 * embedded Glance graph. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "migset.h"
#include "revgraph.h"

struct fx {
    char *dir;
    struct migset *ms;
};

static int setup_ab(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->dir = fixture_dir_new();
    fixture_graph_ab(f->dir);
    struct emc_error err;
    if (migset_load_dir(&f->ms, f->dir, &err) != 0) {
        fprintf(stderr, "load: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown_ab(void **state)
{
    struct fx *f = *state;
    migset_free(f->ms);
    fixture_dir_free(f->dir);
    free(f);
    return 0;
}

static int idx(const struct migset *ms, const char *id)
{
    int i = migset_find(ms, id);
    assert_true(i >= 0);
    return i;
}

/* heads_str: the heads of applied joined by ',' */
static const char *heads_str(const struct migset *ms, const bool *applied, char *buf)
{
    int h[64];
    int n = rg_heads(ms, applied, h);
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(buf, ",");
        strcat(buf, ms->revs[h[i]].id);
    }
    return buf;
}

static void test_heads_follow_alembic(void **state)
{
    struct fx *f = *state;
    const struct migset *ms = f->ms;
    bool ap[64] = {0};
    char buf[256];
    ap[idx(ms, "base")] = true;
    assert_string_equal(heads_str(ms, ap, buf), "base");
    ap[idx(ms, "a_expand01")] = true;
    assert_string_equal(heads_str(ms, ap, buf), "a_expand01");
    ap[idx(ms, "b_expand01")] = true;
    assert_string_equal(heads_str(ms, ap, buf), "b_expand01");
    /* a contract head beside a newer expand: a composite version of two rows */
    ap[idx(ms, "a_contract01")] = true;
    assert_string_equal(heads_str(ms, ap, buf), "b_expand01,a_contract01");
    /* the last contract depends_on the last expand: one row again */
    ap[idx(ms, "b_contract01")] = true;
    assert_string_equal(heads_str(ms, ap, buf), "b_contract01");
}

static void test_applied_from_composite_heads(void **state)
{
    struct fx *f = *state;
    const struct migset *ms = f->ms;
    bool ap[64];
    char *heads[] = {"b_expand01", "a_contract01"};
    struct emc_error err;
    assert_int_equal(rg_applied_from_heads(ms, heads, 2, ap, &err), 0);
    assert_true(ap[idx(ms, "base")]);
    assert_true(ap[idx(ms, "a_expand01")]);
    assert_true(ap[idx(ms, "b_expand01")]);
    assert_true(ap[idx(ms, "a_contract01")]);
    assert_false(ap[idx(ms, "b_contract01")]);
}

static void test_heads_that_make_no_sense(void **state)
{
    struct fx *f = *state;
    bool ap[64];
    struct emc_error err;
    char *ancestor[] = {"base", "a_expand01"};
    assert_int_equal(rg_applied_from_heads(f->ms, ancestor, 2, ap, &err), -EMC_E_REVISION);
    assert_non_null(strstr(err.msg, "make no sense"));
    char *twice[] = {"a_expand01", "a_expand01"};
    assert_int_equal(rg_applied_from_heads(f->ms, twice, 2, ap, &err), -EMC_E_REVISION);
    char *unknown[] = {"zz_expand09"};
    assert_int_equal(rg_applied_from_heads(f->ms, unknown, 1, ap, &err), -EMC_E_REVISION);
    assert_non_null(strstr(err.msg, "zz_expand09"));
    /* a data migration is not a revision alembic_version can hold */
    char *data[] = {"a_migrate01"};
    assert_int_equal(rg_applied_from_heads(f->ms, data, 1, ap, &err), -EMC_E_REVISION);
}

static void test_targets(void **state)
{
    struct fx *f = *state;
    const struct migset *ms = f->ms;
    bool want[64];
    struct emc_error err;
    assert_int_equal(rg_resolve_target(ms, "a", want, &err), 0); /* a release */
    assert_true(want[idx(ms, "a_contract01")] && want[idx(ms, "a_expand01")]);
    assert_false(want[idx(ms, "b_expand01")]);
    assert_int_equal(rg_resolve_target(ms, "a_contract01", want, &err), 0);
    assert_true(want[idx(ms, "a_expand01")]); /* through depends_on */
    assert_false(want[idx(ms, "b_contract01")]);
    assert_int_equal(rg_resolve_target(ms, "expand", want, &err), 0);
    assert_true(want[idx(ms, "b_expand01")]);
    assert_false(want[idx(ms, "a_contract01")]);
    assert_int_equal(rg_resolve_target(ms, NULL, want, &err), 0);
    assert_true(want[idx(ms, "b_contract01")]);
    assert_false(want[idx(ms, "a_migrate01")]); /* data migrations are not schema targets */
    assert_int_equal(rg_resolve_target(ms, "nosuch", want, &err), -EMC_E_REVISION);
    assert_non_null(strstr(err.msg, "nosuch"));
}

static void test_data_on_path(void **state)
{
    struct fx *f = *state;
    const struct migset *ms = f->ms;
    bool ap[64] = {0}, want[64];
    struct emc_error err;
    int d = idx(ms, "a_migrate01");
    ap[idx(ms, "base")] = true;
    assert_int_equal(rg_resolve_target(ms, "expand", want, &err), 0);
    assert_false(rg_data_on_path(ms, d, ap, want)); /* contract not wanted */
    assert_int_equal(rg_resolve_target(ms, "a_contract01", want, &err), 0);
    assert_true(rg_data_on_path(ms, d, ap, want));
    ap[idx(ms, "a_expand01")] = ap[idx(ms, "a_contract01")] = true;
    assert_false(rg_data_on_path(ms, d, ap, want)); /* already contracted */
}

static void test_branch_heads_and_release_order(void **state)
{
    struct fx *f = *state;
    const struct migset *ms = f->ms;
    assert_string_equal(ms->revs[migset_branch_head(ms, BR_EXPAND)].id, "b_expand01");
    assert_string_equal(ms->revs[migset_branch_head(ms, BR_CONTRACT)].id, "b_contract01");
    assert_true(migset_release_order(ms, "base") < migset_release_order(ms, "a"));
    assert_true(migset_release_order(ms, "a") < migset_release_order(ms, "b"));
    assert_int_equal(migset_release_order(ms, "zz"), -1);
    assert_string_equal(migset_latest_release(ms), "b");
    assert_non_null(migset_file(ms, "a_expand01", "sqlite.sql"));
    assert_null(migset_file(ms, "a_expand01", "mysql.sql"));
}

static void test_bad_graphs_refused(void **state)
{
    (void)state;
    struct emc_error err;
    struct migset *ms;
    /* two heads on the expand branch */
    char *d = fixture_dir_new();
    fixture_graph_ab(d);
    fixture_rev(d, "c_expand01", "a_expand01", "expand", NULL, "c", "");
    assert_int_equal(migset_load_dir(&ms, d, &err), -EMC_E_REVISION);
    assert_non_null(strstr(err.msg, "heads"));
    assert_null(ms);
    fixture_dir_free(d);
    /* an unknown down_revision */
    d = fixture_dir_new();
    fixture_graph_ab(d);
    fixture_rev(d, "c_expand01", "nowhere", "expand", NULL, "c", "");
    assert_int_equal(migset_load_dir(&ms, d, &err), -EMC_E_REVISION);
    assert_non_null(strstr(err.msg, "nowhere"));
    fixture_dir_free(d);
    /* a cycle through depends_on */
    d = fixture_dir_new();
    fixture_rev(d, "r1", NULL, "none", "r2", "x", "");
    fixture_rev(d, "r2", "r1", "none", NULL, "x", "");
    assert_int_equal(migset_load_dir(&ms, d, &err), -EMC_E_REVISION);
    assert_non_null(strstr(err.msg, "cycle"));
    fixture_dir_free(d);
    /* a folder that does not exist */
    assert_int_equal(migset_load_dir(&ms, "/nonexistent/emc", &err), -EMC_E_IO);
}

static void test_embedded_glance_graph(void **state)
{
    (void)state;
    struct migset *ms;
    struct emc_error err;
    assert_int_equal(migset_load_embedded(&ms, &err), 0);
    assert_string_equal(ms->revs[migset_branch_head(ms, BR_EXPAND)].id, "2024_1_expand01");
    assert_string_equal(ms->revs[migset_branch_head(ms, BR_CONTRACT)].id, "2024_1_contract01");
    /* legacy heads */
    assert_int_equal(migset_find(ms, "ocata01"), migset_find(ms, "ocata_contract01"));
    assert_int_equal(migset_find(ms, "pike01"), migset_find(ms, "pike_contract01"));
    /* every contract revision depends on its release's expand revision */
    for (int i = 0; i < ms->nrev; i++) {
        const struct revision *r = &ms->revs[i];
        if (r->kind == REV_SCHEMA && r->branch == BR_CONTRACT) {
            assert_true(r->dep_idx >= 0);
            assert_string_equal(ms->revs[r->dep_idx].release, r->release);
        }
    }
    /* the composite version of the seeds: wallaby contracted, expanded to the latest */
    bool ap[128] = {0};
    char *heads[] = {"2024_1_expand01", "wallaby_contract01"};
    assert_int_equal(rg_applied_from_heads(ms, heads, 2, ap, &err), 0);
    char buf[512];
    assert_string_equal(heads_str(ms, ap, buf), "2024_1_expand01,wallaby_contract01");
    /* every revision release sorts after mitaka */
    assert_true(migset_release_order(ms, "wallaby") > migset_release_order(ms, "ocata"));
    assert_true(migset_release_order(ms, "2024_1") > migset_release_order(ms, "2023_1"));
    migset_free(ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_heads_follow_alembic, setup_ab, teardown_ab),
        cmocka_unit_test_setup_teardown(test_applied_from_composite_heads, setup_ab, teardown_ab),
        cmocka_unit_test_setup_teardown(test_heads_that_make_no_sense, setup_ab, teardown_ab),
        cmocka_unit_test_setup_teardown(test_targets, setup_ab, teardown_ab),
        cmocka_unit_test_setup_teardown(test_data_on_path, setup_ab, teardown_ab),
        cmocka_unit_test_setup_teardown(test_branch_heads_and_release_order, setup_ab, teardown_ab),
        cmocka_unit_test(test_bad_graphs_refused),
        cmocka_unit_test(test_embedded_glance_graph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
