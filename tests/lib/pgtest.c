/* pgtest: PostgreSQL settings for integration tests and one fresh database
 * per test (pgtest.h). */
#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return strdup(v && *v ? v : def);
}

void pgtest_params_clear(db_params *p)
{
    db_params_clear(p);
}

int pgtest_params(db_params *out)
{
    memset(out, 0, sizeof *out);
    const char *addr = getenv("PMM_TEST_PG_ADDR");
    if (!addr || !*addr) {
        fprintf(stderr, "pgtest: PMM_TEST_PG_ADDR is not set; start PostgreSQL with "
                        "tests/lib/pgtmp.sh and export PMM_TEST_PG_* (see tests/lib/pgtest.h)\n");
        return -1;
    }
    out->addr = strdup(addr);
    out->dbname = env_or("PMM_TEST_PG_DBNAME", "pmm-managed");
    out->user = env_or("PMM_TEST_PG_USER", "pmm-managed");
    out->password = env_or("PMM_TEST_PG_PASSWORD", "pmm-managed");
    out->sslmode = strdup("disable");
    if (!out->addr || !out->dbname || !out->user || !out->password || !out->sslmode) {
        pgtest_params_clear(out);
        return -1;
    }
    return 0;
}

static int run(db *d, const char *sql)
{
    rpc_status st;
    PGresult *r = db_exec(d, &st, sql, 0, NULL);
    if (!r) {
        fprintf(stderr, "pgtest: %s: %s\n", sql, st.message);
        return -1;
    }
    PQclear(r);
    return 0;
}

static int recreate(db *d, const char *name)
{
    PGconn *c = db_conn(d);
    if (!c) {
        fprintf(stderr, "pgtest: cannot connect to PostgreSQL\n");
        return -1;
    }
    char *ident = PQescapeIdentifier(c, name, strlen(name));
    if (!ident)
        return -1;
    char sql[512];
    int rc = -1;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", ident);
    if (run(d, sql) == 0) {
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", ident);
        rc = run(d, sql);
    }
    PQfreemem(ident);
    return rc;
}

int pgtest_fresh_db(const char *name, db_params *out)
{
    if (!name || !*name || strlen(name) > 63) {
        fprintf(stderr, "pgtest: bad database name\n");
        return -1;
    }
    if (pgtest_params(out) != 0)
        return -1;
    db *d = db_new(out);
    /* an autovacuum worker (a superuser's process) may be on the old
     * database for a moment: DROP ... WITH (FORCE) may not end it, so a
     * refusal is tried again shortly */
    int rc = -1;
    for (int attempt = 0; d && rc != 0 && attempt < 10; attempt++) {
        if (attempt)
            usleep(200 * 1000);
        rc = recreate(d, name);
    }
    db_destroy(d);
    char *copy = strdup(name);
    if (rc != 0 || !copy) {
        free(copy);
        pgtest_params_clear(out);
        return -1;
    }
    free(out->dbname);
    out->dbname = copy;
    return 0;
}
