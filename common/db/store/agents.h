/* agents: the statements on the agents table (see store.h). inventoryd
 * writes agents (add, change, remove); agentsd writes what the pmm-agents
 * report (version, is_connected, status, listen port) and the vmagent row
 * it makes at connect. Records carry the secrets decrypted. */
#ifndef PMM_STORE_AGENTS_H
#define PMM_STORE_AGENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "db/store/store.h"

/* ---- reads --------------------------------------------------------------- */

/* The agent with agent_id, or NULL (st untouched when there is none). */
json_t *store_agents_get(db *d, const char *agent_id, rpc_status *st);
/* Only what labels QAN data (agent_id, agent_type, service_id,
 * custom_labels): no credentials, so no encryption key needed. */
json_t *store_agents_get_labels(db *d, const char *agent_id, rpc_status *st);
/* The agents whose ids are in ids (a text[] literal). */
json_t *store_agents_by_ids(db *d, const char *ids, rpc_status *st);
/* The enabled agents run by the pmm-agents in ids (text[]), ordered by
 * pmm_agent_id, agent_id. */
json_t *store_agents_enabled_of_pmm_agents(db *d, const char *ids, rpc_status *st);
/* The pmm-agents that run an agent of service_id, by agent_id. */
json_t *store_agents_pmm_agents_of_service(db *d, const char *service_id, rpc_status *st);
/* The same as ids and versions (malloc'd strings, "" for no version):
 * upstream's FindPMMAgentsForService (backupd). */
typedef struct {
    char *id, *version;
} store_pmm_agent_ref;
void store_pmm_agent_refs_free(store_pmm_agent_ref *a, size_t n);
int store_agents_pmm_agent_refs_of_service(db *d, const char *service_id, store_pmm_agent_ref **out, size_t *n,
                                           rpc_status *st);
/* The pmm-agents running on node_id, by agent_id. */
json_t *store_agents_pmm_agents_on_node(db *d, const char *node_id, rpc_status *st);
/* The agents of service_id of agent_type, run by pmm_agent_id ("" = any). */
json_t *store_agents_of_service(db *d, const char *service_id, const char *agent_type, const char *pmm_agent_id,
                                rpc_status *st);
/* The pmm-agent an agent reports to (itself for a pmm-agent) into *out
 * (malloc'd; "" when it has none); NOT_FOUND with upstream's text when no
 * agent has that id. */
int store_agents_pmm_agent_of(db *d, const char *agent_id, char **out, rpc_status *st);
/* Of the ids in ids (text[]), those of pmm-agents that exist: columns
 * (agent_id). */
PGresult *store_agents_existing_pmm_agents(db *d, const char *ids, rpc_status *st);
/* Digests of everything a pmm-agent's SetState is built from (its
 * children's ids, update times, disabled flags and their services' update
 * times) for the pmm-agents in ids (text[]; NULL = every pmm-agent with
 * children): fn(pmm_agent_id, digest, arg) per pmm-agent that has any. */
int store_agents_children_digests(db *d, const char *ids, void (*fn)(const char *id, const char *digest, void *arg),
                                  void *arg, rpc_status *st);

/* ---- lookups ------------------------------------------------------------- */

/* Whether agent_id exists (*found), and its runs_on_node_id into *runs_on
 * when asked (malloc'd; NULL when the column is NULL). */
int store_agents_runs_on(db *d, const char *agent_id, bool *found, char **runs_on, rpc_status *st);
/* The pmm-agents running on node_id: columns (agent_id), unordered. */
PGresult *store_agents_pmm_agent_ids_on_node(db *d, const char *node_id, rpc_status *st);
/* The agent's stored version into *out (malloc'd; "" when it has none or
 * there is no such agent). */
int store_agents_version(db *d, const char *agent_id, char **out, rpc_status *st);

/* ---- inventory.v1 Agents (inventoryd's agent model) ---------------------- */

/* Not a column (jsonb_populate_record ignores it): the node of the agent's
 * pmm-agent, joined in by the reads below, for showing where a push-mode
 * external exporter runs. */
#define PMM_NODE_KEY "_pmm_agent_node"

/* The agent's row locked for a change, with PMM_NODE_KEY, as a record
 * (secrets decrypted); NULL (st untouched) when there is none. */
json_t *store_agents_get_for_update(db *d, const char *agent_id, rpc_status *st);
/* The agent's row as a record with its secrets as stored (encrypted), for
 * agentsd to decrypt; NULL (st untouched) when there is none or it cannot
 * be read. */
json_t *store_agents_get_sealed(db *d, const char *agent_id, rpc_status *st);
/* Inserts the record (a full agents row, secrets in plain text: they are
 * encrypted on the way), created and updated now. */
int store_agents_add(db *d, json_t *rec, rpc_status *st);
/* Writes every column of the record but the id, type and times (secrets
 * encrypted on the way); updated_at now. */
int store_agents_update(db *d, json_t *rec, rpc_status *st);
/* Encrypts the credentials still stored in plain text (rows written by the
 * fixtures or before encryption existed), locking every row; *sealed:
 * how many rows it rewrote. */
int store_agents_seal_plaintext(db *d, int *sealed, rpc_status *st);

/* What inventory.v1's agent messages show, looked up by column name: the
 * agents columns agent_type, agent_id, pmm_agent_id, runs_on_node_id,
 * service_id, node_id, disabled, status, process_exec_path, is_connected,
 * listen_port, custom_labels, username (sealed), tls, tls_skip_verify,
 * log_level, environment_variables, and the JSONB columns exporter_options,
 * qan_options, mysql_options, postgresql_options, mongo_options,
 * aws_options, azure_options (custom_labels and the JSONB columns NULL when
 * '{}'), and PMM_NODE_KEY. No row when there is no such agent. */
PGresult *store_agents_shown(db *d, const char *agent_id, rpc_status *st);
/* Which agents store_agents_shown_all lists. */
typedef enum {
    STORE_AGENTS_ALL,
    STORE_AGENTS_OF_PMM_AGENT, /* run by the pmm-agent value */
    STORE_AGENTS_ON_NODE,      /* node_id = value */
    STORE_AGENTS_OF_SERVICE,   /* service_id = value */
} store_agents_filter;
/* The agents of the filter, of agent_type (NULL: any), store_agents_shown's
 * columns, by agent_id. */
PGresult *store_agents_shown_all(db *d, store_agents_filter filter, const char *value, const char *agent_type,
                                 rpc_status *st);

/* Whether pmm_agent_id runs any agent. */
int store_agents_any_of_pmm_agent(db *d, const char *pmm_agent_id, bool *found, rpc_status *st);
int store_agents_delete(db *d, const char *agent_id, rpc_status *st);
/* Deletes the agents pmm_agent_id runs. */
int store_agents_delete_of_pmm_agent(db *d, const char *pmm_agent_id, rpc_status *st);

/* ---- a node's removal (inventoryd), children before parents -------------- */

/* Whether an agent is of node_id (node_id). */
int store_agents_any_on_node(db *d, const char *node_id, bool *found, rpc_status *st);
/* Whether an agent runs on node_id (runs_on_node_id: a pmm-agent). */
int store_agents_any_running_on_node(db *d, const char *node_id, bool *found, rpc_status *st);
/* The agents of the pmm-agents running on node_id. */
int store_agents_delete_of_pmm_agents_on_node(db *d, const char *node_id, rpc_status *st);
/* The agents of the services on node_id. */
int store_agents_delete_of_services_on_node(db *d, const char *node_id, rpc_status *st);
/* The agents of node_id (node_id). */
int store_agents_delete_on_node(db *d, const char *node_id, rpc_status *st);
/* The agents running on node_id (runs_on_node_id). */
int store_agents_delete_running_on_node(db *d, const char *node_id, rpc_status *st);

/* ---- a service's removal (inventoryd) ------------------------------------ */

/* Whether service_id has an agent. */
int store_agents_any_of_service(db *d, const char *service_id, bool *found, rpc_status *st);
/* How many pmm-agents run an agent of service_id or of node_id. */
int store_agents_count_pmm_agents_of(db *d, const char *service_id, const char *node_id, long *n, rpc_status *st);
/* The agents run by agents of service_id. */
int store_agents_delete_of_pmm_agents_of_service(db *d, const char *service_id, rpc_status *st);
/* The agents of service_id. */
int store_agents_delete_of_service(db *d, const char *service_id, rpc_status *st);

/* ---- management.v1 (inventoryd) ------------------------------------------ */

/* MySQL's table count the pmm-agent reported, into mysql_options. */
int store_agents_set_table_count(db *d, const char *agent_id, int table_count, rpc_status *st);
/* The agent password, encrypted on the way. */
int store_agents_set_agent_password(db *d, const char *agent_id, const char *password, rpc_status *st);
/* Ties the agent to service_id instead of a node (node_id NULL). */
int store_agents_move_to_service(db *d, const char *agent_id, const char *service_id, rpc_status *st);
/* qan_options' query_examples_disabled true. */
int store_agents_disable_query_examples(db *d, const char *agent_id, rpc_status *st);

/* UniversalAgent rows, by agent_id, columns in this order: the row as
 * row_to_json text (secrets as stored), the times as seconds and
 * microseconds. */
enum { AGENT_U_ROW, AGENT_U_CREATED_S, AGENT_U_CREATED_US, AGENT_U_UPDATED_S, AGENT_U_UPDATED_US };
/* The agents of service_id as upstream's IsServiceAgent, IsNodeAgent (the
 * pmm-agent on the service's node) and IsVMAgent count them. */
PGresult *store_agents_universal_of_service(db *d, const char *service_id, rpc_status *st);
/* The agents of node_id or running on it. */
PGresult *store_agents_universal_on_node(db *d, const char *node_id, rpc_status *st);

/* The enabled pmm-agents on a known node, by agent_id, columns in this
 * order (version "" when it has none): */
enum { AGENT_V_ID, AGENT_V_VERSION, AGENT_V_NODE_NAME };
PGresult *store_agents_pmm_agent_versions(db *d, rpc_status *st);

/* ListServices' agents in two plain scans, no joins or sorts (a join of
 * every service with its node's agents cost PostgreSQL twice as much);
 * the caller matches them with the services. Columns of both: the key(s)
 * first, then agent_id, agent_type, status, is_connected. */
enum { AGENT_B_SERVICE_ID, AGENT_B_ID, AGENT_B_TYPE, AGENT_B_STATUS, AGENT_B_CONNECTED };
/* The agents of a service (upstream's IsServiceAgent) of the services on
 * node_id, of service_type, in external_group (each "" = any; without a
 * filter PostgreSQL folds the condition away): AGENT_B_* columns. */
PGresult *store_agents_of_services_brief(db *d, const char *node_id, const char *service_type,
                                         const char *external_group, rpc_status *st);
/* The agents of no service by the node they count for (IsNodeAgent,
 * IsVMAgent): runs_on_node_id (the pmm-agent) and, for a vmagent, node_id;
 * then agent_id... from column AGENT_N_ID. */
enum { AGENT_N_RUNS_ON, AGENT_N_VM_NODE, AGENT_N_ID };
PGresult *store_agents_of_nodes_brief(db *d, rpc_status *st);

/* ---- the PMM Server's initial agents (inventoryd's fixtures) ------------- */

/* The PMM Server's pmm-agent, id "pmm-server" on node "pmm-server". */
int store_agents_add_server_pmm_agent(db *d, rpc_status *st);
/* Its node_exporter. */
int store_agents_add_server_node_exporter(db *d, const char *agent_id, rpc_status *st);
/* An agent of the server's pmm-agent for its PostgreSQL service:
 * credentials in plain text (sealed at start), qan_options a JSON object. */
int store_agents_add_server_pg_agent(db *d, const char *agent_id, const char *agent_type, const char *service_id,
                                     bool disabled, bool tls, bool tls_skip_verify, const char *username,
                                     const char *password, const char *qan_options, rpc_status *st);

/* ---- what configd scrapes ------------------------------------------------ */

/* The agents that may get scrape jobs (enabled, with a listen port, of a
 * type that exports metrics), each with its pmm-agent's version, the
 * address of the node it is scraped on, its node and its service, one row
 * each, columns in this order: */
enum {
    SCRAPE_C_ID, SCRAPE_C_TYPE, SCRAPE_C_LABELS, SCRAPE_C_PORT, SCRAPE_C_AGENT_PASSWORD, SCRAPE_C_USERNAME,
    SCRAPE_C_PASSWORD, SCRAPE_C_SCHEME, SCRAPE_C_PATH, SCRAPE_C_DISABLED, SCRAPE_C_HR, SCRAPE_C_MR,
    SCRAPE_C_LR, SCRAPE_C_MONGO_ALL, SCRAPE_C_TS_LIMIT, SCRAPE_C_TABLE_COUNT, SCRAPE_C_PMM_AGENT,
    SCRAPE_C_VERSION, SCRAPE_C_HOST, SCRAPE_N_ID, SCRAPE_N_NAME, SCRAPE_N_TYPE, SCRAPE_N_MACHINE,
    SCRAPE_N_CONTAINER_ID, SCRAPE_N_CONTAINER_NAME, SCRAPE_N_MODEL, SCRAPE_N_REGION, SCRAPE_N_AZ,
    SCRAPE_N_DISTRO, SCRAPE_N_LABELS, SCRAPE_S_ID, SCRAPE_S_NAME, SCRAPE_S_TYPE, SCRAPE_S_ENV,
    SCRAPE_S_CLUSTER, SCRAPE_S_RS, SCRAPE_S_GROUP, SCRAPE_S_LABELS
};

/* Of those, the ones scraped by the server (not pushing); ids (text[]):
 * only these agents and the agents of these pmm-agents; NULL: all. */
PGresult *store_agents_scrape_targets(db *d, const char *ids, rpc_status *st);
/* Of those, the pushing ones of pmm_agent_id (its vmagent scrapes them). */
PGresult *store_agents_push_targets(db *d, const char *pmm_agent_id, rpc_status *st);

/* ---- the internal PostgreSQL's QAN agent (configd's settings) ------------ */

/* Whether the pmm-server's pg_stat_statements QAN agent is enabled. */
int store_agents_internal_pg_qan(db *d, bool *enabled, rpc_status *st);
/* Enables or disables it (enable_internal_pg_qan). */
int store_agents_set_internal_pg_qan(db *d, bool enabled, rpc_status *st);

/* ---- a pmm-agent connecting (agentsd) ------------------------------------ */

/* The pmm-agent's row locked for its admission, with its node: columns
 * (agent_type, runs_on_node_id, node_id, node_name, version_differs from
 * version); no row when there is no such agent. */
PGresult *store_agents_lock_for_admission(db *d, const char *agent_id, const char *version, rpc_status *st);
int store_agents_set_version(db *d, const char *agent_id, const char *version, rpc_status *st);
/* Makes the vmagent (push metrics) of pmm_agent_id on node_id with id
 * new_id unless it has one; *made tells whether it did. */
int store_agents_add_vmagent(db *d, const char *new_id, const char *pmm_agent_id, const char *node_id, bool *made,
                             rpc_status *st);
/* is_connected true for the pmm-agents in on (text[]), false for those in
 * off, in one statement; rows already right are not written. */
int store_agents_set_connected(db *d, const char *on, const char *off, rpc_status *st);
/* is_connected true for the pmm-agents in live (text[]), false for every
 * other pmm-agent. */
int store_agents_reconcile_connected(db *d, const char *live, rpc_status *st);
/* A StateChanged of pmm_agent_id: for its child agent_id (by_rds_key: each
 * of its rds_exporters of that AWS access key instead) the status name
 * (DONE when disabled), listen port (0: NULL), exec path and version (""
 * NULL), written only where something differs. Columns per changed row:
 * (port_changed bool, pmm_agent_has_vmagent bool). */
PGresult *store_agents_apply_state(db *d, const char *pmm_agent_id, const char *agent_id_or_key, bool by_rds_key,
                                   const char *status, const char *listen_port, const char *exec_path,
                                   const char *version, rpc_status *st);

#endif
