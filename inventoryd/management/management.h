/* management: the management.v1.ManagementService handlers (what
 * pmm-admin and pmm-agent setup call: RegisterNode, AddService, ...). */
#ifndef INVENTORYD_MANAGEMENT_H
#define INVENTORYD_MANAGEMENT_H

#include "bus/bus.h"

extern const rpc_method management_methods[];
extern const size_t management_methods_count;

#endif
