/* inspect.h - facts about the database the console's overview shows: triggers present, who
 * holds the run lock. Read-only. */
#ifndef EMC_INSPECT_H
#define EMC_INSPECT_H

#include <stdbool.h>

#include "emc.h"

#define EMC_MAX_TRIGGERS 16

struct emc_triggers {
    int n;
    char name[EMC_MAX_TRIGGERS][64]; /* triggers on Glance tables, by name */
};

/* emc_list_triggers: the triggers on the images table (rolling-upgrade triggers). */
int emc_list_triggers(struct emc_ctx *ctx, struct emc_triggers *out, struct emc_error *err);

/* emc_lock_probe: whether another run holds the lock; *held and a description of the holder
 * (from the journal) in buf. Takes and at once releases the lock when it is free. */
int emc_lock_probe(struct emc_ctx *ctx, bool *held, char *buf, size_t n, struct emc_error *err);

#endif
