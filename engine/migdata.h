/* migdata.h - the migrations/ folder embedded into the binary at build time (tools/embed.c). */
#ifndef EMC_MIGDATA_H
#define EMC_MIGDATA_H

#include <stddef.h>

struct emc_embedded_file {
    const char *name; /* path relative to migrations/, e.g. "liberty/sqlite.sql" */
    const char *data; /* NUL-terminated contents */
    size_t len;
};

/* The embedded files, terminated by an entry whose name is NULL. */
extern const struct emc_embedded_file emc_embedded_files[];

#endif
