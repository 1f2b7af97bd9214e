/* agent_logs: inventory.v1.AgentsService/GetAgentLogs, served by agentsd
 * (common/route.c sends it here) because the logs live in the pmm-agent:
 * it asks the agent's pmm-agent with AgentLogsRequest over its stream. */
#ifndef AGENTSD_AGENT_LOGS_H
#define AGENTSD_AGENT_LOGS_H

#include "bus/bus.h"

extern const rpc_method agent_logs_methods[];
extern const size_t agent_logs_methods_count;

#endif
