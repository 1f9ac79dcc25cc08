/* fake_driver.c - see fake_driver.h. */
#include "fake_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct db_conn {
    struct db_conn_base base;
    int id;
};

struct fake_log_entry {
    enum fake_fn fn;
    char *text;
    char *params;
};

struct fake_script {
    char *match;
    int ncols, nrows;
    char **names;
    char **vals; /* nrows * ncols, NULL allowed */
    int64_t affected;
    int uses; /* 0 = forever */
    int used;
};

struct fake_failure {
    enum fake_fn fn; /* FAKE_ANY or one function */
    long at;         /* fail when that counter reaches this; 0 = by substring */
    char *match;
    int errclass;
    int times; /* remaining for substring failures; 0 = always */
    bool spent;
};

static const char *const fake_fn_names[FAKE__COUNT] = {"connect",
                                                       "close",
                                                       "exec",
                                                       "query",
                                                       "begin",
                                                       "commit",
                                                       "rollback",
                                                       "server_version",
                                                       "lock_try",
                                                       "lock_release",
                                                       "set_lock_timeout",
                                                       "set_stmt_timeout",
                                                       "change_counter"};

static struct {
    struct db_driver drv;
    struct fake_log_entry *log;
    size_t nlog, caplog;
    long calls[FAKE__COUNT];
    long all_calls;
    struct fake_script *scripts;
    size_t nscripts;
    struct fake_failure *fails;
    size_t nfails;
    bool lock_elsewhere;
    char version[64];
    int next_id;
    int open;
    char *delay_match;
    int delay_ms;
    int counter_every;
    long counter_reads;
} fk;

static char *fake_strdup(const char *s)
{
    if (!s)
        return NULL;
    char *p = strdup(s);
    if (!p)
        abort(); /* test support: running out of memory is fatal */
    return p;
}

static void *fake_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q)
        abort();
    return q;
}

void fake_driver_reset(void)
{
    for (size_t i = 0; i < fk.nlog; i++) {
        free(fk.log[i].text);
        free(fk.log[i].params);
    }
    free(fk.log);
    for (size_t i = 0; i < fk.nscripts; i++) {
        struct fake_script *s = &fk.scripts[i];
        for (int c = 0; c < s->ncols; c++)
            free(s->names[c]);
        for (int v = 0; v < s->ncols * s->nrows; v++)
            free(s->vals[v]);
        free(s->names);
        free(s->vals);
        free(s->match);
    }
    free(fk.scripts);
    for (size_t i = 0; i < fk.nfails; i++)
        free(fk.fails[i].match);
    free(fk.fails);
    fk.log = NULL;
    fk.nlog = fk.caplog = 0;
    memset(fk.calls, 0, sizeof(fk.calls));
    fk.all_calls = 0;
    fk.scripts = NULL;
    fk.nscripts = 0;
    fk.fails = NULL;
    fk.nfails = 0;
    fk.lock_elsewhere = false;
    snprintf(fk.version, sizeof(fk.version), "Fake 1.0");
    free(fk.delay_match);
    fk.delay_match = NULL;
    fk.delay_ms = 0;
    fk.counter_every = 0;
    fk.counter_reads = 0;
}

static void fake_delay(const char *sql)
{
    if (fk.delay_match && sql && strstr(sql, fk.delay_match)) {
        struct timespec ts = {fk.delay_ms / 1000, (long)(fk.delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static char *fake_render_params(const struct db_param *p, int n)
{
    size_t cap = 16, len = 0;
    for (int i = 0; i < n; i++)
        cap += 32 + (p[i].type == DBP_TEXT && p[i].s ? strlen(p[i].s) + 2 : 0);
    char *s = fake_xrealloc(NULL, cap);
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *sep = i ? ", " : "";
        if (p[i].type == DBP_INT)
            len += (size_t)snprintf(s + len, cap - len, "%s%lld", sep, (long long)p[i].i);
        else if (p[i].type == DBP_TEXT && p[i].s)
            len += (size_t)snprintf(s + len, cap - len, "%s'%s'", sep, p[i].s);
        else
            len += (size_t)snprintf(s + len, cap - len, "%sNULL", sep);
    }
    return s;
}

static void fake_record(enum fake_fn fn, const char *text, const struct db_param *p, int n)
{
    if (fk.nlog == fk.caplog) {
        fk.caplog = fk.caplog ? fk.caplog * 2 : 32;
        fk.log = fake_xrealloc(fk.log, fk.caplog * sizeof(*fk.log));
    }
    fk.log[fk.nlog].fn = fn;
    fk.log[fk.nlog].text = fake_strdup(text ? text : "");
    fk.log[fk.nlog].params = n > 0 ? fake_render_params(p, n) : fake_strdup("");
    fk.nlog++;
    fk.calls[fn]++;
    fk.all_calls++;
}

/* after recording a call: does a scripted failure apply? */
static int fake_check_fail(enum fake_fn fn, const char *sql, struct emc_error *err)
{
    for (size_t i = 0; i < fk.nfails; i++) {
        struct fake_failure *f = &fk.fails[i];
        if (f->spent)
            continue;
        bool hit;
        if (f->match)
            hit = sql && (fn == FAKE_EXEC || fn == FAKE_QUERY) && strstr(sql, f->match);
        else
            hit =
                f->fn == FAKE_ANY ? fk.all_calls == f->at : (f->fn == fn && fk.calls[fn] == f->at);
        if (!hit)
            continue;
        if (!f->match || (f->times > 0 && --f->times == 0))
            f->spent = true;
        /* a constraint error reads as the servers word a foreign key's */
        return emc_error_set(err, f->errclass, "fake: injected %s error in %s%s",
                             emc_errclass_name(f->errclass), fake_fn_names[fn],
                             f->errclass == EMC_E_CONSTRAINT ? " (a foreign key constraint fails)"
                                                             : "");
    }
    return 0;
}

static int fake_connect(struct db_conn **out, const struct dburl *url, int connect_timeout,
                        struct emc_error *err)
{
    (void)url;
    (void)connect_timeout;
    *out = NULL;
    emc_error_clear(err);
    fake_record(FAKE_CONNECT, "CONNECT", NULL, 0);
    int rc = fake_check_fail(FAKE_CONNECT, NULL, err);
    if (rc)
        return rc;
    struct db_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    c->base.drv = &fk.drv;
    c->id = ++fk.next_id;
    fk.open++;
    *out = c;
    return 0;
}

static void fake_close(struct db_conn *c)
{
    if (!c)
        return;
    fake_record(FAKE_CLOSE, "CLOSE", NULL, 0);
    fk.open--;
    free(c);
}

static struct fake_script *fake_find_script(const char *sql)
{
    for (size_t i = 0; i < fk.nscripts; i++) {
        struct fake_script *s = &fk.scripts[i];
        if ((s->uses == 0 || s->used < s->uses) && strstr(sql, s->match))
            return s;
    }
    return NULL;
}

static int fake_exec(struct db_conn *c, const char *sql, struct emc_error *err)
{
    emc_error_clear(err);
    fake_record(FAKE_EXEC, sql, NULL, 0);
    fake_delay(sql);
    int rc = fake_check_fail(FAKE_EXEC, sql, err);
    if (rc)
        return rc;
    struct fake_script *s = fake_find_script(sql);
    if (s)
        s->used++;
    c->base.last_affected = s ? s->affected : 0;
    return 0;
}

static int fake_query(struct db_conn *c, const char *sql, const struct db_param *params,
                      int nparams, db_row_cb cb, void *ud, int64_t *affected, struct emc_error *err)
{
    emc_error_clear(err);
    if (affected)
        *affected = 0;
    fake_record(FAKE_QUERY, sql, params, nparams);
    fake_delay(sql);
    int rc = fake_check_fail(FAKE_QUERY, sql, err);
    if (rc)
        return rc;
    struct fake_script *s = fake_find_script(sql);
    if (!s)
        return 0;
    s->used++;
    c->base.last_affected = s->affected;
    if (affected)
        *affected = s->affected;
    for (int r = 0; cb && r < s->nrows; r++)
        if (cb(ud, s->ncols, s->vals + (size_t)r * (size_t)s->ncols, s->names) != 0)
            break;
    return 0;
}

static int fake_simple(enum fake_fn fn, const char *text, struct emc_error *err)
{
    emc_error_clear(err);
    fake_record(fn, text, NULL, 0);
    return fake_check_fail(fn, NULL, err);
}

static int fake_begin(struct db_conn *c, struct emc_error *err)
{
    (void)c;
    int rc = fake_simple(FAKE_BEGIN, "BEGIN", err);
    fake_delay("BEGIN");
    return rc;
}

static int fake_commit(struct db_conn *c, struct emc_error *err)
{
    (void)c;
    return fake_simple(FAKE_COMMIT, "COMMIT", err);
}

static int fake_rollback(struct db_conn *c, struct emc_error *err)
{
    (void)c;
    return fake_simple(FAKE_ROLLBACK, "ROLLBACK", err);
}

static int fake_server_version(struct db_conn *c, char *buf, size_t n, struct emc_error *err)
{
    (void)c;
    int rc = fake_simple(FAKE_SERVER_VERSION, "SERVER_VERSION", err);
    if (rc == 0)
        snprintf(buf, n, "%s", fk.version);
    return rc;
}

static int fake_lock_try(struct db_conn *c, const char *name, bool *acquired, struct emc_error *err)
{
    (void)c;
    char text[256];
    snprintf(text, sizeof(text), "LOCK %s", name);
    *acquired = false;
    int rc = fake_simple(FAKE_LOCK_TRY, text, err);
    if (rc == 0)
        *acquired = !fk.lock_elsewhere;
    return rc;
}

static int fake_lock_release(struct db_conn *c, const char *name, struct emc_error *err)
{
    (void)c;
    char text[256];
    snprintf(text, sizeof(text), "UNLOCK %s", name);
    return fake_simple(FAKE_LOCK_RELEASE, text, err);
}

static int fake_set_lock_timeout(struct db_conn *c, int ms, struct emc_error *err)
{
    (void)c;
    char text[64];
    snprintf(text, sizeof(text), "LOCK_TIMEOUT %d", ms);
    return fake_simple(FAKE_SET_LOCK_TIMEOUT, text, err);
}

static int fake_set_stmt_timeout(struct db_conn *c, int ms, struct emc_error *err)
{
    (void)c;
    char text[64];
    snprintf(text, sizeof(text), "STMT_TIMEOUT %d", ms);
    return fake_simple(FAKE_SET_STMT_TIMEOUT, text, err);
}

static int64_t fake_change_counter(struct db_conn *c)
{
    (void)c;
    if (fk.counter_every <= 0)
        return -1;
    fake_record(FAKE_CHANGE_COUNTER, "CHANGE_COUNTER", NULL, 0);
    return fk.counter_reads++ / fk.counter_every;
}

const struct db_driver *fake_driver_install(const struct db_caps *caps)
{
    static const struct db_caps sqlite_like = {
        .dialect = "sqlite",
        .transactional_ddl = true,
        .placeholder = DB_PH_QMARK,
        .advisory_locks = false,
        .lock_timeout = true,
        .ident_quote = '"',
    };
    fake_driver_reset();
    fk.drv = (struct db_driver){
        .name = "fake",
        .caps = caps ? *caps : sqlite_like,
        .connect = fake_connect,
        .close = fake_close,
        .exec = fake_exec,
        .query = fake_query,
        .begin = fake_begin,
        .commit = fake_commit,
        .rollback = fake_rollback,
        .server_version = fake_server_version,
        .lock_try = fake_lock_try,
        .lock_release = fake_lock_release,
        .set_lock_timeout = fake_set_lock_timeout,
        .change_counter = fake_change_counter,
    };
    if (strcmp(fk.drv.caps.dialect, "sqlite") != 0) /* the servers cap statements */
        fk.drv.set_stmt_timeout = fake_set_stmt_timeout;
    db_set_fake_driver(&fk.drv);
    return &fk.drv;
}

void fake_url(struct dburl *u)
{
    memset(u, 0, sizeof(*u));
    u->backend = DB_FAKE;
}

int fake_calls(enum fake_fn fn)
{
    if (fn == FAKE_ANY)
        return (int)fk.all_calls;
    return fn >= 0 && fn < FAKE__COUNT ? (int)fk.calls[fn] : 0;
}

size_t fake_log_count(void)
{
    return fk.nlog;
}

const char *fake_log_at(size_t i)
{
    return i < fk.nlog ? fk.log[i].text : NULL;
}

const char *fake_log_params_at(size_t i)
{
    return i < fk.nlog ? fk.log[i].params : NULL;
}

enum fake_fn fake_log_fn_at(size_t i)
{
    return i < fk.nlog ? fk.log[i].fn : FAKE_ANY;
}

long fake_log_find(const char *substr, size_t from)
{
    for (size_t i = from; i < fk.nlog; i++)
        if (strstr(fk.log[i].text, substr))
            return (long)i;
    return -1;
}

size_t fake_log_count_matching(const char *substr)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.nlog; i++)
        n += strstr(fk.log[i].text, substr) != NULL;
    return n;
}

char *fake_log_text(void)
{
    size_t cap = 1;
    for (size_t i = 0; i < fk.nlog; i++)
        cap += strlen(fk.log[i].text) + strlen(fk.log[i].params) + 4;
    char *s = fake_xrealloc(NULL, cap);
    size_t len = 0;
    s[0] = '\0';
    for (size_t i = 0; i < fk.nlog; i++) {
        if (fk.log[i].params[0])
            len +=
                (size_t)snprintf(s + len, cap - len, "%s | %s\n", fk.log[i].text, fk.log[i].params);
        else
            len += (size_t)snprintf(s + len, cap - len, "%s\n", fk.log[i].text);
    }
    return s;
}

void fake_script_rows(const char *match, int ncols, const char *const *names, int nrows,
                      const char *const *vals, int64_t affected, int uses)
{
    fk.scripts = fake_xrealloc(fk.scripts, (fk.nscripts + 1) * sizeof(*fk.scripts));
    struct fake_script *s = &fk.scripts[fk.nscripts++];
    memset(s, 0, sizeof(*s));
    s->match = fake_strdup(match);
    s->ncols = ncols > 0 ? ncols : 0;
    s->nrows = nrows > 0 && ncols > 0 ? nrows : 0;
    s->names = fake_xrealloc(NULL, ((size_t)s->ncols + 1) * sizeof(char *));
    s->vals = fake_xrealloc(NULL, ((size_t)s->ncols * (size_t)s->nrows + 1) * sizeof(char *));
    for (int c = 0; c < s->ncols; c++)
        s->names[c] = fake_strdup(names ? names[c] : "?column?");
    for (int v = 0; v < s->ncols * s->nrows; v++)
        s->vals[v] = fake_strdup(vals[v]);
    s->affected = affected;
    s->uses = uses;
}

void fake_script_int(const char *match, int64_t value, int uses)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", (long long)value);
    const char *names[] = {"n"};
    const char *vals[] = {num};
    fake_script_rows(match, 1, names, 1, vals, 0, uses);
}

static void fake_add_failure(struct fake_failure f)
{
    fk.fails = fake_xrealloc(fk.fails, (fk.nfails + 1) * sizeof(*fk.fails));
    fk.fails[fk.nfails++] = f;
}

void fake_fail_nth(enum fake_fn fn, int nth, int errclass)
{
    long base = fn == FAKE_ANY ? fk.all_calls : fk.calls[fn];
    fake_add_failure((struct fake_failure){.fn = fn, .at = base + nth, .errclass = errclass});
}

void fake_fail_matching(const char *substr, int errclass, int times)
{
    fake_add_failure((struct fake_failure){
        .fn = FAKE_ANY, .match = fake_strdup(substr), .errclass = errclass, .times = times});
}

void fake_set_lock_held_elsewhere(bool held)
{
    fk.lock_elsewhere = held;
}

void fake_set_server_version(const char *v)
{
    snprintf(fk.version, sizeof(fk.version), "%s", v ? v : "");
}

void fake_set_query_delay(const char *match, int ms)
{
    free(fk.delay_match);
    fk.delay_match = fake_strdup(match);
    fk.delay_ms = ms;
}

void fake_set_change_counter(int every)
{
    fk.counter_every = every;
    fk.counter_reads = 0;
}

int fake_open_connections(void)
{
    return fk.open;
}
