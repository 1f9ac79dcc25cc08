/* cli.c - argument parsing, URL resolution and dispatch for the command line (cli.h). */
#include "cli.h"

#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#ifndef EMC_VERSION
#define EMC_VERSION EMC_TOOL_VERSION
#endif

#define DEFAULT_SQLITE_URL "sqlite:///glance.sqlite"

static volatile sig_atomic_t stop_flag;
static bool bar_open; /* a progress bar line on the terminal waits for its newline */

/* end_bar: finish the progress bar's line before anything else is written */
static void end_bar(struct cli *cli)
{
    if (bar_open) {
        fputc('\n', cli->err);
        fflush(cli->err);
        bar_open = false;
    }
}

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

bool cli_stop_requested(void)
{
    return stop_flag != 0;
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

struct action {
    const char *name;
    int (*fn)(struct cli *cli, int argc, char **argv);
    const char *help;
};

static const struct action db_actions[] = {
    {"version", cli_cmd_version, "print the database's current revision(s)"},
    {"check", cli_cmd_check, "report the next step (exit 3 expand, 4 migrate, 5 contract)"},
    {"sync", cli_cmd_sync, "[VERSION] offline upgrade: expand, migrate every data step, contract"},
    {"upgrade", cli_cmd_upgrade, "[--version V] upgrade to V (revision, release or heads)"},
    {"version_control", cli_cmd_version_control, "[--version V] [--force] stamp the database"},
    {"expand", cli_cmd_expand, "add what the new release needs (with rolling-upgrade triggers)"},
    {"migrate", cli_cmd_migrate, "[--batch-size N] run the data migrations, in batches"},
    {"contract", cli_cmd_contract, "remove what only the old release needed"},
    {"purge", cli_cmd_purge, "[--age_in_days N] [--max_rows M] purge soft-deleted rows"},
    {"purge_images_table", cli_cmd_purge_images,
     "[--age_in_days N] [--max_rows M] purge soft-deleted images"},
    {"history", cli_cmd_history, "the revision graph with applied, pending and current marks"},
    {"journal", cli_cmd_journal, "what glance-emc did to this database, by whom, when"},
    {NULL, NULL, NULL},
};

static void print_help(struct cli *cli)
{
    FILE *o = cli->out;
    fprintf(o,
            "usage: %s [OPTIONS] db ACTION [ARGS]\n"
            "       %s [OPTIONS] console | demo [PATH]\n\n"
            "A console and a glance-manage compatible command line for the database of "
            "OpenStack Glance.\n"
            "With no arguments on a terminal, opens the console.\n\n"
            "db actions:\n",
            cli->prog, cli->prog);
    for (const struct action *a = db_actions; a->name; a++)
        fprintf(o, "  %-20s %s\n", a->name, a->help);
    fprintf(o,
            "\noptions:\n"
            "  --config-file FILE     read [database] connection from FILE (repeatable; the later "
            "wins)\n"
            "  --config-dir DIR       also read DIR/*.conf, in name order\n"
            "  --database-url URL     the database, as a SQLAlchemy URL (wins over config files)\n"
            "  --migrations-dir DIR   read migrations from DIR instead of the embedded copy\n"
            "  --json                 machine-readable output (version, check, history, journal, "
            "purge --preview)\n"
            "  --sql                  print the SQL a command would run; change nothing\n"
            "  --batch-size N         rows per batch for data migrations and purges (default "
            "1000)\n"
            "  --lock-timeout S       seconds a DDL statement may wait on a lock before retrying "
            "(default 3)\n"
            "  --connect-timeout S    seconds to wait for the server (default 5)\n"
            "  --force                version_control: re-stamp a database already under "
            "control\n"
            "  --debug                more log lines on stderr\n\n"
            "Without --database-url or --config-file, the database is the one named in the first "
            "glance-api.conf /\nglance-manage.conf found in ~/.glance, ~, /etc/glance or /etc (as "
            "glance-manage does), and when\nthere is none, the embedded default: a SQLite file in "
            "the current folder, %s.\nPasswords are shown as ***.\n",
            DEFAULT_SQLITE_URL);
}

int cli_usage_error(struct cli *cli, const char *action, const char *usage, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (action) {
        fprintf(cli->err, "usage: %s db %s %s\n", cli->prog, action, usage ? usage : "");
        fprintf(cli->err, "%s db %s: error: %s\n", cli->prog, action, msg);
    } else {
        fprintf(cli->err, "usage: %s [OPTIONS] db ACTION [ARGS] (see --help)\n", cli->prog);
        fprintf(cli->err, "%s: error: %s\n", cli->prog, msg);
    }
    return 2;
}

int cli_fail(struct cli *cli, const struct emc_error *err)
{
    end_bar(cli);
    char line[600];
    dburl_redact_text(err->msg, line, sizeof(line));
    if (err->code == EMC_E_STATE)
        fprintf(cli->err, "%s\n", line); /* the reference's own wording */
    else
        fprintf(cli->err, "ERROR: %s\n", line);
    return err->code == EMC_E_USAGE ? 2 : 1;
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* standard_config_files: what oslo.config would find for glance-manage */
static int standard_config_files(char paths[][512], int max)
{
    const char *home = getenv("HOME");
    char dirs[4][512];
    int nd = 0;
    if (home) {
        snprintf(dirs[nd++], 512, "%s/.glance", home);
        snprintf(dirs[nd++], 512, "%s", home);
    }
    snprintf(dirs[nd++], 512, "/etc/glance");
    snprintf(dirs[nd++], 512, "/etc");
    static const char *const names[] = {"glance.conf", "glance-api.conf", "glance-manage.conf"};
    int n = 0;
    for (int k = 0; k < 3 && n < max; k++)
        for (int d = 0; d < nd; d++) {
            char p[1100];
            snprintf(p, sizeof(p), "%s/%s", dirs[d], names[k]);
            if (file_exists(p)) {
                snprintf(paths[n++], 512, "%s", p);
                break;
            }
        }
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_conf_dir: the .conf files of DIR in name order (oslo.config's --config-dir); -1 if
 * unreadable. */
static int list_conf_dir(const char *dir, char **out, int max)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".conf") != 0)
            continue;
        char p[2048];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (file_exists(p) && (out[n] = strdup(p)) != NULL)
            n++;
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof(char *), cmp_str);
    return n;
}

int cli_resolve_url(struct cli *cli)
{
    if (cli->url)
        return 0;
    if (cli->database_url) {
        cli->url = strdup(cli->database_url);
        cli->url_source = "--database-url";
        return cli->url ? 0 : 1;
    }
    const char *files[CLI_MAX_CONFIG * 2 + 8];
    int nf = 0;
    char std_paths[3][512];
    char *dir_files[CLI_MAX_CONFIG];
    int ndir = 0;
    if (cli->nconfig == 0 && !cli->config_dir) {
        int ns = standard_config_files(std_paths, 3);
        for (int i = 0; i < ns; i++)
            files[nf++] = std_paths[i];
        if (nf == 0) {
            cli->url = strdup(DEFAULT_SQLITE_URL);
            cli->url_source = "the embedded default";
            return cli->url ? 0 : 1;
        }
        cli->url_source = "the standard glance config files";
    } else {
        for (int i = 0; i < cli->nconfig; i++)
            files[nf++] = cli->config_files[i];
        cli->url_source = "--config-file";
    }
    if (cli->config_dir) {
        ndir = list_conf_dir(cli->config_dir, dir_files, CLI_MAX_CONFIG);
        if (ndir < 0) {
            fprintf(cli->err, "ERROR: cannot read config folder %s\n", cli->config_dir);
            return 1;
        }
        for (int i = 0; i < ndir; i++)
            files[nf++] = dir_files[i];
    }
    struct emc_error err;
    emc_error_clear(&err);
    char *url = NULL;
    int rc = emc_config_connection(files, nf, &url, &err);
    for (int i = 0; i < ndir; i++)
        free(dir_files[i]);
    if (rc < 0)
        return cli_fail(cli, &err);
    cli->url = url;
    return 0;
}

/* --- engine callbacks ---------------------------------------------------------------------- */

static void cb_log(void *ud, int level, const char *line)
{
    struct cli *cli = ud;
    if (level == EMC_LOG_DEBUG && !cli->debug)
        return; /* before end_bar: a hidden line must not break the progress bar */
    end_bar(cli);
    static const char *const names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    char red[1100];
    dburl_redact_text(line, red, sizeof(red));
    fprintf(cli->err, "%s [glance_emc] %s\n", names[level & 3], red);
}

static void cb_message(void *ud, const char *line)
{
    struct cli *cli = ud;
    end_bar(cli);
    fprintf(cli->out, "%s\n", line);
    fflush(cli->out);
}

static void cb_sql(void *ud, const char *stmt)
{
    struct cli *cli = ud;
    fprintf(cli->out, "%s;\n\n", stmt);
}

static bool cb_should_stop(void *ud)
{
    (void)ud;
    return stop_flag != 0;
}

static void fmt_eta(double s, char *buf, size_t n)
{
    if (s < 0)
        snprintf(buf, n, "--");
    else if (s < 90)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 5400)
        snprintf(buf, n, "%.0fm%02.0fs", s / 60, (double)((long)s % 60));
    else
        snprintf(buf, n, "%.1fh", s / 3600);
}

/* cb_progress: rows done and left, rows per second, ETA (once 1% is done): a bar redrawn in
 * place on a terminal, otherwise a plain line at most every 10% */
static void cb_progress(void *ud, const struct emc_progress *p)
{
    struct cli *cli = ud;
    static double last;
    char eta[32];
    fmt_eta(p->eta_s, eta, sizeof(eta));
    double pct = p->total > 0 ? 100.0 * (double)p->done / (double)p->total : 0;
    long long left = p->total > p->done ? (long long)(p->total - p->done) : 0;
    if (isatty(fileno(cli->err))) {
        int width = 30, fill = (int)(pct * width / 100);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        fprintf(cli->err, "\r%s [%s] %5.1f%% %lld done, %lld left, %.0f rows/s, ETA %s   ", p->what,
                bar, pct, (long long)p->done, left, p->rows_per_s, eta);
        bar_open = true;
        if (p->done >= p->total)
            end_bar(cli);
        fflush(cli->err);
        return;
    }
    double step = pct - last;
    if (step >= 10 || step < 0 || p->done >= p->total) {
        fprintf(cli->err,
                "INFO  [glance_emc] %s: %lld rows done (%.1f%%), %lld left, %.0f rows/s, ETA %s\n",
                p->what, (long long)p->done, pct, left, p->rows_per_s, eta);
        last = pct;
    }
}

int cli_open(struct cli *cli, struct emc_ctx **ctx, bool read_only)
{
    *ctx = NULL;
    if (cli_resolve_url(cli) != 0)
        return 1;
    struct emc_error err;
    emc_error_clear(&err);
    int rc = emc_open(ctx, cli->url, cli->migrations_dir, read_only, cli->connect_timeout, &err);
    if (rc < 0)
        return cli_fail(cli, &err);
    struct emc_ctx *c = *ctx;
    c->cb = (struct emc_callbacks){.ud = cli,
                                   .on_log = cb_log,
                                   .on_progress = cb_progress,
                                   .should_stop = cb_should_stop,
                                   .on_sql = cb_sql,
                                   .on_message = cb_message};
    if (cli->batch_size > 0)
        c->batch_size = cli->batch_size;
    if (cli->lock_timeout_ms >= 0)
        c->lock_timeout_ms = cli->lock_timeout_ms;
    c->sql_only = cli->sql;
    return 0;
}

/* --- parsing ---------------------------------------------------------------------------------*/

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* take_global: if argv[*i] is a global option, consume it (and its value) and return 1;
 * 0 if it is not one; -1 (message printed) for a bad value. */
static int take_global(struct cli *cli, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *val = NULL;
    char name[64];
    const char *eq = strchr(a, '=');
    if (strncmp(a, "--", 2) != 0)
        return 0;
    if (eq) {
        snprintf(name, sizeof(name), "%.*s", (int)(eq - a), a);
        val = eq + 1;
    } else {
        snprintf(name, sizeof(name), "%s", a);
    }
    static const char *const with_value[] = {
        "--config-file", "--config-dir",   "--database-url",    "--migrations-dir",
        "--batch-size",  "--lock-timeout", "--connect-timeout", NULL};
    bool needs = false;
    for (int k = 0; with_value[k]; k++)
        needs |= strcmp(name, with_value[k]) == 0;
    if (needs && !val) {
        if (*i + 1 >= argc) {
            cli_usage_error(cli, NULL, NULL, "argument %s: expected one argument", name);
            return -1;
        }
        val = argv[++*i];
    }
    long v;
    if (strcmp(name, "--config-file") == 0) {
        if (cli->nconfig >= CLI_MAX_CONFIG) {
            cli_usage_error(cli, NULL, NULL, "too many --config-file options");
            return -1;
        }
        cli->config_files[cli->nconfig++] = val;
    } else if (strcmp(name, "--config-dir") == 0) {
        cli->config_dir = val;
    } else if (strcmp(name, "--database-url") == 0) {
        cli->database_url = val;
    } else if (strcmp(name, "--migrations-dir") == 0) {
        cli->migrations_dir = val;
    } else if (strcmp(name, "--batch-size") == 0) {
        if (parse_int(val, 1, 1000000, &v) < 0) {
            cli_usage_error(cli, NULL, NULL,
                            "argument --batch-size: must be a whole number from 1 to 1000000");
            return -1;
        }
        cli->batch_size = (int)v;
    } else if (strcmp(name, "--lock-timeout") == 0) {
        if (parse_int(val, 0, 3600, &v) < 0) {
            cli_usage_error(cli, NULL, NULL,
                            "argument --lock-timeout: must be whole seconds from 0 to 3600");
            return -1;
        }
        cli->lock_timeout_ms = (int)v * 1000;
    } else if (strcmp(name, "--connect-timeout") == 0) {
        if (parse_int(val, 1, 600, &v) < 0) {
            cli_usage_error(cli, NULL, NULL,
                            "argument --connect-timeout: must be whole seconds from 1 to 600");
            return -1;
        }
        cli->connect_timeout = (int)v;
    } else if (strcmp(name, "--json") == 0 && !eq) {
        cli->json = true;
    } else if (strcmp(name, "--sql") == 0 && !eq) {
        cli->sql = true;
    } else if (strcmp(name, "--debug") == 0 && !eq) {
        cli->debug = true;
    } else if (strcmp(name, "--force") == 0 && !eq) {
        cli->force = true;
    } else {
        return 0;
    }
    return 1;
}

/* legacy glance-manage spellings: db_version, db_sync, ... */
static const char *legacy_action(const char *a)
{
    if (strncmp(a, "db_", 3) == 0)
        return a + 3;
    return NULL;
}

static int dispatch(struct cli *cli, const char *action, int argc, char **argv)
{
    for (const struct action *a = db_actions; a->name; a++)
        if (strcmp(a->name, action) == 0)
            return a->fn(cli, argc, argv);
    return cli_usage_error(cli, NULL, NULL, "argument action: invalid choice: '%s' (see %s --help)",
                           action, cli->prog);
}

int cli_main(int argc, char **argv)
{
    struct cli cli = {.out = stdout, .err = stderr, .lock_timeout_ms = -1};
    const char *slash = argv[0] ? strrchr(argv[0], '/') : NULL;
    cli.prog = slash ? slash + 1 : (argv[0] ? argv[0] : "glance-emc");
    /* globals before the command; the rest is the command's (which may repeat globals) */
    int i = 1;
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0, rc = 0;
    if (!rest)
        return 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            if (nrest == 0) {
                print_help(&cli);
                goto out;
            }
            rest[nrest++] = argv[i];
            continue;
        }
        if (strcmp(argv[i], "--version") == 0 && nrest == 0) {
            fprintf(cli.out, "glance-emc %s\n", EMC_VERSION);
            goto out;
        }
        int t = take_global(&cli, argc, argv, &i);
        if (t < 0) {
            rc = 2;
            goto out;
        }
        if (t == 0)
            rest[nrest++] = argv[i];
    }
    cli_install_signals();
    if (nrest == 0) {
        if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
            rc = cli_cmd_console(&cli, 0, rest);
            goto out;
        }
        fprintf(cli.err, "%s category action [<args>]\nAvailable categories:\n\tdb\n", cli.prog);
        rc = 2;
        goto out;
    }
    const char *cat = rest[0];
    if (strcmp(cat, "console") == 0) {
        rc = cli_cmd_console(&cli, nrest, rest);
    } else if (strcmp(cat, "demo") == 0) {
        rc = cli_cmd_demo(&cli, nrest, rest);
    } else if (strcmp(cat, "db") == 0) {
        if (nrest < 2) {
            rc = cli_usage_error(&cli, NULL, NULL,
                                 "db: an action is required (one of version, "
                                 "check, sync, upgrade, version_control, "
                                 "expand, migrate, contract, purge, "
                                 "purge_images_table, history, journal)");
            goto out;
        }
        if (strcmp(rest[1], "-h") == 0 || strcmp(rest[1], "--help") == 0) {
            print_help(&cli);
            goto out;
        }
        rc = dispatch(&cli, rest[1], nrest - 1, rest + 1);
    } else if (legacy_action(cat)) {
        rest[0] = (char *)legacy_action(cat);
        rc = dispatch(&cli, rest[0], nrest, rest);
    } else {
        rc = cli_usage_error(&cli, NULL, NULL,
                             "argument command: invalid choice: '%s' (choose from 'db', "
                             "'console', 'demo')",
                             cat);
    }
out:
    free(rest);
    free(cli.url);
    fflush(stdout);
    return rc;
}
