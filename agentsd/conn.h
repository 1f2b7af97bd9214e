/* conn: requests to a connected pmm-agent from any agentsd thread (bus
 * handlers of actions, jobs, agent logs), carried by the stream loop. */
#ifndef AGENTSD_CONN_H
#define AGENTSD_CONN_H

#include "agent/v1/agent.pb-c.h"
#include "bus/bus.h"
#include "rpc.h"

/* Sends req to pmm_agent_id (the request id is assigned inside; req stays
 * the caller's) and waits up to timeout_ms for the answer. Returns an RPC
 * code: OK with *resp (free with protobuf_c_message_free_unpacked);
 * FAILED_PRECONDITION `pmm-agent with ID "<id>" is not currently
 * connected`; DEADLINE_EXCEEDED; the agent's own status code when it
 * answered with one; UNAVAILABLE when the stream ended meanwhile. */
int conn_request(const char *pmm_agent_id, Agent__V1__ServerMessage *req, int timeout_ms,
                 Agent__V1__AgentMessage **resp, rpc_status *st);

/* conn_request's shape: modules that ask agents (actions, jobs) hold one
 * of these, so that tests can put a fake pmm-agent in its place. */
typedef int (*conn_sender)(const char *pmm_agent_id, Agent__V1__ServerMessage *req, int timeout_ms,
                           Agent__V1__AgentMessage **resp, rpc_status *st);

/* conn_request without waiting: cb(arg, code, message, resp) runs exactly
 * once, on the stream loop thread, with the same outcomes (resp taken by
 * cb, NULL unless OK). 0, or -1 when the request could not be handed to
 * the loop (then cb never runs). */
typedef void (*conn_answer_fn)(void *arg, int code, const char *message, Agent__V1__AgentMessage *resp);
int conn_request_async(const char *pmm_agent_id, Agent__V1__ServerMessage *req, int timeout_ms, conn_answer_fn cb,
                       void *arg);
typedef int (*conn_async_sender)(const char *pmm_agent_id, Agent__V1__ServerMessage *req, int timeout_ms,
                                 conn_answer_fn cb, void *arg);

/* How long a request made for a bus caller may wait for the agent: what
 * is left of the caller's deadline (less a margin to answer it), at most
 * cap_ms. */
int conn_timeout_for(const bus_request *req, int cap_ms);

#endif
