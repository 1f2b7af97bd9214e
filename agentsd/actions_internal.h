/* actions_internal: what actions.c and actions_start.c share. */
#ifndef AGENTSD_ACTIONS_INTERNAL_H
#define AGENTSD_ACTIONS_INTERNAL_H

#include <stdbool.h>

#include <jansson.h>

#include "actions.h"
#include "agentsd/service_dsn.h"
#include "agentsd/state/dsn.h"
#include "db/db.h"

/* Default timeouts (managed/services/agents/actions.go). */
#define ACTION_TIMEOUT_S 10
#define ACTION_PT_TIMEOUT_S 30
#define ACTION_QUERY_TIMEOUT_S 15

/* prepareServiceAction(WithFiles): the pmm-agent (pmm_agent_id, or the
 * service's only one when ""), the service's agent and its DSN naming
 * database ("": the service's); the service is looked up first when files
 * are wanted, as upstream does (actions_start.c). Clear t with sdsn_clear. */
int action_target_prepare(db *d, const char *service_id, const char *pmm_agent_id, const char *database, bool files,
                          sdsn_target *t, rpc_status *st);
/* A new StartActionRequest params message of member with the target's DSN
 * set, and its TextFiles in *tf for the caller to attach (or free); NULL
 * on ENOMEM. */
ProtobufCMessage *action_dsn_params(const char *member, const sdsn_target *t, ProtobufCMessage **tf);

/* A new action_results row for pmm_agent_id, its id into id (37 bytes). */
int action_create(db *d, const char *pmm_agent_id, char *id, rpc_status *st);

/* Sends StartActionRequest {action_id, timeout, <params_field> = params}
 * to pmm_agent_id. Takes params. */
int action_start(const char *pmm_agent_id, const char *action_id, int timeout_s, const char *params_field,
                 ProtobufCMessage *params, rpc_status *st);

/* Waits until the rows of ids (n) are done or deadline_ms (monotonic)
 * passes: woken by each stored result, and re-reading the rows every
 * second as upstream polls them. */
void action_wait_done(db *d, const char *const *ids, size_t n, int64_t deadline_ms);

/* StartServiceAction, StartPTSummaryAction (actions_start.c). */
int actions_start_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int actions_start_pt_summary(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);

#endif
