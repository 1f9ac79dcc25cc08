/* cli.h - the command line: glance-manage's `db` commands and glance-emc's own, over the
 * engine. The CLI never starts curses; `console` (and no arguments on a terminal) hands over to
 * ui/. */
#ifndef EMC_CLI_H
#define EMC_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "emc.h"

#define CLI_MAX_CONFIG 16

/* Global options, as parsed from the command line. */
struct cli {
    const char *prog; /* program name for usage lines */
    const char *config_files[CLI_MAX_CONFIG];
    int nconfig;
    const char *config_dir;
    const char *database_url;   /* --database-url, wins over config files */
    const char *migrations_dir; /* --migrations-dir */
    bool json;                  /* --json */
    bool sql;                   /* --sql: print the SQL, change nothing */
    bool debug;                 /* --debug: more log lines */
    bool force;                 /* --force (version_control) */
    int batch_size;             /* --batch-size, 0 = default */
    int lock_timeout_ms;        /* --lock-timeout seconds * 1000, -1 = default */
    int connect_timeout;        /* --connect-timeout seconds, 0 = default */
    char *url;                  /* resolved URL (owned) */
    const char *url_source;     /* where the URL came from, for --help and the console */
    FILE *out;                  /* stdout */
    FILE *err;                  /* stderr */
};

/* cli_main: run the program with argv; returns the process exit status. */
int cli_main(int argc, char **argv);

/* cli_resolve_url: settle cli->url from --database-url, --config-file/--config-dir, the
 * standard glance config files, or the embedded SQLite default, in that order. Prints a one-line
 * error and returns non-zero on failure. */
int cli_resolve_url(struct cli *cli);

/* cli_open: resolve the URL and open the engine on it with CLI callbacks (log lines and
 * progress on stderr, result lines on stdout, SIGINT/SIGTERM stop between batches). Prints a
 * one-line error and returns non-zero on failure. */
int cli_open(struct cli *cli, struct emc_ctx **ctx, bool read_only);

/* cli_fail: print an engine error as one line on stderr and return the exit status for it
 * (1; 2 for usage errors). */
int cli_fail(struct cli *cli, const struct emc_error *err);

/* cli_print_json: print o on cli->out, pretty, slashes unescaped, then release it. */
struct json_object;
void cli_print_json(struct cli *cli, struct json_object *o);

/* cli_usage_error: print "usage: ..." and "PROG db ACTION: error: MSG" as argparse does, and
 * return 2. */
int cli_usage_error(struct cli *cli, const char *action, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* cli_stop_requested: whether SIGINT or SIGTERM arrived (for loops outside the engine). */
bool cli_stop_requested(void);

/* cli_install_signals: make SIGINT/SIGTERM set the stop flag instead of killing the process. */
void cli_install_signals(void);

/* The command handlers; argv[0] is the action name. */
int cli_cmd_version(struct cli *cli, int argc, char **argv);
int cli_cmd_check(struct cli *cli, int argc, char **argv);
int cli_cmd_sync(struct cli *cli, int argc, char **argv);
int cli_cmd_upgrade(struct cli *cli, int argc, char **argv);
int cli_cmd_version_control(struct cli *cli, int argc, char **argv);
int cli_cmd_expand(struct cli *cli, int argc, char **argv);
int cli_cmd_migrate(struct cli *cli, int argc, char **argv);
int cli_cmd_contract(struct cli *cli, int argc, char **argv);
int cli_cmd_history(struct cli *cli, int argc, char **argv);
int cli_cmd_journal(struct cli *cli, int argc, char **argv);
/* src/cli_purge.c */
int cli_cmd_purge(struct cli *cli, int argc, char **argv);
int cli_cmd_purge_images(struct cli *cli, int argc, char **argv);
/* src/cli_console.c: the console (ui/) and the demo */
int cli_cmd_console(struct cli *cli, int argc, char **argv);
int cli_cmd_demo(struct cli *cli, int argc, char **argv);

#endif
