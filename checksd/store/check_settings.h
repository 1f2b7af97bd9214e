/* check_settings: the statements on check_settings (per-check interval
 * overrides, upstream models/check_settings_helpers.go), which checksd
 * alone reads and writes (see common/db/store/store.h). */
#ifndef CHECKSD_STORE_CHECK_SETTINGS_H
#define CHECKSD_STORE_CHECK_SETTINGS_H

#include "db/store/store.h"

/* Every override as records {name, interval}. */
json_t *store_check_settings_list(db *d, rpc_status *st);
/* Sets name's interval ("standard", "frequent", "rare"). */
int store_check_settings_set(db *d, const char *name, const char *interval, rpc_status *st);

#endif
