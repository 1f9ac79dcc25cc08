/* runner.c - see runner.h */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "revgraph.h"
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

/* sql_file: the named file of a revision for this dialect ("%s.sql" patterns). */
static const char *dialect_file(const struct emc_ctx *ctx, int rev, const char *pattern)
{
    char name[128];
    snprintf(name, sizeof(name), pattern, ctx->dialect);
    return migset_file(ctx->ms, ctx->ms->revs[rev].id, name);
}

struct strbuf {
    char *s;
    size_t len, cap;
};

static int sb_add(struct strbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->len + l + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + l + 1)
            cap *= 2;
        char *n = realloc(b->s, cap);
        if (!n)
            return -1;
        b->s = n;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, l + 1);
    b->len += l;
    return 0;
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
    return best ? best : dialect_file(ctx, rev, "%s.sql");
}

/* step_statements: every statement a schema step runs, in order (drop triggers, schema,
 * triggers), for a database whose applied revisions are applied (may be NULL: base files). */
static int step_statements(const struct emc_ctx *ctx, const bool *applied,
                           const struct emc_step *step, struct sql_list *out,
                           struct emc_error *err)
{
    memset(out, 0, sizeof(*out));
    const struct revision *r = &ctx->ms->revs[step->rev];
    const char *files[3] = {NULL, NULL, NULL};
    if (r->branch == BR_CONTRACT)
        files[0] = dialect_file(ctx, step->rev, "drop_triggers.%s.sql");
    files[1] = main_file(ctx, applied, step->rev);
    if (!files[1])
        return emc_error_set(err, EMC_E_REVISION, "revision %s has no %s.sql", r->id,
                             ctx->dialect);
    if (step->triggers)
        files[2] = dialect_file(ctx, step->rev, "triggers.%s.sql");
    for (int f = 0; f < 3; f++) {
        if (!files[f])
            continue;
        struct sql_list l;
        int rc = sql_split(files[f], &l, err);
        if (rc < 0) {
            sql_list_free(out);
            emc_error_prefix(err, "%s", r->id);
            return rc;
        }
        char **v = realloc(out->stmt, sizeof(char *) * (size_t)(out->n + l.n + 1));
        if (!v) {
            sql_list_free(&l);
            sql_list_free(out);
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
        }
        out->stmt = v;
        for (int i = 0; i < l.n; i++)
            out->stmt[out->n++] = l.stmt[i];
        free(l.stmt);
    }
    return 0;
}

/* batch_sql: a batch statement with :batch replaced by n. */
static char *batch_sql(const char *stmt, int n)
{
    char num[24];
    snprintf(num, sizeof(num), "%d", n);
    size_t cap = strlen(stmt) * 2 + 64;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t j = 0;
    for (const char *p = stmt; *p;) {
        if (strncmp(p, ":batch", 6) == 0) {
            size_t l = strlen(num);
            if (j + l + 1 >= cap)
                break;
            memcpy(out + j, num, l);
            j += l;
            p += 6;
        } else {
            if (j + 2 >= cap)
                break;
            out[j++] = *p++;
        }
    }
    out[j] = '\0';
    return out;
}

static int step_sql_for(const struct emc_ctx *ctx, const bool *applied,
                        const struct emc_step *step, char **out, struct emc_error *err);

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

static int step_sql_for(const struct emc_ctx *ctx, const bool *applied,
                        const struct emc_step *step, char **out, struct emc_error *err)
{
    *out = NULL;
    struct strbuf b = {0};
    int rc = 0;
    if (step->kind == STEP_DATA) {
        const char *pending = dialect_file(ctx, step->rev, "pending.%s.sql");
        const char *batch = dialect_file(ctx, step->rev, "batch.%s.sql");
        if (!pending || !batch)
            return emc_error_set(err, EMC_E_REVISION, "data migration %s has no %s files",
                                 ctx->ms->revs[step->rev].id, ctx->dialect);
        char *bs = batch_sql(batch, ctx->batch_size);
        if (!bs || sb_add(&b, "-- rows left to migrate\n") || sb_add(&b, pending) ||
            sb_add(&b, "\n-- repeated, one transaction per batch, until it changes no row\n") ||
            sb_add(&b, bs))
            rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
        free(bs);
    } else {
        struct sql_list l;
        rc = step_statements(ctx, applied, step, &l, err);
        for (int i = 0; rc == 0 && i < l.n; i++)
            if (sb_add(&b, l.stmt[i]) || sb_add(&b, ";\n"))
                rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
        sql_list_free(&l);
        if (rc == 0 && b.len == 0 && sb_add(&b, "-- (no schema change in this revision)\n"))
            rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    if (rc < 0) {
        free(b.s);
        return rc;
    }
    *out = b.s;
    return 0;
}

/* run_sql: execute, or in offline mode emit. */
static int run_sql(struct emc_ctx *ctx, const char *sql, int64_t *affected,
                   struct emc_error *err)
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

static bool is_mysql(const struct emc_ctx *ctx)
{
    return strcmp(ctx->dialect, "mysql") == 0;
}

/* already_done: MySQL errors that say a re-run statement's effect is already there. */
static bool already_done(const struct emc_ctx *ctx, const struct emc_error *e)
{
    if (!is_mysql(ctx))
        return false;
    switch (e->driver_code) {
    case 1050: /* table exists */
    case 1060: /* duplicate column */
    case 1061: /* duplicate key name */
    case 1091: /* can't drop: does not exist */
    case 1146: /* table does not exist (a DROP re-run) */
    case 1359: /* trigger exists */
    case 1360: /* trigger does not exist */
    case 1826: /* duplicate foreign key */
        return true;
    default:
        return false;
    }
}

static int write_version_rows(struct emc_ctx *ctx, bool *has_table, const bool *old_applied,
                              const bool *new_applied, struct emc_error *err)
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
    if (!*has_table) {
        char name[64];
        snprintf(name, sizeof(name), "alembic_version.%s.sql", ctx->dialect);
        const char *create = migset_top_file(ms, name);
        if (!create) {
            rc = emc_error_set(err, EMC_E_REVISION, "migrations lack %s", name);
            goto out;
        }
        struct sql_list l;
        if ((rc = sql_split(create, &l, err)) < 0)
            goto out;
        for (int i = 0; rc == 0 && i < l.n; i++)
            rc = run_sql(ctx, l.stmt[i], NULL, err);
        sql_list_free(&l);
        if (rc < 0)
            goto out;
        *has_table = true;
    }
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
        rc = run_sql(ctx, sql, NULL, err);
    } else {
        for (int i = 0; rc == 0 && i < nr; i++) {
            snprintf(sql, sizeof(sql),
                     "DELETE FROM alembic_version WHERE alembic_version.version_num = '%s'",
                     ms->revs[removed[i]].id);
            rc = run_sql(ctx, sql, NULL, err);
        }
        for (int i = 0; rc == 0 && i < na; i++) {
            snprintf(sql, sizeof(sql), "INSERT INTO alembic_version (version_num) VALUES ('%s')",
                     ms->revs[added[i]].id);
            rc = run_sql(ctx, sql, NULL, err);
        }
    }
out:
    free(oh);
    free(nh);
    return rc;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* one attempt at a schema step; *failed_stmt gets the index of a failing statement */
static int schema_attempt(struct emc_ctx *ctx, struct emc_state *st, const struct emc_step *step,
                          const struct sql_list *l, int64_t resume, bool prior, int64_t jid,
                          int *failed_stmt, struct emc_error *err)
{
    bool txn = db_drv(ctx->conn)->caps.transactional_ddl && !ctx->sql_only;
    bool *after = malloc(sizeof(bool) * (size_t)ctx->ms->nrev);
    if (!after)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    memcpy(after, st->applied, sizeof(bool) * (size_t)ctx->ms->nrev);
    after[step->rev] = true;
    int rc = 0;
    if (txn)
        rc = db_begin(ctx->conn, err);
    for (int i = 0; rc == 0 && i < l->n; i++) {
        if (i < resume)
            continue;
        *failed_stmt = i;
        rc = run_sql(ctx, l->stmt[i], NULL, err);
        if (rc < 0 && i == resume && prior && already_done(ctx, err)) {
            emc_log(ctx, EMC_LOG_INFO, "statement %d of %s was applied before a crash; going on",
                    i + 1, ctx->ms->revs[step->rev].id);
            rc = 0;
        }
        if (rc == 0 && !txn && !ctx->sql_only)
            rc = journal_step_update(ctx, jid, i + 1, 0, err);
    }
    if (rc == 0) {
        *failed_stmt = -1;
        rc = write_version_rows(ctx, &st->has_version_table, st->applied, after, err);
    }
    if (rc == 0 && txn)
        rc = db_commit(ctx->conn, err);
    if (rc < 0 && txn) {
        struct emc_error e2;
        db_rollback(ctx->conn, &e2);
    }
    if (rc == 0)
        memcpy(st->applied, after, sizeof(bool) * (size_t)ctx->ms->nrev);
    free(after);
    return rc;
}

static int fk_check(struct emc_ctx *ctx, struct emc_error *err)
{
    int64_t n = 0;
    bool found = false;
    int rc = db_query_int(ctx->conn, "PRAGMA foreign_key_check", NULL, 0, &n, &found, err);
    if (rc == 0 && found)
        rc = emc_error_set(err, EMC_E_CONSTRAINT,
                           "foreign key check failed after the revision: run `PRAGMA "
                           "foreign_key_check` on the database to see the rows");
    return rc;
}

static int run_schema_step(struct emc_ctx *ctx, struct emc_state *st,
                           const struct emc_step *step, struct emc_error *err)
{
    const struct revision *r = &ctx->ms->revs[step->rev];
    struct sql_list l;
    int rc = step_statements(ctx, st->applied, step, &l, err);
    if (rc < 0)
        return rc;
    emc_log(ctx, EMC_LOG_INFO, "Running upgrade %s -> %s%s%s%s",
            r->down_revision ? r->down_revision : "", r->id, r->summary ? ", " : "",
            r->summary ? r->summary : "", step->triggers ? " (with rolling-upgrade triggers)" : "");
    if (ctx->sql_only) {
        int f;
        rc = schema_attempt(ctx, st, step, &l, 0, false, 0, &f, err);
        sql_list_free(&l);
        return rc;
    }
    bool sqlite = strcmp(ctx->dialect, "sqlite") == 0;
    int64_t jid = 0, resume = 0;
    bool prior = false;
    if (!db_drv(ctx->conn)->caps.transactional_ddl)
        rc = journal_resume_point(ctx, r->id, &resume, &prior, err);
    if (rc == 0)
        rc = journal_step_begin(ctx, r->id, "schema", step->phase, &jid, err);
    if (rc == 0 && resume > 0)
        rc = journal_step_update(ctx, jid, resume, 0, err);
    if (rc == 0 && resume > 0)
        emc_log(ctx, EMC_LOG_WARNING, "%s was interrupted after %lld of %d statements; finishing it",
                r->id, (long long)resume, l.n);
    if (rc == 0 && sqlite)
        rc = db_exec(ctx->conn, "PRAGMA foreign_keys = OFF", err);
    int failed = -1;
    for (int attempt = 0; rc == 0; attempt++) {
        if (ctx->lock_timeout_ms > 0)
            db_drv(ctx->conn)->set_lock_timeout(ctx->conn, ctx->lock_timeout_ms, err);
        rc = schema_attempt(ctx, st, step, &l, resume, prior, jid, &failed, err);
        if (rc == -EMC_E_LOCK_TIMEOUT && attempt < ctx->lock_retries) {
            int wait = 500 << attempt;
            emc_log(ctx, EMC_LOG_WARNING,
                    "%s: statement %d waited %.1f s on a lock held by another session; retrying "
                    "in %.1f s (%d/%d)",
                    r->id, failed + 1, ctx->lock_timeout_ms / 1000.0, wait / 1000.0, attempt + 1,
                    ctx->lock_retries);
            if (!db_drv(ctx->conn)->caps.transactional_ddl && failed > 0) {
                resume = failed;
                prior = true;
            }
            sleep_ms(wait);
            rc = 0;
            continue;
        }
        break;
    }
    if (rc == -EMC_E_LOCK_TIMEOUT && failed >= 0)
        emc_error_prefix(err, "%s statement %d (%.60s) gave up waiting for a lock after %d tries",
                         r->id, failed + 1, l.stmt[failed], ctx->lock_retries + 1);
    else if (rc < 0 && failed >= 0)
        emc_error_prefix(err, "%s statement %d", r->id, failed + 1);
    if (sqlite) {
        struct emc_error e2;
        if (rc == 0)
            rc = fk_check(ctx, err);
        db_exec(ctx->conn, "PRAGMA foreign_keys = ON", &e2);
    }
    struct emc_error e3;
    journal_step_end(ctx, jid, rc == 0 ? "done" : "failed", failed >= 0 ? failed : l.n, 0,
                     rc == 0 ? NULL : err->msg, &e3);
    sql_list_free(&l);
    return rc;
}

int emc_data_pending(struct emc_ctx *ctx, int rev, int64_t *pending, struct emc_error *err)
{
    *pending = 0;
    const char *q = dialect_file(ctx, rev, "pending.%s.sql");
    if (!q)
        return emc_error_set(err, EMC_E_REVISION, "data migration %s has no pending.%s.sql",
                             ctx->ms->revs[rev].id, ctx->dialect);
    struct sql_list l;
    int rc = sql_split(q, &l, err);
    if (rc == 0 && l.n != 1)
        rc = emc_error_set(err, EMC_E_REVISION, "pending.%s.sql of %s must hold one SELECT",
                           ctx->dialect, ctx->ms->revs[rev].id);
    if (rc == 0)
        rc = db_query_int(ctx->conn, l.stmt[0], NULL, 0, pending, NULL, err);
    sql_list_free(&l);
    return rc;
}

static int run_data_step(struct emc_ctx *ctx, const struct emc_step *step, int64_t *rows,
                         struct emc_error *err)
{
    const struct revision *r = &ctx->ms->revs[step->rev];
    const char *batch = dialect_file(ctx, step->rev, "batch.%s.sql");
    if (!batch)
        return emc_error_set(err, EMC_E_REVISION, "data migration %s has no batch.%s.sql", r->id,
                             ctx->dialect);
    int64_t total = 0;
    int rc = 0;
    if (ctx->sql_only) {
        char *s = batch_sql(batch, ctx->batch_size);
        if (!s)
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
        struct sql_list l;
        rc = sql_split(s, &l, err);
        free(s);
        for (int i = 0; rc == 0 && i < l.n; i++)
            rc = run_sql(ctx, l.stmt[i], NULL, err);
        sql_list_free(&l);
        return rc;
    }
    rc = emc_data_pending(ctx, step->rev, &total, err);
    if (rc < 0 || total == 0)
        return rc;
    emc_log(ctx, EMC_LOG_INFO, "Running data migration %s: %lld row(s) to migrate%s%s", r->id,
            (long long)total, r->summary ? ", " : "", r->summary ? r->summary : "");
    char *s = batch_sql(batch, ctx->batch_size);
    struct sql_list l = {0};
    if (!s)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    rc = sql_split(s, &l, err);
    free(s);
    int64_t jid = 0;
    if (rc == 0)
        rc = journal_step_begin(ctx, r->id, "data", 'M', &jid, err);
    struct emc_progress p = {.what = r->id, .total = total, .eta_s = -1};
    double t0 = now_s();
    while (rc == 0) {
        if (ctx->cb.should_stop && ctx->cb.should_stop(ctx->cb.ud)) {
            rc = emc_error_set(err, EMC_E_INTERRUPTED,
                               "%s stopped after %lld row(s) in %lld batch(es); run `glance-emc "
                               "db migrate` again to continue",
                               r->id, (long long)p.done, (long long)p.batches);
            break;
        }
        double tb = now_s();
        int64_t changed = 0;
        rc = db_begin(ctx->conn, err);
        for (int i = 0; rc == 0 && i < l.n; i++) {
            int64_t a = 0;
            rc = db_query(ctx->conn, l.stmt[i], NULL, 0, NULL, NULL, &a, err);
            changed += a;
        }
        if (rc == 0)
            rc = db_commit(ctx->conn, err);
        if (rc < 0) {
            struct emc_error e2;
            db_rollback(ctx->conn, &e2);
            break;
        }
        double dt = now_s() - tb;
        if (dt > p.longest_txn_s)
            p.longest_txn_s = dt;
        if (changed == 0)
            break;
        p.done += changed;
        p.batches++;
        if (p.done > p.total)
            p.total = p.done;
        double el = now_s() - t0;
        p.rows_per_s = el > 0 ? (double)p.done / el : 0;
        p.eta_s = (p.total > 0 && p.done * 100 >= p.total && p.rows_per_s > 0)
                      ? (double)(p.total - p.done) / p.rows_per_s
                      : -1;
        struct emc_error e2;
        journal_step_update(ctx, jid, p.batches, p.done, &e2);
        if (ctx->cb.on_progress)
            ctx->cb.on_progress(ctx->cb.ud, &p);
    }
    struct emc_error e3;
    journal_step_end(ctx, jid,
                     rc == 0                          ? "done"
                     : rc == -EMC_E_INTERRUPTED       ? "interrupted"
                                                      : "failed",
                     p.batches, p.done, rc == 0 ? NULL : err->msg, &e3);
    sql_list_free(&l);
    if (rows)
        *rows += p.done;
    return rc;
}

int emc_run_plan(struct emc_ctx *ctx, struct emc_state *st, const struct emc_plan *plan,
                 int64_t *rows, struct emc_error *err)
{
    if (rows)
        *rows = 0;
    for (int i = 0; i < plan->n; i++) {
        const struct emc_step *step = &plan->steps[i];
        if (ctx->cb.should_stop && ctx->cb.should_stop(ctx->cb.ud))
            return emc_error_set(err, EMC_E_INTERRUPTED, "stopped before %s",
                                 ctx->ms->revs[step->rev].id);
        if (ctx->cb.on_confirm && !ctx->sql_only) {
            char *sql = NULL;
            int rc = step_sql_for(ctx, st->applied, step, &sql, err);
            if (rc < 0)
                return rc;
            bool go = ctx->cb.on_confirm(ctx->cb.ud, step, sql);
            free(sql);
            if (!go)
                return emc_error_set(err, EMC_E_INTERRUPTED, "stopped before %s at the operator's "
                                     "request", ctx->ms->revs[step->rev].id);
        }
        int rc = step->kind == STEP_SCHEMA ? run_schema_step(ctx, st, step, err)
                                           : run_data_step(ctx, step, rows, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int emc_fix_legacy_heads(struct emc_ctx *ctx, struct emc_state *st, struct emc_error *err)
{
    if (!st->legacy_names)
        return 0;
    int rc = run_sql(ctx,
                     "UPDATE alembic_version SET version_num='ocata_contract01' WHERE "
                     "alembic_version.version_num = 'ocata01'",
                     NULL, err);
    if (rc == 0)
        rc = run_sql(ctx,
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
    int rc = txn ? db_begin(ctx->conn, err) : 0;
    if (rc == 0 && st->has_version_table)
        rc = run_sql(ctx, "DELETE FROM alembic_version", NULL, err);
    if (rc == 0) {
        bool *none = calloc((size_t)ctx->ms->nrev + 1, sizeof(bool));
        if (!none)
            rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
        else
            rc = write_version_rows(ctx, &st->has_version_table, none, want, err);
        free(none);
    }
    if (rc == 0 && txn)
        rc = db_commit(ctx->conn, err);
    if (rc < 0 && txn) {
        struct emc_error e2;
        db_rollback(ctx->conn, &e2);
    }
    if (rc == 0)
        memcpy(st->applied, want, sizeof(bool) * (size_t)ctx->ms->nrev);
    return rc;
}
