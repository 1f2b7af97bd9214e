/* services: the inventory.v1.ServicesService handlers. */
#ifndef INVENTORYD_SERVICES_H
#define INVENTORYD_SERVICES_H

#include "bus/bus.h"

extern const rpc_method services_methods[];
extern const size_t services_methods_count;

#endif
