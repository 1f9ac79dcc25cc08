/* demo.h - a sandbox Glance database for learning and for the console's tests: a SQLite file
 * at an old release (queens, before rocky's expand) holding a few thousand images with
 * properties, tags, members, locations and tasks, some soft-deleted at every age from 0 to 400
 * days. Deterministic: the same seed and clock give the same rows. Never prints. */
#ifndef EMC_DEMO_H
#define EMC_DEMO_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

#define EMC_DEMO_RELEASE "queens"

struct emc_demo_opts {
    const char *path;           /* the SQLite file to create */
    bool force;                 /* replace an existing file (else refuse) */
    const char *migrations_dir; /* NULL: the embedded migrations */
    int images;                 /* how many images; 0 = 3000 */
    uint64_t seed;              /* 0 = the fixed default seed */
    time_t now;                 /* ages count back from it; 0 = time() */
};

struct emc_demo_summary {
    char version[64]; /* alembic_version after the build */
    int64_t images;
    int64_t visibility[4]; /* public, private, shared, community */
    int64_t images_deleted;
    int64_t properties, tags, members, locations, tasks;
    int64_t backend_locations; /* meta_data holding "backend": (train_migrate01's work) */
    int64_t soft_deleted;      /* soft-deleted rows in every table */
    int64_t leftovers;         /* live child rows of deleted images (they block images purge) */
};

/* emc_demo_create: build the database at o->path: refuse an existing file (EMC_E_STATE) unless
 * o->force, then `db sync` to queens and insert the rows in one transaction. On failure the
 * half-built file is removed. *out (may be NULL) receives what was made. */
int emc_demo_create(const struct emc_demo_opts *o, struct emc_demo_summary *out,
                    struct emc_error *err);

#endif
