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

/* Whether QAN of PMM Server's own PostgreSQL is on: the state of the
 * pmm-server qan-postgresql-pgstatements-agent (no such agent: false). */
int settings_internal_pg_qan(db *d, bool *enabled, rpc_status *st);
/* Turns that agent on or off inside the caller's transaction. */
int settings_set_internal_pg_qan(db *d, bool enabled, rpc_status *st);

/* The settings.changed hint; source is "api" or "env". pub may be NULL. */
void settings_publish_changed(bus_pub *pub, const char *source);

#endif
