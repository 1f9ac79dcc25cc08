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

/* emc_trigger_rights: whether this session may create the rolling-upgrade triggers. MySQL and
 * MariaDB need the TRIGGER privilege on the database and, while the server writes a binary log
 * with log_bin_trust_function_creators off, SUPER; the other backends always may. When not,
 * *ok is false and why holds one line saying what an administrator must run. */
int emc_trigger_rights(struct emc_ctx *ctx, bool *ok, char *why, size_t n, struct emc_error *err);

/* emc_lock_blockers: after statement sql ran out of lock wait, describe in buf (one line, ""
 * when nothing is found) the other sessions holding locks it may have waited on: PostgreSQL,
 * sessions holding locks on the tables it names; MySQL, sessions with open transactions in
 * this database; SQLite, processes holding locks on the database file. Never fails. */
void emc_lock_blockers(struct emc_ctx *ctx, const char *sql, char *buf, size_t n);

#endif
