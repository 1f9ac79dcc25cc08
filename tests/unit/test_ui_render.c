/* test_ui_render.c - the console's pieces without its event loop: the canvas and its text
 * form, the formatting helpers, the one key table (lookups by context, the key bar, the Help
 * screen generated from it), and view-models rendered straight to text with ui_render_text. */
#include "test_ui_support.h"

#include "view.h"

static void test_canvas_text(void **state)
{
    (void)state;
    struct ui_canvas c;
    assert_int_equal(ui_canvas_init(&c, 10, 3), 0);
    assert_int_equal(ui_put(&c, 8, 0, UI_S_BOLD, "abcdef", 0), 14); /* clipped, not wrapped */
    ui_put(&c, 0, 1, UI_S_NORMAL, "tab\there\xc3\xa9", 0);          /* non-ASCII shown as ? */
    ui_box(&c, 0, 2, 0, 0, UI_S_NORMAL, NULL);                      /* too small: nothing */
    ui_fill(&c, 0, 2, 3, UI_G_HLINE, UI_S_DIM);
    ui_glyph(&c, 3, 2, UI_S_DIM, UI_G_BLOCK);
    char buf[128];
    ui_canvas_text(&c, buf, sizeof(buf));
    assert_string_equal(buf, "        ab\ntab?here?\n---#\n");
    /* a too small buffer is cut and still terminated; the length needed is returned */
    char small[8];
    assert_int_equal(ui_canvas_text(&c, small, sizeof(small)), strlen(buf) + 1);
    assert_int_equal(strlen(small), 7);
    ui_canvas_free(&c);
}

static void test_fmt(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(fmt_count(0, b, sizeof(b)), "0");
    assert_string_equal(fmt_count(999, b, sizeof(b)), "999");
    assert_string_equal(fmt_count(1234567, b, sizeof(b)), "1,234,567");
    assert_string_equal(fmt_count(-1000, b, sizeof(b)), "-1,000");
    assert_string_equal(fmt_eta(-1, b, sizeof(b)), "--");
    assert_string_equal(fmt_eta(42, b, sizeof(b)), "42s");
    assert_string_equal(fmt_eta(185, b, sizeof(b)), "3m05s");
    assert_string_equal(fmt_eta(7200, b, sizeof(b)), "2.0h");
    time_t t;
    assert_int_equal(fmt_parse_utc("2025-06-01 12:00:00", &t), 0);
    assert_int_equal((long)t, (long)UI_TEST_NOW);
    assert_string_equal(fmt_utc(t, b, sizeof(b)), "2025-06-01 12:00:00");
    assert_int_equal(fmt_parse_utc("yesterday", &t), -1);
    struct ui_lines l = {0};
    lines_wrap(&l, "one two three four\n\nfive", 9, 2);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.v[0], "one two");
    assert_string_equal(l.v[1], "  three");
    assert_string_equal(l.v[2], "  four");
    assert_string_equal(l.v[3], "");
    assert_string_equal(l.v[4], "five");
    lines_free(&l);
}

static void test_keymap_contexts(void **state)
{
    (void)state;
    /* one key, different meanings by where it is pressed */
    const unsigned idle = KC_GLOBAL | KC_IDLE;
    assert_int_equal(keymap_lookup(idle | KC_UPGRADE, UI_KEY_ENTER), ACT_RUN);
    assert_int_equal(keymap_lookup(idle | KC_GRAPH, UI_KEY_ENTER), ACT_OPEN);
    assert_int_equal(keymap_lookup(idle | KC_PURGE, UI_KEY_ENTER), ACT_EDIT);
    assert_int_equal(keymap_lookup(KC_GLOBAL | KC_DETAIL, 'q'), ACT_BACK);
    assert_int_equal(keymap_lookup(KC_GLOBAL | KC_OVERVIEW, 'q'), ACT_QUIT);
    assert_int_equal(keymap_lookup(KC_STEP, 'q'), ACT_STOP_QUIT);
    assert_int_equal(keymap_lookup(KC_ASK, 'q'), ACT_NO);
    /* a question takes every key: screens do not switch under it */
    assert_int_equal(keymap_lookup(KC_STEP, '2'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_ASK, UI_KEY_F(3)), ACT_NONE);
    /* yes to the rest of a phase: E and M only, never contract */
    assert_int_equal(keymap_lookup(KC_STEP, 'a'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_STEP | KC_STEP_ALL, 'a'), ACT_YES_PHASE);
    /* while a step runs: s stops, y answers nothing, nothing new starts; moving works */
    const unsigned running = KC_GLOBAL | KC_RUNNING;
    assert_int_equal(keymap_lookup(running | KC_UPGRADE, 's'), ACT_STOP);
    assert_int_equal(keymap_lookup(running | KC_UPGRADE, 'y'), ACT_NONE);
    assert_int_equal(keymap_lookup(running | KC_UPGRADE, UI_KEY_ENTER), ACT_NONE);
    assert_int_equal(keymap_lookup(running | KC_UPGRADE, 't'), ACT_NONE);
    assert_int_equal(keymap_lookup(running | KC_PURGE, 'p'), ACT_NONE);
    assert_int_equal(keymap_lookup(running | KC_PURGE, 'r'), ACT_NONE);
    assert_int_equal(keymap_lookup(running | KC_UPGRADE, UI_KEY_DOWN), ACT_DOWN);
    assert_int_equal(keymap_lookup(running | KC_GRAPH, '5'), ACT_SCREEN_5);
    assert_int_equal(keymap_lookup(running | KC_GRAPH, 'q'), ACT_QUIT);
    /* typing: printable keys are text, Enter accepts */
    assert_int_equal(keymap_lookup(KC_TYPE, 'q'), ACT_TEXT);
    assert_int_equal(keymap_lookup(KC_TYPE, UI_KEY_ENTER), ACT_ACCEPT);
    /* numbers and F-keys switch screens */
    for (int k = 0; k < 6; k++) {
        assert_int_equal(keymap_lookup(KC_GLOBAL, '1' + k), ACT_SCREEN_1 + k);
        assert_int_equal(keymap_lookup(KC_GLOBAL, UI_KEY_F(1 + k)), ACT_SCREEN_1 + k);
    }
    /* offline: only what works without a database */
    assert_int_equal(keymap_lookup(KC_OFFLINE | KC_OVERVIEW, '3'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_OFFLINE | KC_OVERVIEW, 'r'), ACT_RETRY);
    assert_int_equal(keymap_lookup(KC_OFFLINE | KC_OVERVIEW, 'c'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_OFFLINE | KC_CREATE, 'c'), ACT_CREATE);
}

static void test_keymap_no_ambiguity(void **state)
{
    (void)state;
    /* within one context a key means one thing: no binding is shadowed by an earlier one */
    size_t n;
    const struct ui_binding *t = keymap_table(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (!(t[i].ctx & t[j].ctx) || t[i].act == t[j].act)
                continue;
            for (int a = 0; a < 4 && t[i].keys[a]; a++)
                for (int b = 0; b < 4 && t[j].keys[b]; b++)
                    if (t[i].keys[a] == t[j].keys[b])
                        fail_msg("key %d is both %s and %s", t[i].keys[a], t[i].keyname,
                                 t[j].keyname);
        }
}

/* ui_nav: the one way every list and text scrolls */
static void test_nav(void **state)
{
    (void)state;
    int p = 5;
    assert_true(ui_nav(&p, ACT_UP, 10, 20));
    assert_int_equal(p, 4);
    assert_true(ui_nav(&p, ACT_DOWN, 10, 20));
    assert_int_equal(p, 5);
    assert_true(ui_nav(&p, ACT_PGDN, 10, 20));
    assert_int_equal(p, 15);
    assert_true(ui_nav(&p, ACT_PGDN, 10, 20)); /* clamped at max */
    assert_int_equal(p, 20);
    assert_true(ui_nav(&p, ACT_PGUP, 30, 20)); /* and at 0 */
    assert_int_equal(p, 0);
    assert_true(ui_nav(&p, ACT_END, 10, 20));
    assert_int_equal(p, 20);
    assert_true(ui_nav(&p, ACT_HOME, 10, 20));
    assert_int_equal(p, 0);
    assert_true(ui_nav(&p, ACT_END, 10, -3)); /* nothing to scroll: stays at 0 */
    assert_int_equal(p, 0);
    p = 7;
    assert_false(ui_nav(&p, ACT_OPEN, 10, 20)); /* not a move: untouched */
    assert_int_equal(p, 7);
}

static void test_help_and_bar_from_table(void **state)
{
    (void)state;
    size_t n;
    const struct ui_binding *t = keymap_table(&n);
    struct ui_lines help = {0};
    assert_int_equal(keymap_help(&help), 0);
    char *all = calloc(1, 65536);
    assert_non_null(all);
    for (int i = 0; i < help.n; i++) {
        strcat(all, help.v[i]);
        strcat(all, "\n");
    }
    /* every binding is on the Help screen, with its keys and its line */
    for (size_t i = 0; i < n; i++) {
        char line[256];
        snprintf(line, sizeof(line), "  %-16s %s", t[i].keyname, t[i].help);
        if (!strstr(all, line))
            fail_msg("Help lacks: %s", line);
    }
    free(all);
    lines_free(&help);
    /* the key bar: the screen's keys, then the ones that work everywhere */
    struct ui_lines bar = {0};
    int own = 0;
    keymap_bar(KC_GLOBAL | KC_IDLE | KC_UPGRADE, &bar, &own);
    assert_true(own >= 2);
    assert_string_equal(bar.v[2 * (bar.n / 2) - 2], "q");
    assert_string_equal(bar.v[2 * (bar.n / 2) - 1], "quit");
    bool has_run = false;
    for (int i = 0; i < 2 * own; i += 2)
        has_run |= strcmp(bar.v[i], "Enter") == 0 && strcmp(bar.v[i + 1], "run next phase") == 0;
    assert_true(has_run);
    lines_free(&bar);
    /* while running: what stops it, not what starts something; q once */
    struct ui_lines run = {0};
    keymap_bar(KC_GLOBAL | KC_RUNNING | KC_UPGRADE, &run, &own);
    int quits = 0;
    for (int i = 0; i + 1 < run.n; i += 2) {
        quits += strcmp(run.v[i], "q") == 0;
        assert_true(strcmp(run.v[i + 1], "run next phase") != 0);
        assert_true(strcmp(run.v[i + 1], "refresh") != 0);
    }
    assert_int_equal(quits, 1);
    assert_string_equal(run.v[0], "s");
    lines_free(&run);
}

static int null_key(void *ud, int t)
{
    (void)ud;
    (void)t;
    return UI_KEY_NONE;
}

static void fixed_size(void *ud, int *w, int *h)
{
    (void)ud;
    *w = 80;
    *h = 24;
}

static void no_present(void *ud, const struct ui_canvas *c)
{
    (void)ud;
    (void)c;
}

static void test_view_models_to_text(void **state)
{
    (void)state;
    in_temp_dir("render");
    make_demo(NULL);
    struct ui_app *app = calloc(1, sizeof(*app));
    assert_non_null(app);
    struct ui_options o = ui_test_options("sqlite:///glance-demo.sqlite");
    ui_app_init(app, &o, (struct ui_io){NULL, null_key, fixed_size, no_present});
    assert_non_null(app->ctx);
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    assert_non_null(buf);
    /* each screen's view-model, built once, renders at any size; the tab of the screen is the
     * one highlighted, the too-small message below 80x24 */
    static const char *const tabs[] = {"1 Overview", "2 Graph",   "3 Upgrade",
                                       "4 Purge",    "5 Journal", "6 Help"};
    static const char *const marks[] = {"6,864 rows in 7 tables", "Contract lane", "Next: E expand",
                                        "p purges 600 rows",      "db sync by",    "Everywhere"};
    for (int s = 0; s < UI_NSCREENS; s++) {
        ui_app_show(app, (enum ui_screen)s);
        ui_render_text(app, 80, 24, buf, cap);
        assert_non_null(strstr(buf, tabs[s])); /* at once: before the slow part */
        ui_app_idle(app);
        ui_render_text(app, 80, 24, buf, cap);
        assert_non_null(strstr(buf, tabs[s]));
        assert_non_null(strstr(buf, marks[s]));
        int lines = 0;
        for (char *p = buf; *p; p++)
            lines += *p == '\n';
        assert_int_equal(lines, 24);
        for (char *line = buf; *line;) { /* no line wider than the terminal */
            char *nl = strchr(line, '\n');
            assert_true(nl - line <= 80);
            line = nl + 1;
        }
        ui_render_text(app, 200, 60, buf, cap);
        assert_non_null(strstr(buf, marks[s]));
        ui_render_text(app, 79, 24, buf, cap);
        assert_non_null(strstr(buf, "The terminal is 79x24"));
        assert_null(strstr(buf, marks[s]));
    }
    /* the screens share one count of each data migration's rows per refresh: a change behind
     * the console's back shows after a refresh, not before */
    int rev = migset_find(app->ctx->ms, "train_migrate01");
    assert_true(rev >= 0);
    int64_t before = ui_app_data_pending(app, rev);
    assert_true(before > 0);
    sql_exec("glance-demo.sqlite",
             "UPDATE image_locations SET meta_data = '{}' WHERE id = (SELECT MIN(id) FROM "
             "image_locations WHERE INSTR(meta_data, '\"backend\":') > 0)");
    assert_int_equal(ui_app_data_pending(app, rev), before);
    ui_app_refresh(app);
    assert_int_equal(ui_app_data_pending(app, rev), before - 1);
    /* the password never reaches the screen */
    ui_app_free(app);
    struct ui_options p = ui_test_options("mysql://glance:pa55word@127.0.0.1:9/glance");
    p.connect_timeout = 1;
    ui_app_init(app, &p, (struct ui_io){NULL, null_key, fixed_size, no_present});
    ui_app_show(app, UI_OVERVIEW);
    ui_render_text(app, 80, 24, buf, cap);
    assert_non_null(strstr(buf, "mysql://glance:***@127.0.0.1:9/glance"));
    assert_null(strstr(buf, "pa55word"));
    ui_app_free(app);
    free(app);
    free(buf);
    leave_temp_dir();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canvas_text),
        cmocka_unit_test(test_fmt),
        cmocka_unit_test(test_keymap_contexts),
        cmocka_unit_test(test_keymap_no_ambiguity),
        cmocka_unit_test(test_nav),
        cmocka_unit_test(test_help_and_bar_from_table),
        cmocka_unit_test(test_view_models_to_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
