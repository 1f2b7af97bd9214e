/* services: the statements on the services table (see store.h).
 * inventoryd writes services; agentsd and configd read them. */
#ifndef PMM_STORE_SERVICES_H
#define PMM_STORE_SERVICES_H

#include "db/store/store.h"

/* The service with service_id, or NULL (st untouched when there is none). */
json_t *store_services_get(db *d, const char *service_id, rpc_status *st);
/* The services of the agents the pmm-agents in ids (text[]) run. */
json_t *store_services_of_pmm_agents(db *d, const char *ids, rpc_status *st);

#endif
