/* view_purge.c - screen 4: the table x age matrix of soft-deleted rows from the purge preview,
 * the settings (age, max rows, images age) edited in place, what would go now, the images that
 * cannot go, and the two purges, each behind a confirmation (the images one with the OSSN-0075
 * warning), with progress and a summary. */
#include "view_purge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "progress.h"

static const char *const bucket_names[PURGE_NBUCKETS] = {"<30d", "30-90", "90-180", "180-365",
                                                         ">365"};

static void pu_build(struct ui_app *app)
{
    struct vm_purge *vm = &app->purge;
    vm->ok = false;
    vm->error[0] = '\0';
    memset(&vm->main, 0, sizeof(vm->main));
    memset(&vm->images, 0, sizeof(vm->images));
    if (!app->ctx) {
        snprintf(vm->error, sizeof(vm->error), "not connected");
        return;
    }
    vm->pending = true;
}

/* pu_idle: the two previews (one scan per table each), once the screen is up */
static bool pu_idle(struct ui_app *app)
{
    struct vm_purge *vm = &app->purge;
    if (!vm->pending)
        return false;
    vm->pending = false;
    struct emc_error err;
    struct purge_opts o = {.age_in_days = vm->age, .max_rows = vm->max_rows};
    struct purge_opts oi = {
        .age_in_days = vm->images_age, .max_rows = vm->max_rows, .images_only = true};
    const struct purge_preview *m = ui_app_preview(app, &o, &err);
    const struct purge_preview *i = m ? ui_app_preview(app, &oi, &err) : NULL;
    if (!m || !i) {
        snprintf(vm->error, sizeof(vm->error), "%s", err.msg);
        return true;
    }
    vm->main = *m;
    vm->images = *i;
    vm->ok = true;
    return true;
}

/* images_row: the images table as purge_images_table sees it */
static const struct purge_table_preview *images_row(const struct vm_purge *vm)
{
    for (int i = 0; i < vm->images.ntables; i++)
        if (vm->images.t[i].in_scope)
            return &vm->images.t[i];
    return NULL;
}

static int64_t would_go(const struct vm_purge *vm, int *tables)
{
    int64_t n = 0;
    *tables = 0;
    for (int i = 0; i < vm->main.ntables; i++)
        if (vm->main.t[i].in_scope && vm->main.t[i].would_delete > 0) {
            n += vm->main.t[i].would_delete;
            (*tables)++;
        }
    return n;
}

/* draw_field: "Label [ value] unit" at x; returns the column after it */
static int draw_field(const struct ui_app *app, struct ui_canvas *c, int x, int y, int k,
                      const char *label, const char *value, const char *unit)
{
    const struct vm_purge *vm = &app->purge;
    bool editing = app->modal.kind == UI_MODAL_TYPE && app->modal.inplace && vm->field == k;
    x = ui_put(c, x, y, UI_S_BOLD, label, 0) + 1;
    char box[32];
    snprintf(box, sizeof(box), "%5s", editing ? app->modal.input : value);
    enum ui_style st = editing ? UI_S_INPUT : vm->field == k ? UI_S_SELECTED : UI_S_NORMAL;
    ui_put(c, x, y, st, "[", 0);
    int end = ui_put(c, x + 1, y, st, box, 0);
    ui_put(c, end, y, st, "]", 0);
    if (editing) {
        c->cursor_x = end;
        c->cursor_y = y;
    }
    return ui_put(c, end + 2, y, UI_S_NORMAL, unit, 0) + 3;
}

static void age_days(const char *oldest, time_t now, char *buf, size_t n)
{
    time_t t;
    if (!oldest[0] || fmt_parse_utc(oldest, &t) < 0)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%ld d", (long)((now - t) / 86400));
}

/* limit_text: "at most 100 per table" or "no limit per table" */
static const char *limit_text(int64_t max_rows, char *buf, size_t n)
{
    char num[32];
    if (max_rows < 0)
        snprintf(buf, n, "no limit per table");
    else
        snprintf(buf, n, "at most %s per table", fmt_count(max_rows, num, sizeof(num)));
    return buf;
}

/* put_wrapped: a sentence wrapped at the canvas width; returns the next row */
static int put_wrapped(struct ui_canvas *c, int y, int end, enum ui_style st, const char *text)
{
    struct ui_lines l = {0};
    lines_wrap(&l, text, c->w - 3, 2);
    for (int i = 0; i < l.n && y < end; i++)
        ui_put(c, 1, y++, st, l.v[i], 0);
    lines_free(&l);
    return y;
}

static void pu_draw(const struct ui_app *app, struct ui_canvas *c, int top, int rows)
{
    const struct vm_purge *vm = &app->purge;
    char a[32], m[32], ia[32], num[32], old[32];
    int y = top, end = top + rows - 4;
    snprintf(a, sizeof(a), "%ld", vm->age);
    snprintf(m, sizeof(m), "%lld", (long long)vm->max_rows);
    snprintf(ia, sizeof(ia), "%ld", vm->images_age);
    int x = draw_field(app, c, 1, y, 0, "Age", a, "days");
    x = draw_field(app, c, x, y, 1, "Max rows", m, vm->max_rows < 0 ? "no limit" : "per table");
    draw_field(app, c, x, y, 2, "Images age", ia, "days");
    y++;
    if (vm->pending) {
        ui_put(c, 1, y + 1, UI_S_DIM, "Reading the preview: one scan of each table ...", 0);
        return;
    }
    if (!vm->ok) {
        ui_put(c, 1, y + 1, UI_S_ERROR, "No preview:", 0);
        put_wrapped(c, y + 2, top + rows, UI_S_WARN, vm->error);
        return;
    }
    const struct purge_table_preview *img = images_row(vm);
    time_t now = ui_app_now(app);
    ui_putf(c, 1, y++, UI_S_DIM, "Cutoff %s UTC (images: %s UTC)", vm->main.cutoff,
            vm->images.cutoff);
    /* the matrix: soft-deleted rows by the age of deleted_at */
    ui_put(c, 1, y, UI_S_HEADING, "Table", 0);
    for (int b = 0; b < PURGE_NBUCKETS; b++)
        ui_putf(c, 17 + 8 * b, y, UI_S_HEADING, "%8s", bucket_names[b]);
    ui_putf(c, 57, y++, UI_S_HEADING, "%8s%7s%7s", "Deleted", "Go now", "Oldest");
    int64_t tot[PURGE_NBUCKETS] = {0}, tsoft = 0, tgo = 0;
    for (int i = 0; i < vm->main.ntables && y < end; i++) {
        const struct purge_table_preview *t = &vm->main.t[i];
        bool is_img = !t->in_scope && img;
        const struct purge_table_preview *show = is_img ? img : t;
        ui_put(c, 1, y, is_img ? UI_S_BOLD : UI_S_NORMAL, t->table, 16);
        for (int b = 0; b < PURGE_NBUCKETS; b++) {
            ui_putf(c, 17 + 8 * b, y, show->buckets[b] ? UI_S_NORMAL : UI_S_DIM, "%8s",
                    fmt_count(show->buckets[b], num, sizeof(num)));
            tot[b] += show->buckets[b];
        }
        ui_putf(c, 57, y, UI_S_NORMAL, "%8s", fmt_count(show->soft_deleted, num, sizeof(num)));
        ui_putf(c, 65, y, show->would_delete ? UI_S_WARN : UI_S_DIM, "%7s",
                fmt_count(show->would_delete, num, sizeof(num)));
        age_days(show->oldest, now, old, sizeof(old));
        ui_putf(c, 72, y, UI_S_DIM, "%7s", old);
        tsoft += show->soft_deleted;
        tgo += show->would_delete;
        y++;
    }
    ui_put(c, 1, y, UI_S_BOLD, "all", 0);
    for (int b = 0; b < PURGE_NBUCKETS; b++)
        ui_putf(c, 17 + 8 * b, y, UI_S_BOLD, "%8s", fmt_count(tot[b], num, sizeof(num)));
    ui_putf(c, 57, y, UI_S_BOLD, "%8s", fmt_count(tsoft, num, sizeof(num)));
    ui_putf(c, 65, y++, UI_S_BOLD, "%7s", fmt_count(tgo, num, sizeof(num)));
    y++;
    int nt;
    int64_t go = would_go(vm, &nt);
    char line[400], n2[48], n3[32];
    snprintf(line, sizeof(line),
             "What would go now: p purges %s row%s from %d table%s (deleted over %ld days ago, "
             "%s); the images table is left alone.",
             fmt_count(go, num, sizeof(num)), go == 1 ? "" : "s", nt, nt == 1 ? "" : "s", vm->age,
             limit_text(vm->max_rows, n2, sizeof(n2)));
    y = put_wrapped(c, y, end, go ? UI_S_NORMAL : UI_S_DIM, line);
    if (img) {
        snprintf(line, sizeof(line),
                 "i purges %s image%s (deleted over %ld days ago). Blocked: %s more, still "
                 "named by rows of image_properties, image_tags, image_locations or "
                 "image_members%s.",
                 fmt_count(img->would_delete, n2, sizeof(n2)), img->would_delete == 1 ? "" : "s",
                 vm->images_age, fmt_count(img->blocked, n3, sizeof(n3)),
                 img->blocked ? " (p purges the deleted ones among them first)" : "");
        y = put_wrapped(c, y, end, img->blocked ? UI_S_WARN : UI_S_NORMAL, line);
    }
    /* the last purge, progress, log */
    int yb = top + rows - 4;
    ui_fill(c, 0, yb, c->w, UI_G_HLINE, UI_S_DIM);
    if (app->run.active && app->run.has_progress) {
        progress_draw(c, yb + 1, app->run.prog_what, &app->run.prog);
    } else if (vm->have_result) {
        ui_put(c, 1, yb + 1, UI_S_BOLD, vm->result_note, c->w - 2);
        size_t len = 0;
        line[0] = '\0';
        for (int i = 0; i < vm->result.ntables && len < sizeof(line); i++)
            len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s %s", i ? ", " : "",
                                    vm->result.t[i].table,
                                    fmt_count(vm->result.t[i].deleted, num, sizeof(num)));
        ui_put(c, 3, yb + 2, UI_S_NORMAL, line, c->w - 4);
    }
    const char *l0 = ui_app_log_line(app, 0);
    if (l0)
        ui_put(c, 1, yb + 3, UI_S_DIM, l0, c->w - 2);
}

static void field_edited(struct ui_app *app, int answer, const char *input, int choice)
{
    (void)choice;
    struct vm_purge *vm = &app->purge;
    if (answer != UI_ANS_YES)
        return;
    char *end;
    long long v = strtoll(input, &end, 10);
    if (!*input)
        return; /* nothing typed: keep the value */
    if (*end) {
        ui_app_message(app, UI_S_WARN, "a whole number, please");
        return;
    }
    struct purge_opts o = {.age_in_days = vm->age, .max_rows = vm->max_rows};
    if (vm->field == 0)
        o.age_in_days = (long)v;
    else if (vm->field == 1)
        o.max_rows = v;
    else
        o.age_in_days = (long)v;
    struct emc_error err;
    if (purge_validate(&o, ui_app_now(app), &err) < 0) {
        ui_app_message(app, UI_S_WARN, "%s", err.msg);
        return;
    }
    if (vm->field == 0)
        vm->age = (long)v;
    else if (vm->field == 1)
        vm->max_rows = v;
    else
        vm->images_age = (long)v;
    app->built[UI_PURGE] = 0; /* preview again with the new setting */
    ui_app_message(app, UI_S_OK, "preview updated");
}

static void purge_answer(struct ui_app *app, int answer, const char *input, int choice)
{
    (void)input;
    (void)choice;
    if (answer == UI_ANS_YES)
        run_purge(app, false);
    else
        ui_app_message(app, UI_S_DIM, "purge cancelled: nothing deleted");
}

static void images_answer(struct ui_app *app, int answer, const char *input, int choice)
{
    (void)input;
    (void)choice;
    if (answer == UI_ANS_YES)
        run_purge(app, true);
    else
        ui_app_message(app, UI_S_DIM, "images purge cancelled: nothing deleted");
}

static void ask_purge(struct ui_app *app, bool images)
{
    struct vm_purge *vm = &app->purge;
    char body[1600], num[32], n2[48], n3[32];
    if (vm->pending)
        pu_idle(app); /* a key typed before the preview was read: read it now */
    if (!vm->ok) {
        ui_app_message(app, UI_S_WARN, "no preview: nothing can be purged");
        return;
    }
    if (!images) {
        int nt;
        int64_t go = would_go(vm, &nt);
        if (go == 0) {
            ui_app_message(app, UI_S_DIM, "nothing would go now with these settings");
            return;
        }
        size_t len = (size_t)snprintf(
            body, sizeof(body),
            "Delete %s soft-deleted row%s deleted before %s UTC (older than %ld days), %s, for "
            "good:\n",
            fmt_count(go, num, sizeof(num)), go == 1 ? "" : "s", vm->main.cutoff, vm->age,
            limit_text(vm->max_rows, n2, sizeof(n2)));
        for (int i = 0; i < vm->main.ntables && len < sizeof(body); i++)
            if (vm->main.t[i].in_scope && vm->main.t[i].would_delete > 0)
                len += (size_t)snprintf(body + len, sizeof(body) - len, "  %-18s %s\n",
                                        vm->main.t[i].table,
                                        fmt_count(vm->main.t[i].would_delete, num, sizeof(num)));
        snprintf(body + len, sizeof(body) - len,
                 "The images table is not touched (i purges it, separately). Each batch is "
                 "committed; s stops after a batch.");
        modal_ask(app, UI_S_WARN, "Purge soft-deleted rows?", body,
                  "y: purge   n: no (the default)", purge_answer);
        return;
    }
    const struct purge_table_preview *img = images_row(vm);
    if (!img || img->would_delete == 0) {
        ui_app_message(app, UI_S_DIM, "no image would go now with these settings%s",
                       img && img->blocked ? " (some are blocked: p first)" : "");
        return;
    }
    snprintf(body, sizeof(body),
             UI_MK_WARN
             "%s\n\nDelete %s image row%s deleted before %s UTC (older than %ld days, "
             "%s), for good. %s more %s blocked: rows of the image tables still name them, so "
             "they stay.",
             purge_ossn0075_warning(), fmt_count(img->would_delete, num, sizeof(num)),
             img->would_delete == 1 ? "" : "s", vm->images.cutoff, vm->images_age,
             limit_text(vm->max_rows, n2, sizeof(n2)), fmt_count(img->blocked, n3, sizeof(n3)),
             img->blocked == 1 ? "is" : "are");
    modal_ask(app, UI_S_ERROR, "Purge the images table? (OSSN-0075)", body,
              "y: purge images   n: no (the default)", images_answer);
}

static void pu_action(struct ui_app *app, enum ui_act act, int key)
{
    (void)key;
    struct vm_purge *vm = &app->purge;
    switch (act) {
    case ACT_UP:
    case ACT_PGUP:
    case ACT_HOME:
        vm->field = act == ACT_UP ? (vm->field + 2) % 3 : 0;
        return;
    case ACT_DOWN:
    case ACT_PGDN:
    case ACT_END:
        vm->field = act == ACT_DOWN ? (vm->field + 1) % 3 : 2;
        return;
    case ACT_EDIT: {
        char cur[32];
        static const char *const names[] = {"age in days", "max rows per table (-1: no limit)",
                                            "images age in days"};
        if (vm->field == 1)
            snprintf(cur, sizeof(cur), "%lld", (long long)vm->max_rows);
        else
            snprintf(cur, sizeof(cur), "%ld", vm->field == 0 ? vm->age : vm->images_age);
        modal_type(app, names[vm->field], "", "", NULL, cur, true, field_edited);
        ui_app_message(app, UI_S_DIM, "type the new %s, then Enter (Esc keeps %s)",
                       names[vm->field], cur);
        return;
    }
    case ACT_PURGE:
        ask_purge(app, false);
        return;
    case ACT_PURGE_IMAGES:
        ask_purge(app, true);
        return;
    default:
        return;
    }
}

static void pu_release(struct ui_app *app)
{
    (void)app;
}

const struct ui_view ui_view_purge = {
    .name = "Purge",
    .kctx = KC_PURGE,
    .build = pu_build,
    .draw = pu_draw,
    .action = pu_action,
    .keyctx = NULL,
    .release = pu_release,
    .idle = pu_idle,
};
