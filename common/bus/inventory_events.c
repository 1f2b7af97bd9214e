/* inventory_events: inventory.changed hints on the bus (see inventory_events.h). */
#include "bus/inventory_events.h"

#include <string.h>

#include <msgpack.h>

#include "log.h"

static void pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void inventory_events_changed(bus_pub *pub, const char *kind, const char *op, const char *id)
{
    if (!pub)
        return;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pack_str(&pk, "kind");
    pack_str(&pk, kind);
    pack_str(&pk, "op");
    pack_str(&pk, op);
    pack_str(&pk, "ids");
    msgpack_pack_array(&pk, 1);
    pack_str(&pk, id);
    if (bus_pub_send(pub, INVENTORY_EVENTS_TOPIC, sb.data, sb.size) != 0)
        log_warn("could not publish inventory.changed for %s %s", kind, id);
    msgpack_sbuffer_destroy(&sb);
}
