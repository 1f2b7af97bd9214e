/* dump_logs: table dump_logs, the log of a dump in chunks. */
#include "store.h"

#include <libpq-fe.h>
#include <stdio.h>

int store_dump_log_add(db *d, const char *dump_id, uint32_t chunk_id, const char *data, bool last, rpc_status *st)
{
    char id[16];
    snprintf(id, sizeof id, "%u", chunk_id);
    PGresult *r = db_exec(d, st,
                          "INSERT INTO dump_logs (dump_id, chunk_id, data, last_chunk) VALUES ($1, $2, $3, $4) "
                          "ON CONFLICT (dump_id, chunk_id) DO NOTHING",
                          4, (const char *[]){ dump_id, id, data ? data : "", last ? "t" : "f" });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

int store_dump_log_list(db *d, const char *dump_id, uint32_t offset, uint32_t limit, log_chunk **out, size_t *n,
                        rpc_status *st)
{
    char off[16], lim[16];
    snprintf(off, sizeof off, "%u", offset);
    snprintf(lim, sizeof lim, "%u", limit);
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(d, st,
                          "SELECT chunk_id, data, last_chunk FROM dump_logs WHERE dump_id = $1 AND chunk_id >= $2 "
                          "ORDER BY chunk_id LIMIT NULLIF($3::int, 0)",
                          3, (const char *[]){ dump_id, off, lim });
    return r ? store_log_rows(r, out, n, st) : st->code;
}
