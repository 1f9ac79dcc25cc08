/* revgraph.c - see revgraph.h */
#include "revgraph.h"

#include <stdlib.h>
#include <string.h>

void rg_mark_ancestors(const struct migset *ms, int rev, bool *set)
{
    if (rev < 0 || set[rev])
        return;
    set[rev] = true;
    const struct revision *r = &ms->revs[rev];
    rg_mark_ancestors(ms, r->down_idx, set);
    rg_mark_ancestors(ms, r->dep_idx, set);
}

/* is_strict_ancestor: a reaches b's ancestry (a != b). */
static bool is_strict_ancestor(const struct migset *ms, int a, int b, bool *scratch)
{
    memset(scratch, 0, sizeof(bool) * (size_t)ms->nrev);
    rg_mark_ancestors(ms, ms->revs[b].down_idx, scratch);
    rg_mark_ancestors(ms, ms->revs[b].dep_idx, scratch);
    return scratch[a];
}

int rg_applied_from_heads(const struct migset *ms, char *const *heads, int nheads, bool *applied,
                          struct emc_error *err)
{
    memset(applied, 0, sizeof(bool) * (size_t)ms->nrev);
    int *idx = calloc((size_t)(nheads + 1), sizeof(int));
    bool *scratch = calloc((size_t)ms->nrev + 1, sizeof(bool));
    int rc = 0;
    if (!idx || !scratch) {
        rc = emc_error_set(err, EMC_E_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < nheads; i++) {
        idx[i] = migset_find(ms, heads[i]);
        if (idx[i] < 0 || ms->revs[idx[i]].kind != REV_SCHEMA) {
            rc = emc_error_set(err, EMC_E_REVISION,
                               "the database is at revision '%s', which this glance-emc does not "
                               "know (is it newer than %s?)",
                               heads[i], migset_latest_release(ms));
            goto out;
        }
    }
    for (int i = 0; i < nheads; i++)
        for (int j = 0; j < nheads; j++) {
            if (i == j)
                continue;
            if (idx[i] == idx[j] || is_strict_ancestor(ms, idx[i], idx[j], scratch)) {
                rc = emc_error_set(err, EMC_E_REVISION,
                                   "alembic_version holds '%s' and '%s', which make no sense "
                                   "together (%s)",
                                   heads[i], heads[j],
                                   idx[i] == idx[j] ? "the same revision twice"
                                                    : "one is an ancestor of the other");
                goto out;
            }
        }
    for (int i = 0; i < nheads; i++)
        rg_mark_ancestors(ms, idx[i], applied);
out:
    free(idx);
    free(scratch);
    return rc;
}

int rg_heads(const struct migset *ms, const bool *applied, int *out)
{
    int n = 0;
    bool *scratch = calloc((size_t)ms->nrev + 1, sizeof(bool));
    bool *covered = calloc((size_t)ms->nrev + 1, sizeof(bool));
    if (!scratch || !covered) {
        free(scratch);
        free(covered);
        return 0;
    }
    for (int i = 0; i < ms->nrev; i++) {
        if (!applied[i] || ms->revs[i].kind != REV_SCHEMA)
            continue;
        memset(scratch, 0, sizeof(bool) * (size_t)ms->nrev);
        rg_mark_ancestors(ms, ms->revs[i].down_idx, scratch);
        rg_mark_ancestors(ms, ms->revs[i].dep_idx, scratch);
        for (int j = 0; j < ms->nrev; j++)
            if (scratch[j])
                covered[j] = true;
    }
    /* in topological order */
    for (int ord = 0; ord < ms->nrev; ord++)
        for (int i = 0; i < ms->nrev; i++)
            if (ms->revs[i].kind == REV_SCHEMA && ms->revs[i].order == ord && applied[i] &&
                !covered[i])
                out[n++] = i;
    free(scratch);
    free(covered);
    return n;
}

int rg_branch_applied_head(const struct migset *ms, const bool *applied, enum rev_branch br)
{
    int best = -1;
    for (int i = 0; i < ms->nrev; i++)
        if (applied[i] && ms->revs[i].kind == REV_SCHEMA && ms->revs[i].branch == br &&
            (best < 0 || ms->revs[i].order > ms->revs[best].order))
            best = i;
    return best;
}

int rg_resolve_target(const struct migset *ms, const char *target, bool *want,
                      struct emc_error *err)
{
    memset(want, 0, sizeof(bool) * (size_t)ms->nrev);
    if (!target || strcmp(target, "heads") == 0 || strcmp(target, "head") == 0) {
        for (int i = 0; i < ms->nrev; i++)
            if (ms->revs[i].kind == REV_SCHEMA)
                want[i] = true;
        return 0;
    }
    if (strcmp(target, "expand") == 0 || strcmp(target, "contract") == 0) {
        int h = migset_branch_head(ms, strcmp(target, "expand") == 0 ? BR_EXPAND : BR_CONTRACT);
        rg_mark_ancestors(ms, h, want);
        return 0;
    }
    int i = migset_find(ms, target);
    if (i >= 0 && ms->revs[i].kind == REV_SCHEMA) {
        rg_mark_ancestors(ms, i, want);
        return 0;
    }
    /* a release name: every schema revision of that release and before */
    int rank = migset_release_order(ms, target);
    if (rank >= 0) {
        for (int j = 0; j < ms->nrev; j++)
            if (ms->revs[j].kind == REV_SCHEMA &&
                migset_release_order(ms, ms->revs[j].release) <= rank)
                rg_mark_ancestors(ms, j, want);
        return 0;
    }
    return emc_error_set(err, EMC_E_REVISION,
                         "unknown revision or release '%s' (see `glance-emc db history`)", target);
}

bool rg_data_on_path(const struct migset *ms, int d, const bool *applied, const bool *want)
{
    const struct revision *r = &ms->revs[d];
    if (r->kind != REV_DATA)
        return false;
    bool after_ok = applied[r->after_idx] || want[r->after_idx];
    return after_ok && want[r->before_idx] && !applied[r->before_idx];
}
