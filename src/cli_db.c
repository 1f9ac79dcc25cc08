/* cli_db.c - the glance-manage `db` commands on the command line. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "revgraph.h"

/* version_arg: [VERSION] or --version V (also --version=V); other options are usage errors. */
static int version_arg(struct cli *cli, int argc, char **argv, const char **version)
{
    *version = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(cli, argv[0], "[--version VERSION]",
                                       "argument --version: expected one argument");
            *version = argv[++i];
        } else if (strncmp(a, "--version=", 10) == 0) {
            *version = a + 10;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(cli, argv[0], "[--version VERSION]",
                                   "unrecognized arguments: %s", a);
        } else if (!*version) {
            *version = a;
        } else {
            return cli_usage_error(cli, argv[0], "[--version VERSION]",
                                   "unrecognized arguments: %s", a);
        }
    }
    return 0;
}

static int no_args(struct cli *cli, int argc, char **argv)
{
    if (argc > 1)
        return cli_usage_error(cli, argv[0], "", "unrecognized arguments: %s", argv[1]);
    return 0;
}

static int finish(struct cli *cli, struct emc_ctx *ctx, int rc, const struct emc_error *err)
{
    int status = rc < 0 ? cli_fail(cli, err) : 0;
    if (rc == -EMC_E_INTERRUPTED)
        status = 130;
    emc_close(ctx);
    return status;
}

void cli_print_json(struct cli *cli, json_object *o)
{
    fprintf(cli->out, "%s\n",
            json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static json_object *heads_json(const struct emc_state *st)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < st->nheads; i++)
        json_object_array_add(a, json_object_new_string(st->heads[i]));
    return a;
}

static const char *verdict_name(enum emc_verdict v)
{
    switch (v) {
    case EMC_VERDICT_UP_TO_DATE:
        return "up-to-date";
    case EMC_VERDICT_EXPAND:
        return "expand";
    case EMC_VERDICT_MIGRATE:
        return "migrate";
    case EMC_VERDICT_CONTRACT:
        return "contract";
    }
    return "?";
}

static void add_common(struct cli *cli, struct emc_ctx *ctx, json_object *o)
{
    char url[1024];
    json_object_object_add(o, "backend", json_object_new_string(ctx->dialect));
    json_object_object_add(o, "database",
                           json_object_new_string(dburl_redacted(&ctx->url, url, sizeof(url))));
    json_object_object_add(o, "source", json_object_new_string(cli->url_source));
}

int cli_cmd_version(struct cli *cli, int argc, char **argv)
{
    int rc = no_args(cli, argc, argv);
    if (rc)
        return rc;
    struct emc_ctx *ctx;
    if ((rc = cli_open(cli, &ctx, true)) != 0)
        return rc;
    struct emc_error err;
    emc_error_clear(&err);
    if (!cli->json)
        return finish(cli, ctx, emc_cmd_version(ctx, &err), &err);
    struct emc_state st;
    rc = emc_read_state(ctx, &st, &err);
    if (rc == 0) {
        json_object *o = json_object_new_object();
        add_common(cli, ctx, o);
        json_object_object_add(o, "under_control", json_object_new_boolean(st.nheads > 0));
        json_object_object_add(o, "heads", heads_json(&st));
        cli_print_json(cli, o);
        emc_state_free(&st);
    }
    return finish(cli, ctx, rc, &err);
}

int cli_cmd_check(struct cli *cli, int argc, char **argv)
{
    int rc = no_args(cli, argc, argv);
    if (rc)
        return rc;
    struct emc_ctx *ctx;
    if ((rc = cli_open(cli, &ctx, true)) != 0)
        return rc;
    struct emc_error err;
    emc_error_clear(&err);
    int code = 0;
    if (!cli->json) {
        rc = emc_cmd_check(ctx, &code, &err);
        int status = finish(cli, ctx, rc, &err);
        return rc < 0 ? status : code;
    }
    struct emc_status s;
    rc = emc_status_read(ctx, &s, &err);
    if (rc == 0) {
        json_object *o = json_object_new_object();
        add_common(cli, ctx, o);
        json_object_object_add(o, "verdict", json_object_new_string(verdict_name(s.verdict)));
        json_object_object_add(o, "exit_code", json_object_new_int((int)s.verdict));
        json_object_object_add(o, "heads", heads_json(&s.st));
        const struct migset *ms = ctx->ms;
        json_object *t = json_object_new_array();
        if (s.expand_head >= 0)
            json_object_array_add(t, json_object_new_string(ms->revs[s.expand_head].id));
        if (s.contract_head >= 0)
            json_object_array_add(t, json_object_new_string(ms->revs[s.contract_head].id));
        json_object_object_add(o, "target_heads", t);
        json_object *p = json_object_new_object();
        json_object_object_add(p, "trunk", json_object_new_int(s.pending_trunk));
        json_object_object_add(p, "expand", json_object_new_int(s.pending_expand));
        json_object_object_add(p, "contract", json_object_new_int(s.pending_contract));
        json_object_object_add(p, "data_migrations", json_object_new_int(s.data_pending_steps));
        json_object_object_add(p, "data_rows", json_object_new_int64(s.data_rows_pending));
        json_object_object_add(o, "pending", p);
        code = (int)s.verdict;
        cli_print_json(cli, o);
        emc_status_free(&s);
    }
    int status = finish(cli, ctx, rc, &err);
    return rc < 0 ? status : code;
}

enum change { CH_SYNC, CH_UPGRADE, CH_VERSION_CONTROL, CH_EXPAND, CH_MIGRATE, CH_CONTRACT };

/* change_cmd: the commands that change the database share their shape: parse the action's
 * arguments, open read-write, name the command for the journal and the lock, run, report. */
static int change_cmd(struct cli *cli, int argc, char **argv, enum change which)
{
    const char *version = NULL;
    bool takes_version = which == CH_SYNC || which == CH_UPGRADE || which == CH_VERSION_CONTROL;
    int rc = takes_version ? version_arg(cli, argc, argv, &version) : no_args(cli, argc, argv);
    if (rc)
        return rc;
    struct emc_ctx *ctx;
    if ((rc = cli_open(cli, &ctx, false)) != 0)
        return rc;
    ctx->command = argv[0];
    struct emc_error err;
    emc_error_clear(&err);
    int64_t rows = 0;
    switch (which) {
    case CH_SYNC:
        rc = emc_cmd_sync(ctx, version, &err);
        break;
    case CH_UPGRADE:
        rc = emc_cmd_upgrade(ctx, version, &err);
        break;
    case CH_VERSION_CONTROL: /* --force is a global option, taken wherever it stands */
        rc = emc_cmd_version_control(ctx, version, cli->force, &err);
        break;
    case CH_EXPAND:
        rc = emc_cmd_expand(ctx, true, &err);
        break;
    case CH_MIGRATE:
        rc = emc_cmd_migrate(ctx, &rows, &err);
        break;
    case CH_CONTRACT:
        rc = emc_cmd_contract(ctx, &err);
        break;
    }
    return finish(cli, ctx, rc, &err);
}

int cli_cmd_sync(struct cli *cli, int argc, char **argv)
{
    return change_cmd(cli, argc, argv, CH_SYNC);
}

int cli_cmd_upgrade(struct cli *cli, int argc, char **argv)
{
    return change_cmd(cli, argc, argv, CH_UPGRADE);
}

int cli_cmd_version_control(struct cli *cli, int argc, char **argv)
{
    return change_cmd(cli, argc, argv, CH_VERSION_CONTROL);
}

int cli_cmd_expand(struct cli *cli, int argc, char **argv)
{
    return change_cmd(cli, argc, argv, CH_EXPAND);
}

int cli_cmd_migrate(struct cli *cli, int argc, char **argv)
{
    return change_cmd(cli, argc, argv, CH_MIGRATE);
}

int cli_cmd_contract(struct cli *cli, int argc, char **argv)
{
    return change_cmd(cli, argc, argv, CH_CONTRACT);
}
