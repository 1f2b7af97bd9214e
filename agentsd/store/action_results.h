/* action_results: the statements on the action_results table, which
 * agentsd alone writes and reads (see common/db/store/store.h). */
#ifndef AGENTSD_STORE_ACTION_RESULTS_H
#define AGENTSD_STORE_ACTION_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/store/store.h"

/* A new, not done row id of pmm_agent_id. */
int store_action_results_add(db *d, const char *id, const char *pmm_agent_id, rpc_status *st);
/* Columns (id, pmm_agent_id, done, error, output as bytea text); no row
 * when there is none. */
PGresult *store_action_results_get(db *d, const char *id, rpc_status *st);
/* Replaces the whole row as upstream does (every part replaces the
 * output); *found tells whether the row exists. */
int store_action_results_set(db *d, const char *id, const char *pmm_agent_id, bool done, const char *error,
                             const uint8_t *output, size_t output_len, bool *found, rpc_status *st);
int store_action_results_remove(db *d, const char *id, rpc_status *st);

#endif
