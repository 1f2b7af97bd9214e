/* agents: the inventory.v1.AgentsService handlers. */
#ifndef INVENTORYD_AGENTS_H
#define INVENTORYD_AGENTS_H

#include "bus/bus.h"

extern const rpc_method agents_methods[];
extern const size_t agents_methods_count;

#endif
