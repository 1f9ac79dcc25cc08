/* cli_history.c - `db history` (the revision graph with marks) and `db journal`. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "journal.h"
#include "revgraph.h"

static int open_state(struct cli *cli, struct emc_ctx **ctx, struct emc_state *st, bool *have)
{
    *have = false;
    int rc = cli_open(cli, ctx, true);
    if (rc)
        return rc;
    struct emc_error err;
    emc_error_clear(&err);
    if (emc_read_state(*ctx, st, &err) < 0) {
        rc = cli_fail(cli, &err);
        emc_close(*ctx);
        *ctx = NULL;
        return rc;
    }
    *have = true;
    return 0;
}

static bool is_current(const struct emc_ctx *ctx, const bool *applied, int i, const int *heads,
                       int nh)
{
    (void)ctx;
    (void)applied;
    for (int k = 0; k < nh; k++)
        if (heads[k] == i)
            return true;
    return false;
}

static char mark(const struct emc_ctx *ctx, const struct emc_state *st, int i, const int *heads,
                 int nh)
{
    const struct revision *r = &ctx->ms->revs[i];
    if (r->kind == REV_DATA)
        return st->applied[r->before_idx] ? '*' : (st->applied[r->after_idx] ? '~' : 'o');
    if (is_current(ctx, st->applied, i, heads, nh))
        return '@';
    return st->applied[i] ? '*' : 'o';
}

int cli_cmd_history(struct cli *cli, int argc, char **argv)
{
    if (argc > 1)
        return cli_usage_error(cli, argv[0], "", "unrecognized arguments: %s", argv[1]);
    struct emc_ctx *ctx;
    struct emc_state st;
    bool have;
    int rc = open_state(cli, &ctx, &st, &have);
    if (rc)
        return rc;
    const struct migset *ms = ctx->ms;
    int *heads = malloc(sizeof(int) * (size_t)(ms->nrev + 1));
    int *order = malloc(sizeof(int) * (size_t)(ms->nrev + 1));
    if (!heads || !order) {
        free(heads);
        free(order);
        emc_state_free(&st);
        emc_close(ctx);
        return 1;
    }
    int nh = rg_heads(ms, st.applied, heads);
    int n = 0;
    for (int ord = 0; ord < ms->nrev; ord++)
        for (int i = 0; i < ms->nrev; i++)
            if (ms->revs[i].kind == REV_SCHEMA && ms->revs[i].order == ord)
                order[n++] = i;
    if (cli->json) {
        json_object *o = json_object_new_object();
        json_object *a = json_object_new_array();
        for (int i = 0; i < ms->nrev; i++) {
            const struct revision *r = &ms->revs[i];
            json_object *e = json_object_new_object();
            json_object_object_add(e, "id", json_object_new_string(r->id));
            json_object_object_add(e, "kind",
                                   json_object_new_string(r->kind == REV_DATA ? "data" : "schema"));
            json_object_object_add(e, "branch",
                                   json_object_new_string(r->branch == BR_NONE
                                                              ? "trunk"
                                                              : migset_branch_name(r->branch)));
            json_object_object_add(e, "release", json_object_new_string(r->release));
            if (r->down_revision)
                json_object_object_add(e, "down_revision",
                                       json_object_new_string(r->down_revision));
            if (r->depends_on)
                json_object_object_add(e, "depends_on", json_object_new_string(r->depends_on));
            if (r->after)
                json_object_object_add(e, "after", json_object_new_string(r->after));
            if (r->before)
                json_object_object_add(e, "before", json_object_new_string(r->before));
            if (r->summary)
                json_object_object_add(e, "summary", json_object_new_string(r->summary));
            char m = mark(ctx, &st, i, heads, nh);
            json_object_object_add(e, "state",
                                   json_object_new_string(m == '@'   ? "current"
                                                          : m == '*' ? "applied"
                                                          : m == '~' ? "runnable"
                                                                     : "pending"));
            json_object_array_add(a, e);
        }
        json_object *h = json_object_new_array();
        for (int k = 0; k < nh; k++)
            json_object_array_add(h, json_object_new_string(ms->revs[heads[k]].id));
        json_object_object_add(o, "heads", h);
        json_object_object_add(o, "revisions", a);
        fprintf(cli->out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
        json_object_put(o);
    } else {
        fprintf(cli->out, "%-9s %-30s %s\n", "RELEASE", "TRUNK / EXPAND", "CONTRACT");
        const char *last_release = "";
        for (int k = 0; k < n; k++) {
            int i = order[k];
            const struct revision *r = &ms->revs[i];
            if (r->branch == BR_CONTRACT)
                continue;
            /* the contract twin of an expand revision goes on its line */
            int twin = -1;
            for (int j = 0; j < ms->nrev; j++)
                if (ms->revs[j].kind == REV_SCHEMA && ms->revs[j].dep_idx == i)
                    twin = j;
            char left[64], right[96] = "";
            snprintf(left, sizeof(left), "%c %s", mark(ctx, &st, i, heads, nh), r->id);
            if (twin >= 0)
                snprintf(right, sizeof(right), "%c %s", mark(ctx, &st, twin, heads, nh),
                         ms->revs[twin].id);
            fprintf(cli->out, "%-9s %-30s %s\n", strcmp(last_release, r->release) ? r->release : "",
                    left, right);
            last_release = r->release;
            for (int d = 0; d < ms->nrev; d++)
                if (ms->revs[d].kind == REV_DATA && ms->revs[d].after_idx == i)
                    fprintf(cli->out, "%-9s   %c data %s\n", "", mark(ctx, &st, d, heads, nh),
                            ms->revs[d].id);
        }
        /* contract revisions without an expand twin */
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (ms->revs[i].branch == BR_CONTRACT && ms->revs[i].dep_idx < 0)
                fprintf(cli->out, "%-9s %-30s %c %s\n", ms->revs[i].release, "",
                        mark(ctx, &st, i, heads, nh), ms->revs[i].id);
        }
        char cur[512] = "";
        for (int k = 0; k < nh; k++)
            snprintf(cur + strlen(cur), sizeof(cur) - strlen(cur), "%s%s", k ? ", " : "",
                     ms->revs[heads[k]].id);
        fprintf(cli->out,
                "\n@ current head  * applied  o pending  ~ data migration that can run now\n"
                "current: %s\n",
                nh ? cur : "(not under migration control)");
    }
    free(heads);
    free(order);
    emc_state_free(&st);
    emc_close(ctx);
    return 0;
}

struct jl {
    struct cli *cli;
    json_object *arr;
};

static int journal_row_cb(void *ud, const struct journal_row *r)
{
    struct jl *j = ud;
    if (j->arr) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "id", json_object_new_int64(r->id));
        json_object_object_add(e, "run_id", json_object_new_string(r->run_id));
        json_object_object_add(e, "command", json_object_new_string(r->command));
        json_object_object_add(e, "step", json_object_new_string(r->step));
        json_object_object_add(e, "kind", json_object_new_string(r->kind));
        json_object_object_add(e, "phase", json_object_new_string(r->phase));
        json_object_object_add(e, "started_at", json_object_new_string(r->started_at));
        json_object_object_add(e, "finished_at",
                               r->finished_at[0] ? json_object_new_string(r->finished_at) : NULL);
        json_object_object_add(e, "rows", json_object_new_int64(r->rows_done));
        json_object_object_add(e, "statements", json_object_new_int64(r->stmts_done));
        json_object_object_add(e, "outcome", json_object_new_string(r->outcome));
        json_object_object_add(e, "operator", json_object_new_string(r->operator_));
        json_object_object_add(e, "pid", json_object_new_int64(r->pid));
        json_object_object_add(e, "tool_version", json_object_new_string(r->tool_version));
        if (r->detail[0])
            json_object_object_add(e, "detail", json_object_new_string(r->detail));
        json_object_array_add(j->arr, e);
    } else {
        fprintf(j->cli->out, "%5lld  %-19s  %-19s  %-16s %-6s %-24s %1s %8lld  %-11s %s\n",
                (long long)r->id, r->started_at, r->finished_at[0] ? r->finished_at : "-",
                r->command, r->kind, r->step, r->phase, (long long)r->rows_done, r->outcome,
                r->operator_);
    }
    return 0;
}

int cli_cmd_journal(struct cli *cli, int argc, char **argv)
{
    int limit = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            limit = atoi(argv[++i]);
            if (limit <= 0)
                return cli_usage_error(cli, argv[0], "[--limit N]",
                                       "argument --limit: must be a positive number");
        } else {
            return cli_usage_error(cli, argv[0], "[--limit N]", "unrecognized arguments: %s",
                                   argv[i]);
        }
    }
    struct emc_ctx *ctx;
    int rc = cli_open(cli, &ctx, true);
    if (rc)
        return rc;
    struct emc_error err;
    emc_error_clear(&err);
    struct jl j = {cli, cli->json ? json_object_new_array() : NULL};
    if (!cli->json)
        fprintf(cli->out, "%5s  %-19s  %-19s  %-16s %-6s %-24s %1s %8s  %-11s %s\n", "ID",
                "STARTED (UTC)", "FINISHED (UTC)", "COMMAND", "KIND", "STEP", "P", "ROWS",
                "OUTCOME", "OPERATOR");
    rc = journal_list(ctx, limit, journal_row_cb, &j, &err);
    if (j.arr) {
        if (rc == 0)
            fprintf(cli->out, "%s\n",
                    json_object_to_json_string_ext(j.arr, JSON_C_TO_STRING_PRETTY));
        json_object_put(j.arr);
    }
    int status = rc < 0 ? cli_fail(cli, &err) : 0;
    emc_close(ctx);
    return status;
}
