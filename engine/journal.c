/* journal.c - see journal.h */
#include "journal.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void journal_utc(time_t t, char *buf, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

void journal_now(char *buf, size_t n)
{
    journal_utc(time(NULL), buf, n);
}

static void operator_name(char *buf, size_t n)
{
    const char *user = getenv("USER");
    struct passwd *pw = getpwuid(getuid());
    if (pw && pw->pw_name)
        user = pw->pw_name;
    char host[128] = "localhost";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(buf, n, "%s@%s", user ? user : "unknown", host);
}

int journal_ensure(struct emc_ctx *ctx, struct emc_error *err)
{
    if (ctx->sql_only || ctx->journal_ready)
        return 0;
    const char *idcol, *tail = "";
    if (strcmp(ctx->dialect, "sqlite") == 0) {
        idcol = "id INTEGER PRIMARY KEY AUTOINCREMENT";
    } else if (strcmp(ctx->dialect, "postgresql") == 0) {
        idcol = "id BIGSERIAL PRIMARY KEY";
    } else {
        idcol = "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY";
        tail = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
    }
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE IF NOT EXISTS emc_journal (%s, run_id VARCHAR(64) NOT NULL, "
             "command VARCHAR(64) NOT NULL, step VARCHAR(64) NOT NULL, kind VARCHAR(16) NOT NULL, "
             "phase VARCHAR(8) NOT NULL, started_at VARCHAR(32) NOT NULL, finished_at "
             "VARCHAR(32), rows_done BIGINT NOT NULL DEFAULT 0, stmts_done BIGINT NOT NULL "
             "DEFAULT 0, outcome VARCHAR(16) NOT NULL, operator VARCHAR(128) NOT NULL, pid "
             "BIGINT NOT NULL, tool_version VARCHAR(32) NOT NULL, detail TEXT)%s",
             idcol, tail);
    int rc = db_exec(ctx->conn, sql, err);
    if (rc == 0)
        ctx->journal_ready = true;
    return rc;
}

static int insert_row(struct emc_ctx *ctx, const char *step, const char *kind, const char *phase,
                      int64_t *id, struct emc_error *err)
{
    char now[32], op[192];
    journal_now(now, sizeof(now));
    operator_name(op, sizeof(op));
    struct db_param p[] = {DBP_S(ctx->run_id),
                           DBP_S(ctx->command ? ctx->command : "?"),
                           DBP_S(step),
                           DBP_S(kind),
                           DBP_S(phase),
                           DBP_S(now),
                           DBP_S(op),
                           DBP_I((int64_t)getpid()),
                           DBP_S(EMC_TOOL_VERSION)};
    int rc = db_query(ctx->conn,
                      "INSERT INTO emc_journal (run_id, command, step, kind, phase, started_at, "
                      "outcome, operator, pid, tool_version) VALUES (?, ?, ?, ?, ?, ?, 'running', "
                      "?, ?, ?)",
                      p, 9, NULL, NULL, NULL, err);
    if (rc < 0 || !id)
        return rc;
    struct db_param q[] = {DBP_S(ctx->run_id), DBP_S(step), DBP_S(kind)};
    return db_query_int(
        ctx->conn, "SELECT max(id) FROM emc_journal WHERE run_id = ? AND step = ? AND kind = ?", q,
        3, id, NULL, err);
}

int journal_reap(struct emc_ctx *ctx, struct emc_error *err)
{
    if (ctx->sql_only)
        return 0;
    bool exists = ctx->journal_ready;
    int rc = exists ? 0 : db_table_exists(ctx->conn, "emc_journal", &exists, err);
    if (rc < 0 || !exists)
        return rc;
    return db_exec(ctx->conn,
                   "UPDATE emc_journal SET outcome = 'crashed' WHERE outcome = 'running'", err);
}

int journal_run_begin(struct emc_ctx *ctx, struct emc_error *err)
{
    if (ctx->sql_only)
        return 0;
    /* a run_id of its own for each run: the run's rows are keyed by it, and one process may
     * run many commands (the console), or open a database twice in one second (the tests:
     * a shared id once made one run's end rewrite another's outcome) */
    static atomic_int seq;
    snprintf(ctx->run_id, sizeof(ctx->run_id), "%ld-%ld-%d", (long)time(NULL), (long)getpid(),
             atomic_fetch_add(&seq, 1) + 1);
    int rc = journal_ensure(ctx, err);
    if (rc < 0)
        return rc;
    return insert_row(ctx, ctx->command ? ctx->command : "?", "run", "-", NULL, err);
}

int journal_run_end(struct emc_ctx *ctx, const char *outcome, const char *detail,
                    struct emc_error *err)
{
    if (ctx->sql_only || !ctx->journal_ready || !ctx->run_id[0])
        return 0; /* no run was opened (a command refused before changing anything) */
    char now[32];
    journal_now(now, sizeof(now));
    struct db_param p[] = {DBP_S(now), DBP_S(outcome), DBP_S(detail), DBP_S(ctx->run_id)};
    int rc =
        db_query(ctx->conn,
                 "UPDATE emc_journal SET finished_at = ?, outcome = ?, detail = ? WHERE run_id = "
                 "? AND kind = 'run'",
                 p, 4, NULL, NULL, NULL, err);
    ctx->run_id[0] = '\0';
    return rc;
}

int journal_step_begin(struct emc_ctx *ctx, const char *step, const char *kind, char phase,
                       int64_t *id, struct emc_error *err)
{
    *id = 0;
    if (ctx->sql_only)
        return 0;
    int rc = journal_ensure(ctx, err);
    if (rc < 0)
        return rc;
    char ph[2] = {phase, '\0'};
    return insert_row(ctx, step, kind, ph, id, err);
}

int journal_step_update(struct emc_ctx *ctx, int64_t id, int64_t stmts_done, int64_t rows_done,
                        struct emc_error *err)
{
    if (ctx->sql_only || id == 0)
        return 0;
    struct db_param p[] = {DBP_I(stmts_done), DBP_I(rows_done), DBP_I(id)};
    return db_query(ctx->conn, "UPDATE emc_journal SET stmts_done = ?, rows_done = ? WHERE id = ?",
                    p, 3, NULL, NULL, NULL, err);
}

int journal_step_end(struct emc_ctx *ctx, int64_t id, const char *outcome, int64_t stmts_done,
                     int64_t rows_done, const char *detail, struct emc_error *err)
{
    if (ctx->sql_only || id == 0)
        return 0;
    char now[32];
    journal_now(now, sizeof(now));
    struct db_param p[] = {DBP_S(now),       DBP_S(outcome), DBP_I(stmts_done),
                           DBP_I(rows_done), DBP_S(detail),  DBP_I(id)};
    return db_query(ctx->conn,
                    "UPDATE emc_journal SET finished_at = ?, outcome = ?, stmts_done = ?, "
                    "rows_done = ?, detail = ? WHERE id = ?",
                    p, 6, NULL, NULL, NULL, err);
}

struct resume_ud {
    int64_t stmts;
    char outcome[16];
    bool found;
};

static int resume_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct resume_ud *u = ud;
    if (ncols >= 2) {
        u->stmts = vals[0] ? strtoll(vals[0], NULL, 10) : 0;
        snprintf(u->outcome, sizeof(u->outcome), "%s", vals[1] ? vals[1] : "");
        u->found = true;
    }
    return 1;
}

int journal_resume_point(struct emc_ctx *ctx, const char *step, int64_t *stmts_done,
                         bool *unfinished, struct emc_error *err)
{
    *stmts_done = 0;
    *unfinished = false;
    bool exists = false;
    int rc = db_table_exists(ctx->conn, "emc_journal", &exists, err);
    if (rc < 0 || !exists)
        return rc;
    struct resume_ud u = {0};
    struct db_param p = DBP_S(step);
    rc = db_query(ctx->conn,
                  "SELECT stmts_done, outcome FROM emc_journal WHERE step = ? AND kind = 'schema' "
                  "ORDER BY id DESC LIMIT 1",
                  &p, 1, resume_cb, &u, NULL, err);
    if (rc < 0)
        return rc;
    if (u.found && (strcmp(u.outcome, "crashed") == 0 || strcmp(u.outcome, "failed") == 0 ||
                    strcmp(u.outcome, "running") == 0 || strcmp(u.outcome, "interrupted") == 0)) {
        *stmts_done = u.stmts;
        *unfinished = true;
    }
    return 0;
}

/* the newest run the journal says is running */
struct holder {
    char op[192], pid_text[24], command[128], since[32];
    long pid;
    bool found;
};

static int holder_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct holder *h = ud;
    if (ncols < 4)
        return 1;
    snprintf(h->op, sizeof(h->op), "%s", vals[0] ? vals[0] : "?");
    snprintf(h->pid_text, sizeof(h->pid_text), "%s", vals[1] ? vals[1] : "?");
    snprintf(h->command, sizeof(h->command), "%s", vals[2] ? vals[2] : "?");
    snprintf(h->since, sizeof(h->since), "%s", vals[3] ? vals[3] : "?");
    h->pid = vals[1] ? strtol(vals[1], NULL, 10) : 0;
    h->found = true;
    return 1;
}

static bool running_holder(struct emc_ctx *ctx, struct holder *h)
{
    memset(h, 0, sizeof(*h));
    bool exists = false;
    struct emc_error e;
    if (db_table_exists(ctx->conn, "emc_journal", &exists, &e) < 0 || !exists)
        return false;
    if (db_query(ctx->conn,
                 "SELECT operator, pid, command, started_at FROM emc_journal WHERE kind = 'run' "
                 "AND outcome = 'running' ORDER BY id DESC LIMIT 1",
                 NULL, 0, holder_cb, h, NULL, &e) < 0)
        h->found = false;
    return h->found;
}

void journal_holder(struct emc_ctx *ctx, char *buf, size_t n)
{
    struct holder h;
    buf[0] = '\0';
    if (running_holder(ctx, &h))
        snprintf(buf, n, "%s pid %s, `db %s`, since %s UTC", h.op, h.pid_text, h.command, h.since);
}

bool journal_holder_gone(struct emc_ctx *ctx)
{
    struct holder h;
    if (!running_holder(ctx, &h) || h.pid <= 0)
        return false;
    char me[192];
    operator_name(me, sizeof(me));
    const char *h1 = strrchr(h.op, '@'), *h2 = strrchr(me, '@');
    if (!h1 || !h2 || strcmp(h1, h2) != 0)
        return false;
    return kill((pid_t)h.pid, 0) != 0 && errno == ESRCH;
}

struct list_ud {
    int (*cb)(void *ud, const struct journal_row *row);
    void *ud;
};

static void cp(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static int list_cb(void *ud, int ncols, char *const *v, char *const *names)
{
    (void)names;
    struct list_ud *u = ud;
    if (ncols < 15)
        return 1;
    struct journal_row r;
    memset(&r, 0, sizeof(r));
    r.id = v[0] ? strtoll(v[0], NULL, 10) : 0;
    cp(r.run_id, sizeof(r.run_id), v[1]);
    cp(r.command, sizeof(r.command), v[2]);
    cp(r.step, sizeof(r.step), v[3]);
    cp(r.kind, sizeof(r.kind), v[4]);
    cp(r.phase, sizeof(r.phase), v[5]);
    cp(r.started_at, sizeof(r.started_at), v[6]);
    cp(r.finished_at, sizeof(r.finished_at), v[7]);
    r.rows_done = v[8] ? strtoll(v[8], NULL, 10) : 0;
    r.stmts_done = v[9] ? strtoll(v[9], NULL, 10) : 0;
    cp(r.outcome, sizeof(r.outcome), v[10]);
    cp(r.operator_, sizeof(r.operator_), v[11]);
    r.pid = v[12] ? strtoll(v[12], NULL, 10) : 0;
    cp(r.tool_version, sizeof(r.tool_version), v[13]);
    cp(r.detail, sizeof(r.detail), v[14]);
    return u->cb(u->ud, &r);
}

int journal_list(struct emc_ctx *ctx, int limit, int (*cb)(void *ud, const struct journal_row *row),
                 void *ud, struct emc_error *err)
{
    bool exists = false;
    int rc = db_table_exists(ctx->conn, "emc_journal", &exists, err);
    if (rc < 0 || !exists)
        return rc;
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT id, run_id, command, step, kind, phase, started_at, finished_at, rows_done, "
             "stmts_done, outcome, operator, pid, tool_version, detail FROM emc_journal WHERE id "
             ">= (SELECT coalesce(max(id), 0) - %d FROM emc_journal) ORDER BY id",
             limit > 0 ? limit - 1 : 2000000000);
    struct list_ud u = {cb, ud};
    return db_query(ctx->conn, sql, NULL, 0, list_cb, &u, NULL, err);
}
