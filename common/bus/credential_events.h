/* credential_events: the credentials.changed hint inventoryd publishes
 * when a user or service token may have been revoked (removed, or a new
 * password or role set; pmmctl's changes reach it through PostgreSQL's
 * NOTIFY, common/db/credentials.h), so that every gateway forgets what it
 * cached for that name at once instead of at its cache's expiry.
 * Payload (msgpack): {"kind": "user"|"token"|"all", "name": "..."};
 * "all" (name "") when changes may have been missed (inventoryd was not
 * listening), so everything cached must be asked again. */
#ifndef PMM_CREDENTIAL_EVENTS_H
#define PMM_CREDENTIAL_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"

#define CREDENTIAL_EVENTS_TOPIC "credentials.changed"

/* pub may be NULL (nothing is sent). */
void credential_events_changed(bus_pub *pub, const char *kind, const char *name);

/* Decodes a payload: 0 with kind and name filled (cut to their sizes),
 * -1 when it is not one. */
int credential_events_parse(const uint8_t *payload, size_t len, char *kind, size_t kind_len, char *name,
                            size_t name_len);

#endif
