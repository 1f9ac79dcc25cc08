/* migset.c - see migset.h */
#include "migset.h"

#include <dirent.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "migdata.h"

static void rev_free(struct revision *r)
{
    free(r->id);
    free(r->down_revision);
    free(r->depends_on);
    free(r->release);
    free(r->summary);
    free(r->after);
    free(r->before);
}

void migset_free(struct migset *ms)
{
    if (!ms)
        return;
    for (int i = 0; i < ms->nrev; i++)
        rev_free(&ms->revs[i]);
    free(ms->revs);
    for (int i = 0; i < ms->nfiles; i++) {
        free(ms->files[i].name);
        free(ms->files[i].data);
    }
    free(ms->files);
    free(ms->source);
    free(ms);
}

static int add_file(struct migset *ms, const char *name, const char *data, size_t len)
{
    struct migfile *v = realloc(ms->files, sizeof(*v) * (size_t)(ms->nfiles + 1));
    if (!v)
        return -1;
    ms->files = v;
    struct migfile *f = &ms->files[ms->nfiles];
    f->name = strdup(name);
    f->data = malloc(len + 1);
    if (!f->name || !f->data) {
        free(f->name);
        free(f->data);
        return -1;
    }
    memcpy(f->data, data, len);
    f->data[len] = '\0';
    ms->nfiles++;
    return 0;
}

static const struct migfile *find_file(const struct migset *ms, const char *name)
{
    for (int i = 0; i < ms->nfiles; i++)
        if (strcmp(ms->files[i].name, name) == 0)
            return &ms->files[i];
    return NULL;
}

const char *migset_file(const struct migset *ms, const char *rev, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", rev, name);
    const struct migfile *f = find_file(ms, path);
    return f ? f->data : NULL;
}

const char *migset_top_file(const struct migset *ms, const char *name)
{
    const struct migfile *f = find_file(ms, name);
    return f ? f->data : NULL;
}

struct ini_ud {
    struct revision *r;
    char kind[16];
    char branch[16];
};

static int set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = (v && *v) ? strdup(v) : NULL;
    return (v && *v && !*dst) ? 0 : 1;
}

static int ini_cb(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ud *u = user;
    if (strcmp(section, "revision") != 0)
        return 1;
    struct revision *r = u->r;
    if (strcmp(name, "id") == 0)
        return set_str(&r->id, value);
    if (strcmp(name, "down_revision") == 0)
        return set_str(&r->down_revision, value);
    if (strcmp(name, "depends_on") == 0)
        return set_str(&r->depends_on, value);
    if (strcmp(name, "release") == 0)
        return set_str(&r->release, value);
    if (strcmp(name, "summary") == 0)
        return set_str(&r->summary, value);
    if (strcmp(name, "after") == 0)
        return set_str(&r->after, value);
    if (strcmp(name, "before") == 0)
        return set_str(&r->before, value);
    if (strcmp(name, "kind") == 0) {
        snprintf(u->kind, sizeof(u->kind), "%s", value);
        return 1;
    }
    if (strcmp(name, "branch") == 0) {
        snprintf(u->branch, sizeof(u->branch), "%s", value);
        return 1;
    }
    return 1; /* unknown keys are ignored, for forward compatibility */
}

static int parse_revision(struct migset *ms, const char *folder, const char *text,
                          struct emc_error *err)
{
    struct revision r;
    memset(&r, 0, sizeof(r));
    struct ini_ud u = {.r = &r};
    int line = ini_parse_string(text, ini_cb, &u);
    if (line != 0) {
        rev_free(&r);
        return emc_error_set(err, EMC_E_REVISION, "%s/revision.ini: parse error at line %d", folder,
                             line);
    }
    if (!r.id || strcmp(r.id, folder) != 0) {
        rev_free(&r);
        return emc_error_set(err, EMC_E_REVISION, "%s/revision.ini: id must be %s", folder, folder);
    }
    if (u.kind[0] == '\0' || strcmp(u.kind, "schema") == 0) {
        r.kind = REV_SCHEMA;
    } else if (strcmp(u.kind, "data") == 0) {
        r.kind = REV_DATA;
    } else {
        rev_free(&r);
        return emc_error_set(err, EMC_E_REVISION, "%s/revision.ini: unknown kind '%s'", folder,
                             u.kind);
    }
    if (u.branch[0] == '\0' || strcmp(u.branch, "none") == 0) {
        r.branch = BR_NONE;
    } else if (strcmp(u.branch, "expand") == 0) {
        r.branch = BR_EXPAND;
    } else if (strcmp(u.branch, "contract") == 0) {
        r.branch = BR_CONTRACT;
    } else {
        rev_free(&r);
        return emc_error_set(err, EMC_E_REVISION, "%s/revision.ini: unknown branch '%s'", folder,
                             u.branch);
    }
    if (!r.release) {
        rev_free(&r);
        return emc_error_set(err, EMC_E_REVISION, "%s/revision.ini: release missing", folder);
    }
    struct revision *v = realloc(ms->revs, sizeof(*v) * (size_t)(ms->nrev + 1));
    if (!v) {
        rev_free(&r);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    ms->revs = v;
    ms->revs[ms->nrev++] = r;
    return 0;
}

int migset_find(const struct migset *ms, const char *id)
{
    if (!id)
        return -1;
    if (strcmp(id, "ocata01") == 0)
        id = "ocata_contract01";
    else if (strcmp(id, "pike01") == 0)
        id = "pike_contract01";
    for (int i = 0; i < ms->nrev; i++)
        if (strcmp(ms->revs[i].id, id) == 0)
            return i;
    return -1;
}

static int resolve(const struct migset *ms, const char *id, const char *what, const char *owner,
                   int *out, enum rev_kind want, struct emc_error *err)
{
    *out = -1;
    if (!id)
        return 0;
    int i = migset_find(ms, id);
    if (i < 0 || ms->revs[i].kind != want)
        return emc_error_set(err, EMC_E_REVISION, "revision %s: %s '%s' is not a known %s", owner,
                             what, id, want == REV_SCHEMA ? "schema revision" : "one");
    *out = i;
    return 0;
}

/* compute_orders: a topological order of the schema revisions (down_revision and depends_on
 * edges), ties broken by branch (trunk, expand, contract) then file order. */
static int compute_orders(struct migset *ms, struct emc_error *err)
{
    int n = ms->nrev;
    int *indeg = calloc((size_t)n, sizeof(int));
    if (!indeg)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    int nschema = 0;
    for (int i = 0; i < n; i++) {
        struct revision *r = &ms->revs[i];
        r->order = -1;
        if (r->kind != REV_SCHEMA)
            continue;
        nschema++;
        if (r->down_idx >= 0)
            indeg[i]++;
        if (r->dep_idx >= 0)
            indeg[i]++;
    }
    int placed = 0;
    while (placed < nschema) {
        int pick = -1;
        for (int i = 0; i < n; i++) {
            struct revision *r = &ms->revs[i];
            if (r->kind != REV_SCHEMA || r->order >= 0 || indeg[i] != 0)
                continue;
            if (pick < 0 || r->branch < ms->revs[pick].branch)
                pick = i;
        }
        if (pick < 0) {
            free(indeg);
            return emc_error_set(err, EMC_E_REVISION, "the revision graph has a cycle");
        }
        ms->revs[pick].order = placed++;
        for (int i = 0; i < n; i++) {
            struct revision *r = &ms->revs[i];
            if (r->kind != REV_SCHEMA || r->order >= 0)
                continue;
            if (r->down_idx == pick)
                indeg[i]--;
            if (r->dep_idx == pick)
                indeg[i]--;
        }
    }
    free(indeg);
    return 0;
}

static int validate(struct migset *ms, struct emc_error *err)
{
    int rc;
    for (int i = 0; i < ms->nrev; i++) {
        struct revision *r = &ms->revs[i];
        for (int j = 0; j < i; j++)
            if (strcmp(ms->revs[j].id, r->id) == 0)
                return emc_error_set(err, EMC_E_REVISION, "revision %s defined twice", r->id);
        if ((rc = resolve(ms, r->down_revision, "down_revision", r->id, &r->down_idx, REV_SCHEMA,
                          err)) < 0 ||
            (rc = resolve(ms, r->depends_on, "depends_on", r->id, &r->dep_idx, REV_SCHEMA, err)) <
                0 ||
            (rc = resolve(ms, r->after, "after", r->id, &r->after_idx, REV_SCHEMA, err)) < 0 ||
            (rc = resolve(ms, r->before, "before", r->id, &r->before_idx, REV_SCHEMA, err)) < 0)
            return rc;
        if (r->kind == REV_DATA && (r->after_idx < 0 || r->before_idx < 0))
            return emc_error_set(err, EMC_E_REVISION,
                                 "data migration %s needs both after and before", r->id);
    }
    int roots = 0;
    for (int i = 0; i < ms->nrev; i++)
        if (ms->revs[i].kind == REV_SCHEMA && ms->revs[i].down_idx < 0)
            roots++;
    if (roots != 1)
        return emc_error_set(err, EMC_E_REVISION, "the revision graph has %d roots, not one",
                             roots);
    /* one head per branch: a branch revision with no child on the same branch */
    for (int br = BR_NONE; br <= BR_CONTRACT; br++) {
        int heads = 0;
        for (int i = 0; i < ms->nrev; i++) {
            struct revision *r = &ms->revs[i];
            if (r->kind != REV_SCHEMA || (int)r->branch != br)
                continue;
            bool child = false;
            for (int j = 0; j < ms->nrev; j++)
                if (ms->revs[j].kind == REV_SCHEMA && ms->revs[j].down_idx == i &&
                    (int)ms->revs[j].branch == br)
                    child = true;
            if (!child)
                heads++;
        }
        if (heads > 1)
            return emc_error_set(err, EMC_E_REVISION, "branch %s has %d heads",
                                 br == BR_NONE ? "trunk" : migset_branch_name(br), heads);
    }
    return compute_orders(ms, err);
}

static int finish_load(struct migset *ms, struct migset **out, struct emc_error *err)
{
    int rc = 0;
    for (int i = 0; i < ms->nfiles && rc == 0; i++) {
        const char *name = ms->files[i].name;
        const char *slash = strchr(name, '/');
        if (!slash || strcmp(slash + 1, "revision.ini") != 0)
            continue;
        char folder[256];
        snprintf(folder, sizeof(folder), "%.*s", (int)(slash - name), name);
        rc = parse_revision(ms, folder, ms->files[i].data, err);
    }
    if (rc == 0 && ms->nrev == 0)
        rc = emc_error_set(err, EMC_E_REVISION, "no revisions found in %s", ms->source);
    if (rc == 0)
        rc = validate(ms, err);
    if (rc < 0) {
        migset_free(ms);
        *out = NULL;
        return rc;
    }
    *out = ms;
    return 0;
}

int migset_load_embedded(struct migset **out, struct emc_error *err)
{
    *out = NULL;
    struct migset *ms = calloc(1, sizeof(*ms));
    if (!ms || !(ms->source = strdup("embedded"))) {
        free(ms);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    for (const struct emc_embedded_file *f = emc_embedded_files; f->name; f++)
        if (add_file(ms, f->name, f->data, f->len) < 0) {
            migset_free(ms);
            return emc_error_set(err, EMC_E_NOMEM, "out of memory");
        }
    return finish_load(ms, out, err);
}

static int read_whole(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

static bool wanted(const char *name)
{
    size_t l = strlen(name);
    return (l > 4 && strcmp(name + l - 4, ".sql") == 0) ||
           (l > 4 && strcmp(name + l - 4, ".ini") == 0);
}

static int add_path(struct migset *ms, const char *dir, const char *rel, struct emc_error *err)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    char *data;
    size_t len;
    if (read_whole(path, &data, &len) < 0)
        return emc_error_set(err, EMC_E_IO, "cannot read %s", path);
    int rc = add_file(ms, rel, data, len);
    free(data);
    return rc < 0 ? emc_error_set(err, EMC_E_NOMEM, "out of memory") : 0;
}

int migset_load_dir(struct migset **out, const char *dir, struct emc_error *err)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return emc_error_set(err, EMC_E_IO, "cannot open migrations folder %s", dir);
    struct migset *ms = calloc(1, sizeof(*ms));
    if (!ms || !(ms->source = strdup(dir))) {
        free(ms);
        closedir(d);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISREG(st.st_mode) && wanted(e->d_name)) {
            rc = add_path(ms, dir, e->d_name, err);
        } else if (S_ISDIR(st.st_mode)) {
            DIR *sd = opendir(path);
            if (!sd)
                continue;
            struct dirent *se;
            while (rc == 0 && (se = readdir(sd)) != NULL) {
                if (se->d_name[0] == '.' || !wanted(se->d_name))
                    continue;
                char rel[1024];
                snprintf(rel, sizeof(rel), "%s/%s", e->d_name, se->d_name);
                rc = add_path(ms, dir, rel, err);
            }
            closedir(sd);
        }
    }
    closedir(d);
    if (rc < 0) {
        migset_free(ms);
        return rc;
    }
    return finish_load(ms, out, err);
}

int migset_branch_head(const struct migset *ms, enum rev_branch br)
{
    int best = -1;
    for (int i = 0; i < ms->nrev; i++) {
        const struct revision *r = &ms->revs[i];
        if (r->kind == REV_SCHEMA && r->branch == br &&
            (best < 0 || r->order > ms->revs[best].order))
            best = i;
    }
    return best;
}

const char *migset_branch_name(enum rev_branch br)
{
    switch (br) {
    case BR_EXPAND:
        return "expand";
    case BR_CONTRACT:
        return "contract";
    case BR_NONE:
        break;
    }
    return "";
}

int migset_release_order(const struct migset *ms, const char *release)
{
    /* releases ranked by the smallest topological order of their schema revisions */
    int rank = -1;
    int best = -1;
    for (int i = 0; i < ms->nrev; i++)
        if (ms->revs[i].kind == REV_SCHEMA && strcmp(ms->revs[i].release, release) == 0 &&
            (best < 0 || ms->revs[i].order < best))
            best = ms->revs[i].order;
    if (best < 0)
        return -1;
    /* count distinct releases whose first order is below best */
    for (int i = 0; i < ms->nrev; i++) {
        const struct revision *r = &ms->revs[i];
        if (r->kind != REV_SCHEMA)
            continue;
        int first = r->order;
        for (int j = 0; j < ms->nrev; j++)
            if (ms->revs[j].kind == REV_SCHEMA && strcmp(ms->revs[j].release, r->release) == 0 &&
                ms->revs[j].order < first)
                first = ms->revs[j].order;
        if (first == r->order && first < best)
            rank++;
    }
    return rank + 1;
}

const char *migset_latest_release(const struct migset *ms)
{
    int h = migset_branch_head(ms, BR_CONTRACT);
    if (h < 0)
        h = migset_branch_head(ms, BR_NONE);
    return h >= 0 ? ms->revs[h].release : NULL;
}
