/* state: the agent.v1 SetStateRequest for one pmm-agent, built from the
 * inventory as upstream's StateUpdater does (agent-protocol.md §12):
 * exporter processes with their arguments, environment, text files and
 * redaction words, QAN built-in agents with their DSNs. Secrets are
 * decrypted into the request (the agent needs them) and never logged. */
#ifndef AGENTSD_STATE_H
#define AGENTSD_STATE_H

#include "agent/v1/agent.pb-c.h"
#include "db/db.h"
#include "rpc.h"

/* Builds the state of pmm-agent pmm_agent_id. agent_version is the version
 * the agent announced on its connection (NULL or "": the stored one).
 * Returns an RPC code: NOT_FOUND for an unknown pmm-agent,
 * FAILED_PRECONDITION for a version that does not parse, INTERNAL for an
 * agent of a type pmm-agent cannot run. On success *out is the caller's,
 * freed with protobuf_c_message_free_unpacked(&(*out)->base, NULL). */
int state_build(db *d, const char *pmm_agent_id, const char *agent_version, Agent__V1__SetStateRequest **out,
                rpc_status *st);

/* state_build for many pmm-agents at once: one snapshot and four queries
 * whatever their number (a fleet reconnecting is built in batches). Each
 * job gets its own req (or NULL), code and message. Returns RPC_OK, or the
 * code of a database failure that every job then carries. */
typedef struct {
    const char *pmm_agent_id, *agent_version;   /* in */
    Agent__V1__SetStateRequest *req;            /* out: the caller's */
    int code;
    char message[RPC_MESSAGE_MAX];
} state_job;
int state_build_many(db *d, state_job *jobs, size_t n);

#endif
