-- 0003_indexes: lookups the APIs make by foreign key (agents of a service,
-- of a pmm-agent, on a node; services on a node). Without them listing
-- the services of a 2,000-node inventory with their agents scans the
-- agents table once per service.
CREATE INDEX agents_service_id_idx ON agents (service_id);
CREATE INDEX agents_pmm_agent_id_idx ON agents (pmm_agent_id);
CREATE INDEX agents_node_id_idx ON agents (node_id);
CREATE INDEX agents_runs_on_node_id_idx ON agents (runs_on_node_id);
CREATE INDEX services_node_id_idx ON services (node_id);
