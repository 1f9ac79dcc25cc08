/* test_ui_support.h - shared by the console's tests (included by test_ui_*.c, not a test
 * itself): a scripted stand-in for the terminal that feeds keys to the real event loop and
 * keeps the frames it is shown as text, the demo database at a fixed clock, golden files.
 *
 * A script is a list of steps. Each step types one key. A step may first check the frame on
 * screen (expect: every '|'-separated piece must be in it) or compare it with a golden file
 * (snap). Keys are typed when the console waits for one (a blocking read); a step marked ahead
 * is typed while a step runs instead: the console sees it when it polls (a read with timeout
 * 0), and only once its expect text is on screen ("the operator typed q when the progress bar
 * showed"). */
#ifndef EMC_TEST_UI_SUPPORT_H
#define EMC_TEST_UI_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "demo.h"

/* helpers here are static: each test uses some of them */
#define UI_TEST_FN static __attribute__((unused))

/* 2025-06-01 12:00:00 UTC: "now" for the demo's ages and the console's clock */
#define UI_TEST_NOW ((time_t)1748779200)

struct ui_step {
    int key;            /* 0 ends the script */
    bool ahead;         /* typed while a step runs (seen by polls) */
    const char *expect; /* the frame before the key must hold each '|'-separated piece */
    const char *snap;   /* compare the frame before the key with tests/golden/<snap>.txt */
    int w, h;           /* with key UI_KEY_RESIZE: the new size */
    bool signal;        /* instead of a key: SIGINT/SIGTERM arrives (sets the stop flag) */
};

#define K(k)                                                                                       \
    {                                                                                              \
        .key = (k)                                                                                 \
    }
#define KX(k, e)                                                                                   \
    {                                                                                              \
        .key = (k), .expect = (e)                                                                  \
    }
#define KS(k, s)                                                                                   \
    {                                                                                              \
        .key = (k), .snap = (s)                                                                    \
    }
#define AHEAD(k, e)                                                                                \
    {                                                                                              \
        .key = (k), .ahead = true, .expect = (e)                                                   \
    }
#define SIGNAL_WHEN(e)                                                                             \
    {                                                                                              \
        .key = 1, .ahead = true, .expect = (e), .signal = true                                     \
    }
#define RESIZE(W, H)                                                                               \
    {                                                                                              \
        .key = UI_KEY_RESIZE, .w = (W), .h = (H)                                                   \
    }

struct script {
    const struct ui_step *steps;
    int pos;
    int w, h;
    char frame[32768];
    int frames;
    int ran_out; /* blocking reads after the last step */
    int failures;
    bool update_golden;
    volatile sig_atomic_t stop_flag; /* what the signal handlers would set */
};

UI_TEST_FN time_t ui_test_clock(void *ud)
{
    (void)ud;
    return UI_TEST_NOW;
}

/* frame_has: every '|'-separated piece of expect is in the frame */
UI_TEST_FN bool frame_has(const char *frame, const char *expect, char *missing, size_t n)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", expect);
    for (char *save = NULL, *p = strtok_r(buf, "|", &save); p; p = strtok_r(NULL, "|", &save))
        if (!strstr(frame, p)) {
            snprintf(missing, n, "%s", p);
            return false;
        }
    return true;
}

/* normalize: the SQLite library's version differs between machines */
UI_TEST_FN void normalize_frame(char *text)
{
    const char *v = sqlite3_libversion();
    char *p;
    while ((p = strstr(text, v)) != NULL) {
        size_t vl = strlen(v);
        const char *rep = "X.Y.Z";
        size_t rl = strlen(rep);
        memmove(p + rl, p + vl, strlen(p + vl) + 1);
        memcpy(p, rep, rl);
    }
}

UI_TEST_FN char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = '\0';
    fclose(f);
    return b;
}

/* golden_check: compare text with tests/golden/<name>.txt; EMC_UPDATE_GOLDEN=1 rewrites the
 * file instead (on purpose only). On a mismatch the actual text goes to
 * <build>/tests/golden-actual/<name>.txt and the first differing line is reported. */
UI_TEST_FN bool golden_check(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/golden/%s.txt", EMC_SOURCE_DIR, name);
    const char *upd = getenv("EMC_UPDATE_GOLDEN");
    if (upd && strcmp(upd, "1") == 0) {
        FILE *f = fopen(path, "wb");
        if (!f)
            return false;
        fputs(text, f);
        fclose(f);
        fprintf(stderr, "golden: wrote %s\n", path);
        return true;
    }
    char *want = read_text(path);
    if (want && strcmp(want, text) == 0) {
        free(want);
        return true;
    }
    char dir[1024], out[1100];
    snprintf(dir, sizeof(dir), "%s/tests/golden-actual", EMC_BINARY_DIR);
    mkdir(dir, 0755);
    snprintf(out, sizeof(out), "%s/%s.txt", dir, name);
    FILE *f = fopen(out, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    if (!want) {
        fprintf(stderr, "golden %s: %s is missing (actual in %s)\n", name, path, out);
        return false;
    }
    int line = 1;
    const char *a = want, *b = text;
    while (*a && *a == *b) {
        if (*a == '\n')
            line++;
        a++;
        b++;
    }
    fprintf(stderr, "golden %s differs at line %d (actual in %s)\n", name, line, out);
    free(want);
    return false;
}

UI_TEST_FN void check_step(struct script *s, const struct ui_step *st)
{
    char missing[512];
    if (st->expect && !frame_has(s->frame, st->expect, missing, sizeof(missing))) {
        fprintf(stderr, "step %d: the screen lacks \"%s\":\n%s\n", s->pos, missing, s->frame);
        s->failures++;
    }
    if (st->snap) {
        char text[sizeof(s->frame)];
        snprintf(text, sizeof(text), "%s", s->frame);
        normalize_frame(text);
        if (!golden_check(st->snap, text))
            s->failures++;
    }
}

UI_TEST_FN int sc_read_key(void *ud, int timeout_ms)
{
    struct script *s = ud;
    const struct ui_step *st = &s->steps[s->pos];
    if (st->key == 0) {
        if (timeout_ms == 0)
            return UI_KEY_NONE;
        if (++s->ran_out > 20) {
            fprintf(stderr, "the script ran out and the console does not quit\n");
            abort();
        }
        return s->ran_out % 2 ? 'q' : 'y';
    }
    if (timeout_ms == 0 && !st->ahead)
        return UI_KEY_NONE; /* not typed yet */
    if (st->ahead) {
        char missing[512];
        if (st->expect && !frame_has(s->frame, st->expect, missing, sizeof(missing))) {
            if (timeout_ms == 0)
                return UI_KEY_NONE; /* the operator waits for the screen to show it */
            fprintf(stderr, "step %d: typed-ahead key never met its screen (\"%s\"):\n%s\n", s->pos,
                    missing, s->frame);
            s->failures++;
        }
    } else {
        check_step(s, st);
    }
    if (st->signal) {
        s->stop_flag = 1;
        s->pos++;
        return UI_KEY_NONE;
    }
    if (st->key == UI_KEY_RESIZE) {
        s->w = st->w;
        s->h = st->h;
    }
    s->pos++;
    return st->key;
}

UI_TEST_FN void sc_size(void *ud, int *w, int *h)
{
    struct script *s = ud;
    *w = s->w;
    *h = s->h;
}

UI_TEST_FN void sc_present(void *ud, const struct ui_canvas *c)
{
    struct script *s = ud;
    ui_canvas_text(c, s->frame, sizeof(s->frame));
    s->frames++;
}

UI_TEST_FN struct ui_io script_io(struct script *s, const struct ui_step *steps)
{
    memset(s, 0, sizeof(*s));
    s->steps = steps;
    s->w = 80;
    s->h = 24;
    return (struct ui_io){.ud = s, .read_key = sc_read_key, .size = sc_size, .present = sc_present};
}

/* script_done: every step was typed, every check held, the console quit by itself */
UI_TEST_FN void script_done(const struct script *s)
{
    assert_int_equal(s->failures, 0);
    assert_int_equal(s->ran_out, 0);
    assert_int_equal(s->steps[s->pos].key, 0);
}

/* --- databases ------------------------------------------------------------------------------*/

static char ui_test_dir[1024];

/* in_temp_dir: make and enter a fresh folder (URLs stay relative: "sqlite:///x.db") */
UI_TEST_FN void in_temp_dir(const char *tag)
{
    const char *base = getenv("EMC_TEST_TMP");
    snprintf(ui_test_dir, sizeof(ui_test_dir), "%s/emc-ui-%s-XXXXXX", base ? base : "/tmp", tag);
    assert_non_null(mkdtemp(ui_test_dir));
    assert_int_equal(chdir(ui_test_dir), 0);
}

UI_TEST_FN void leave_temp_dir(void)
{
    char cmd[1200];
    assert_int_equal(chdir("/"), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ui_test_dir);
    assert_int_equal(system(cmd), 0);
}

/* make_demo: the demo database as glance-demo.sqlite in the current folder, at UI_TEST_NOW */
UI_TEST_FN void make_demo(struct emc_demo_summary *sum)
{
    struct emc_demo_opts o = {.path = "glance-demo.sqlite", .now = UI_TEST_NOW};
    struct emc_error err;
    emc_error_clear(&err);
    int rc = emc_demo_create(&o, sum, &err);
    if (rc < 0)
        fail_msg("demo: %s", err.msg);
}

/* sql_int: one integer from the test database, read with SQLite itself */
UI_TEST_FN int64_t sql_int(const char *file, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

UI_TEST_FN void sql_text(const char *file, const char *sql, char *buf, size_t n)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    buf[0] = '\0';
    size_t len = 0;
    while (sqlite3_step(st) == SQLITE_ROW && len < n)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "",
                                (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

UI_TEST_FN void sql_exec(const char *file, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

UI_TEST_FN struct ui_options ui_test_options(const char *url)
{
    struct ui_options o = {
        .url = url, .url_source = "the test", .lock_timeout_ms = -1, .clock = ui_test_clock};
    return o;
}

#endif
