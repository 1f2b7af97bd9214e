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

/* ---- what configd scrapes -------------------------------------------------- */

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

/* ---- the internal PostgreSQL's QAN agent (configd's settings) --------------- */

/* Whether the pmm-server's pg_stat_statements QAN agent is enabled. */
int store_agents_internal_pg_qan(db *d, bool *enabled, rpc_status *st);
/* Enables or disables it (enable_internal_pg_qan). */
int store_agents_set_internal_pg_qan(db *d, bool enabled, rpc_status *st);

/* ---- a pmm-agent connecting (agentsd) ---------------------------------------- */

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
