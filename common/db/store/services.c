/* services: statements on the services table (see services.h). */
#include "services.h"

json_t *store_services_get(db *d, const char *service_id, rpc_status *st)
{
    return store_row(d, "SELECT * FROM services WHERE service_id = $1", service_id, st);
}

json_t *store_services_of_pmm_agents(db *d, const char *ids, rpc_status *st)
{
    return store_rows(d,
                      "SELECT * FROM services WHERE service_id IN "
                      "(SELECT service_id FROM agents WHERE pmm_agent_id = ANY($1::text[]))",
                      1, (const char *[]){ ids }, st);
}
