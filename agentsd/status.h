/* status: what agentsd writes to and reads from PostgreSQL about pmm-agent
 * connections: admission (upstream's Registry.authenticate), is_connected,
 * child agent status from StateChanged, and the fingerprints that tell
 * which pmm-agents' desired state changed. */
#ifndef AGENTSD_STATUS_H
#define AGENTSD_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/v1/agent.pb-c.h"
#include "db/db.h"
#include "rpc.h"

typedef struct {
    char *node_id;       /* the node the pmm-agent runs on */
    char *node_name;
    char *vmagent_id;    /* the vmagent agent made for it now, or NULL */
} status_admission;

/* Checks that agent_id names a pmm-agent with a node and that version
 * parses, and stores the version, in one transaction. Upstream's codes and
 * texts (PERMISSION_DENIED, INVALID_ARGUMENT). Free out with
 * status_admission_clear. */
int status_admit(db *d, const char *agent_id, const char *version, status_admission *out, rpc_status *st);
void status_admission_clear(status_admission *a);

/* agents.is_connected: true for the pmm-agents in on, false for those in
 * off (an id in both is on), in one statement; other agents are ignored. */
int status_set_connected(db *d, const char *const *on, size_t n_on, const char *const *off, size_t n_off,
                         rpc_status *st);
/* Every pmm-agent not in live[0..n) is not connected; those in it are. */
int status_reconcile(db *d, const char *const *live, size_t n, rpc_status *st);

/* Applies a StateChangedRequest from pmm_agent_id: status name, listen
 * port, exec path and version of the agent (or of every member of an
 * rds_exporter group id "<pmm-agent>:rds/<key>"), DONE for a disabled one.
 * Only children of pmm_agent_id are touched. *port_changed tells whether a
 * listen port changed (scrape configuration then changes), *has_vmagent
 * whether pmm_agent_id runs a vmagent (whose SetState carries those
 * ports); *n_updated how many rows changed. */
int status_apply(db *d, const char *pmm_agent_id, const Agent__V1__StateChangedRequest *req,
                 bool *port_changed, bool *has_vmagent, int *n_updated, rpc_status *st);

/* The enum name stored for a status value ("AGENT_STATUS_RUNNING"). */
const char *status_name(int value, char *buf, size_t buflen);

/* Digests of everything about a pmm-agent's children that its SetState is
 * built from (ids, update times, disabled flags, their services): of the
 * n pmm-agents in ids (text[] literal, store_text_array), or of every
 * pmm-agent with children when ids is NULL. Calls fn(pmm_agent_id,
 * digest, arg) for each pmm-agent that has children (no call: ""). */
int status_fingerprints(db *d, const char *ids, void (*fn)(const char *id, const char *digest, void *arg), void *arg,
                        rpc_status *st);

/* Whether each pmm-agent id still exists: returns a PGresult of the ids
 * among ids[] that exist (caller PQclears), NULL on error. */
PGresult *status_existing_pmm_agents(db *d, const char *const *ids, size_t n, rpc_status *st);

#endif
