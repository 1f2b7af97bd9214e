/* protocol: what agentsd does with each message a pmm-agent sends on its
 * stream: the one dispatch switch over agent message kinds. Answers to
 * our requests go to requests.h; Ping, StateChanged, QANCollect,
 * ActionResult, JobResult and JobProgress are handled here or by the
 * handler registered for them; anything else is answered UNIMPLEMENTED as
 * upstream does. A stream that floods or sends what does not parse is
 * ended. Every frame is credited to its gateway once done with
 * (credit.h): at once, or once its database work is. Stream loop thread
 * only. */
#ifndef AGENTSD_PROTOCOL_H
#define AGENTSD_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "agent/v1/agent.pb-c.h"
#include "bus/bus.h"
#include "streams.h"

/* Where agent messages become events: inventory.changed after a
 * StateChanged, job.result / job.progress. */
void protocol_init(bus_pub *pub);

/* A handler of agent requests other modules answer (ActionResult): runs
 * on a database thread with its connection and returns an RPC code (only
 * logged); the request is acknowledged after it, as upstream. Register
 * before the stream loop starts. */
typedef int (*protocol_handler)(void *db, const char *pmm_agent_id, const Agent__V1__AgentMessage *msg);
void protocol_set_handler(Agent__V1__AgentMessage__PayloadCase which, protocol_handler fn);

/* One FRAME of c's stream: a packed agent.v1.AgentMessage. */
void protocol_frame(conn *c, const uint8_t *data, size_t len);

#endif
