/* migset.h - the migration set: every revision and data migration with its SQL files,
 * loaded from the copy embedded at build time or from a migrations/ folder. */
#ifndef EMC_MIGSET_H
#define EMC_MIGSET_H

#include <stdbool.h>

#include "error.h"

enum rev_kind { REV_SCHEMA, REV_DATA };
enum rev_branch { BR_NONE, BR_EXPAND, BR_CONTRACT };

struct revision {
    char *id;
    char *down_revision; /* NULL for the root */
    char *depends_on;    /* NULL when none */
    char *release;
    char *summary;
    char *after;  /* data migrations: the schema revision they need */
    char *before; /* data migrations: the schema revision that needs them finished */
    enum rev_kind kind;
    enum rev_branch branch;
    /* resolved indexes into migset.revs, -1 when none */
    int down_idx, dep_idx, after_idx, before_idx;
    int order; /* position in a topological order of the schema revisions (data: -1) */
};

struct migfile {
    char *name; /* "liberty/sqlite.sql", "alembic_version.mysql.sql" */
    char *data;
};

struct migset {
    int nrev;
    struct revision *revs;
    int nfiles;
    struct migfile *files;
    char *source; /* "embedded" or the folder */
};

/* migset_load_embedded: load the copy compiled into the binary. *out is the caller's to free
 * with migset_free. Fails (EMC_E_REVISION) on a graph that makes no sense: unknown parents,
 * cycles, two heads on one branch, data migrations pointing nowhere. */
int migset_load_embedded(struct migset **out, struct emc_error *err);

/* migset_load_dir: the same from a folder laid out as migrations/ (see its README). */
int migset_load_dir(struct migset **out, const char *dir, struct emc_error *err);

/* migset_free: free a set; NULL is a no-op. */
void migset_free(struct migset *ms);

/* migset_find: index of revision or data migration id, or -1. The legacy branch labels
 * "ocata01" and "pike01" are found as ocata_contract01 and pike_contract01. */
int migset_find(const struct migset *ms, const char *id);

/* migset_file: contents of "<rev>/<name>" (name like "sqlite.sql"), or NULL if absent. */
const char *migset_file(const struct migset *ms, const char *rev, const char *name);

/* migset_top_file: contents of a top-level file such as "alembic_version.sqlite.sql". */
const char *migset_top_file(const struct migset *ms, const char *name);

/* migset_branch_head: index of the head of a branch (BR_EXPAND or BR_CONTRACT; BR_NONE gives
 * the last trunk revision), or -1 when the branch is empty. */
int migset_branch_head(const struct migset *ms, enum rev_branch br);

/* migset_release_order: index of a release name in the order releases appear in the graph,
 * or -1 for an unknown release. */
int migset_release_order(const struct migset *ms, const char *release);

/* migset_latest_release: the release of the newest schema revision. */
const char *migset_latest_release(const struct migset *ms);

/* migset_branch_name: "expand", "contract" or "" for the trunk. */
const char *migset_branch_name(enum rev_branch br);

#endif
