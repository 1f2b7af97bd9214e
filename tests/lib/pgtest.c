/* pgtest: PostgreSQL settings for integration tests and one fresh database
 * per test (pgtest.h). */
#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    /* pgtmp.sh keeps the generated password in a 0600 file */
    const char *file = getenv("PMM_TEST_PG_PASSWORD_FILE");
    if (file && *file && out->password) {
        db_params f = { .password_file = (char *)file };
        char pw[1024];
        if (db_params_password(&f, pw, sizeof pw) != 0) {
            fprintf(stderr, "pgtest: cannot read PMM_TEST_PG_PASSWORD_FILE %s\n", file);
            pgtest_params_clear(out);
            return -1;
        }
        free(out->password);
        out->password = strdup(pw);
        explicit_bzero(pw, sizeof pw);
    }
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
    /* FORCE may not end an autovacuum worker that happens to be in the
     * database (a non-superuser may not signal it): it is gone soon. */
    int dropped = -1;
    for (int i = 0; i < 50 && dropped != 0; i++) {
        if (i)
            nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
        dropped = run(d, sql);
    }
    if (dropped == 0) {
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
    int rc = d ? recreate(d, name) : -1;
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
