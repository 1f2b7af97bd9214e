/* inventory_read: see inventory_read.h. */
#include "inventory_read.h"

PGresult *store_inventory_check_targets(db *d, const char *service_type, const char *agent_types, rpc_status *st)
{
    /* One statement for the whole family: a fleet of services costs one
     * round trip, not four per service. */
    return db_exec(d, st,
                   "SELECT s.service_id, s.service_name, s.service_type, s.environment, s.cluster, "
                   "s.replication_set, s.external_group, s.custom_labels, "
                   "n.node_id, n.node_name, n.node_type, n.machine_id, n.container_id, n.container_name, "
                   "n.node_model, n.region, n.az, n.custom_labels, "
                   "pa.agent_id, pa.version, a.agent_id, a.agent_type, a.custom_labels "
                   "FROM services s JOIN nodes n ON n.node_id = s.node_id "
                   "LEFT JOIN LATERAL (SELECT p.agent_id, p.version FROM agents p "
                   "  WHERE p.agent_type = 'pmm-agent' AND p.agent_id IN "
                   "  (SELECT x.pmm_agent_id FROM agents x WHERE x.service_id = s.service_id) "
                   "  ORDER BY p.agent_id LIMIT 1) pa ON true "
                   "LEFT JOIN LATERAL (SELECT y.agent_id, y.agent_type, y.custom_labels FROM agents y "
                   "  WHERE y.service_id = s.service_id AND y.pmm_agent_id = pa.agent_id "
                   "  AND y.agent_type = ANY($2::text[]) "
                   "  ORDER BY array_position($2::text[], y.agent_type::text), y.agent_id LIMIT 1) a ON true "
                   "WHERE s.service_type = $1 AND s.node_id <> 'pmm-server' ORDER BY s.service_id",
                   2, (const char *[]){ service_type, agent_types });
}
