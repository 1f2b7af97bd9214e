/* events: inventory.changed on this node's bus and, with HA, the others' (events.h). */
#include "events.h"

#include "db/changes.h"

void events_inventory_changed(bus_pub *pub, const char *kind, const char *op, const char *id)
{
    inventory_events_changed(pub, kind, op, id);
    changes_notify(INVENTORY_EVENTS_TOPIC);
}
