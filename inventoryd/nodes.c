/* nodes: inventory.v1.NodesService (AddNode, GetNode, ListNodes,
 * RemoveNode) with upstream's validation texts and codes. */
#include "nodes.h"

#include <string.h>

#include "app.h"
#include "events.h"
#include "inventory/v1/nodes.pb-c.h"
#include "node_model.h"
#include "pbutil.h"
#include "validate.h"

static int add_node(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const node_kind *k = node_kind_by_add_member(pb_oneof_selected(in, "generic"));
    const ProtobufCMessage *p = k ? pb_get_msg(in, k->add_member) : NULL;
    /* The oneof is not required upstream: its handler's fmt.Errorf("invalid
     * request %v") is an unexpected error, which pmm-managed's interceptor
     * answers as Internal. */
    if (!p)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "Internal server error.");
    if (validate_min_len(&ctx->status, pb_get_str(p, "node_name"), 1, k->add_params, "NodeName") ||
        validate_min_len(&ctx->status, pb_get_str(p, "address"), 1, k->add_params, "Address") ||
        (k->region_required && validate_min_len(&ctx->status, pb_get_str(p, "region"), 1, k->add_params, "Region")))
        return validate_embedded(&ctx->status, "AddNodeRequest", k->add_member);

    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    ProtobufCMessage *node = NULL;
    if (node_create(w->db, k, p, &node, &ctx->status) || db_commit(w->db, &ctx->status)) {
        db_rollback(w->db);
        if (node)
            protobuf_c_message_free_unpacked(node, NULL);
        return ctx->status.code;
    }
    events_inventory_changed(APP(w)->pub, "node", "add", pb_get_str(node, "node_id"));
    return pb_respond(&ctx->status, &inventory__v1__add_node_response__descriptor, k->member, node, out);
}

static int get_node(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *id = pb_get_str(in, "node_id");
    if (validate_min_len(&ctx->status, id, 1, "GetNodeRequest", "NodeId"))
        return ctx->status.code;
    const node_kind *k;
    ProtobufCMessage *node;
    if (node_get(w->db, id, &k, &node, &ctx->status))
        return ctx->status.code;
    return pb_respond(&ctx->status, &inventory__v1__get_node_response__descriptor, k->member, node, out);
}

static int list_nodes(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    ProtobufCMessage *resp = pb_new(&inventory__v1__list_nodes_response__descriptor);
    if (!resp)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    if (node_list(w->db, pb_get_i32(in, "node_type"), resp, &ctx->status)) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return ctx->status.code;
    }
    *out = resp;
    return RPC_OK;
}

static int remove_node(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *id = pb_get_str(in, "node_id");
    if (validate_min_len(&ctx->status, id, 1, "RemoveNodeRequest", "NodeId"))
        return ctx->status.code;
    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    if (node_remove(w->db, id, pb_get_bool(in, "force"), &ctx->status) || db_commit(w->db, &ctx->status)) {
        db_rollback(w->db);
        return ctx->status.code;
    }
    events_inventory_changed(APP(w)->pub, "node", "remove", id);
    *out = pb_new(&inventory__v1__remove_node_response__descriptor);
    return *out ? RPC_OK : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
}

const rpc_method nodes_methods[] = {
    { "/inventory.v1.NodesService/AddNode", &inventory__v1__add_node_request__descriptor, add_node },
    { "/inventory.v1.NodesService/GetNode", &inventory__v1__get_node_request__descriptor, get_node },
    { "/inventory.v1.NodesService/ListNodes", &inventory__v1__list_nodes_request__descriptor, list_nodes },
    { "/inventory.v1.NodesService/RemoveNode", &inventory__v1__remove_node_request__descriptor, remove_node },
};
const size_t nodes_methods_count = sizeof nodes_methods / sizeof *nodes_methods;
