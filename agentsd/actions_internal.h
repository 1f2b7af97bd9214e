/* actions_internal: what actions.c and actions_start.c share. */
#ifndef AGENTSD_ACTIONS_INTERNAL_H
#define AGENTSD_ACTIONS_INTERNAL_H

#include <stdbool.h>

#include "actions.h"
#include "db/db.h"

/* Default timeouts (managed/services/agents/actions.go). */
#define ACTION_TIMEOUT_S 10
#define ACTION_PT_TIMEOUT_S 30

/* A new action_results row for pmm_agent_id, its id into id (37 bytes). */
int action_create(db *d, const char *pmm_agent_id, char *id, rpc_status *st);

/* Sends StartActionRequest {action_id, timeout, <params_field> = params}
 * to pmm_agent_id. Takes params. */
int action_start(const char *pmm_agent_id, const char *action_id, int timeout_s, const char *params_field,
                 ProtobufCMessage *params, rpc_status *st);

/* StartServiceAction, StartPTSummaryAction (actions_start.c). */
int actions_start_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int actions_start_pt_summary(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);

#endif
