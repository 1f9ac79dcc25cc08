/* demo.c - see demo.h */
#include "demo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "emc.h"
#include "journal.h"

#define DAY 86400L

struct gen {
    uint64_t s;
    time_t now;
    struct emc_ctx *ctx;
    struct emc_demo_summary *sum;
    int64_t prop_id, tag_id, member_id, loc_id;
};

/* splitmix64: small, fast, and the same on every platform */
static uint64_t next(struct gen *g)
{
    uint64_t z = (g->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* below: uniform in [0, n) */
static long below(struct gen *g, long n)
{
    return n > 0 ? (long)(next(g) % (uint64_t)n) : 0;
}

static bool chance(struct gen *g, int percent)
{
    return below(g, 100) < percent;
}

static void uuid(struct gen *g, char *buf)
{
    uint64_t a = next(g), b = next(g);
    snprintf(buf, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff),
             (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffULL));
}

static void hex(struct gen *g, char *buf, int n)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < n; i++)
        buf[i] = digits[below(g, 16)];
    buf[n] = '\0';
}

static const char *pick(struct gen *g, const char *const *v, int n)
{
    return v[below(g, n)];
}

static const char *const names[] = {
    "cirros-0.6.2-x86_64", "ubuntu-22.04-server", "ubuntu-24.04-server", "debian-12-generic",
    "fedora-39-cloud",     "centos-stream-9",     "rocky-9.3",           "windows-2022-eval",
    "alpine-3.19",         "opensuse-leap-15.5",  "k8s-node-1.29",       "rhel-9.3-byol"};
static const char *const disk_formats[] = {"qcow2", "qcow2", "qcow2", "raw", "raw", "vmdk", "iso"};
static const char *const tags[] = {"prod",   "staging", "gpu",        "base",
                                   "golden", "ci",      "deprecated", "lts"};
static const char *const visibilities[] = {"public", "private", "shared", "community"};

struct prop {
    const char *name;
    const char *values[3];
};
static const struct prop props[] = {
    {"os_distro", {"ubuntu", "debian", "fedora"}},
    {"os_version", {"22.04", "12", "39"}},
    {"hw_disk_bus", {"virtio", "scsi", "virtio"}},
    {"hw_scsi_model", {"virtio-scsi", "virtio-scsi", "lsilogic"}},
    {"architecture", {"x86_64", "x86_64", "aarch64"}},
    {"hypervisor_type", {"qemu", "kvm", "qemu"}},
    {"hw_qemu_guest_agent", {"yes", "no", "yes"}},
};
#define NPROPS ((int)(sizeof(props) / sizeof(props[0])))

static int q(struct gen *g, const char *sql, const struct db_param *p, int n, struct emc_error *err)
{
    return db_query(g->ctx->conn, sql, p, n, NULL, NULL, NULL, err);
}

/* child_deleted: the deleted_at a child row of an image gets (NULL: live). Children of a
 * deleted image go with it, except a few leftovers that stay live (they block images purge);
 * children of a live image are sometimes removed on their own. */
static const char *child_deleted(struct gen *g, bool img_deleted, time_t img_del, time_t created,
                                 char *buf, size_t n, bool *leftover)
{
    *leftover = false;
    if (img_deleted) {
        if (chance(g, 3)) {
            *leftover = true;
            return NULL;
        }
        journal_utc(img_del, buf, n);
        return buf;
    }
    if (chance(g, 6)) {
        long span = (long)((g->now - created) / DAY);
        journal_utc(g->now - below(g, span > 1 ? span : 1) * DAY - below(g, DAY), buf, n);
        return buf;
    }
    return NULL;
}

static int add_children(struct gen *g, const char *id, const char *vis, bool del, time_t deleted,
                        time_t created, const char *status, struct emc_error *err)
{
    char cr[32], dl[32], val[160], meta[64];
    journal_utc(created, cr, sizeof(cr));
    int rc = 0;
    bool left;
    /* properties: 2 to 4 distinct names */
    int np = 2 + (int)below(g, 3), first = (int)below(g, NPROPS);
    for (int k = 0; rc == 0 && k < np; k++) {
        const struct prop *p = &props[(first + k) % NPROPS];
        const char *d = child_deleted(g, del, deleted, created, dl, sizeof(dl), &left);
        struct db_param v[] = {
            DBP_I(++g->prop_id), DBP_S(id), DBP_S(p->name),  DBP_S(p->values[below(g, 3)]),
            DBP_S(cr),           DBP_S(d),  DBP_I(d ? 1 : 0)};
        rc = q(g,
               "INSERT INTO image_properties (id, image_id, name, value, created_at, deleted_at, "
               "deleted) VALUES (?, ?, ?, ?, ?, ?, ?)",
               v, 7, err);
        g->sum->properties++;
        g->sum->soft_deleted += d != NULL;
        g->sum->leftovers += left;
    }
    /* tags: 0 to 3 */
    int nt = (int)below(g, 4), ft = (int)below(g, 8);
    for (int k = 0; rc == 0 && k < nt; k++) {
        const char *d = child_deleted(g, del, deleted, created, dl, sizeof(dl), &left);
        struct db_param v[] = {DBP_I(++g->tag_id), DBP_S(id), DBP_S(tags[(ft + k) % 8]),
                               DBP_S(cr),          DBP_S(d),  DBP_I(d ? 1 : 0)};
        rc = q(g,
               "INSERT INTO image_tags (id, image_id, value, created_at, deleted_at, deleted) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               v, 6, err);
        g->sum->tags++;
        g->sum->soft_deleted += d != NULL;
        g->sum->leftovers += left;
    }
    /* members: shared images, and now and then a private one */
    int nm = strcmp(vis, "shared") == 0 ? 1 + (int)below(g, 3) : chance(g, 5) ? 1 : 0;
    static const char *const mstatus[] = {"accepted", "accepted", "pending", "rejected"};
    for (int k = 0; rc == 0 && k < nm; k++) {
        char member[40];
        hex(g, member, 32);
        const char *d = child_deleted(g, del, deleted, created, dl, sizeof(dl), &left);
        struct db_param v[] = {DBP_I(++g->member_id),
                               DBP_S(id),
                               DBP_S(member),
                               DBP_I(chance(g, 20)),
                               DBP_S(cr),
                               DBP_S(d),
                               DBP_I(d ? 1 : 0),
                               DBP_S(pick(g, mstatus, 4))};
        rc = q(g,
               "INSERT INTO image_members (id, image_id, member, can_share, created_at, "
               "deleted_at, deleted, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               v, 8, err);
        g->sum->members++;
        g->sum->soft_deleted += d != NULL;
        g->sum->leftovers += left;
    }
    /* one location, unless the image never got data */
    if (rc == 0 && strcmp(status, "queued") != 0) {
        long kind = below(g, 10);
        if (kind < 5)
            snprintf(val, sizeof(val), "file:///var/lib/glance/images/%s", id);
        else if (kind < 9)
            snprintf(val, sizeof(val), "rbd://6ad8e1f2-3c4b-4e8a-9d1f-0a2b3c4d5e6f/images/%s/snap",
                     id);
        else
            snprintf(val, sizeof(val), "swift+https://objects.example.net/v1/glance/%s", id);
        long m = below(g, 10);
        const char *store = kind < 5 ? "file1" : kind < 9 ? "ceph" : "swift";
        if (m < 4) {
            snprintf(meta, sizeof(meta), "{\"backend\": \"%s\"}", store);
            g->sum->backend_locations++;
        } else if (m < 7) {
            snprintf(meta, sizeof(meta), "{\"store\": \"%s\"}", store);
        } else {
            snprintf(meta, sizeof(meta), "{}");
        }
        const char *d = child_deleted(g, del, deleted, created, dl, sizeof(dl), &left);
        if (!del && d) /* a live image keeps its only location */
            d = NULL;
        struct db_param v[] = {
            DBP_I(++g->loc_id), DBP_S(id),        DBP_S(val),  DBP_S(cr),
            DBP_S(d),           DBP_I(d ? 1 : 0), DBP_S(meta), DBP_S(d ? "deleted" : "active")};
        rc = q(g,
               "INSERT INTO image_locations (id, image_id, value, created_at, deleted_at, "
               "deleted, meta_data, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               v, 8, err);
        g->sum->locations++;
        g->sum->soft_deleted += d != NULL;
        g->sum->leftovers += left;
    }
    return rc;
}

static int add_image(struct gen *g, int i, char owners[][40], struct emc_error *err)
{
    char id[40], name[64], cr[32], up[32], dl[32], sum[40];
    uuid(g, id);
    snprintf(name, sizeof(name), "%s-%04d", pick(g, names, 12), i);
    time_t created = g->now - (5 + below(g, 895)) * DAY - below(g, DAY);
    time_t updated = created + below(g, 3 * DAY);
    long v = below(g, 100);
    int vis = v < 15 ? 0 : v < 60 ? 1 : v < 90 ? 2 : 3;
    bool del = chance(g, 28);
    time_t deleted = 0;
    if (del) {
        /* ages spread over every bucket of the purge preview: 0 to 400 days */
        deleted = g->now - below(g, 401) * DAY - below(g, DAY);
        if (deleted < created) {
            created = deleted - below(g, 30) * DAY - DAY;
            updated = created;
        }
    }
    const char *status = del            ? "deleted"
                         : chance(g, 2) ? "queued"
                         : chance(g, 2) ? "deactivated"
                                        : "active";
    int64_t size = 12582912 + (int64_t)below(g, 8000) * 1048576;
    journal_utc(created, cr, sizeof(cr));
    journal_utc(updated, up, sizeof(up));
    if (del)
        journal_utc(deleted, dl, sizeof(dl));
    hex(g, sum, 32);
    static const int64_t min_disk[] = {0, 1, 10, 20, 40}, min_ram[] = {0, 512, 1024, 2048};
    struct db_param p[] = {DBP_S(id),
                           DBP_S(name),
                           strcmp(status, "queued") == 0 ? DBP_NUL : DBP_I(size),
                           DBP_S(status),
                           DBP_S(cr),
                           DBP_S(up),
                           DBP_S(del ? dl : NULL),
                           DBP_I(del ? 1 : 0),
                           DBP_S(pick(g, disk_formats, 7)),
                           DBP_S("bare"),
                           DBP_S(sum),
                           DBP_S(owners[below(g, 16)]),
                           DBP_I(min_disk[below(g, 5)]),
                           DBP_I(min_ram[below(g, 4)]),
                           DBP_I(chance(g, 2)),
                           strcmp(status, "queued") == 0 ? DBP_NUL
                                                         : DBP_I(size * (1 + below(g, 3))),
                           DBP_S(visibilities[vis])};
    int rc = q(g,
               "INSERT INTO images (id, name, size, status, created_at, updated_at, deleted_at, "
               "deleted, disk_format, container_format, checksum, owner, min_disk, min_ram, "
               "protected, virtual_size, visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
               "?, ?, ?, ?, ?)",
               p, 17, err);
    g->sum->images++;
    g->sum->visibility[vis]++;
    g->sum->images_deleted += del;
    g->sum->soft_deleted += del;
    if (rc == 0)
        rc = add_children(g, id, visibilities[vis], del, deleted, created, status, err);
    return rc;
}

static int add_task(struct gen *g, char owners[][40], struct emc_error *err)
{
    char id[40], img[40], cr[32], ex[32], dl[32], input[300], result[120];
    uuid(g, id);
    uuid(g, img);
    static const char *const types[] = {"import", "api_image_import"};
    static const char *const st[] = {"success", "success",    "success",
                                     "failure", "processing", "pending"};
    time_t created = g->now - below(g, 500) * DAY - below(g, DAY);
    time_t expires = created + 2 * DAY;
    bool del = chance(g, 45) && expires < g->now;
    time_t deleted = expires + below(g, 3) * DAY;
    if (deleted > g->now)
        deleted = g->now;
    journal_utc(created, cr, sizeof(cr));
    journal_utc(expires, ex, sizeof(ex));
    journal_utc(deleted, dl, sizeof(dl));
    const char *status = pick(g, st, 6);
    struct db_param p[] = {DBP_S(id),         DBP_S(pick(g, types, 2)),
                           DBP_S(status),     DBP_S(owners[below(g, 16)]),
                           DBP_S(ex),         DBP_S(cr),
                           DBP_S(cr),         DBP_S(del ? dl : NULL),
                           DBP_I(del ? 1 : 0)};
    int rc = q(g,
               "INSERT INTO tasks (id, type, status, owner, expires_at, created_at, updated_at, "
               "deleted_at, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               p, 9, err);
    snprintf(input, sizeof(input),
             "{\"import_from\": \"https://images.example.net/%s.qcow2\", \"import_from_format\": "
             "\"qcow2\", \"image_properties\": {\"name\": \"%s\"}}",
             img, pick(g, names, 12));
    snprintf(result, sizeof(result), "{\"image_id\": \"%s\"}", img);
    bool ok = strcmp(status, "success") == 0;
    struct db_param ti[] = {DBP_S(id), DBP_S(input), DBP_S(ok ? result : NULL),
                            DBP_S(strcmp(status, "failure") == 0 ? "Image import failed: 404 Not "
                                                                   "Found"
                                                                 : "")};
    if (rc == 0)
        rc = q(g, "INSERT INTO task_info (task_id, input, result, message) VALUES (?, ?, ?, ?)", ti,
               4, err);
    g->sum->tasks++;
    g->sum->soft_deleted += del ? 2 : 0; /* the task and its task_info go together */
    return rc;
}

static void remove_files(const char *path)
{
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm", ".emc-lock"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char p[4200];
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

int emc_demo_create(const struct emc_demo_opts *o, struct emc_demo_summary *out,
                    struct emc_error *err)
{
    struct emc_demo_summary sum;
    memset(&sum, 0, sizeof(sum));
    if (out)
        memset(out, 0, sizeof(*out));
    if (!o->path || !*o->path)
        return emc_error_set(err, EMC_E_USAGE, "no path given for the demo database");
    if (strlen(o->path) > 4000)
        return emc_error_set(err, EMC_E_USAGE, "the demo database path is too long");
    struct stat st;
    if (stat(o->path, &st) == 0) {
        if (!o->force)
            return emc_error_set(err, EMC_E_STATE, "%s already exists; pass --force to replace it",
                                 o->path);
        if (!S_ISREG(st.st_mode))
            return emc_error_set(err, EMC_E_STATE, "%s exists and is not a file", o->path);
        remove_files(o->path);
    } else if (errno != ENOENT) {
        return emc_error_set(err, EMC_E_IO, "cannot use %s: %s", o->path, strerror(errno));
    }
    char url[4200];
    snprintf(url, sizeof(url), "sqlite:///%s", o->path);
    struct emc_ctx *ctx = NULL;
    int rc = emc_open(&ctx, url, o->migrations_dir, false, 0, err);
    if (rc < 0)
        return rc;
    ctx->command = "sync";
    rc = emc_cmd_sync(ctx, EMC_DEMO_RELEASE, err);
    struct gen g = {.s = o->seed ? o->seed : 0x676C616E6365ULL, /* "glance" */
                    .now = o->now ? o->now : time(NULL),
                    .ctx = ctx,
                    .sum = &sum};
    if (rc == 0)
        rc = db_begin(ctx->conn, err);
    char owners[16][40];
    for (int i = 0; i < 16; i++)
        hex(&g, owners[i], 32);
    int n = o->images > 0 ? o->images : 3000;
    for (int i = 0; rc == 0 && i < n; i++)
        rc = add_image(&g, i, owners, err);
    int ntasks = n / 12 > 20 ? n / 12 : 20;
    for (int i = 0; rc == 0 && i < ntasks; i++)
        rc = add_task(&g, owners, err);
    rc = db_end(ctx->conn, rc, err);
    if (rc == 0) {
        struct emc_state s;
        if (emc_read_state(ctx, &s, err) == 0) {
            emc_heads_text(ctx, s.applied, sum.version, sizeof(sum.version));
            emc_state_free(&s);
        }
    }
    emc_close(ctx);
    if (rc < 0) {
        remove_files(o->path);
        return rc;
    }
    if (out)
        *out = sum;
    return 0;
}
