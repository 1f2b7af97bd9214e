/* services: the statements on the services table (see store.h).
 * inventoryd writes services; agentsd and configd read them. */
#ifndef PMM_STORE_SERVICES_H
#define PMM_STORE_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "db/store/store.h"

/* ---- records (agentsd, inventoryd's checks) ------------------------------ */

/* The service with service_id, or NULL (st untouched when there is none). */
json_t *store_services_get(db *d, const char *service_id, rpc_status *st);
/* The services of the agents the pmm-agents in ids (text[]) run. */
json_t *store_services_of_pmm_agents(db *d, const char *ids, rpc_status *st);

/* ---- lookups ------------------------------------------------------------- */

/* The service_type of service_id into type; *found false (type "") when
 * there is no such service. */
int store_services_type(db *d, const char *service_id, char *type, size_t type_len, bool *found, rpc_status *st);
/* The service named name: its id and service_type ("" both when there is
 * none; type may be NULL). */
int store_services_find_by_name(db *d, const char *name, char *id, size_t id_len, char *type, size_t type_len,
                                rpc_status *st);
/* Whether a service runs on node_id. */
int store_services_any_on_node(db *d, const char *node_id, bool *found, rpc_status *st);

/* ---- inventory.v1 Services (inventoryd's service model) ------------------ */

/* The columns of a service as inventory.v1's service messages show it,
 * named as their fields (external_group as "group"), in this order: */
enum {
    SERVICE_C_ID, SERVICE_C_TYPE, SERVICE_C_NAME, SERVICE_C_NODE_ID, SERVICE_C_ADDRESS, SERVICE_C_PORT,
    SERVICE_C_SOCKET, SERVICE_C_ENVIRONMENT, SERVICE_C_CLUSTER, SERVICE_C_REPLICATION_SET, SERVICE_C_CUSTOM_LABELS,
    SERVICE_C_GROUP, SERVICE_C_DATABASE_NAME, SERVICE_C_VERSION
};

/* A new service's columns; NULL stores NULL. custom_labels: a JSON
 * object; port: decimal. */
typedef struct {
    const char *service_id, *service_type, *service_name, *node_id, *environment, *cluster, *replication_set,
        *custom_labels, *address, *port, *socket, *external_group, *database_name;
} store_service;

/* Inserts s (created and updated now); the new row, SERVICE_C_* columns.
 * A service of that name is ALREADY_EXISTS, a node that is gone
 * FAILED_PRECONDITION (foreign key). */
PGresult *store_services_add(db *d, const store_service *s, rpc_status *st);
/* service_id's SERVICE_C_* columns; no row when there is none. */
PGresult *store_services_shown(db *d, const char *service_id, rpc_status *st);
/* The SERVICE_C_* columns of the services on node_id, of service_type, in
 * external_group (each "" = any), by service_id. */
PGresult *store_services_shown_all(db *d, const char *node_id, const char *service_type, const char *external_group,
                                   rpc_status *st);
/* Every service_type that has a service, in order: columns (service_type). */
PGresult *store_services_types(db *d, rpc_status *st);
/* Sets the columns given (NULL keeps one; custom_labels replaces them all)
 * and updated_at; the changed row, SERVICE_C_* columns, none when there is
 * no such service. */
PGresult *store_services_change(db *d, const char *service_id, const char *environment, const char *cluster,
                                const char *replication_set, const char *external_group, const char *custom_labels,
                                rpc_status *st);

/* Locks service_id's row for its removal: *node_id gets its node
 * (malloc'd) and node_type that node's type; *node_id NULL when there is
 * no such service. */
int store_services_lock(db *d, const char *service_id, char **node_id, char *node_type, size_t type_len,
                        rpc_status *st);
/* Deletes the service; its agents must be gone (foreign keys). */
int store_services_delete(db *d, const char *service_id, rpc_status *st);
/* Deletes every service on node_id; their agents must be gone. */
int store_services_delete_on_node(db *d, const char *node_id, rpc_status *st);

/* ---- what management.v1 and the pmm-agent report ------------------------- */

int store_services_set_version(db *d, const char *service_id, const char *version, rpc_status *st);
int store_services_set_database(db *d, const char *service_id, const char *database_name, rpc_status *st);

/* The PMM Server's own PostgreSQL service (inventoryd's fixtures). */
int store_services_add_fixture(db *d, const char *service_id, const char *node_id, const char *address,
                               const char *port, const char *database_name, rpc_status *st);

/* ---- management.v1 UniversalService -------------------------------------- */

/* Columns SERVICE_U_ID..SERVICE_U_VERSION are strings named as
 * UniversalService's fields (node_name from the service's node); then the
 * port, the labels (JSON object) and the times as seconds and
 * microseconds. */
enum {
    SERVICE_U_ID, SERVICE_U_TYPE, SERVICE_U_NAME, SERVICE_U_DATABASE_NAME, SERVICE_U_NODE_ID, SERVICE_U_NODE_NAME,
    SERVICE_U_ENVIRONMENT, SERVICE_U_CLUSTER, SERVICE_U_REPLICATION_SET, SERVICE_U_EXTERNAL_GROUP, SERVICE_U_ADDRESS,
    SERVICE_U_SOCKET, SERVICE_U_VERSION, SERVICE_U_PORT, SERVICE_U_CUSTOM_LABELS, SERVICE_U_CREATED_S,
    SERVICE_U_CREATED_US, SERVICE_U_UPDATED_S, SERVICE_U_UPDATED_US
};

/* The services on node_id, of service_type, in external_group (each "" =
 * any), unordered. Their agents: store_agents_of_services_brief. */
PGresult *store_services_universal_all(db *d, const char *node_id, const char *service_type,
                                       const char *external_group, rpc_status *st);

/* ---- services as records of strings (backupd) ---------------------------- */

/* A service's columns as malloc'd strings ("" for NULL). */
typedef struct {
    char *service_id, *service_type, *service_name, *node_id, *cluster, *replication_set, *environment, *address,
        *socket, *version, *custom_labels, *external_group, *database_name;
    int port;
} store_service_rec;

void store_service_rec_free(store_service_rec *s);
void store_service_recs_free(store_service_rec *s, size_t n);
/* NOT_FOUND `Service with ID "<id>" not found.` when there is none. */
int store_services_get_rec(db *d, const char *service_id, store_service_rec *out, rpc_status *st);
int store_services_exists(db *d, const char *service_id, bool *exists, rpc_status *st);
/* Services of a type ("mysql", "mongodb"), by name; cluster non-NULL
 * filters by cluster. */
int store_services_of_type(db *d, const char *type, const char *cluster, store_service_rec **out, size_t *n,
                           rpc_status *st);
/* Every service, by name. */
int store_services_all(db *d, store_service_rec **out, size_t *n, rpc_status *st);
/* The services named in names, by name; unknown names are left out. */
int store_services_by_names(db *d, char *const *names, size_t n_names, store_service_rec **out, size_t *n,
                            rpc_status *st);
/* Every service's name by id: JSON object text {id: name} (malloc'd). */
int store_services_names(db *d, char **json, rpc_status *st);
/* Type and cluster of each of the services in ids_json (a JSON array of
 * ids): JSON object text {service_id: [type, cluster]} (malloc'd); unknown
 * ids left out. */
int store_services_kinds(db *d, const char *ids_json, char **json, rpc_status *st);

/* checksd */
/* The services of service_type that checks run on (not on node
 * pmm-server), each with its node, the first pmm-agent (by id) that runs
 * one of its agents, and of that pmm-agent's agents of the service the
 * first of agent_types (text[], in preference order: the one whose DSN
 * the queries use), one row each, ordered by service id. Columns: */
enum {
    TGT_S_ID, TGT_S_NAME, TGT_S_TYPE, TGT_S_ENV, TGT_S_CLUSTER, TGT_S_RS, TGT_S_GROUP, TGT_S_LABELS,
    TGT_N_ID, TGT_N_NAME, TGT_N_TYPE, TGT_N_MACHINE, TGT_N_CONTAINER_ID, TGT_N_CONTAINER_NAME, TGT_N_MODEL,
    TGT_N_REGION, TGT_N_AZ, TGT_N_LABELS,
    TGT_PA_ID, TGT_PA_VERSION, /* NULL when no pmm-agent runs an agent of the service */
    TGT_A_ID, TGT_A_TYPE, TGT_A_LABELS, /* NULL when that pmm-agent has none of agent_types */
    TGT_NCOLS
};
PGresult *store_services_check_targets(db *d, const char *service_type, const char *agent_types, rpc_status *st);


#endif
