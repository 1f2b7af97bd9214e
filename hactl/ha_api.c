/* ha_api: ha.v1beta1.HAService handlers (see ha_api.h). */
#include "ha_api.h"

#include <string.h>

#include "db/daemon_db.h"
#include "db/store/ha_nodes.h"
#include "ha/v1beta1/ha.pb-c.h"
#include "node.h"
#include "pbutil.h"

#define ALIVE_MS 5000

static int status(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    const ha_api_app *a = ((daemon_worker *)ctx->worker)->app;
    *out = pb_new(&ha__v1beta1__status_response__descriptor);
    if (!*out || pb_set_str(*out, "status", a->enabled ? "Enabled" : "Disabled"))
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}

static int list_nodes(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    daemon_worker *w = ctx->worker;
    const ha_api_app *a = w->app;
    ha_node_row rows[NODE_MAX_MEMBERS * 2];
    size_t n_rows = 0;
    node_view v = { 0 };
    if (a->enabled) {
        node_view_get(&v);
        if (ha_nodes_list(w->db, rows, sizeof rows / sizeof *rows, &n_rows, &ctx->status))
            return ctx->status.code;
    }
    ProtobufCMessage *resp = pb_new(&ha__v1beta1__list_nodes_response__descriptor);
    for (size_t i = 0; resp && i < v.n_members; i++) {
        const ha_node_row *row = NULL;
        for (size_t k = 0; k < n_rows && !row; k++)
            if (strcmp(rows[k].address, v.members[i].address) == 0)
                row = &rows[k];
        ProtobufCMessage *m = pb_new(&ha__v1beta1__hanode__descriptor);
        bool leader = *v.leader_address && strcmp(v.leader_address, v.members[i].address) == 0;
        bool ok = m && !pb_set_str(m, "node_name", row ? row->node_id : v.members[i].address) &&
                  !pb_set_i32(m, "role", leader ? HA__V1BETA1__NODE_ROLE__NODE_ROLE_LEADER
                                                : HA__V1BETA1__NODE_ROLE__NODE_ROLE_FOLLOWER) &&
                  !pb_set_str(m, "status", row && row->age_ms <= ALIVE_MS ? "alive" : "dead");
        if (!ok && m)
            protobuf_c_message_free_unpacked(m, NULL);
        /* pb_append_msg owns m (freed when it fails) */
        if (!ok || pb_append_msg(resp, "nodes", m)) {
            protobuf_c_message_free_unpacked(resp, NULL);
            resp = NULL;
        }
    }
    if (!resp)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    *out = resp;
    return RPC_OK;
}

const rpc_method ha_api_methods[] = {
    { "/ha.v1beta1.HAService/Status", &ha__v1beta1__status_request__descriptor, status },
    { "/ha.v1beta1.HAService/ListNodes", &ha__v1beta1__list_nodes_request__descriptor, list_nodes },
};
const size_t ha_api_methods_count = sizeof ha_api_methods / sizeof *ha_api_methods;
