/* jobs: table jobs (upstream's models.Job). */
#include "store.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"
#include "uuid.h"

#define COLS                                                                                                      \
    "id, pmm_agent_id, type, done, error, data::text, COALESCE(retries, 0), COALESCE(interval, 0), "              \
    "COALESCE(timeout, 0), " SQL_MS("created_at") ", " SQL_MS("updated_at")

void job_free(job *j)
{
    char **f[] = { &j->id, &j->pmm_agent_id, &j->type, &j->error, &j->data };
    store_free_strs(f, sizeof f / sizeof *f);
}

void jobs_free(job *j, size_t n)
{
    for (size_t i = 0; i < n; i++)
        job_free(&j[i]);
    free(j);
}

static int from_row(PGresult *r, int i, job *j, rpc_status *st)
{
    memset(j, 0, sizeof *j);
    j->id = store_col(r, i, 0);
    j->pmm_agent_id = store_col(r, i, 1);
    j->type = store_col(r, i, 2);
    j->done = strcmp(PQgetvalue(r, i, 3), "t") == 0;
    j->error = store_col(r, i, 4);
    j->data = store_col(r, i, 5);
    j->retries = atoi(PQgetvalue(r, i, 6));
    j->interval_ns = strtoll(PQgetvalue(r, i, 7), NULL, 10);
    j->timeout_ns = strtoll(PQgetvalue(r, i, 8), NULL, 10);
    j->created_at = strtoll(PQgetvalue(r, i, 9), NULL, 10);
    j->updated_at = strtoll(PQgetvalue(r, i, 10), NULL, 10);
    if (!j->id || !j->pmm_agent_id || !j->type || !j->error || !j->data) {
        job_free(j);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    return RPC_OK;
}

static int row_cb(void *r, int i, void *out, rpc_status *st)
{
    return from_row(r, i, out, st);
}

static void free_cb(void *x)
{
    job_free((job *)x);
}

int store_job_get(db *d, const char *id, job *out, rpc_status *st)
{
    return store_get_one(d, "SELECT " COLS " FROM jobs WHERE id = $1", id, "Job", row_cb, out, st);
}

int store_job_get_for_update(db *d, const char *id, job *out, rpc_status *st)
{
    return store_get_one(d, "SELECT " COLS " FROM jobs WHERE id = $1 FOR UPDATE", id, "Job", row_cb, out, st);
}

int store_job_insert(db *d, job *j, rpc_status *st)
{
    if (!j->id) {
        char id[UUID_STR_LEN];
        uuid_v4(id);
        if (!(j->id = strdup(id)))
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    char retries[32], interval[32], timeout[32];
    snprintf(retries, sizeof retries, "%d", j->retries);
    snprintf(interval, sizeof interval, "%" PRId64, j->interval_ns);
    snprintf(timeout, sizeof timeout, "%" PRId64, j->timeout_ns);
    PGresult *r = db_exec(d, st,
                          "INSERT INTO jobs (id, pmm_agent_id, type, done, error, data, retries, interval, timeout, "
                          "created_at, updated_at) VALUES ($1, $2, $3, false, '', $4::jsonb, $5, $6, $7, " SQL_NOW ", "
                          SQL_NOW ")",
                          7, (const char *[]){ j->id, j->pmm_agent_id, j->type, j->data, retries, interval, timeout });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

int store_job_finish(db *d, const char *id, const char *error, rpc_status *st)
{
    return store_exec_one(d, st, "UPDATE jobs SET done = true, error = $2, updated_at = " SQL_NOW " WHERE id = $1", 2,
                    (const char *[]){ id, error ? error : "" }, "Job", id);
}

int store_job_retry(db *d, const char *id, rpc_status *st)
{
    return store_exec_one(d, st,
                    "UPDATE jobs SET retries = GREATEST(COALESCE(retries, 0) - 1, 0), done = false, updated_at = "
                    SQL_NOW " WHERE id = $1",
                    1, (const char *[]){ id }, "Job", id);
}

int store_job_set_agent(db *d, const char *id, const char *pmm_agent_id, rpc_status *st)
{
    return store_exec_one(d, st, "UPDATE jobs SET pmm_agent_id = $2, updated_at = " SQL_NOW " WHERE id = $1", 2,
                    (const char *[]){ id, pmm_agent_id }, "Job", id);
}

int store_job_list_running(db *d, job **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st, "SELECT " COLS " FROM jobs WHERE NOT done ORDER BY created_at", 0, NULL);
    if (!r)
        return st->code;
    return store_rows(r, sizeof **out, row_cb, free_cb, (void **)out, n, st);
}

int store_job_by_data(db *d, const char *key, const char *value, job *out, bool *found, rpc_status *st)
{
    /* data is {"<type>": {...}}: the one member's key */
    PGresult *r = db_exec(d, st,
                          "SELECT " COLS " FROM jobs WHERE EXISTS (SELECT 1 FROM jsonb_each(data) e WHERE "
                          "e.value ->> $1 = $2) ORDER BY created_at DESC LIMIT 1",
                          2, (const char *[]){ key, value });
    if (!r)
        return st->code;
    *found = PQntuples(r) > 0;
    int rc = *found ? from_row(r, 0, out, st) : RPC_OK;
    PQclear(r);
    return rc;
}
