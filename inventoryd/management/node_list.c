/* node_list: ListNodes and GetNode as management.v1
 * UniversalNode, each node's status from VictoriaMetrics'
 * up{job=~".*_hr$"} (one query per request, a hash lookup per node).
 * ListNodes lists each node's agents and services; GetNode does not, as
 * upstream. */
#include "internal.h"

#include <string.h>

#include "management/v1/node.pb-c.h"
#include "inventoryd/node_model.h"
#include "pbutil.h"
#include "validate.h"
#include "rpc.h"
#include "inventoryd/vm.h"

#define UNIVERSAL_NODE_COLUMNS \
    "node_id, node_type, node_name, machine_id, distro, node_model, container_id, container_name, address, " \
    "region, az, custom_labels, " \
    "floor(extract(epoch FROM created_at))::bigint, mod(extract(microseconds FROM created_at)::bigint, 1000000), " \
    "floor(extract(epoch FROM updated_at))::bigint, mod(extract(microseconds FROM updated_at)::bigint, 1000000)"

/* A node's status as upstream: the first series with its node_id (a node
 * has one per *_hr job) 1 -> UP, 0 -> DOWN, another value -> UNSPECIFIED;
 * no series -> UNKNOWN. */
static int node_status(const vm_values *up, const char *node_id)
{
    double v;
    return vm_values_get(up, node_id, &v) ? vm_up_status(v) : MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UNKNOWN;
}

/* upstream's queries; GetNode's names the node (Go %q). */
#define NODE_UP_QUERY "up{job=~\".*_hr$\"}"

static int query_node_up(const app *a, const char *node_id, vm_values **up, rpc_status *st)
{
    if (!node_id)
        return vm_query(a->vm_url, NODE_UP_QUERY, "node_id", VM_KEEP_FIRST, up, st);
    char quoted[RPC_MESSAGE_MAX], query[RPC_MESSAGE_MAX + 64];
    rpc_quote(quoted, sizeof quoted, node_id);
    snprintf(query, sizeof query, "up{job=~\".*_hr$\",node_id=%s}", quoted);
    return vm_query(a->vm_url, query, "node_id", VM_KEEP_FIRST, up, st);
}

/* Columns 0..10 are strings named as the message's fields. */
static ProtobufCMessage *node_from_row(PGresult *r, int row, const vm_values *up)
{
    ProtobufCMessage *m = pb_new(&management__v1__universal_node__descriptor);
    if (!m)
        return NULL;
    int rc = 0;
    for (int c = 0; c <= 10 && rc >= 0; c++)
        rc = pb_set_str(m, PQfname(r, c), mgmt_cell(r, row, c));
    if (rc < 0 || pb_set_map_json(m, "custom_labels", mgmt_cell(r, row, 11)) < 0 ||
        mgmt_set_timestamp(m, "created_at", mgmt_cell(r, row, 12), mgmt_cell(r, row, 13)) != 0 ||
        mgmt_set_timestamp(m, "updated_at", mgmt_cell(r, row, 14), mgmt_cell(r, row, 15)) != 0 ||
        pb_set_i32(m, "status", node_status(up, mgmt_cell(r, row, 0))) < 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

/* Each node's agents (grouped by node_id, else runs_on_node_id, as
 * upstream) and services, as JSON arrays, in the same query. */
#define NODE_CHILDREN \
    ", (SELECT json_agg(json_build_object('agent_id', a.agent_id, 'agent_type', a.agent_type, " \
    "'status', a.status, 'is_connected', a.is_connected) ORDER BY a.agent_id)::text FROM agents a " \
    "WHERE COALESCE(a.node_id, a.runs_on_node_id) = nodes.node_id), " \
    "(SELECT json_agg(json_build_object('service_id', s.service_id, 'service_type', s.service_type, " \
    "'service_name', s.service_name) ORDER BY s.service_id)::text FROM services s WHERE s.node_id = nodes.node_id)"

int mgmt_list_nodes(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    int type = pb_get_i32(in, "node_type");
    const node_kind *k = node_kind_by_enum(type);
    ProtobufCMessage *resp = pb_new(&management__v1__list_nodes_response__descriptor);
    if (!resp)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    if (type && !k) { /* an unknown type matches nothing */
        *out = resp;
        return RPC_OK;
    }
    PGresult *r = db_exec(w->db, &ctx->status,
                          "SELECT " UNIVERSAL_NODE_COLUMNS NODE_CHILDREN " FROM nodes "
                          "WHERE ($1::text IS NULL OR node_type = $1) "
                          "ORDER BY node_id",
                          1, (const char *[]){ k ? k->stored : NULL });
    vm_values *up = NULL; /* after the database, as upstream */
    if (!r || query_node_up(APP(w), NULL, &up, &ctx->status) != RPC_OK) {
        PQclear(r);
        protobuf_c_message_free_unpacked(resp, NULL);
        return ctx->status.code;
    }
    int rc = RPC_OK;
    for (int i = 0; i < PQntuples(r) && rc == RPC_OK; i++) {
        ProtobufCMessage *node = node_from_row(r, i, up);
        if (!node || pb_append_msg(resp, "nodes", node) != 0 ||
            mgmt_append_json_objects(node, "agents", mgmt_cell(r, i, 16)) != 0 ||
            mgmt_append_json_objects(node, "services", mgmt_cell(r, i, 17)) != 0)
            rc = rpc_fail(&ctx->status, RPC_INTERNAL, "failed to build node list");
    }
    PQclear(r);
    vm_values_destroy(&up);
    if (rc != RPC_OK) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return rc;
    }
    *out = resp;
    return RPC_OK;
}

int mgmt_get_node(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *id = pb_get_str(in, "node_id");
    if (validate_min_len(&ctx->status, id, 1, "GetNodeRequest", "NodeId"))
        return ctx->status.code;
    PGresult *r = db_exec(w->db, &ctx->status, "SELECT " UNIVERSAL_NODE_COLUMNS " FROM nodes WHERE node_id = $1", 1,
                          (const char *[]){ id });
    if (!r)
        return ctx->status.code;
    if (PQntuples(r) == 0) {
        PQclear(r);
        char q[RPC_MESSAGE_MAX];
        rpc_quote(q, sizeof q, id);
        return rpc_fail(&ctx->status, RPC_NOT_FOUND, "Node with ID %s not found.", q);
    }
    vm_values *up = NULL;
    if (query_node_up(APP(w), id, &up, &ctx->status) != RPC_OK) {
        PQclear(r);
        return ctx->status.code;
    }
    ProtobufCMessage *node = node_from_row(r, 0, up);
    PQclear(r);
    vm_values_destroy(&up);
    if (!node)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "failed to build node");
    return pb_respond(&ctx->status, &management__v1__get_node_response__descriptor, "node", node, out);
}
