/* nodes: the inventory.v1.NodesService handlers. */
#ifndef INVENTORYD_NODES_H
#define INVENTORYD_NODES_H

#include "bus/bus.h"

extern const rpc_method nodes_methods[];
extern const size_t nodes_methods_count;

#endif
