/* nodes: the statements on the nodes table (see store.h). inventoryd
 * writes nodes; agentsd and configd read them. */
#ifndef PMM_STORE_NODES_H
#define PMM_STORE_NODES_H

#include <stdbool.h>
#include <stddef.h>

#include "db/store/store.h"

/* ---- records (agentsd, inventoryd's checks) ------------------------------ */

/* The node with node_id, or NULL (st untouched when there is none). */
json_t *store_nodes_get(db *d, const char *node_id, rpc_status *st);
/* The nodes of the agents the pmm-agents in ids (text[]) run, and the
 * nodes those pmm-agents run on. */
json_t *store_nodes_of_pmm_agents(db *d, const char *ids, rpc_status *st);

/* ---- lookups ------------------------------------------------------------- */

/* The node_type of node_id into type; *found false (type "") when there is
 * no such node. */
int store_nodes_type(db *d, const char *node_id, char *type, size_t type_len, bool *found, rpc_status *st);
/* The node named name: its id and node_type ("" both when there is none;
 * type may be NULL). */
int store_nodes_find_by_name(db *d, const char *name, char *id, size_t id_len, char *type, size_t type_len,
                             rpc_status *st);
/* A node with that address and region: its id, "" when there is none. */
int store_nodes_find_by_address(db *d, const char *address, const char *region, char *id, size_t id_len,
                                rpc_status *st);

/* ---- inventory.v1 Nodes (inventoryd's node model) ------------------------ */

/* The columns of a node as inventory.v1's node messages show it, named as
 * their fields, in this order: */
enum {
    NODE_C_ID, NODE_C_TYPE, NODE_C_NAME, NODE_C_ADDRESS, NODE_C_MACHINE_ID, NODE_C_DISTRO, NODE_C_MODEL,
    NODE_C_REGION, NODE_C_AZ, NODE_C_CUSTOM_LABELS, NODE_C_CONTAINER_ID, NODE_C_CONTAINER_NAME, NODE_C_INSTANCE_ID
};

/* A new node's columns; NULL stores NULL. custom_labels: a JSON object. */
typedef struct {
    const char *node_id, *node_type, *node_name, *address, *machine_id, *distro, *node_model, *region, *az,
        *custom_labels, *container_id, *container_name, *instance_id;
} store_node;

/* Inserts n (created and updated now); the new row, NODE_C_* columns. A
 * node of that name is ALREADY_EXISTS (unique index). */
PGresult *store_nodes_add(db *d, const store_node *n, rpc_status *st);
/* node_id's NODE_C_* columns; no row when there is none. */
PGresult *store_nodes_shown(db *d, const char *node_id, rpc_status *st);
/* The NODE_C_* columns of every node of node_type (NULL: all), by node_id. */
PGresult *store_nodes_shown_all(db *d, const char *node_type, rpc_status *st);

/* Locks node_id's row for its removal: *found, and *server when it is the
 * PMM Server's own node (is_pmm_server_node). */
int store_nodes_lock(db *d, const char *node_id, bool *found, bool *server, rpc_status *st);
/* Deletes the node; what refers to it must be gone (foreign keys). */
int store_nodes_delete(db *d, const char *node_id, rpc_status *st);

/* The PMM Server's initial nodes (inventoryd's fixtures): server marks
 * the PMM Server's own node. */
int store_nodes_add_fixture(db *d, const char *node_id, const char *name, const char *type, const char *address,
                            bool server, rpc_status *st);

/* ---- management.v1 UniversalNode ----------------------------------------- */

/* Columns NODE_U_ID..NODE_U_AZ are strings named as UniversalNode's
 * fields; then the labels (JSON object), the times as seconds and
 * microseconds, and (store_nodes_universal_all only) the node's agents
 * (grouped by node_id, else runs_on_node_id, as upstream) and services as
 * JSON arrays of {agent_id, agent_type, status, is_connected} and
 * {service_id, service_type, service_name}, NULL when there are none. */
enum {
    NODE_U_ID, NODE_U_TYPE, NODE_U_NAME, NODE_U_MACHINE_ID, NODE_U_DISTRO, NODE_U_MODEL, NODE_U_CONTAINER_ID,
    NODE_U_CONTAINER_NAME, NODE_U_ADDRESS, NODE_U_REGION, NODE_U_AZ, NODE_U_CUSTOM_LABELS, NODE_U_CREATED_S,
    NODE_U_CREATED_US, NODE_U_UPDATED_S, NODE_U_UPDATED_US, NODE_U_AGENTS, NODE_U_SERVICES
};

/* Every node of node_type (NULL: all), by node_id, with its children. */
PGresult *store_nodes_universal_all(db *d, const char *node_type, rpc_status *st);
/* node_id without its children; no row when there is none. */
PGresult *store_nodes_universal(db *d, const char *node_id, rpc_status *st);

#endif
