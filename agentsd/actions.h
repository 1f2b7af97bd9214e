/* actions: actions.v1.ActionsService (api.md §4.4, agent-protocol.md §13):
 * an action row in action_results, a StartActionRequest to the pmm-agent
 * that runs it, the agent's ActionResult written back to the row, read by
 * GetAction. */
#ifndef AGENTSD_ACTIONS_H
#define AGENTSD_ACTIONS_H

#include <stddef.h>

#include "agent/v1/agent.pb-c.h"
#include "bus/bus.h"
#include "conn.h"

extern const rpc_method actions_methods[];
extern const size_t actions_methods_count;

/* How requests reach a pmm-agent: main.c sets conn_request (agentsd/conn.h);
 * tests put a fake agent here. */
extern conn_sender actions_send;

/* An ActionResultRequest from pmm_agent_id (msg) written to its row, as
 * upstream's handler does (each part replaces the row's output). d is the
 * caller's db. Returns an RPC code. For protocol_set_handler. */
int actions_store_result(void *d, const char *pmm_agent_id, const Agent__V1__AgentMessage *msg);

#endif
