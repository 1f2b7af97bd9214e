/* check: internal.v1.AgentsService/CheckService, upstream's
 * ConnectionChecker and ServiceInfoBroker for management AddService. */
#ifndef AGENTSD_CHECK_H
#define AGENTSD_CHECK_H

#include <stddef.h>

#include "bus/bus.h"

extern const rpc_method check_methods[];
extern const size_t check_methods_count;

#endif
