/* cli_console.c - `glance-emc console` (and no arguments on a terminal): the ncurses console of
 * ui/ on the resolved database; `glance-emc demo [PATH]`: build the demo database, then open
 * the console on it (on a terminal) or say how to. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cli.h"
#include "demo.h"
#include "term.h"

#define DEMO_DEFAULT_PATH "glance-demo.sqlite"

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The console's own measurements, written to $EMC_CONSOLE_STATS on the way out: how long the
 * first frame took, the slowest key-to-frame time, peak RSS. For the performance checks. */
struct stats {
    double t0, first_frame, worst_key;
    double early[3]; /* the first frames: "connecting", the database, the idle step's figures */
    double key_at;
    int frames, keys;
    struct ui_io inner;
};

static struct stats stats;

static int st_read_key(void *ud, int timeout_ms)
{
    (void)ud;
    int k = stats.inner.read_key(stats.inner.ud, timeout_ms);
    if (k != UI_KEY_NONE && stats.key_at == 0) {
        stats.key_at = mono_ms();
        stats.keys++;
    }
    return k;
}

static void st_size(void *ud, int *w, int *h)
{
    (void)ud;
    stats.inner.size(stats.inner.ud, w, h);
}

static void st_present(void *ud, const struct ui_canvas *c)
{
    (void)ud;
    stats.inner.present(stats.inner.ud, c);
    double now = mono_ms();
    /* frame 0 says "connecting"; frame 1 is the first with the database on it; frame 2 adds
     * what the idle step counted (the soft-deleted rows) */
    if (stats.frames < 3)
        stats.early[stats.frames] = now - stats.t0;
    if (stats.frames++ == 1)
        stats.first_frame = now - stats.t0;
    if (stats.key_at > 0) {
        if (now - stats.key_at > stats.worst_key)
            stats.worst_key = now - stats.key_at;
        stats.key_at = 0;
    }
}

static void write_stats(void)
{
    const char *path = getenv("EMC_CONSOLE_STATS");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(f,
            "first_frame_ms=%.2f\nearly_frames_ms=%.2f,%.2f,%.2f\nworst_key_ms=%.2f\nkeys=%d\n"
            "frames=%d\nmax_rss_kb=%ld\n",
            stats.first_frame, stats.early[0], stats.early[1], stats.early[2], stats.worst_key,
            stats.keys, stats.frames, ru.ru_maxrss);
    fclose(f);
}

static bool no_color(void)
{
    const char *v = getenv("NO_COLOR");
    return v && *v;
}

/* run: the console on url until q; returns the exit status. */
static int run(struct cli *cli, const char *url, const char *source)
{
    memset(&stats, 0, sizeof(stats));
    stats.t0 = mono_ms();
    char why[200];
    if (term_open(!no_color(), why, sizeof(why)) < 0) {
        fprintf(cli->err, "%s: %s\n", cli->prog, why);
        return 2;
    }
    struct ui_options opt = {.url = url,
                             .url_source = source,
                             .migrations_dir = cli->migrations_dir,
                             .connect_timeout = cli->connect_timeout,
                             .batch_size = cli->batch_size,
                             .lock_timeout_ms = cli->lock_timeout_ms,
                             .stop_flag = term_stop_flag(),
                             .defer_connect = true};
    stats.inner = term_io();
    struct ui_io io = {.ud = NULL, .read_key = st_read_key, .size = st_size, .present = st_present};
    struct ui_app *app = calloc(1, sizeof(*app));
    if (!app) {
        term_close();
        fprintf(cli->err, "%s: out of memory\n", cli->prog);
        return 1;
    }
    ui_app_init(app, &opt, io);
    int rc = ui_app_run(app);
    ui_app_free(app);
    free(app);
    int sig = term_signal();
    term_close();
    write_stats();
    if (sig)
        fprintf(cli->err, "%s: stopped by signal %d; the terminal is restored\n", cli->prog, sig);
    return sig ? 128 + sig : rc;
}

/* cli_cmd_console: `glance-emc console` (and no arguments on a terminal): resolve the database
 * URL as every command does, then run the console on it until q or a signal. Needs a terminal
 * on stdin and stdout (else exit 2 with a one-line reason). Returns the exit status: 0, or
 * 128 + the signal that stopped it. */
int cli_cmd_console(struct cli *cli, int argc, char **argv)
{
    if (argc > 1)
        return cli_usage_error(cli, NULL, NULL, "console: unrecognized arguments: %s", argv[1]);
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(cli->err,
                "%s: the console needs a terminal; in scripts use the db commands (see --help)\n",
                cli->prog);
        return 2;
    }
    if (cli_resolve_url(cli) != 0)
        return 1;
    return run(cli, cli->url, cli->url_source);
}

/* cli_cmd_demo: `glance-emc demo [PATH] [--force] [--no-console]`: build the demo database
 * (default ./glance-demo.sqlite; an existing file only with --force), print what it holds,
 * then open the console on it when on a terminal (unless --no-console), else print how to. */
int cli_cmd_demo(struct cli *cli, int argc, char **argv)
{
    const char *path = NULL;
    bool no_console = false, force = cli->force;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0)
            force = true;
        else if (strcmp(argv[i], "--no-console") == 0)
            no_console = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(cli, NULL, NULL,
                                   "demo: unrecognized argument %s (usage: demo [PATH] [--force] "
                                   "[--no-console])",
                                   argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error(cli, NULL, NULL, "demo: one PATH only");
    }
    if (!path)
        path = DEMO_DEFAULT_PATH;
    struct emc_demo_opts o = {.path = path, .force = force, .migrations_dir = cli->migrations_dir};
    struct emc_demo_summary s;
    struct emc_error err;
    emc_error_clear(&err);
    if (emc_demo_create(&o, &s, &err) < 0)
        return cli_fail(cli, &err);
    fprintf(cli->out,
            "Created %s: a Glance database at %s (release %s) with %lld images (%lld public, "
            "%lld private, %lld shared, %lld community; %lld soft-deleted), %lld properties, "
            "%lld tags, %lld members, %lld locations (%lld with \"backend\": for "
            "train_migrate01) and %lld tasks; %lld soft-deleted rows in all, 0 to 400 days "
            "old.\n",
            path, s.version, EMC_DEMO_RELEASE, (long long)s.images, (long long)s.visibility[0],
            (long long)s.visibility[1], (long long)s.visibility[2], (long long)s.visibility[3],
            (long long)s.images_deleted, (long long)s.properties, (long long)s.tags,
            (long long)s.members, (long long)s.locations, (long long)s.backend_locations,
            (long long)s.tasks, (long long)s.soft_deleted);
    char url[4200];
    snprintf(url, sizeof(url), "sqlite:///%s", path);
    if (!no_console && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
        fflush(cli->out);
        return run(cli, url, "glance-emc demo");
    }
    fprintf(cli->out, "Open the console on it:\n  %s --database-url %s\n", cli->prog, url);
    return 0;
}
