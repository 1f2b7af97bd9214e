/* action_results: statements on the action_results table (see
 * action_results.h). */
#include "action_results.h"

#include <limits.h>
#include <stdlib.h>

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
    if (output_len > INT_MAX)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "action output too large");
    /* The output goes in binary: an action's output may be close to grpc's
     * 100 MiB, which hex would double. */
    const char *params[] = { id, pmm_agent_id, done ? "t" : "f", error, output ? (const char *)output : "" };
    const int lengths[] = { 0, 0, 0, 0, (int)output_len };
    const int formats[] = { 0, 0, 0, 0, 1 };
    PGresult *r = db_exec_binary(d, st,
                                 "UPDATE action_results SET pmm_agent_id = $2, done = $3, error = $4, output = $5::bytea, "
                                 "updated_at = " NOW " WHERE id = $1",
                                 5, params, lengths, formats);
    if (!r)
        return st->code;
    *found = atol(PQcmdTuples(r)) > 0;
    PQclear(r);
    return RPC_OK;
}

int store_action_results_remove(db *d, const char *id, rpc_status *st)
{
    return store_write(d, "DELETE FROM action_results WHERE id = $1", 1, (const char *[]){ id }, NULL, st);
}
