/* sqlsplit.h - split a migration file into statements (rules in migrations/README.md). */
#ifndef EMC_SQLSPLIT_H
#define EMC_SQLSPLIT_H

#include "error.h"

struct sql_list {
    int n;
    char **stmt; /* each without its terminator, trimmed, never empty */
};

/* sql_split: split text into statements. A statement ends with the current terminator (';'
 * by default) outside quotes ('...', "...", `...`), comments (-- and / * * /) and PostgreSQL
 * dollar-quoted bodies; a line "DELIMITER x" sets the terminator to x (as the mysql client
 * does). Text after the last terminator that holds more than comments and blanks is a
 * statement too. Comment-only pieces are dropped. Fills *out (caller frees with
 * sql_list_free); returns 0 or -EMC_E_NOMEM / -EMC_E_USAGE (an unterminated quote). */
int sql_split(const char *text, struct sql_list *out, struct emc_error *err);

/* sql_list_free: free what sql_split filled; safe on a zeroed list. */
void sql_list_free(struct sql_list *l);

#endif
