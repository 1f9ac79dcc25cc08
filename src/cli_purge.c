/* cli_purge.c - `db purge` and `db purge_images_table` on the command line: the reference's
 * options and errors (argparse's words, exit 2; its validation lines, exit 1), plus --preview,
 * --dry-run, --sleep and --no-batch. Batched deletes are the default (see README). */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "purge.h"
#include "runner.h"

#define USAGE                                                                                      \
    "[-h] [--age_in_days AGE_IN_DAYS] [--max_rows MAX_ROWS] [--preview] [--dry-run] "              \
    "[--sleep SECONDS] [--txn-seconds SECONDS] [--no-batch] [action_args ...]"

static const char *const bucket_names[PURGE_NBUCKETS] = {"<30d", "30-90d", "90-180d", "180-365d",
                                                         ">365d"};

struct purge_args {
    bool images_only;
    bool have_age, have_max;
    long long age, max_rows;
    bool preview, dry_run, no_batch, have_sleep, have_txn;
    double sleep_s, txn_s;
};

/* py_int: parse s as Python's int() does for base 10 (blanks around, a sign, digits with
 * single underscores between them), saturating to LLONG_MIN/LLONG_MAX on overflow. */
static bool py_int(const char *s, long long *out)
{
    while (isspace((unsigned char)*s))
        s++;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!isdigit((unsigned char)*s))
        return false;
    unsigned long long v = 0;
    bool over = false;
    for (; *s; s++) {
        if (*s == '_' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[-1]))
            continue;
        if (!isdigit((unsigned char)*s))
            break;
        unsigned d = (unsigned)(*s - '0');
        if (v > (ULLONG_MAX - d) / 10)
            over = true;
        else
            v = v * 10 + d;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s)
        return false;
    if (over || v > (unsigned long long)LLONG_MAX)
        *out = neg ? LLONG_MIN : LLONG_MAX;
    else
        *out = neg ? -(long long)v : (long long)v;
    return true;
}

static void print_help(struct cli *cli, const char *action)
{
    bool img = strcmp(action, "purge_images_table") == 0;
    fprintf(cli->out,
            "usage: %s db %s %s\n\n"
            "%s\n\n"
            "positional arguments:\n"
            "  action_args           AGE_IN_DAYS [MAX_ROWS], as glance-manage takes them\n\n"
            "options:\n"
            "  -h, --help            show this help message and exit\n"
            "  --age_in_days N       purge rows deleted more than N days ago (default %d)\n"
            "  --max_rows M          at most M rows per table; -1 for all (default 100)\n"
            "  --preview             show soft-deleted rows per table and age, and what would "
            "go; delete nothing\n"
            "  --dry-run             count what would go, delete nothing\n"
            "  --sleep S             seconds to pause between batches (default 0; on SQLite, "
            "until the services waiting for the lock are through)\n"
            "  --txn-seconds S       adapt the batch size so a transaction takes about S "
            "seconds (default 0.2; 0: fixed batches)\n"
            "  --no-batch            one DELETE per table in one transaction, as glance-manage "
            "does\n"
            "  --batch-size B        (global) rows per batch, one commit each (default 1000)\n"
            "  --json                (global) machine-readable preview or summary\n",
            cli->prog, action, USAGE,
            img ? "Purge deleted rows older than a given age from the images table (images "
                  "still referenced by other rows are skipped)."
                : "Purge deleted rows older than a given age from glance tables (not images).",
            img ? 180 : 30);
}

static const char *const opt_names[] = {"--age_in_days", "--max_rows", "--preview",
                                        "--dry-run",     "--sleep",    "--txn-seconds",
                                        "--no-batch",    "--help",     NULL};

/* match_opt: the option name for a (possibly abbreviated, possibly name=value) argument, as
 * argparse's prefix matching does; NULL with *ambiguous set when several match */
static const char *match_opt(const char *arg, size_t len, bool *ambiguous)
{
    const char *hit = NULL;
    *ambiguous = false;
    for (int i = 0; opt_names[i]; i++) {
        if (strlen(opt_names[i]) == len && strncmp(opt_names[i], arg, len) == 0)
            return opt_names[i];
        if (strncmp(opt_names[i], arg, len) == 0) {
            if (hit)
                *ambiguous = true;
            hit = opt_names[i];
        }
    }
    return *ambiguous ? NULL : hit;
}

static bool looks_negative_number(const char *a)
{
    return a[0] == '-' && (isdigit((unsigned char)a[1]) || a[1] == '.');
}

static int parse_value(struct cli *cli, const char *action, const char *opt, const char *val,
                       struct purge_args *pa)
{
    if (strcmp(opt, "--sleep") == 0 || strcmp(opt, "--txn-seconds") == 0) {
        char *end;
        errno = 0;
        double d = strtod(val, &end);
        if (end == val || *end || errno)
            return cli_usage_error(cli, action, USAGE, "argument %s: invalid float value: '%s'",
                                   opt, val);
        if (strcmp(opt, "--sleep") == 0) {
            pa->sleep_s = d;
            pa->have_sleep = true;
        } else {
            pa->txn_s = d;
            pa->have_txn = true;
        }
        return 0;
    }
    long long v;
    if (!py_int(val, &v))
        return cli_usage_error(cli, action, USAGE, "argument %s: invalid int value: '%s'", opt,
                               val);
    if (strcmp(opt, "--age_in_days") == 0) {
        pa->age = v;
        pa->have_age = true;
    } else {
        pa->max_rows = v;
        pa->have_max = true;
    }
    return 0;
}

/* parse_args: 0, or the exit status of an error already printed (-1: help printed) */
static int parse_args(struct cli *cli, int argc, char **argv, struct purge_args *pa)
{
    const char *action = argv[0];
    const char *pos[8];
    int npos = 0;
    bool opts_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (opts_done || a[0] != '-' || !a[1] || looks_negative_number(a)) {
            if (npos < 8)
                pos[npos] = a;
            npos++;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            opts_done = true;
            continue;
        }
        if (strcmp(a, "-h") == 0) {
            print_help(cli, action);
            return -1;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        bool amb = false;
        const char *opt = strncmp(a, "--", 2) == 0 ? match_opt(a, len, &amb) : NULL;
        if (amb)
            return cli_usage_error(cli, action, USAGE, "ambiguous option: %.*s", (int)len, a);
        if (!opt)
            return cli_usage_error(cli, action, USAGE, "unrecognized arguments: %s", a);
        bool takes = strcmp(opt, "--age_in_days") == 0 || strcmp(opt, "--max_rows") == 0 ||
                     strcmp(opt, "--sleep") == 0 || strcmp(opt, "--txn-seconds") == 0;
        if (strcmp(opt, "--help") == 0) {
            print_help(cli, action);
            return -1;
        }
        if (!takes) {
            if (eq)
                return cli_usage_error(cli, action, USAGE,
                                       "argument %s: ignored explicit argument '%s'", opt, eq + 1);
            if (strcmp(opt, "--preview") == 0)
                pa->preview = true;
            else if (strcmp(opt, "--dry-run") == 0)
                pa->dry_run = true;
            else
                pa->no_batch = true;
            continue;
        }
        const char *val = eq ? eq + 1 : NULL;
        if (!val) {
            if (i + 1 >= argc || (argv[i + 1][0] == '-' && !looks_negative_number(argv[i + 1])))
                return cli_usage_error(cli, action, USAGE, "argument %s: expected one argument",
                                       opt);
            val = argv[++i];
        }
        int rc = parse_value(cli, action, opt, val, pa);
        if (rc)
            return rc;
    }
    /* positional values reach the reference's _purge as strings: its own words, exit 1 */
    if (npos > 2) {
        fprintf(cli->err, "ERROR: db %s takes at most two values (age_in_days, max_rows); got %d\n",
                action, npos);
        return 1;
    }
    static const char *const names[] = {"age_in_days", "max_rows"};
    for (int k = 0; k < npos; k++) {
        bool *have = k == 0 ? &pa->have_age : &pa->have_max;
        long long *dst = k == 0 ? &pa->age : &pa->max_rows;
        if (*have) {
            fprintf(cli->err, "ERROR: db %s: %s given both as a value and as --%s\n", action,
                    names[k], names[k]);
            return 1;
        }
        if (!py_int(pos[k], dst)) {
            fprintf(cli->err, "Invalid int value for %s: %s\n", names[k], pos[k]);
            return 1;
        }
        *have = true;
    }
    if (pa->preview && pa->dry_run)
        return cli_usage_error(cli, action, USAGE,
                               "argument --dry-run: not allowed with argument --preview");
    return 0;
}

static void add_common(struct cli *cli, struct emc_ctx *ctx, json_object *o,
                       const struct purge_opts *po, const char *cutoff)
{
    char url[1024];
    json_object_object_add(
        o, "command", json_object_new_string(po->images_only ? "purge_images_table" : "purge"));
    json_object_object_add(o, "backend", json_object_new_string(ctx->dialect));
    json_object_object_add(o, "database",
                           json_object_new_string(dburl_redacted(&ctx->url, url, sizeof(url))));
    json_object_object_add(o, "age_in_days", json_object_new_int64(po->age_in_days));
    json_object_object_add(o, "max_rows", json_object_new_int64(po->max_rows));
    json_object_object_add(o, "batch_size", json_object_new_int(po->batch_size));
    json_object_object_add(o, "cutoff", json_object_new_string(cutoff));
    (void)cli;
}

static void preview_json(struct cli *cli, struct emc_ctx *ctx, const struct purge_opts *po,
                         const struct purge_preview *pv, double secs)
{
    json_object *o = json_object_new_object();
    add_common(cli, ctx, o, po, pv->cutoff);
    json_object *bn = json_object_new_array();
    for (int b = 0; b < PURGE_NBUCKETS; b++)
        json_object_array_add(bn, json_object_new_string(bucket_names[b]));
    json_object_object_add(o, "buckets", bn);
    json_object *ta = json_object_new_array();
    for (int i = 0; i < pv->ntables; i++) {
        const struct purge_table_preview *t = &pv->t[i];
        json_object *r = json_object_new_object();
        json_object_object_add(r, "table", json_object_new_string(t->table));
        json_object_object_add(r, "in_scope", json_object_new_boolean(t->in_scope));
        json_object_object_add(r, "soft_deleted", json_object_new_int64(t->soft_deleted));
        json_object *b = json_object_new_array();
        for (int k = 0; k < PURGE_NBUCKETS; k++)
            json_object_array_add(b, json_object_new_int64(t->buckets[k]));
        json_object_object_add(r, "buckets", b);
        json_object_object_add(r, "oldest",
                               t->oldest[0] ? json_object_new_string(t->oldest) : NULL);
        json_object_object_add(r, "eligible", json_object_new_int64(t->eligible));
        json_object_object_add(r, "would_delete", json_object_new_int64(t->would_delete));
        json_object_object_add(r, "blocked", json_object_new_int64(t->blocked));
        json_object_array_add(ta, r);
    }
    json_object_object_add(o, "tables", ta);
    json_object_object_add(o, "seconds", json_object_new_double(secs));
    cli_print_json(cli, o);
}

static void preview_text(struct cli *cli, const struct purge_opts *po,
                         const struct purge_preview *pv, double secs)
{
    FILE *f = cli->out;
    char maxr[32];
    if (po->max_rows < 0)
        snprintf(maxr, sizeof(maxr), "all");
    else
        snprintf(maxr, sizeof(maxr), "%lld", (long long)po->max_rows);
    fprintf(f, "Purge preview for `db %s`: age_in_days %ld, max_rows %s per table\n",
            po->images_only ? "purge_images_table" : "purge", po->age_in_days, maxr);
    fprintf(f, "cutoff %s UTC: soft-deleted rows whose deleted_at is earlier can go\n\n",
            pv->cutoff);
    fprintf(f, "%-17s %9s", "table", "deleted");
    for (int b = 0; b < PURGE_NBUCKETS; b++)
        fprintf(f, " %8s", bucket_names[b]);
    fprintf(f, "  %-19s %9s %9s %8s\n", "oldest", "eligible", "would go", "blocked");
    for (int i = 0; i < pv->ntables; i++) {
        const struct purge_table_preview *t = &pv->t[i];
        fprintf(f, "%-17s %9lld", t->table, (long long)t->soft_deleted);
        for (int b = 0; b < PURGE_NBUCKETS; b++)
            fprintf(f, " %8lld", (long long)t->buckets[b]);
        char wd[24], bl[24];
        if (t->in_scope)
            snprintf(wd, sizeof(wd), "%lld", (long long)t->would_delete);
        else
            snprintf(wd, sizeof(wd), "-");
        if (strcmp(t->table, "images") == 0)
            snprintf(bl, sizeof(bl), "%lld", (long long)t->blocked);
        else
            snprintf(bl, sizeof(bl), "-");
        fprintf(f, "  %-19s %9lld %9s %8s\n", t->oldest[0] ? t->oldest : "-",
                (long long)t->eligible, wd, bl);
    }
    fprintf(f, "\n");
    if (!po->images_only)
        fprintf(f, "images are purged only by `db purge_images_table`; its blocked column counts "
                   "eligible images\nthat rows this purge keeps still reference.\n");
    else
        fprintf(f, "blocked: eligible images that rows of image_properties, image_tags, "
                   "image_locations or\nimage_members still reference; they are skipped (run "
                   "`db purge` first).\n");
    fprintf(f, "scanned in %.2f s\n", secs);
}

static void summary_text(struct cli *cli, const struct purge_result *r)
{
    FILE *f = cli->out;
    fprintf(f, "%s (cutoff %s UTC):\n", r->dry_run ? "Dry run, nothing deleted" : "Purge summary",
            r->cutoff);
    fprintf(f, "%-17s %12s %9s %8s %9s %12s %9s\n", "table", r->dry_run ? "would go" : "deleted",
            "blocked", "batches", "largest", "longest txn", "seconds");
    int64_t tot = 0, bat = 0, big = 0;
    double longest = 0, secs = 0;
    for (int i = 0; i < r->ntables; i++) {
        const struct purge_table_result *t = &r->t[i];
        char bl[24];
        if (strcmp(t->table, "images") == 0)
            snprintf(bl, sizeof(bl), "%lld", (long long)t->blocked);
        else
            snprintf(bl, sizeof(bl), "-");
        fprintf(f, "%-17s %12lld %9s %8lld %9lld %10.3f s %9.2f\n", t->table, (long long)t->deleted,
                bl, (long long)t->batches, (long long)t->max_batch, t->longest_txn_s, t->seconds);
        tot += t->deleted;
        if (t->max_batch > big)
            big = t->max_batch;
        bat += t->batches;
        secs += t->seconds;
        if (t->longest_txn_s > longest)
            longest = t->longest_txn_s;
    }
    fprintf(f, "%-17s %12lld %9s %8lld %9lld %10.3f s %9.2f\n", "total", (long long)tot, "",
            (long long)bat, (long long)big, longest, secs);
    if (r->interrupted)
        fprintf(f, "Interrupted: the rows above are deleted, in whole batches; run the command "
                   "again to go on.\n");
    fflush(f);
}

static void summary_json(struct cli *cli, struct emc_ctx *ctx, const struct purge_opts *po,
                         const struct purge_result *r)
{
    json_object *o = json_object_new_object();
    add_common(cli, ctx, o, po, r->cutoff);
    json_object_object_add(o, "dry_run", json_object_new_boolean(r->dry_run));
    json_object_object_add(o, "interrupted", json_object_new_boolean(r->interrupted));
    json_object *ta = json_object_new_array();
    for (int i = 0; i < r->ntables; i++) {
        const struct purge_table_result *t = &r->t[i];
        json_object *x = json_object_new_object();
        json_object_object_add(x, "table", json_object_new_string(t->table));
        json_object_object_add(x, r->dry_run ? "would_delete" : "deleted",
                               json_object_new_int64(t->deleted));
        json_object_object_add(x, "blocked", json_object_new_int64(t->blocked));
        json_object_object_add(x, "batches", json_object_new_int64(t->batches));
        json_object_object_add(x, "max_batch", json_object_new_int64(t->max_batch));
        json_object_object_add(x, "longest_txn_s", json_object_new_double(t->longest_txn_s));
        json_object_object_add(x, "seconds", json_object_new_double(t->seconds));
        json_object_array_add(ta, x);
    }
    json_object_object_add(o, "tables", ta);
    cli_print_json(cli, o);
}

static int run(struct cli *cli, int argc, char **argv, bool images_only)
{
    struct purge_args pa = {.images_only = images_only};
    int rc = parse_args(cli, argc, argv, &pa);
    if (rc)
        return rc < 0 ? 0 : rc;
    /* the reference's defaults (no database yet: batching is settled once it is open) */
    struct purge_opts po;
    purge_default_opts(NULL, images_only, &po);
    if (pa.have_age)
        po.age_in_days = pa.age > LONG_MAX ? LONG_MAX : pa.age < LONG_MIN ? LONG_MIN : (long)pa.age;
    if (pa.have_max)
        po.max_rows = (int64_t)pa.max_rows;
    po.sleep_s = pa.sleep_s;
    if (pa.have_txn)
        po.target_txn_s = pa.txn_s;
    po.dry_run = pa.dry_run;
    time_t now = time(NULL); /* one clock for validation, preview and delete */
    struct emc_error err;
    emc_error_clear(&err);
    /* the reference validates before it touches the database */
    if (purge_validate(&po, now, &err) < 0)
        return cli_fail(cli, &err);
    if (cli->sql)
        return cli_usage_error(cli, argv[0], USAGE,
                               "--sql is not supported here; use --preview or --dry-run");
    struct emc_ctx *ctx;
    if ((rc = cli_open(cli, &ctx, true)) != 0)
        return rc;
    ctx->command = images_only ? "purge_images_table" : "purge";
    /* batched by default; --batch-size fixes the size, else it adapts to ~0.2 s transactions
     * (--txn-seconds: S s, from --batch-size if given) */
    struct purge_opts d;
    purge_default_opts(ctx, images_only, &d);
    po.batch_size = pa.no_batch ? 0 : d.batch_size;
    if (!pa.have_txn)
        po.target_txn_s = cli->batch_size > 0 ? 0 : d.target_txn_s;
    if (!pa.have_sleep) {
        po.sleep_s = d.sleep_s;
        po.yield_writers = d.yield_writers;
    }
    int status = 0;
    if (pa.preview) {
        struct purge_preview pv;
        double t0 = runner_now();
        rc = purge_preview(ctx, &po, now, &pv, &err);
        double secs = runner_now() - t0;
        if (rc == 0 && images_only)
            fprintf(cli->err, "WARNING: %s\n", purge_ossn0075_warning());
        if (rc == 0 && cli->json)
            preview_json(cli, ctx, &po, &pv, secs);
        else if (rc == 0)
            preview_text(cli, &po, &pv, secs);
        status = rc < 0 ? cli_fail(cli, &err) : 0;
        emc_close(ctx);
        return status;
    }
    struct purge_result res;
    rc = purge_run(ctx, &po, now, &res, &err);
    bool show = rc == 0 || rc == -EMC_E_INTERRUPTED;
    for (int i = 0; i < res.ntables; i++)
        show |= res.t[i].deleted > 0;
    if (show && (po.batch_size > 0 || po.dry_run || cli->json)) {
        if (isatty(fileno(cli->err)))
            fputc('\n', cli->err);
        if (cli->json)
            summary_json(cli, ctx, &po, &res);
        else
            summary_text(cli, &res);
    }
    if (rc == -EMC_E_INTERRUPTED) {
        fprintf(cli->err, "Interrupted: %s\n", err.msg);
        status = 130;
    } else if (rc < 0) {
        status = cli_fail(cli, &err);
    }
    emc_close(ctx);
    return status;
}

int cli_cmd_purge(struct cli *cli, int argc, char **argv)
{
    return run(cli, argc, argv, false);
}

int cli_cmd_purge_images(struct cli *cli, int argc, char **argv)
{
    return run(cli, argc, argv, true);
}
