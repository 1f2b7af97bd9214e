/* nodes: statements on the nodes table (see nodes.h). */
#include "nodes.h"

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
