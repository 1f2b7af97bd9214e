/* internal: what the management/ files share: the handlers
 * the method table (management.c) lists, and small helpers for building
 * their messages. Not used outside inventoryd's management files. */
#ifndef INVENTORYD_MANAGEMENT_INTERNAL_H
#define INVENTORYD_MANAGEMENT_INTERNAL_H

#include <stdbool.h>
#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>

#include "inventoryd/app.h"
#include "bus/bus.h"

/* management.v1.MetricsMode */
#define MGMT_METRICS_MODE_UNSPECIFIED 0
#define MGMT_METRICS_MODE_PUSH 2

/* Upstream's isPushMode: PUSH, and UNSPECIFIED ("auto") too. */
#define MGMT_PUSH_MODE(mode) ((mode) == MGMT_METRICS_MODE_PUSH || (mode) == MGMT_METRICS_MODE_UNSPECIFIED)

/* ---- handlers ------------------------------------------------------------- */
int mgmt_register_node(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_unregister_node(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_list_nodes(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_get_node(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_list_agents(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_list_agent_versions(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_add_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_remove_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_list_services(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_discover_rds(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_discover_azure(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_add_azure(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);
int mgmt_add_annotation(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);

/* ---- helpers (util.c) ------------------------------------------ */

/* Copies every field of src into the field of the same name and type in
 * dst (scalars, strings, enums, repeated strings, string maps), except the
 * names in skip (NULL-terminated, may be NULL). Returns 0 or -1 (ENOMEM). */
int mgmt_copy_fields(ProtobufCMessage *dst, const ProtobufCMessage *src, const char *const *skip);

/* Sets a google.protobuf.Timestamp field from "seconds" and "micros" texts
 * (as the SQL of these files selects them). Returns 0 or -1. */
int mgmt_set_timestamp(ProtobufCMessage *m, const char *field, const char *seconds, const char *micros);

/* Upstream's supportedMetricsMode + isPushMode for exporters run by
 * pmm_agent_id: auto pushes, except on the PMM Server's own pmm-agent,
 * which refuses push. */
int mgmt_push_metrics(int mode, const char *pmm_agent_id, bool *push, rpc_status *st);

/* A new message of the type of field member of descriptor d (a oneof
 * member of a request or response); NULL on ENOMEM or no such member. */
ProtobufCMessage *mgmt_new_member(const ProtobufCMessageDescriptor *d, const char *member);

/* An inventory Add…Params of member (in request descriptor d) filled from
 * the management request p by field name, without what skip lists. NULL
 * on ENOMEM. */
ProtobufCMessage *mgmt_params_from(const ProtobufCMessageDescriptor *d, const char *member, const ProtobufCMessage *p,
                                   const char *const *skip);

/* Creates an agent of the kind whose AddAgentRequest member is member from
 * params, inside the caller's transaction; sets result field `field` of
 * result to it and copies its id to id. (util.c) */
int mgmt_create_agent(db *d, const char *member, const ProtobufCMessage *params, ProtobufCMessage *result,
                      const char *field, char *id, size_t id_len, rpc_status *st);

/* AddService for RDS (rds.c): p is AddRDSServiceParams. */
int mgmt_add_rds(rpc_ctx *ctx, const ProtobufCMessage *p, ProtobufCMessage **out);

/* Appends to repeated message field `field` of m one message per object of
 * the JSON array text (NULL or "" = none), setting its string and bool
 * members by key; how one query brings each row's children along
 * (json_agg) instead of one query per row. Returns 0 or -1. */
int mgmt_append_json_objects(ProtobufCMessage *m, const char *field, const char *json_text);

/* A cell as a string: "" for NULL. */
const char *mgmt_cell(PGresult *r, int row, int col);

/* How long outgoing calls may take: what is left of the caller's
 * deadline (less a margin to answer), at most max_ms. */
long mgmt_time_left(const rpc_ctx *ctx, long max_ms);

/* Ends the transaction a handler began: commit when rc is RPC_OK, else
 * roll back. Returns the final code (st set on failure). */
int mgmt_end_tx(db *d, rpc_status *st, int rc);

/* The node of a service request: exactly one of node_id, node_name and
 * add_node (upstream's nodeID()). An existing node must be generic or
 * container; add_node creates a remote node at address inside the
 * caller's transaction. id gets the node id. */
int mgmt_resolve_node(db *d, const char *node_id, const char *node_name, const ProtobufCMessage *add_node,
                      const char *address, char *id, size_t id_len, rpc_status *st);

/* Unless the caller skips it: the connection check and service info of a
 * new service's exporter agent_id through its pmm-agent (the server's for
 * external and HAProxy exporters that do not push), inside the caller's
 * transaction (check.c). MySQL's table count goes to the agent
 * (and *table_count when not NULL), the server version to the service.
 * RPC code. */
int mgmt_check_service(db *d, const char *service_id, const char *agent_id, int32_t *table_count, rpc_status *st);

#endif
