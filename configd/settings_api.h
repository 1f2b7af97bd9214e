/* settings_api: server.v1 GetSettings, GetReadOnlySettings and
 * ChangeSettings over common/settings, with upstream's validation, error
 * texts and the refusal to change what the environment set; each
 * committed change is published as settings.changed. */
#ifndef CONFIGD_SETTINGS_API_H
#define CONFIGD_SETTINGS_API_H

#include "bus/bus.h"
#include "db/db.h"
#include "db/settings.h"

extern const rpc_method settings_methods[];
extern const size_t settings_methods_count;

#define SETTINGS_CHANGED_TOPIC "settings.changed"

/* The settings.changed hint; source is "api" or "env". pub may be NULL.
 * With HA on it also goes to the other nodes (db/changes.h). */
void settings_publish_changed(bus_pub *pub, const char *source);

#endif
