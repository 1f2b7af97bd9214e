/* events: the inventory.changed hint published after every commit, so
 * that agentsd and configd re-read what they need (common/inventory_events.h
 * has the payload). With HA on it also goes to the other nodes through
 * PostgreSQL (db/changes.h). */
#ifndef INVENTORYD_EVENTS_H
#define INVENTORYD_EVENTS_H

#include "bus/inventory_events.h"

void events_inventory_changed(bus_pub *pub, const char *kind, const char *op, const char *id);

#endif
