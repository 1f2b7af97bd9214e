/* job_logs: table job_logs, the chunks of a job's log (JobProgress.logs). */
#include "store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void log_chunks_free(log_chunk *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].data);
    free(c);
}

int store_job_log_add(db *d, const char *job_id, uint32_t chunk_id, const char *data, bool last, rpc_status *st)
{
    char id[16];
    snprintf(id, sizeof id, "%u", chunk_id);
    PGresult *r = db_exec(d, st,
                          "INSERT INTO job_logs (job_id, chunk_id, data, last_chunk) VALUES ($1, $2, $3, $4) "
                          "ON CONFLICT (job_id, chunk_id) DO NOTHING",
                          4, (const char *[]){ job_id, id, data ? data : "", last ? "t" : "f" });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

int store_log_rows(void *pgresult, log_chunk **out, size_t *n, rpc_status *st)
{
    PGresult *r = pgresult;
    int rows = PQntuples(r);
    log_chunk *c = calloc(rows ? (size_t)rows : 1, sizeof *c);
    if (!c) {
        PQclear(r);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    for (int i = 0; i < rows; i++) {
        c[i].chunk_id = (uint32_t)strtoul(PQgetvalue(r, i, 0), NULL, 10);
        c[i].data = strdup(PQgetvalue(r, i, 1));
        c[i].last_chunk = strcmp(PQgetvalue(r, i, 2), "t") == 0;
        if (!c[i].data) {
            log_chunks_free(c, (size_t)i);
            PQclear(r);
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
        }
    }
    PQclear(r);
    *out = c;
    *n = (size_t)rows;
    return RPC_OK;
}

int store_job_log_list(db *d, const char *job_id, uint32_t offset, uint32_t limit, log_chunk **out, size_t *n,
                       rpc_status *st)
{
    char off[16], lim[16];
    snprintf(off, sizeof off, "%u", offset);
    snprintf(lim, sizeof lim, "%u", limit);
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st,
                          "SELECT chunk_id, data, last_chunk FROM job_logs WHERE job_id = $1 AND chunk_id >= $2 "
                          "ORDER BY chunk_id LIMIT NULLIF($3::int, 0)",
                          3, (const char *[]){ job_id, off, lim });
    return r ? store_log_rows(r, out, n, st) : st->code;
}
