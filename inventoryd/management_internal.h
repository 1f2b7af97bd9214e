/* management_internal: what the management_*.c files share: the handlers
 * the method table (management.c) lists, and small helpers for building
 * their messages. Not used outside inventoryd's management files. */
#ifndef INVENTORYD_MANAGEMENT_INTERNAL_H
#define INVENTORYD_MANAGEMENT_INTERNAL_H

#include <stdbool.h>
#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>

#include "app.h"
#include "bus.h"

/* management.v1.MetricsMode */
#define MGMT_METRICS_MODE_PUSH 2

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

/* ---- helpers (management_util.c) ------------------------------------------ */

/* protoc-gen-validate's text for a min_len 1 string rule. */
int mgmt_require(rpc_status *st, const char *value, const char *msg, const char *field);

/* Copies every field of src into the field of the same name and type in
 * dst (scalars, strings, enums, repeated strings, string maps), except the
 * names in skip (NULL-terminated, may be NULL). Returns 0 or -1 (ENOMEM). */
int mgmt_copy_fields(ProtobufCMessage *dst, const ProtobufCMessage *src, const char *const *skip);

/* Sets a google.protobuf.Timestamp field from "seconds" and "micros" texts
 * (as the SQL of these files selects them). Returns 0 or -1. */
int mgmt_set_timestamp(ProtobufCMessage *m, const char *field, const char *seconds, const char *micros);

/* A new message of the type of field member of descriptor d (a oneof
 * member of a request or response); NULL on ENOMEM or no such member. */
ProtobufCMessage *mgmt_new_member(const ProtobufCMessageDescriptor *d, const char *member);

/* Creates an agent of the kind whose AddAgentRequest member is member from
 * params, inside the caller's transaction; sets result field `field` of
 * result to it and copies its id to id. (management_util.c) */
int mgmt_create_agent(db *d, const char *member, const ProtobufCMessage *params, ProtobufCMessage *result,
                      const char *field, char *id, size_t id_len, rpc_status *st);

/* AddService for RDS (management_rds.c): p is AddRDSServiceParams. */
int mgmt_add_rds(rpc_ctx *ctx, const ProtobufCMessage *p, ProtobufCMessage **out);

/* A cell as a string: "" for NULL. */
const char *mgmt_cell(PGresult *r, int row, int col);

/* Ends the transaction a handler began: commit when rc is RPC_OK, else
 * roll back. Returns the final code (st set on failure). */
int mgmt_end_tx(db *d, rpc_status *st, int rc);

/* The node of a service or agent request: exactly one of node_id,
 * node_name and add_node (upstream's nodeID()); add_node creates the node
 * at address inside the caller's transaction. id gets the node id. */
int mgmt_resolve_node(db *d, const char *node_id, const char *node_name, const ProtobufCMessage *add_node,
                      const char *address, char *id, size_t id_len, rpc_status *st);

/* ---- shared builders ------------------------------------------------------- */

/* Appends to resp's repeated field `field` the agents matching where (an SQL
 * condition on agents a, with $1 as its only parameter) as
 * management.v1.UniversalAgent; full=false gives only the id, type, status
 * and is_connected (ListServices' form). (management_agents.c) */
int mgmt_append_agents(db *d, const char *where, const char *param, bool full, ProtobufCMessage *resp,
                       const char *field, rpc_status *st);

/* The where of mgmt_append_agents for service $1: upstream's IsNodeAgent
 * (the service's node's pmm-agent), IsVMAgent and IsServiceAgent. */
#define MGMT_AGENTS_OF_SERVICE \
    "(a.service_id = $1 OR EXISTS (SELECT 1 FROM services s WHERE s.service_id = $1 AND " \
    "((a.service_id IS NULL AND a.runs_on_node_id = s.node_id) OR " \
    "(a.node_id = s.node_id AND a.agent_type = 'vmagent'))))"

#endif
