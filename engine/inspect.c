/* inspect.c - see inspect.h */
#include "inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "journal.h"

static int trig_cb(void *ud, int ncols, char *const *vals, char *const *names)
{
    (void)names;
    struct emc_triggers *t = ud;
    if (ncols >= 1 && vals[0] && t->n < EMC_MAX_TRIGGERS)
        snprintf(t->name[t->n++], sizeof(t->name[0]), "%s", vals[0]);
    return 0;
}

int emc_list_triggers(struct emc_ctx *ctx, struct emc_triggers *out, struct emc_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *sql;
    if (strcmp(ctx->dialect, "sqlite") == 0)
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'images' "
              "ORDER BY name";
    else if (strcmp(ctx->dialect, "postgresql") == 0)
        sql = "SELECT DISTINCT trigger_name FROM information_schema.triggers WHERE "
              "event_object_schema = current_schema() AND event_object_table = 'images' ORDER BY "
              "trigger_name";
    else
        sql = "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = "
              "DATABASE() AND event_object_table = 'images' ORDER BY trigger_name";
    return db_query(ctx->conn, sql, NULL, 0, trig_cb, out, NULL, err);
}

int emc_lock_probe(struct emc_ctx *ctx, bool *held, char *buf, size_t n, struct emc_error *err)
{
    *held = false;
    buf[0] = '\0';
    if (ctx->locked)
        return 0;
    int rc = emc_lock(ctx, err);
    if (rc == -EMC_E_LOCKED) {
        *held = true;
        journal_holder(ctx, buf, n);
        if (!buf[0])
            snprintf(buf, n, "another session (no journal entry)");
        emc_error_clear(err);
        return 0;
    }
    if (rc == 0)
        emc_unlock(ctx);
    return rc;
}

struct rights_ud {
    long log_bin, trust, super, trigger;
    char user[160], role[80], db[80];
    bool found;
};

static long num(const char *v)
{
    return v ? strtol(v, NULL, 10) : 0;
}

static int rights_cb(void *ud, int ncols, char *const *v, char *const *names)
{
    (void)names;
    struct rights_ud *u = ud;
    if (ncols < 7)
        return 1;
    u->log_bin = num(v[0]);
    u->trust = num(v[1]);
    snprintf(u->user, sizeof(u->user), "%s", v[2] ? v[2] : "?");
    u->super = num(v[3]);
    u->trigger = num(v[4]);
    snprintf(u->role, sizeof(u->role), "%s", v[5] ? v[5] : "NONE");
    snprintf(u->db, sizeof(u->db), "%s", v[6] ? v[6] : "?");
    u->found = true;
    return 1;
}

/* grantee: user@host as 'user'@'host' (how information_schema names a grantee) */
static void grantee(const char *user_at_host, char *buf, size_t n)
{
    const char *at = strrchr(user_at_host, '@');
    if (!at)
        snprintf(buf, n, "'%s'", user_at_host);
    else
        snprintf(buf, n, "'%.*s'@'%s'", (int)(at - user_at_host), user_at_host, at + 1);
}

int emc_trigger_rights(struct emc_ctx *ctx, bool *ok, char *why, size_t n, struct emc_error *err)
{
    *ok = true;
    why[0] = '\0';
    if (strcmp(ctx->dialect, "mysql") != 0)
        return 0;
    struct rights_ud u;
    memset(&u, 0, sizeof(u));
    int rc = db_query(
        ctx->conn,
        "SELECT @@log_bin, @@log_bin_trust_function_creators, CURRENT_USER(), "
        "(SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = g.me AND "
        "PRIVILEGE_TYPE = 'SUPER'), "
        "(SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = g.me AND "
        "PRIVILEGE_TYPE = 'TRIGGER') + (SELECT COUNT(*) FROM information_schema.SCHEMA_PRIVILEGES "
        "WHERE GRANTEE = g.me AND PRIVILEGE_TYPE = 'TRIGGER' AND TABLE_SCHEMA = DATABASE()) + "
        "(SELECT COUNT(*) FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = g.me AND "
        "PRIVILEGE_TYPE = 'TRIGGER' AND TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'images'), "
        "COALESCE(CURRENT_ROLE(), 'NONE'), DATABASE() FROM (SELECT CONCAT('''', "
        "SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', "
        "-1), '''') AS me) g",
        NULL, 0, rights_cb, &u, NULL, err);
    if (rc < 0 || !u.found)
        return rc;
    if (strcmp(u.role, "NONE") != 0)
        return 0; /* privileges through a role: information_schema does not show them */
    char who[200];
    grantee(u.user, who, sizeof(who));
    if (u.trigger == 0) {
        *ok = false;
        snprintf(why, n,
                 "the database user %s lacks the TRIGGER privilege on `%s`: as an administrator "
                 "run `GRANT TRIGGER ON `%s`.* TO %s`",
                 who, u.db, u.db, who);
    } else if (u.log_bin && !u.trust && u.super == 0) {
        *ok = false;
        snprintf(why, n,
                 "the server writes a binary log and the database user %s lacks SUPER: as an "
                 "administrator run `SET GLOBAL log_bin_trust_function_creators = 1` (and set "
                 "log_bin_trust_function_creators = 1 in the server's configuration), or `GRANT "
                 "SUPER ON *.* TO %s`",
                 who, who);
    }
    return 0;
}

/* words: the identifiers of sql, comma-separated (for "= ANY(string_to_array(?, ','))") */
static void words(const char *sql, char *buf, size_t n)
{
    size_t j = 0;
    bool in = false;
    for (const char *p = sql; *p && j + 2 < n; p++) {
        bool w = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 *p == '_';
        if (w) {
            if (!in && j > 0)
                buf[j++] = ',';
            buf[j++] = *p;
        }
        in = w;
    }
    buf[j] = '\0';
}

struct blk_ud {
    char *buf;
    size_t n, used;
    bool mysql;
};

static int blk_cb(void *ud, int ncols, char *const *v, char *const *names)
{
    (void)names;
    struct blk_ud *u = ud;
    if (ncols < 7 || u->used + 8 >= u->n)
        return 1;
    const char *q = v[5] && v[5][0] ? v[5] : "-";
    int w;
    if (u->mysql)
        w = snprintf(u->buf + u->used, u->n - u->used,
                     "%ssession %s (%s@%s, %s, transaction open %s s, last statement: %s)",
                     u->used ? "; " : "", v[0] ? v[0] : "?", v[1] ? v[1] : "?", v[2] ? v[2] : "?",
                     v[3] ? v[3] : "?", v[4] ? v[4] : "?", q);
    else
        w = snprintf(u->buf + u->used, u->n - u->used,
                     "%spid %s (%s@%s, %s for %s s, locks %s, last statement: %s)",
                     u->used ? "; " : "", v[0] ? v[0] : "?", v[1] ? v[1] : "?", v[2] ? v[2] : "?",
                     v[3] ? v[3] : "?", v[4] ? v[4] : "?", v[6] ? v[6] : "?", q);
    if (w > 0)
        u->used += (size_t)w;
    if (u->used >= u->n)
        u->used = u->n - 1;
    return 0;
}

/* sqlite_blockers: processes with POSIX locks on the database file, from /proc/locks */
static void sqlite_blockers(const char *path, char *buf, size_t n)
{
    struct stat st;
    FILE *f = path ? fopen("/proc/locks", "r") : NULL;
    if (!f || stat(path, &st) != 0) {
        if (f)
            fclose(f);
        return;
    }
    char line[256];
    size_t used = 0;
    long seen[8];
    int nseen = 0;
    while (fgets(line, sizeof(line), f) && used + 8 < n) {
        char kind[16], mode[16], rw[16];
        long pid;
        unsigned maj, min;
        unsigned long ino;
        if (strstr(line, "->") ||
            sscanf(line, "%*d: %15s %15s %15s %ld %x:%x:%lu", kind, mode, rw, &pid, &maj, &min,
                   &ino) != 7 ||
            strcmp(kind, "POSIX") != 0 || ino != (unsigned long)st.st_ino ||
            maj != major(st.st_dev) || min != minor(st.st_dev) || pid == (long)getpid())
            continue;
        bool dup = false;
        for (int i = 0; i < nseen; i++)
            dup |= seen[i] == pid;
        if (dup || nseen >= 8)
            continue;
        seen[nseen++] = pid;
        char comm[64] = "?", cp[64];
        snprintf(cp, sizeof(cp), "/proc/%ld/comm", pid);
        FILE *c = fopen(cp, "r");
        if (c) {
            if (fgets(comm, sizeof(comm), c))
                comm[strcspn(comm, "\n")] = '\0';
            fclose(c);
        }
        int w = snprintf(buf + used, n - used, "%spid %ld (%s, a %s lock on the database file)",
                         used ? "; " : "", pid, comm, strcmp(rw, "WRITE") == 0 ? "write" : "read");
        if (w > 0)
            used += (size_t)w;
        if (used >= n)
            used = n - 1;
    }
    fclose(f);
}

void emc_lock_blockers(struct emc_ctx *ctx, const char *sql, char *buf, size_t n)
{
    buf[0] = '\0';
    if (n < 16)
        return;
    struct emc_error e;
    struct blk_ud u = {buf, n, 0, false};
    if (strcmp(ctx->dialect, "postgresql") == 0) {
        char w[2048];
        words(sql, w, sizeof(w));
        struct db_param p = DBP_S(w);
        db_query(
            ctx->conn,
            "SELECT a.pid, coalesce(a.usename, '?'), coalesce(host(a.client_addr), 'local'), "
            "coalesce(a.state, '?'), coalesce(extract(epoch FROM now() - coalesce(a.xact_start, "
            "a.query_start))::bigint, 0), left(regexp_replace(coalesce(a.query, ''), '\\s+', "
            "' ', 'g'), 60), string_agg(DISTINCT c.relname, ',') FROM pg_locks l JOIN "
            "pg_stat_activity a ON a.pid = l.pid JOIN pg_class c ON c.oid = l.relation WHERE "
            "l.granted AND a.pid <> pg_backend_pid() AND a.datname = current_database() AND "
            "c.relkind IN ('r', 'p') AND c.relname = ANY(string_to_array(?, ',')) GROUP BY 1, "
            "2, 3, 4, 5, 6 ORDER BY 5 DESC LIMIT 3",
            &p, 1, blk_cb, &u, NULL, &e);
    } else if (strcmp(ctx->dialect, "mysql") == 0) {
        u.mysql = true;
        db_query(ctx->conn,
                 "SELECT p.ID, p.USER, p.HOST, p.COMMAND, TIMESTAMPDIFF(SECOND, t.trx_started, "
                 "NOW()), LEFT(REPLACE(COALESCE(p.INFO, ''), '\\n', ' '), 60), '' FROM "
                 "information_schema.PROCESSLIST p JOIN information_schema.INNODB_TRX t ON "
                 "t.trx_mysql_thread_id = p.ID WHERE p.ID <> CONNECTION_ID() AND p.DB <=> "
                 "DATABASE() ORDER BY t.trx_started LIMIT 3",
                 NULL, 0, blk_cb, &u, NULL, &e);
    } else {
        sqlite_blockers(ctx->url.database, buf, n);
    }
}
