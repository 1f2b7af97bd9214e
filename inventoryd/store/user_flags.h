/* user_flags: the statements on user_flags, the UI's per-user flags
 * (user.v1; see inventoryd/user_service.c and common/db/store/store.h). */
#ifndef INVENTORYD_STORE_USER_FLAGS_H
#define INVENTORYD_STORE_USER_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "db/store/store.h"

typedef struct {
    bool tour_done;
    bool alerting_tour_done;
    char snoozed_pmm_version[256];
    int snooze_count;
} store_user_flags_row;

/* The user's flags: OK, or NOT_FOUND when the user has no row yet. */
int store_user_flags_get(db *d, uint32_t user_id, store_user_flags_row *out, rpc_status *st);
/* Makes the user's row (all flags off) unless there is one. */
int store_user_flags_ensure(db *d, uint32_t user_id, rpc_status *st);
/* Sets the given flags (NULL: kept). A snoozed version given here also
 * sets snoozed_at to now and the snooze count to 1 (upstream's UpdateUser). */
int store_user_flags_update(db *d, uint32_t user_id, const bool *tour_done, const bool *alerting_tour_done,
                            const char *snoozed_pmm_version, rpc_status *st);

#endif
