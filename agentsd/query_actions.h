/* query_actions: internal.v1.AgentsService/QueryActions, the advisor
 * check queries checksd asks for (advisors reference §4): each one an
 * action row and a StartActionRequest with the service's DSN on the
 * pmm-agent, then the results awaited (20 s) and the rows removed. */
#ifndef AGENTSD_QUERY_ACTIONS_H
#define AGENTSD_QUERY_ACTIONS_H

#include <stddef.h>

#include "bus/bus.h"

extern const rpc_method query_actions_methods[];
extern const size_t query_actions_methods_count;

#endif
