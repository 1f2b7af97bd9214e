/* golden: expected output files kept in tests/golden/ and compared byte
 * for byte; PMM_UPDATE_GOLDEN=1 rewrites them from the actual output (then
 * review the diff before committing). */
#ifndef PMM_TEST_GOLDEN_H
#define PMM_TEST_GOLDEN_H

/* tests/golden/<name> from the repository root: the working directory or
 * five levels above the test binary (build/<v>/tests/<kind>/<bin>). */
const char *golden_path(const char *name);

/* The whole file, malloc'd and NUL-terminated; NULL when unreadable. */
char *golden_read(const char *path);

/* Compares actual with tests/golden/<name> (or rewrites it, see above).
 * Returns 1 when equal. */
int golden_matches(const char *name, const char *actual);

#endif
