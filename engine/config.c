/* config.c - see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* every value of [DEFAULT] and of the wanted section, last one wins */
struct cfg_entry {
    char *section;
    char *key;
    char *value;
    const char *file;
};

struct cfg {
    struct cfg_entry *v;
    size_t n, cap;
    const char *want_section;
    const char *file; /* the file being parsed */
    bool nomem;
};

static void cfg_free(struct cfg *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].section);
        free(c->v[i].key);
        free(c->v[i].value);
    }
    free(c->v);
    memset(c, 0, sizeof(*c));
}

static struct cfg_entry *cfg_find(struct cfg *c, const char *section, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].section, section) == 0 && strcmp(c->v[i].key, key) == 0)
            return &c->v[i];
    return NULL;
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
    struct cfg *c = user;
    if (strcmp(section, "DEFAULT") != 0 && strcmp(section, c->want_section) != 0)
        return 1;
    char *nv = strdup(value ? value : "");
    if (!nv) {
        c->nomem = true;
        return 0;
    }
    struct cfg_entry *e = cfg_find(c, section, name);
    if (e) {
        free(e->value);
        e->value = nv;
        e->file = c->file;
        return 1;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct cfg_entry *v = realloc(c->v, cap * sizeof(*v));
        if (!v) {
            free(nv);
            c->nomem = true;
            return 0;
        }
        c->v = v;
        c->cap = cap;
    }
    e = &c->v[c->n];
    e->section = strdup(section);
    e->key = strdup(name);
    e->value = nv;
    e->file = c->file;
    if (!e->section || !e->key) {
        free(e->section);
        free(e->key);
        free(nv);
        c->nomem = true;
        return 0;
    }
    c->n++;
    return 1;
}

/* parse one file with oslo.config's rules: no inline comments, long lines allowed */
static int cfg_parse_file(struct cfg *c, const char *path, struct emc_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return emc_error_set(err, EMC_E_IO, "cannot read config file %s: %s", path,
                             strerror(errno));
    bool saved_inline = ini_allow_inline_comments;
    bool saved_stack = ini_use_stack;
    bool saved_realloc = ini_allow_realloc;
    int saved_max = ini_max_line;
    ini_allow_inline_comments = false;
    ini_use_stack = false;
    ini_allow_realloc = true;
    ini_max_line = 1 << 20;
    c->file = path;
    c->nomem = false;
    int line = ini_parse_file(f, cfg_handler, c);
    ini_allow_inline_comments = saved_inline;
    ini_use_stack = saved_stack;
    ini_allow_realloc = saved_realloc;
    ini_max_line = saved_max;
    fclose(f);
    if (c->nomem || line == -2)
        return emc_error_set(err, EMC_E_NOMEM, "out of memory reading %s", path);
    if (line > 0)
        return emc_error_set(err, EMC_E_USAGE,
                             "cannot parse config file %s: line %d is not a [section] header or "
                             "a key = value line",
                             path, line);
    if (line < 0)
        return emc_error_set(err, EMC_E_IO, "cannot read config file %s", path);
    return 0;
}

/* expand $$, $name and ${name} in v (looked up in section, then DEFAULT) */
static int cfg_substitute(struct cfg *c, const char *section, const char *key,
                          const struct cfg_entry *src, char **out, struct emc_error *err, int depth)
{
    const char *v = src->value;
    struct strbuf s = {0};
    strbuf_append(&s, "", 0); /* an empty value is an empty string */
    for (const char *p = v; *p;) {
        const char *piece = p;
        size_t pn = 1;
        char *owned = NULL;
        if (p[0] == '$' && p[1] == '$') {
            p += 2;
        } else if (p[0] == '$' && (p[1] == '{' || p[1] == '_' || isalpha((unsigned char)p[1]))) {
            bool brace = p[1] == '{';
            const char *n0 = p + 1 + brace, *n1 = n0;
            while (*n1 == '_' || isalnum((unsigned char)*n1) || (brace && *n1 == '.'))
                n1++;
            if (brace && *n1 != '}') {
                strbuf_free(&s);
                return emc_error_set(err, EMC_E_USAGE, "%s: [%s] %s: unterminated ${ in the value",
                                     src->file, section, key);
            }
            char name[128];
            snprintf(name, sizeof(name), "%.*s", (int)(n1 - n0), n0);
            const struct cfg_entry *e = cfg_find(c, section, name);
            if (!e)
                e = cfg_find(c, "DEFAULT", name);
            if (!e || depth > 8) {
                strbuf_free(&s);
                /* the name is not quoted: in a URL it may be a piece of a password */
                return emc_error_set(err, EMC_E_USAGE,
                                     "%s: [%s] %s: a '$' in the value names no option (write a "
                                     "literal '$' as '$$')",
                                     src->file, section, key);
            }
            int rc = cfg_substitute(c, e->section, e->key, e, &owned, err, depth + 1);
            if (rc) {
                strbuf_free(&s);
                return rc;
            }
            piece = owned;
            pn = strlen(owned);
            p = n1 + brace;
        } else {
            p++;
        }
        strbuf_append(&s, piece, pn);
        free(owned);
    }
    if (s.oom) {
        strbuf_free(&s);
        return emc_error_set(err, EMC_E_NOMEM, "out of memory");
    }
    *out = strbuf_take(&s);
    return 0;
}

int emc_config_get(const char *const *files, int nfiles, const char *section, const char *key,
                   char **out, struct emc_error *err)
{
    *out = NULL;
    emc_error_clear(err);
    struct cfg c = {.want_section = section};
    for (int i = 0; i < nfiles; i++) {
        int rc = cfg_parse_file(&c, files[i], err);
        if (rc) {
            cfg_free(&c);
            return rc;
        }
    }
    const struct cfg_entry *e = cfg_find(&c, section, key);
    int rc = e ? cfg_substitute(&c, section, key, e, out, err, 0) : 0;
    cfg_free(&c);
    return rc;
}

int emc_config_connection(const char *const *files, int nfiles, char **url_out,
                          struct emc_error *err)
{
    char *url = NULL;
    if (url_out)
        *url_out = NULL;
    int rc = emc_config_get(files, nfiles, "database", "connection", &url, err);
    if (rc)
        return rc;
    if (!url || !*url) {
        free(url);
        if (nfiles == 0)
            return emc_error_set(err, EMC_E_USAGE, "no config file given");
        if (nfiles == 1)
            return emc_error_set(err, EMC_E_USAGE, "no [database] connection in %s", files[0]);
        return emc_error_set(err, EMC_E_USAGE,
                             "no [database] connection in any of the %d config files", nfiles);
    }
    if (url_out)
        *url_out = url;
    else
        free(url);
    return 0;
}
