/* nodes: statements on the nodes table (see nodes.h). */
#include "nodes.h"

#include <string.h>

#include "db/store/internal.h"

/* ---- records ------------------------------------------------------------- */

json_t *store_nodes_get(db *d, const char *node_id, rpc_status *st)
{
    return store_row(d, "SELECT * FROM nodes WHERE node_id = $1", node_id, st);
}

json_t *store_nodes_of_pmm_agents(db *d, const char *ids, rpc_status *st)
{
    return store_rows(d,
                      "SELECT * FROM nodes WHERE node_id IN "
                      "(SELECT node_id FROM agents WHERE pmm_agent_id = ANY($1::text[]) "
                      " UNION SELECT runs_on_node_id FROM agents WHERE agent_id = ANY($1::text[]))",
                      1, (const char *[]){ ids }, st);
}

/* ---- lookups ------------------------------------------------------------- */

int store_nodes_type(db *d, const char *node_id, char *type, size_t type_len, bool *found, rpc_status *st)
{
    return store_first(d, "SELECT node_type FROM nodes WHERE node_id = $1", 1, (const char *[]){ node_id }, type,
                       type_len, NULL, 0, found, st);
}

int store_nodes_find_by_name(db *d, const char *name, char *id, size_t id_len, char *type, size_t type_len,
                             rpc_status *st)
{
    return store_first(d, "SELECT node_id, node_type FROM nodes WHERE node_name = $1", 1, (const char *[]){ name }, id,
                       id_len, type, type_len, NULL, st);
}

int store_nodes_find_by_address(db *d, const char *address, const char *region, char *id, size_t id_len,
                                rpc_status *st)
{
    return store_first(d, "SELECT node_id FROM nodes WHERE address = $1 AND region = $2 LIMIT 1", 2,
                       (const char *[]){ address, region }, id, id_len, NULL, 0, NULL, st);
}

/* ---- inventory.v1 Nodes -------------------------------------------------- */

/* The NODE_C_* columns, in their order. */
#define NODE_COLUMNS \
    "node_id, node_type, node_name, address, machine_id, distro, node_model, region, az, " \
    "custom_labels, container_id, container_name, instance_id"

PGresult *store_nodes_add(db *d, const store_node *n, rpc_status *st)
{
    const char *params[] = {
        n->node_id, n->node_type, n->node_name, n->address, n->machine_id, n->distro, n->node_model,
        n->region, n->az, n->custom_labels, n->container_id, n->container_name, n->instance_id,
    };
    return db_exec(d, st,
                   "INSERT INTO nodes (" NODE_COLUMNS ", created_at, updated_at) VALUES "
                   "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, " NOW ", " NOW ") "
                   "RETURNING " NODE_COLUMNS,
                   13, params);
}

PGresult *store_nodes_shown(db *d, const char *node_id, rpc_status *st)
{
    return db_exec(d, st, "SELECT " NODE_COLUMNS " FROM nodes WHERE node_id = $1", 1, (const char *[]){ node_id });
}

PGresult *store_nodes_shown_all(db *d, const char *node_type, rpc_status *st)
{
    if (node_type)
        return db_exec(d, st, "SELECT " NODE_COLUMNS " FROM nodes WHERE node_type = $1 ORDER BY node_id", 1,
                       (const char *[]){ node_type });
    return db_exec(d, st, "SELECT " NODE_COLUMNS " FROM nodes ORDER BY node_id", 0, NULL);
}

int store_nodes_lock(db *d, const char *node_id, bool *found, bool *server, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT is_pmm_server_node FROM nodes WHERE node_id = $1 FOR UPDATE", 1,
                          (const char *[]){ node_id });
    if (!r)
        return st->code;
    *found = PQntuples(r) > 0;
    *server = *found && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return RPC_OK;
}

int store_nodes_delete(db *d, const char *node_id, rpc_status *st)
{
    return store_write(d, "DELETE FROM nodes WHERE node_id = $1", 1, (const char *[]){ node_id }, NULL, st);
}

int store_nodes_add_fixture(db *d, const char *node_id, const char *name, const char *type, const char *address,
                            bool server, rpc_status *st)
{
    return store_write(d,
                       "INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, custom_labels, "
                       "address, created_at, updated_at, is_pmm_server_node) "
                       "VALUES ($1, $3, $2, '', '', '', '{}', $4, " NOW ", " NOW ", $5)",
                       5, (const char *[]){ node_id, name, type, address, server ? "t" : "f" }, NULL, st);
}

/* ---- management.v1 UniversalNode ----------------------------------------- */

/* The NODE_U_* columns up to NODE_U_UPDATED_US. */
#define UNIVERSAL_NODE_COLUMNS \
    "node_id, node_type, node_name, machine_id, distro, node_model, container_id, container_name, address, " \
    "region, az, custom_labels, " \
    "floor(extract(epoch FROM created_at))::bigint, mod(extract(microseconds FROM created_at)::bigint, 1000000), " \
    "floor(extract(epoch FROM updated_at))::bigint, mod(extract(microseconds FROM updated_at)::bigint, 1000000)"

/* NODE_U_AGENTS and NODE_U_SERVICES: each node's children in the same
 * query, rather than one query per node. */
#define NODE_CHILDREN \
    ", (SELECT json_agg(json_build_object('agent_id', a.agent_id, 'agent_type', a.agent_type, " \
    "'status', a.status, 'is_connected', a.is_connected) ORDER BY a.agent_id)::text FROM agents a " \
    "WHERE COALESCE(a.node_id, a.runs_on_node_id) = nodes.node_id), " \
    "(SELECT json_agg(json_build_object('service_id', s.service_id, 'service_type', s.service_type, " \
    "'service_name', s.service_name) ORDER BY s.service_id)::text FROM services s WHERE s.node_id = nodes.node_id)"

PGresult *store_nodes_universal_all(db *d, const char *node_type, rpc_status *st)
{
    return db_exec(d, st,
                   "SELECT " UNIVERSAL_NODE_COLUMNS NODE_CHILDREN " FROM nodes "
                   "WHERE ($1::text IS NULL OR node_type = $1) "
                   "ORDER BY node_id",
                   1, (const char *[]){ node_type });
}

PGresult *store_nodes_universal(db *d, const char *node_id, rpc_status *st)
{
    return db_exec(d, st, "SELECT " UNIVERSAL_NODE_COLUMNS " FROM nodes WHERE node_id = $1", 1,
                   (const char *[]){ node_id });
}
