/* nodes: the statements on the nodes table (see store.h). inventoryd
 * writes nodes; agentsd and configd read them. */
#ifndef PMM_STORE_NODES_H
#define PMM_STORE_NODES_H

#include "db/store/store.h"

/* The node with node_id, or NULL (st untouched when there is none). */
json_t *store_nodes_get(db *d, const char *node_id, rpc_status *st);
/* The nodes of the agents the pmm-agents in ids (text[]) run, and the
 * nodes those pmm-agents run on. */
json_t *store_nodes_of_pmm_agents(db *d, const char *ids, rpc_status *st);

#endif
