/* idset.h - a set of text keys (image ids) that can be marked: the purge preview fills it with
 * the eligible images, its passes over the child tables mark the members that kept rows
 * reference (SQLite through a function the driver registers, db_set_probe; MariaDB from the
 * rows a query returns), and the preview then counts the marked members.
 *
 * Open addressing with linear probing over a multiply-shift hash; keys are copied, each with a
 * NUL, into one arena.
 * idset_mark may run in several threads at once (the marks are atomic); idset_add may not run
 * at the same time as anything else. */
#ifndef EMC_IDSET_H
#define EMC_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idset;

/* idset_new: an empty set; NULL when out of memory. */
struct idset *idset_new(void);

/* idset_free: free the set and its keys; NULL is a no-op. */
void idset_free(struct idset *s);

/* idset_add: add the n bytes at key (a copy is kept), unmarked; adding a member again changes
 * nothing. Returns 0, or -1 when out of memory (the set is then unchanged). */
int idset_add(struct idset *s, const char *key, size_t n);

/* idset_mark: mark the member equal to the n bytes at key. Returns 1 if key is a member (marked
 * now or before), 0 if not. */
int idset_mark(struct idset *s, const char *key, size_t n);

/* idset_member: member i (0 <= i < idset_size, in the order added): its key, NUL-terminated
 * (a key holding a NUL byte ends there as a C string), and *n its length; NULL past the end. */
const char *idset_member(const struct idset *s, size_t i, size_t *n);

/* idset_size: the number of members. */
size_t idset_size(const struct idset *s);

/* idset_marked: the number of marked members (exact once the markers are done). */
size_t idset_marked(struct idset *s);

#endif
