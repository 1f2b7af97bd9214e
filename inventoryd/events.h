/* events: the inventory.changed hint published after every commit, so
 * that agentsd and configd re-read what they need. Payload (msgpack):
 * {"kind": "node"|"service"|"agent", "op": "add"|"change"|"remove", "ids": [..]} */
#ifndef INVENTORYD_EVENTS_H
#define INVENTORYD_EVENTS_H

#include "bus.h"

void events_inventory_changed(bus_pub *pub, const char *kind, const char *op, const char *id);

#endif
