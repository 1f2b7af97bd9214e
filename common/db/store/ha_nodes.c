/* ha_nodes: table ha_nodes (see ha_nodes.h). */
#include "db/store/ha_nodes.h"

#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

int ha_nodes_beat(db *d, const char *node_id, const char *address, rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "INSERT INTO ha_nodes (node_id, address, updated_at) VALUES ($1, $2, now() AT TIME ZONE 'UTC') "
                          "ON CONFLICT (node_id) DO UPDATE SET address = EXCLUDED.address, updated_at = EXCLUDED.updated_at",
                          2, (const char *[]){ node_id, address });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

int ha_nodes_list(db *d, ha_node_row *out, size_t max, size_t *n, rpc_status *st)
{
    *n = 0;
    PGresult *r = db_exec(d, st,
                          "SELECT node_id, address, (EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - updated_at) * 1000)::bigint "
                          "FROM ha_nodes ORDER BY node_id",
                          0, NULL);
    if (!r)
        return st->code;
    for (int i = 0; i < PQntuples(r) && *n < max; i++) {
        ha_node_row *x = &out[(*n)++];
        snprintf(x->node_id, sizeof x->node_id, "%s", PQgetvalue(r, i, 0));
        snprintf(x->address, sizeof x->address, "%s", PQgetvalue(r, i, 1));
        x->age_ms = strtoll(PQgetvalue(r, i, 2), NULL, 10);
    }
    PQclear(r);
    return RPC_OK;
}
