/* internal: what the SetState builders of this folder share beyond
 * dsn.h: process messages, auth params and the one-agent builders
 * (exporters.c, qan.c, cloud.c, vmagent.c). */
#ifndef AGENTSD_STATE_INTERNAL_H
#define AGENTSD_STATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "agent/v1/agent.pb-c.h"
#include "dsn.h"
#include "rpc.h"

/* ---- messages ---------------------------------------------------------------- */

/* A new AgentProcess of type with delimiters d, args (sorted by the caller),
 * env and text files (may be NULL) set. NULL on ENOMEM. */
Agent__V1__SetStateRequest__AgentProcess *state_process(int type, delims d, const strv *args, const strv *env,
                                                        json_t *files, const strv *redact);
/* ensureAuthParams: HTTP_AUTH env for agents older than min_auth, else the
 * web config text file and its flag (--web.config.file when new_flag).
 * 0 or -1 (st set). */
int state_auth_params(Agent__V1__SetStateRequest__AgentProcess *p, json_t *agent, const agent_ver *v,
                      const char *min_auth, bool new_flag, rpc_status *st);

/* ---- builders: RPC code, *out the caller's ----------------------------------- */

int state_node_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st);
int state_mysqld_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st);
int state_postgres_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st);
int state_mongodb_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st);
int state_proxysql_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st);
int state_valkey_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st);
int state_azure_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st);
/* One process for the n rds_exporter agents (with their nodes) sharing an
 * AWS access key. */
int state_rds_exporter(json_t *const *agents, json_t *const *nodes, size_t n, const agent_ver *v,
                       Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st);
/* vmagent, with pmm_agent_id's push-mode scrape YAML asked of configd
 * (its code when configd cannot answer). */
int state_vmagent(const char *pmm_agent_id, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st);
int state_qan_agent(const state_src *s, int type, Agent__V1__SetStateRequest__BuiltinAgent **out, rpc_status *st);

#endif
