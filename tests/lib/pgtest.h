/* pgtest: where integration tests find PostgreSQL (PMM_TEST_PG_* from the
 * test runner, typically a cluster made by tests/lib/pgtmp.sh) and a fresh
 * database per test so that tests never see each other's rows. */
#ifndef PMM_PGTEST_H
#define PMM_PGTEST_H

#include "db/db.h"

/* Fills out with malloc'd copies of PMM_TEST_PG_ADDR (required: host:port
 * or socket dir[:port]) and PMM_TEST_PG_DBNAME / _USER / _PASSWORD
 * (default "pmm-managed" each); PMM_TEST_PG_PASSWORD_FILE, when set, names
 * the file holding the password instead (pgtmp.sh's PGTMP_PASSWORD_FILE).
 * Returns 0, or -1 with a message on stderr when PMM_TEST_PG_ADDR is unset:
 * integration tests assert on it and fail, the runner always provides it. Free with pgtest_params_clear. */
int pgtest_params(db_params *out);

/* Drops database `name` if it exists (WITH FORCE) and creates it, owned by
 * the test user, then fills out as pgtest_params but pointing at it.
 * Prefix names with the test file ("test_db_migrate") so that test
 * binaries running at once do not collide. Returns 0, or -1 (stderr). */
int pgtest_fresh_db(const char *name, db_params *out);

/* Frees every field and zeroes *p. */
void pgtest_params_clear(db_params *p);

#endif
