/* vmagent: what agentsd knows about the vmagent every pmm-agent runs in
 * push mode (config-rendering.md §5.8): its agents row, made at connect
 * (vmagent_row.c), and where it writes (state/vmagent.c). */
#ifndef AGENTSD_VMAGENT_H
#define AGENTSD_VMAGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"
#include "rpc.h"

/* Upstream ExternalVM for PMM_VM_URL (unset: the internal
 * http://127.0.0.1:9090/prometheus/). When external, url gets the URL
 * without user info and ending in '/', user and pass its user info. */
bool vmagent_vm_external(char *url, size_t urllen, char *user, size_t userlen, char *pass, size_t passlen);

/* Inside the caller's transaction: creates the vmagent agent (push
 * metrics, on node runs_on_node_id) of pmm_agent_id unless it has one, or
 * it runs on pmm-server with the internal VictoriaMetrics (upstream
 * addVMAgentToPMMAgent). *created: the new agent's id (malloc'd) or NULL.
 * Returns an RPC code. */
int vmagent_row_ensure(db *d, const char *pmm_agent_id, const char *runs_on_node_id, char **created, rpc_status *st);

#endif
