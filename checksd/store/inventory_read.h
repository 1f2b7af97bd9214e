/* inventory_read: checksd's reads of the shared inventory tables
 * (services, nodes, agents), in one file so that they can be pointed at
 * common/db/store/ in one place when the shared stores offer them. */
#ifndef CHECKSD_STORE_INVENTORY_READ_H
#define CHECKSD_STORE_INVENTORY_READ_H

#include "db/store/store.h"

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
PGresult *store_inventory_check_targets(db *d, const char *service_type, const char *agent_types, rpc_status *st);

#endif
