/* runner.c - see runner.h */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect.h"
#include "journal.h"
#include "revgraph.h"
#include "runner_int.h"
#include "strbuf.h"
#include "sqlsplit.h"

static int push_step(struct emc_plan *p, enum step_kind k, int rev, char phase, bool trig)
{
    struct emc_step *v = realloc(p->steps, sizeof(*v) * (size_t)(p->n + 1));
    if (!v)
        return -1;
    p->steps = v;
    p->steps[p->n++] = (struct emc_step){.kind = k, .rev = rev, .phase = phase, .triggers = trig};
    return 0;
}

void emc_plan_free(struct emc_plan *plan)
{
    free(plan->steps);
    plan->steps = NULL;
    plan->n = 0;
}

/* revisions of kind/branch in graph order that satisfy pred */
static int *by_order(const struct migset *ms)
{
    int *idx = malloc(sizeof(int) * (size_t)(ms->nrev + 1));
    if (!idx)
        return NULL;
    int n = 0;
    for (int ord = 0; ord < ms->nrev; ord++)
        for (int i = 0; i < ms->nrev; i++)
            if (ms->revs[i].kind == REV_SCHEMA && ms->revs[i].order == ord)
                idx[n++] = i;
    /* data migrations after, ordered by their after revision's order */
    for (int ord = 0; ord < ms->nrev; ord++)
        for (int i = 0; i < ms->nrev; i++)
            if (ms->revs[i].kind == REV_DATA && ms->revs[ms->revs[i].after_idx].order == ord)
                idx[n++] = i;
    idx[n] = -1;
    return idx;
}

static bool contract_twin_kept(const struct migset *ms, int expand, const bool *applied,
                               const bool *want)
{
    for (int i = 0; i < ms->nrev; i++)
        if (ms->revs[i].kind == REV_SCHEMA && ms->revs[i].dep_idx == expand &&
            (applied[i] || want[i]))
            return true;
    return false;
}

int emc_plan_build(const struct emc_ctx *ctx, const struct emc_state *st, const bool *want,
                   unsigned flags, struct emc_plan *plan, struct emc_error *err)
{
    const struct migset *ms = ctx->ms;
    memset(plan, 0, sizeof(*plan));
    int *idx = by_order(ms);
    if (!idx)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    static const char phases[] = {[BR_NONE] = 'T', [BR_EXPAND] = 'E', [BR_CONTRACT] = 'C'};
    int rc = 0;
    /* pass 0: trunk, 1: expand, 2: data, 3: contract */
    for (int pass = 0; pass < 4 && rc == 0; pass++) {
        for (int k = 0; idx[k] >= 0 && rc == 0; k++) {
            int i = idx[k];
            const struct revision *r = &ms->revs[i];
            if (pass == 2) {
                if (r->kind == REV_DATA && !(flags & PLAN_NO_DATA) &&
                    rg_data_on_path(ms, i, st->applied, want))
                    rc = push_step(plan, STEP_DATA, i, 'M', false);
                continue;
            }
            if (r->kind != REV_SCHEMA || st->applied[i] || !want[i])
                continue;
            enum rev_branch br = pass == 0 ? BR_NONE : pass == 1 ? BR_EXPAND : BR_CONTRACT;
            if (r->branch != br)
                continue;
            bool trig = (flags & PLAN_TRIGGERS) && br == BR_EXPAND &&
                        !contract_twin_kept(ms, i, st->applied, want);
            rc = push_step(plan, STEP_SCHEMA, i, phases[br], trig);
        }
    }
    free(idx);
    if (rc < 0) {
        emc_plan_free(plan);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    return 0;
}

int emc_plan_data(const struct emc_ctx *ctx, const struct emc_state *st, struct emc_plan *plan,
                  struct emc_error *err)
{
    const struct migset *ms = ctx->ms;
    memset(plan, 0, sizeof(*plan));
    int *idx = by_order(ms);
    if (!idx)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    for (int k = 0; idx[k] >= 0; k++) {
        const struct revision *r = &ms->revs[idx[k]];
        if (r->kind == REV_DATA && st->applied[r->after_idx] && !st->applied[r->before_idx] &&
            push_step(plan, STEP_DATA, idx[k], 'M', false) < 0) {
            free(idx);
            emc_plan_free(plan);
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
        }
    }
    free(idx);
    return 0;
}

const char *emc_step_label(const struct emc_ctx *ctx, const struct emc_step *step, char *buf,
                           size_t n)
{
    const struct revision *r = &ctx->ms->revs[step->rev];
    if (step->kind == STEP_DATA)
        snprintf(buf, n, "%s", r->id);
    else
        snprintf(buf, n, "%s -> %s", r->down_revision ? r->down_revision : "", r->id);
    return buf;
}

const char *runner_dialect_file(const struct emc_ctx *ctx, int rev, const char *pattern)
{
    char name[128];
    snprintf(name, sizeof(name), pattern, ctx->dialect);
    return migset_file(ctx->ms, ctx->ms->revs[rev].id, name);
}

/* main_file: DIALECT.sql, or the variant DIALECT.after-REV.sql whose REV is applied and
 * descends from every other applied variant's REV (migrations/README.md, Variants). */
static const char *main_file(const struct emc_ctx *ctx, const bool *applied, int rev)
{
    const struct migset *ms = ctx->ms;
    char prefix[160];
    int pl = snprintf(prefix, sizeof(prefix), "%s/%s.after-", ms->revs[rev].id, ctx->dialect);
    const char *best = NULL;
    int best_order = -1;
    for (int i = 0; applied && i < ms->nfiles; i++) {
        const char *name = ms->files[i].name;
        if (strncmp(name, prefix, (size_t)pl) != 0)
            continue;
        char after[128];
        const char *p = name + pl;
        size_t l = strlen(p);
        if (l < 5 || l - 4 >= sizeof(after) || strcmp(p + l - 4, ".sql") != 0)
            continue;
        memcpy(after, p, l - 4);
        after[l - 4] = '\0';
        int a = migset_find(ms, after);
        if (a >= 0 && applied[a] && ms->revs[a].order > best_order) {
            best = ms->files[i].data;
            best_order = ms->revs[a].order;
        }
    }
    return best ? best : runner_dialect_file(ctx, rev, "%s.sql");
}

bool emc_step_has_triggers(const struct emc_ctx *ctx, const struct emc_step *step)
{
    if (step->kind != STEP_SCHEMA || !step->triggers)
        return false;
    const char *f = runner_dialect_file(ctx, step->rev, "triggers.%s.sql");
    if (!f)
        return false;
    struct sql_list l;
    struct emc_error e;
    if (sql_split(f, &l, &e) < 0)
        return true; /* let the run report the broken file */
    bool any = l.n > 0;
    sql_list_free(&l);
    return any;
}

/* append: the statements of text to out */
static int append(struct sql_list *out, const char *text, struct emc_error *err)
{
    struct sql_list l;
    int rc = sql_split(text, &l, err);
    if (rc < 0)
        return rc;
    char **v = realloc(out->stmt, sizeof(char *) * (size_t)(out->n + l.n + 1));
    if (!v) {
        sql_list_free(&l);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    out->stmt = v;
    for (int i = 0; i < l.n; i++)
        out->stmt[out->n++] = l.stmt[i];
    free(l.stmt);
    return 0;
}

/* drop_marker: where a contract revision's DIALECT.sql asks for its drop_triggers statements
 * (a line "-- emc:drop-triggers-here"), or NULL: before the file */
static const char *drop_marker(const char *main)
{
    static const char mark[] = "-- emc:drop-triggers-here";
    for (const char *p = strstr(main, mark); p; p = strstr(p + 1, mark))
        if (p == main || p[-1] == '\n')
            return p;
    return NULL;
}

int runner_step_statements(const struct emc_ctx *ctx, const bool *applied,
                           const struct emc_step *step, struct sql_list *out, int *drop_first,
                           int *drop_n, struct emc_error *err)
{
    memset(out, 0, sizeof(*out));
    if (drop_first)
        *drop_first = 0;
    if (drop_n)
        *drop_n = 0;
    const struct revision *r = &ctx->ms->revs[step->rev];
    const char *drops = NULL, *trig = NULL;
    if (r->branch == BR_CONTRACT)
        drops = runner_dialect_file(ctx, step->rev, "drop_triggers.%s.sql");
    const char *main = main_file(ctx, applied, step->rev);
    if (!main)
        return emc_error_set(err, EMC_E_REVISION, "revision %s has no %s.sql", r->id, ctx->dialect);
    if (step->triggers)
        trig = runner_dialect_file(ctx, step->rev, "triggers.%s.sql");
    const char *mark = drops ? drop_marker(main) : NULL;
    int rc = 0;
    if (mark) {
        char *before = strndup(main, (size_t)(mark - main));
        rc = before ? append(out, before, err) : emc_error_set(err, EMC_E_NOMEM, "out of memory");
        free(before);
        main = mark;
    }
    int first = out->n;
    if (rc == 0 && drops)
        rc = append(out, drops, err);
    if (drop_first)
        *drop_first = first;
    if (drop_n)
        *drop_n = out->n - first;
    if (rc == 0)
        rc = append(out, main, err);
    if (rc == 0 && trig)
        rc = append(out, trig, err);
    if (rc < 0) {
        sql_list_free(out);
        emc_error_prefix(err, "%s", r->id);
    }
    return rc;
}

char *runner_batch_sql(const char *stmt, int n)
{
    char num[24];
    int nl = snprintf(num, sizeof(num), "%d", n);
    struct strbuf b = {0};
    for (const char *p = stmt;;) {
        const char *m = strstr(p, ":batch");
        strbuf_append(&b, p, m ? (size_t)(m - p) : strlen(p));
        if (!m)
            break;
        strbuf_append(&b, num, (size_t)nl);
        p = m + 6;
    }
    return strbuf_take(&b);
}

static int step_sql_for(const struct emc_ctx *ctx, const bool *applied, const struct emc_step *step,
                        char **out, struct emc_error *err);

int emc_step_sql(const struct emc_ctx *ctx, const struct emc_step *step, char **out,
                 struct emc_error *err)
{
    /* the variant that applies depends on the database's state: read it */
    struct emc_state st;
    if (emc_read_state((struct emc_ctx *)ctx, &st, err) < 0)
        return step_sql_for(ctx, NULL, step, out, err);
    int rc = step_sql_for(ctx, st.applied, step, out, err);
    emc_state_free(&st);
    return rc;
}

static int step_sql_for(const struct emc_ctx *ctx, const bool *applied, const struct emc_step *step,
                        char **out, struct emc_error *err)
{
    *out = NULL;
    struct strbuf b = {0};
    int rc = 0;
    if (step->kind == STEP_DATA) {
        const char *pending = runner_dialect_file(ctx, step->rev, "pending.%s.sql");
        const char *batch = runner_dialect_file(ctx, step->rev, "batch.%s.sql");
        if (!pending || !batch)
            return emc_error_set(err, EMC_E_REVISION, "data migration %s has no %s files",
                                 ctx->ms->revs[step->rev].id, ctx->dialect);
        char *bs = runner_batch_sql(batch, ctx->batch_size);
        bool window = runner_batch_has_window(batch);
        strbuf_puts(&b, "-- rows left to migrate\n");
        strbuf_puts(&b, pending);
        strbuf_puts(&b, window ? "\n-- once for each window of keys :lo..:hi (a batch of rows), "
                                 "one transaction each, over the whole table\n"
                               : "\n-- repeated, one transaction per batch, until it changes no "
                                 "row\n");
        if (!bs || !strbuf_puts(&b, bs))
            rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
        free(bs);
    } else {
        struct sql_list l;
        rc = runner_step_statements(ctx, applied, step, &l, NULL, NULL, err);
        for (int i = 0; rc == 0 && i < l.n; i++) {
            strbuf_puts(&b, l.stmt[i]);
            strbuf_puts(&b, ";\n");
        }
        sql_list_free(&l);
        if (rc == 0 && b.len == 0)
            strbuf_puts(&b, "-- (no schema change in this revision)\n");
        if (rc == 0 && b.oom)
            rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    if (rc < 0) {
        strbuf_free(&b);
        return rc;
    }
    *out = strbuf_take(&b);
    return 0;
}

int runner_sql(struct emc_ctx *ctx, const char *sql, int64_t *affected, struct emc_error *err)
{
    if (affected)
        *affected = 0;
    if (ctx->sql_only) {
        if (ctx->cb.on_sql)
            ctx->cb.on_sql(ctx->cb.ud, sql);
        return 0;
    }
    return db_query(ctx->conn, sql, NULL, 0, NULL, NULL, affected, err);
}

int runner_version_table(struct emc_ctx *ctx, bool *has_table, struct emc_error *err)
{
    if (*has_table)
        return 0;
    char name[64];
    snprintf(name, sizeof(name), "alembic_version.%s.sql", ctx->dialect);
    const char *create = migset_top_file(ctx->ms, name);
    if (!create)
        return emc_error_set(err, EMC_E_REVISION, "migrations lack %s", name);
    struct sql_list l;
    int rc = sql_split(create, &l, err);
    for (int i = 0; rc == 0 && i < l.n; i++)
        rc = runner_sql(ctx, l.stmt[i], NULL, err);
    sql_list_free(&l);
    if (rc == 0)
        *has_table = true;
    return rc;
}

int runner_version_rows(struct emc_ctx *ctx, const bool *old_applied, const bool *new_applied,
                        struct emc_error *err)
{
    const struct migset *ms = ctx->ms;
    int *oh = malloc(sizeof(int) * (size_t)(ms->nrev + 1));
    int *nh = malloc(sizeof(int) * (size_t)(ms->nrev + 1));
    int rc = 0;
    if (!oh || !nh) {
        rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
        goto out;
    }
    int no = rg_heads(ms, old_applied, oh);
    int nn = rg_heads(ms, new_applied, nh);
    int removed[EMC_MAX_HEADS * 4], added[EMC_MAX_HEADS * 4], nr = 0, na = 0;
    for (int i = 0; i < no; i++) {
        bool keep = false;
        for (int j = 0; j < nn; j++)
            keep |= oh[i] == nh[j];
        if (!keep && nr < EMC_MAX_HEADS * 4)
            removed[nr++] = oh[i];
    }
    for (int j = 0; j < nn; j++) {
        bool had = false;
        for (int i = 0; i < no; i++)
            had |= oh[i] == nh[j];
        if (!had && na < EMC_MAX_HEADS * 4)
            added[na++] = nh[j];
    }
    char sql[256];
    if (nr == 1 && na == 1) {
        snprintf(sql, sizeof(sql),
                 "UPDATE alembic_version SET version_num='%s' WHERE alembic_version.version_num = "
                 "'%s'",
                 ms->revs[added[0]].id, ms->revs[removed[0]].id);
        rc = runner_sql(ctx, sql, NULL, err);
    } else {
        for (int i = 0; rc == 0 && i < nr; i++) {
            snprintf(sql, sizeof(sql),
                     "DELETE FROM alembic_version WHERE alembic_version.version_num = '%s'",
                     ms->revs[removed[i]].id);
            rc = runner_sql(ctx, sql, NULL, err);
        }
        for (int i = 0; rc == 0 && i < na; i++) {
            snprintf(sql, sizeof(sql), "INSERT INTO alembic_version (version_num) VALUES ('%s')",
                     ms->revs[added[i]].id);
            rc = runner_sql(ctx, sql, NULL, err);
        }
    }
out:
    free(oh);
    free(nh);
    return rc;
}

/* can_group: whether the schema steps of a plan may share one transaction: DDL that is
 * transactional, a database to change, and nobody to confirm each step (the console shows
 * each step's SQL and asks first, so it commits step by step). */
static bool can_group(const struct emc_ctx *ctx)
{
    return db_drv(ctx->conn)->caps.transactional_ddl && !ctx->sql_only && !ctx->cb.on_confirm;
}

/* run_group: the schema steps from plan->steps[i] up to the next data step, in one
 * transaction: one commit (one fsync on SQLite) instead of two per revision, and still all or
 * nothing, since a crash rolls the whole group back. *n receives how many steps are done
 * (committed). A stop request between steps commits the steps before it. On failure the
 * group is rolled back, st is as it was, and *n is 0: the caller runs the steps one at a time,
 * which retries lock waits and journals the failing step. */
static int run_group(struct emc_ctx *ctx, struct emc_state *st, const struct emc_plan *plan, int i,
                     int *n, struct emc_error *err)
{
    size_t sz = sizeof(bool) * (size_t)ctx->ms->nrev;
    bool *applied = malloc(sz);
    if (!applied)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    memcpy(applied, st->applied, sz);
    bool had_table = st->has_version_table, sqlite = strcmp(ctx->dialect, "sqlite") == 0;
    struct emc_error e2;
    int j = i, rc = 0;
    /* the lock timeout is the run's (set by the command) and each step's (runner_schema.c) */
    /* SQLite rebuilds tables with foreign keys off; the pragma is a no-op inside a
     * transaction, so it goes before (each step checks the keys before the next) */
    if (sqlite)
        rc = db_exec(ctx->conn, "PRAGMA foreign_keys = OFF", err);
    if (rc == 0)
        rc = db_begin(ctx->conn, err);
    if (rc == 0) {
        ctx->in_group = true;
        while (rc == 0 && j < plan->n && plan->steps[j].kind == STEP_SCHEMA &&
               !(j > i && runner_stop_asked(ctx))) {
            rc = runner_schema_step(ctx, st, &plan->steps[j], err);
            if (rc == 0)
                j++;
        }
        ctx->in_group = false;
        if ((rc = db_end(ctx->conn, rc, err)) < 0) {
            memcpy(st->applied, applied, sz);
            st->has_version_table = had_table;
            j = i;
        }
    }
    if (sqlite)
        db_exec(ctx->conn, "PRAGMA foreign_keys = ON", &e2);
    free(applied);
    *n = j - i;
    return rc;
}

int emc_run_plan(struct emc_ctx *ctx, struct emc_state *st, const struct emc_plan *plan,
                 int64_t *rows, struct emc_error *err)
{
    if (rows)
        *rows = 0;
    bool group = can_group(ctx);
    for (int i = 0; i < plan->n;) {
        const struct emc_step *step = &plan->steps[i];
        if (runner_stop_asked(ctx)) {
            if (i == 0)
                return emc_error_set(err, EMC_E_INTERRUPTED,
                                     "interrupted before %s: no step "
                                     "was applied",
                                     ctx->ms->revs[step->rev].id);
            return emc_error_set(err, EMC_E_INTERRUPTED,
                                 "interrupted: %s is done and recorded, %s and the %d step(s) "
                                 "after it are not: run the command again to finish",
                                 ctx->ms->revs[plan->steps[i - 1].rev].id,
                                 ctx->ms->revs[step->rev].id, plan->n - i - 1);
        }
        if (group && step->kind == STEP_SCHEMA) {
            int n = 0;
            int rc = run_group(ctx, st, plan, i, &n, err);
            if (rc == 0) {
                i += n;
                continue;
            }
            /* one step at a time from here: that path retries lock waits, resumes, and
             * journals the step that fails */
            emc_log(ctx, EMC_LOG_WARNING,
                    "the revisions from %s on, run in one transaction, failed and were rolled "
                    "back (%s); running them one at a time",
                    ctx->ms->revs[step->rev].id, err->msg);
            emc_error_clear(err);
            group = false;
        }
        if (ctx->cb.on_confirm && !ctx->sql_only) {
            char *sql = NULL;
            int rc = step_sql_for(ctx, st->applied, step, &sql, err);
            if (rc < 0)
                return rc;
            bool go = ctx->cb.on_confirm(ctx->cb.ud, step, sql);
            free(sql);
            if (!go)
                return emc_error_set(err, EMC_E_INTERRUPTED,
                                     "stopped before %s at the operator's "
                                     "request",
                                     ctx->ms->revs[step->rev].id);
        }
        int rc = step->kind == STEP_SCHEMA ? runner_schema_step(ctx, st, step, err)
                                           : runner_data_step(ctx, step, rows, err);
        if (rc < 0)
            return rc;
        i++;
    }
    return 0;
}

int emc_fix_legacy_heads(struct emc_ctx *ctx, struct emc_state *st, struct emc_error *err)
{
    if (!st->legacy_names)
        return 0;
    int rc = runner_sql(ctx,
                        "UPDATE alembic_version SET version_num='ocata_contract01' WHERE "
                        "alembic_version.version_num = 'ocata01'",
                        NULL, err);
    if (rc == 0)
        rc = runner_sql(ctx,
                        "UPDATE alembic_version SET version_num='pike_contract01' WHERE "
                        "alembic_version.version_num = 'pike01'",
                        NULL, err);
    if (rc == 0)
        st->legacy_names = false;
    return rc;
}

int emc_stamp(struct emc_ctx *ctx, struct emc_state *st, const bool *want, struct emc_error *err)
{
    bool txn = !ctx->sql_only;
    /* the table first: on MySQL a CREATE TABLE inside the transaction would commit it */
    int rc = runner_version_table(ctx, &st->has_version_table, err);
    if (rc == 0 && txn)
        rc = db_begin(ctx->conn, err);
    if (rc == 0)
        rc = runner_sql(ctx, "DELETE FROM alembic_version", NULL, err);
    if (rc == 0) {
        bool *none = calloc((size_t)ctx->ms->nrev + 1, sizeof(bool));
        if (!none)
            rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
        else
            rc = runner_version_rows(ctx, none, want, err);
        free(none);
    }
    if (txn)
        rc = db_end(ctx->conn, rc, err);
    if (rc == 0)
        memcpy(st->applied, want, sizeof(bool) * (size_t)ctx->ms->nrev);
    return rc;
}

int emc_retry_locked(struct emc_ctx *ctx, const char *what,
                     int (*fn)(struct emc_ctx *ctx, void *arg, struct emc_error *err), void *arg,
                     struct emc_error *err)
{
    for (int attempt = 0;; attempt++) {
        int rc = fn(ctx, arg, err);
        if ((rc != -EMC_E_LOCK_TIMEOUT && rc != -EMC_E_DEADLOCK) || ctx->sql_only || ctx->in_group)
            return rc;
        char who[400];
        emc_lock_blockers(ctx, what, who, sizeof(who));
        if (attempt >= ctx->lock_retries || runner_stop_asked(ctx))
            return emc_error_set(err, EMC_E_LOCK_TIMEOUT,
                                 "%s gave up after %d waits of %.1f s for a lock held by %s: run "
                                 "the command again once that session has finished",
                                 what, attempt + 1, ctx->lock_timeout_ms / 1000.0,
                                 who[0] ? who : "another session");
        int wait = runner_backoff_ms(attempt);
        emc_log(ctx, EMC_LOG_WARNING,
                "%s waited %.1f s for a lock held by %s; retrying in %.2f s (retry %d of %d)", what,
                ctx->lock_timeout_ms / 1000.0, who[0] ? who : "another session", wait / 1000.0,
                attempt + 1, ctx->lock_retries);
        emc_error_clear(err);
        runner_sleep_ms(wait);
    }
}

struct step_begin {
    const char *step, *kind;
    char phase;
    int64_t *id;
};

static int step_begin_fn(struct emc_ctx *ctx, void *arg, struct emc_error *err)
{
    struct step_begin *a = arg;
    return journal_step_begin(ctx, a->step, a->kind, a->phase, a->id, err);
}

int runner_journal_begin(struct emc_ctx *ctx, const char *step, const char *kind, char phase,
                         int64_t *id, struct emc_error *err)
{
    struct step_begin a = {step, kind, phase, id};
    return emc_retry_locked(ctx, "the journal (INSERT INTO emc_journal)", step_begin_fn, &a, err);
}

int runner_backoff_ms(int attempt)
{
    int ms = 250;
    for (int i = 0; i < attempt && ms < 8000; i++)
        ms *= 2;
    return ms < 8000 ? ms : 8000;
}

const char *runner_excerpt(const char *sql, char *buf, size_t n)
{
    size_t j = 0;
    bool space = false;
    const char *p = sql;
    if (n == 0)
        return buf;
    while (*p && j + 1 < n) {
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
            space = j > 0;
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            space = j > 0;
            p++;
            continue;
        }
        if (space && j + 1 < n)
            buf[j++] = ' ';
        space = false;
        if (j + 1 < n)
            buf[j++] = *p++;
    }
    buf[j] = '\0';
    if (*p && n > 4)
        memcpy(buf + n - 4, "...", 4);
    return buf;
}

bool runner_stop_asked(const struct emc_ctx *ctx)
{
    return ctx->cb.should_stop && ctx->cb.should_stop(ctx->cb.ud);
}

void runner_progress_rates(struct emc_progress *p, double t0)
{
    if (p->done > p->total)
        p->total = p->done;
    double el = runner_now() - t0;
    p->rows_per_s = el > 0 ? (double)p->done / el : 0;
    p->eta_s = (p->total > 0 && p->done * 100 >= p->total && p->rows_per_s > 0)
                   ? (double)(p->total - p->done) / p->rows_per_s
                   : -1;
}

double runner_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t runner_data_version(struct emc_ctx *ctx)
{
    int64_t v = -1;
    bool found = false;
    struct emc_error e;
    if (db_query_int(ctx->conn, "PRAGMA data_version", NULL, 0, &v, &found, &e) < 0 || !found)
        return -1;
    return v;
}

void runner_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    /* a signal (the operator's stop request) may cut the wait short: the caller polls
     * should_stop next */
    nanosleep(&ts, NULL);
}

void runner_bulk(struct emc_ctx *ctx, bool on)
{
    struct emc_error e;
    if (db_set_bulk(ctx->conn, on, &e) < 0)
        emc_log(ctx, EMC_LOG_DEBUG, "no bulk mode: %s", e.msg);
}

void runner_stmt_cap(struct emc_ctx *ctx, int ms, bool *capped)
{
    if (!*capped)
        return;
    struct emc_error e;
    if (db_set_stmt_timeout(ctx->conn, ms, capped, &e) < 0) {
        emc_log(ctx, EMC_LOG_DEBUG, "batches run without a statement time cap: %s", e.msg);
        *capped = false;
    }
}
