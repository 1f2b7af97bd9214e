/* inventory_events: the inventory.changed hint every daemon that commits
 * an inventory change publishes (inventoryd for the API, agentsd for
 * statuses and ports reported by pmm-agents, the vmagents it creates), so
 * that subscribers re-read what they need. Payload (msgpack):
 * {"kind": "node"|"service"|"agent", "op": "add"|"change"|"remove", "ids": [..]} */
#ifndef PMM_INVENTORY_EVENTS_H
#define PMM_INVENTORY_EVENTS_H

#include "bus/bus.h"

#define INVENTORY_EVENTS_TOPIC "inventory.changed"

/* pub may be NULL (nothing is sent). */
void inventory_events_changed(bus_pub *pub, const char *kind, const char *op, const char *id);

#endif
