/* credential_events: credentials.changed hints (see credential_events.h). */
#include "bus/credential_events.h"

#include <stdio.h>
#include <string.h>

#include <msgpack.h>


void credential_events_changed(bus_pub *pub, const char *kind, const char *name)
{
    bus_pub_send_strings(pub, CREDENTIAL_EVENTS_TOPIC, 2, (const char *[]){ "kind", "name" },
                         (const char *[]){ kind, name ? name : "" });
}

static int copy_str(const msgpack_object *o, char *out, size_t len)
{
    if (o->type != MSGPACK_OBJECT_STR || len == 0)
        return -1;
    snprintf(out, len, "%.*s", (int)o->via.str.size, o->via.str.ptr);
    return 0;
}

int credential_events_parse(const uint8_t *payload, size_t len, char *kind, size_t kind_len, char *name,
                            size_t name_len)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = -1;
    if (msgpack_unpack_next(&u, (const char *)payload, len, NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        int have = 0;
        kind[0] = name[0] = '\0';
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR)
                continue;
            if (kv->key.via.str.size == 4 && memcmp(kv->key.via.str.ptr, "kind", 4) == 0)
                have |= copy_str(&kv->val, kind, kind_len) == 0 ? 1 : 0;
            else if (kv->key.via.str.size == 4 && memcmp(kv->key.via.str.ptr, "name", 4) == 0)
                have |= copy_str(&kv->val, name, name_len) == 0 ? 2 : 0;
        }
        rc = have == 3 ? 0 : -1;
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}
