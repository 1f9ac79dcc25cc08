/* fixture.h - small migration folders for unit tests, written to a temporary directory. */
#ifndef EMC_TEST_FIXTURE_H
#define EMC_TEST_FIXTURE_H

/* fixture_dir_new: a fresh temporary directory (mkdtemp); returns a static path buffer copy
 * the caller frees with fixture_dir_free (which removes it recursively). */
char *fixture_dir_new(void);
void fixture_dir_free(char *dir);

/* fixture_write: write text to DIR/rel, creating DIR/<first path part> if needed. */
void fixture_write(const char *dir, const char *rel, const char *text);

/* fixture_rev: write REV/revision.ini (schema revision) and REV/sqlite.sql holding sql. */
void fixture_rev(const char *dir, const char *id, const char *down, const char *branch,
                 const char *depends, const char *release, const char *sql);

/* fixture_data: a data migration folder with pending and batch files for sqlite. */
void fixture_data(const char *dir, const char *id, const char *release, const char *after,
                  const char *before, const char *pending, const char *batch);

/* fixture_graph_ab: two releases 'a' and 'b' on a trunk 'base':
 *   base -> a_expand01 -> b_expand01            (expand)
 *   base -> a_contract01 -> b_contract01        (contract; each depends_on its expand)
 *   a_migrate01 (after a_expand01, before a_contract01)
 * plus alembic_version.sqlite.sql. */
void fixture_graph_ab(const char *dir);

#endif
