/* action_results: statements on the action_results table (see
 * action_results.h). */
#include "action_results.h"

#define NOW "now() AT TIME ZONE 'UTC'"

int store_action_results_add(db *d, const char *id, const char *pmm_agent_id, rpc_status *st)
{
    return store_write(d,
                       "INSERT INTO action_results (id, pmm_agent_id, done, error, output, created_at, updated_at) "
                       "VALUES ($1, $2, false, '', ''::bytea, " NOW ", " NOW ")",
                       2, (const char *[]){ id, pmm_agent_id }, NULL, st);
}

PGresult *store_action_results_get(db *d, const char *id, rpc_status *st)
{
    return db_exec(d, st, "SELECT id, pmm_agent_id, done, error, output FROM action_results WHERE id = $1", 1,
                   (const char *[]){ id });
}

int store_action_results_set(db *d, const char *id, const char *pmm_agent_id, bool done, const char *error,
                             const uint8_t *output, size_t output_len, bool *found, rpc_status *st)
{
    *found = false;
    size_t hexlen = 0;
    PGconn *conn = db_conn(d);
    unsigned char *hex = conn ? PQescapeByteaConn(conn, output ? output : (const uint8_t *)"", output_len, &hexlen)
                              : NULL;
    if (!hex)
        return rpc_fail(st, RPC_UNAVAILABLE, "no database connection");
    long changed = 0;
    int code = store_write(d,
                           "UPDATE action_results SET pmm_agent_id = $2, done = $3, error = $4, output = $5::bytea, "
                           "updated_at = " NOW " WHERE id = $1",
                           5, (const char *[]){ id, pmm_agent_id, done ? "t" : "f", error, (const char *)hex }, &changed,
                           st);
    PQfreemem(hex);
    *found = changed > 0;
    return code;
}

int store_action_results_remove(db *d, const char *id, rpc_status *st)
{
    return store_write(d, "DELETE FROM action_results WHERE id = $1", 1, (const char *[]){ id }, NULL, st);
}
