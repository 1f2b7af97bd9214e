/* events: the inventory.changed hint published after every commit, so
 * that agentsd and configd re-read what they need (common/inventory_events.h
 * has the payload). */
#ifndef INVENTORYD_EVENTS_H
#define INVENTORYD_EVENTS_H

#include "bus/inventory_events.h"

#define events_inventory_changed inventory_events_changed

#endif
