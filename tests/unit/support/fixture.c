/* fixture.c - see fixture.h */
#include "fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *fixture_dir_new(void)
{
    char tmpl[] = "/tmp/emc-fixture-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fixture_dir_free(char *dir)
{
    if (!dir)
        return;
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

void fixture_write(const char *dir, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

void fixture_rev(const char *dir, const char *id, const char *down, const char *branch,
                 const char *depends, const char *release, const char *sql)
{
    char ini[1024], rel[256];
    snprintf(ini, sizeof(ini),
             "[revision]\nid = %s\ndown_revision = %s\nbranch = %s\ndepends_on = %s\n"
             "release = %s\nsummary = %s summary\nkind = schema\n",
             id, down ? down : "", branch, depends ? depends : "", release, id);
    snprintf(rel, sizeof(rel), "%s/revision.ini", id);
    fixture_write(dir, rel, ini);
    snprintf(rel, sizeof(rel), "%s/sqlite.sql", id);
    fixture_write(dir, rel, sql);
}

void fixture_data(const char *dir, const char *id, const char *release, const char *after,
                  const char *before, const char *pending, const char *batch)
{
    char ini[1024], rel[256];
    snprintf(ini, sizeof(ini),
             "[revision]\nid = %s\nkind = data\nrelease = %s\nafter = %s\nbefore = %s\n"
             "summary = %s summary\n",
             id, release, after, before, id);
    snprintf(rel, sizeof(rel), "%s/revision.ini", id);
    fixture_write(dir, rel, ini);
    snprintf(rel, sizeof(rel), "%s/pending.sqlite.sql", id);
    fixture_write(dir, rel, pending);
    snprintf(rel, sizeof(rel), "%s/batch.sqlite.sql", id);
    fixture_write(dir, rel, batch);
}

void fixture_graph_ab(const char *dir)
{
    fixture_write(dir, "alembic_version.sqlite.sql",
                  "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                  "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));\n");
    fixture_rev(dir, "base", NULL, "none", NULL, "base", "CREATE TABLE images (id INTEGER);\n");
    fixture_rev(dir, "a_expand01", "base", "expand", NULL, "a",
                "ALTER TABLE images ADD COLUMN a INTEGER;\n");
    fixture_rev(dir, "a_contract01", "base", "contract", "a_expand01", "a",
                "CREATE TABLE a_gone (x INTEGER);\nDROP TABLE a_gone;\n");
    fixture_rev(dir, "b_expand01", "a_expand01", "expand", NULL, "b",
                "CREATE TABLE b_table (id INTEGER);\n");
    fixture_rev(dir, "b_contract01", "a_contract01", "contract", "b_expand01", "b", "");
    fixture_data(dir, "a_migrate01", "a", "a_expand01", "a_contract01",
                 "SELECT count(*) FROM images WHERE a IS NULL;\n",
                 "UPDATE images SET a = 1 WHERE id IN (SELECT id FROM images WHERE a IS NULL "
                 "LIMIT :batch);\n");
}
