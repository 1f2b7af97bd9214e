/* catalog: the advisors and checks of the last load of the folders,
 * shared by the API and the runner. The runner installs a fresh set at
 * each run (upstream re-reads the files before each group run); readers
 * hold the set they got until they release it, so a reload never frees
 * a set in use. */
#ifndef CHECKSD_CATALOG_H
#define CHECKSD_CATALOG_H

#include "model.h"

/* Takes s (may be NULL: an empty set). */
void catalog_install(check_set *s);
/* The current set (never NULL), held until catalog_release. */
const check_set *catalog_acquire(void);
void catalog_release(const check_set *s);
/* Frees the current set (at exit). */
void catalog_clear(void);

#endif
