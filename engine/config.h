/* config.h - glance-api.conf style configuration files (--config-file), read as oslo.config
 * reads them: several files may be given and a value in a later file wins over an earlier one.
 *
 * The files are INI files: [section] headers, "key = value" or "key: value" lines, comments on
 * lines of their own starting with '#' or ';' (a ';' later in a line is part of the value, as
 * in oslo.config). In values "$$" stands for "$", and "$name" / "${name}" for the value of
 * option name in the same section or in [DEFAULT] (oslo.config's substitution). */
#ifndef EMC_CONFIG_H
#define EMC_CONFIG_H

#include "error.h"

/* emc_config_get: the value of key in section across files[0..nfiles), the last file that sets
 * it winning, with "$" substitution done. On success returns 0 and *out is a new string the
 * caller frees, or NULL when no file sets the key (not an error). On failure returns a negative
 * code, *out is NULL and err says which file and line: EMC_E_IO for a file that cannot be
 * read, EMC_E_USAGE for a line that is not INI or a substitution that cannot be made,
 * EMC_E_NOMEM. out may not be NULL; files may be NULL when nfiles is 0. Not thread-safe (it
 * adjusts libinih's parser settings while it runs). */
int emc_config_get(const char *const *files, int nfiles, const char *section, const char *key,
                   char **out, struct emc_error *err);

/* emc_config_connection: the database URL from "[database] connection" of the files, the last
 * file that sets it winning. Returns 0 with *url_out a new string (caller frees), or a negative
 * code with *url_out NULL (url_out itself may be NULL to only validate): emc_config_get's
 * errors, or EMC_E_USAGE when no file sets a non-empty [database] connection. */
int emc_config_connection(const char *const *files, int nfiles, char **url_out,
                          struct emc_error *err);

#endif
