/* checkrun: runs a Check suite the same way in every test binary and
 * turns the result into the exit status (0 only when all passed). */
#ifndef PMM_CHECKRUN_H
#define PMM_CHECKRUN_H

#include <check.h>

/* Takes ownership of s. */
int check_run(Suite *s);

#endif
