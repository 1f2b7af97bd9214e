/* ha_fence: table ha_fence (see ha_fence.h). */
#include "db/store/ha_fence.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

int leader_fence(db *d, int64_t term, const char *node, rpc_status *st)
{
    if (term <= 0)
        return RPC_OK;
    char t[32];
    snprintf(t, sizeof t, "%" PRId64, term);
    /* GREATEST keeps a higher term; the row lock holds until the caller's commit */
    PGresult *r = db_exec(d, st,
                          "INSERT INTO ha_fence (id, term, node_id) VALUES (1, $1::bigint, $2) "
                          "ON CONFLICT (id) DO UPDATE SET term = GREATEST(ha_fence.term, EXCLUDED.term), "
                          "node_id = CASE WHEN EXCLUDED.term > ha_fence.term THEN EXCLUDED.node_id "
                          "ELSE ha_fence.node_id END, updated_at = CASE WHEN EXCLUDED.term > ha_fence.term "
                          "THEN now() AT TIME ZONE 'UTC' ELSE ha_fence.updated_at END RETURNING term",
                          2, (const char *[]){ t, node ? node : "" });
    if (!r)
        return st->code;
    long long seen = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    if (seen > term)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "stale leader term %" PRId64 ": term %lld has a leader", term,
                        seen);
    return RPC_OK;
}

int leader_fence_read(db *d, int64_t *term, char *node, size_t node_len, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT term, node_id FROM ha_fence WHERE id = 1", 0, NULL);
    if (!r)
        return st->code;
    *term = 0;
    if (node_len)
        node[0] = '\0';
    if (PQntuples(r) == 1) {
        *term = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(node, node_len, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return RPC_OK;
}
