/* revgraph.h - alembic's rules on the revision graph: which revisions a set of heads means,
 * which heads a set of applied revisions is stored as, and what a target asks for. Pure
 * functions over a struct migset; sets are bool arrays of migset.nrev entries. */
#ifndef EMC_REVGRAPH_H
#define EMC_REVGRAPH_H

#include <stdbool.h>

#include "error.h"
#include "migset.h"

/* rg_mark_ancestors: set[i] = true for rev and every schema revision it reaches through
 * down_revision and depends_on. */
void rg_mark_ancestors(const struct migset *ms, int rev, bool *set);

/* rg_applied_from_heads: the applied set that stored heads stand for. Heads are revision ids
 * as stored in alembic_version (legacy ocata01 / pike01 accepted). Unknown ids fail with
 * EMC_E_REVISION naming them ("newer than this glance-emc?"); heads where one is an ancestor
 * of another (rows that make no sense together) fail too. */
int rg_applied_from_heads(const struct migset *ms, char *const *heads, int nheads, bool *applied,
                          struct emc_error *err);

/* rg_heads: the indexes of the applied revisions that are no strict ancestor of another applied
 * revision, in topological order; returns how many were written to out (size nrev). */
int rg_heads(const struct migset *ms, const bool *applied, int *out);

/* rg_branch_applied_head: the newest applied revision on branch br, or -1. */
int rg_branch_applied_head(const struct migset *ms, const bool *applied, enum rev_branch br);

/* rg_resolve_target: turn a target into the set of revisions it needs applied.
 *   "heads" / "head" / NULL: every schema revision;
 *   a revision id (or legacy label): that revision and its ancestors;
 *   a release name (e.g. "wallaby"): the heads of that release on each branch, i.e. the
 *   database as that release's `db sync` leaves it.
 *   "expand" / "contract": the head of that branch and its ancestors.
 * Fails with EMC_E_REVISION on an unknown target (one line, listing how to see valid ones). */
int rg_resolve_target(const struct migset *ms, const char *target, bool *want,
                      struct emc_error *err);

/* rg_data_pending_on_path: whether data migration d must run between applied and want:
 * its after revision is applied or wanted, and its before revision is wanted but not applied. */
bool rg_data_on_path(const struct migset *ms, int d, const bool *applied, const bool *want);

#endif
