/* services: inventory.v1.ServicesService (AddService, GetService,
 * ListServices, ListActiveServiceTypes, RemoveService, ChangeService) with
 * upstream's validation texts and codes. Every change runs in one
 * transaction and publishes inventory.changed after the commit. */
#include "services.h"

#include <string.h>

#include "app.h"
#include "events.h"
#include "inventory/v1/services.pb-c.h"
#include "pbutil.h"
#include "validate.h"
#include "service_model.h"

static int add_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const service_kind *k = service_kind_by_member(pb_oneof_selected(in, "mysql"));
    const ProtobufCMessage *p = k ? pb_get_msg(in, k->member) : NULL;
    /* Upstream's handler text for a request with no service in its oneof. */
    if (!p)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "unsupported service type <nil>");
    if (validate_min_len(&ctx->status, pb_get_str(p, "service_name"), 1, k->add_params, "ServiceName") ||
        validate_min_len(&ctx->status, pb_get_str(p, "node_id"), 1, k->add_params, "NodeId"))
        return validate_embedded(&ctx->status, "AddServiceRequest", k->member);

    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    ProtobufCMessage *service = NULL;
    if (service_create(w->db, k, p, &service, &ctx->status) || db_commit(w->db, &ctx->status)) {
        db_rollback(w->db);
        if (service)
            protobuf_c_message_free_unpacked(service, NULL);
        return ctx->status.code;
    }
    events_inventory_changed(APP(w)->pub, "service", "add", pb_get_str(service, "service_id"));
    return pb_respond(&ctx->status, &inventory__v1__add_service_response__descriptor, k->member, service, out);
}

static int get_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *id = pb_get_str(in, "service_id");
    if (validate_min_len(&ctx->status, id, 1, "GetServiceRequest", "ServiceId"))
        return ctx->status.code;
    const service_kind *k;
    ProtobufCMessage *service;
    if (service_get(w->db, id, &k, &service, &ctx->status))
        return ctx->status.code;
    return pb_respond(&ctx->status, &inventory__v1__get_service_response__descriptor, k->member, service, out);
}

static int list_services(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    ProtobufCMessage *resp = pb_new(&inventory__v1__list_services_response__descriptor);
    if (!resp)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    if (service_list(w->db, pb_get_str(in, "node_id"), pb_get_i32(in, "service_type"),
                     pb_get_str(in, "external_group"), resp, &ctx->status)) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return ctx->status.code;
    }
    *out = resp;
    return RPC_OK;
}

static int list_active_service_types(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    ProtobufCMessage *resp = pb_new(&inventory__v1__list_active_service_types_response__descriptor);
    if (!resp)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    if (service_active_types(w->db, resp, &ctx->status)) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return ctx->status.code;
    }
    *out = resp;
    return RPC_OK;
}

static int remove_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *id = pb_get_str(in, "service_id");
    if (validate_min_len(&ctx->status, id, 1, "RemoveServiceRequest", "ServiceId"))
        return ctx->status.code;
    char removed_node[256];
    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    if (service_remove(w->db, id, pb_get_bool(in, "force"), removed_node, sizeof removed_node, &ctx->status) ||
        db_commit(w->db, &ctx->status)) {
        db_rollback(w->db);
        return ctx->status.code;
    }
    events_inventory_changed(APP(w)->pub, "service", "remove", id);
    if (*removed_node)
        events_inventory_changed(APP(w)->pub, "node", "remove", removed_node);
    *out = pb_new(&inventory__v1__remove_service_response__descriptor);
    return *out ? RPC_OK : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
}

static int change_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *id = pb_get_str(in, "service_id");
    if (validate_min_len(&ctx->status, id, 1, "ChangeServiceRequest", "ServiceId"))
        return ctx->status.code;
    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    const service_kind *k;
    ProtobufCMessage *service = NULL;
    if (service_change(w->db, in, &k, &service, &ctx->status) || db_commit(w->db, &ctx->status)) {
        db_rollback(w->db);
        if (service)
            protobuf_c_message_free_unpacked(service, NULL);
        return ctx->status.code;
    }
    events_inventory_changed(APP(w)->pub, "service", "change", id);
    return pb_respond(&ctx->status, &inventory__v1__change_service_response__descriptor, k->member, service, out);
}

const rpc_method services_methods[] = {
    { "/inventory.v1.ServicesService/ListServices", &inventory__v1__list_services_request__descriptor,
      list_services },
    { "/inventory.v1.ServicesService/ListActiveServiceTypes",
      &inventory__v1__list_active_service_types_request__descriptor, list_active_service_types },
    { "/inventory.v1.ServicesService/GetService", &inventory__v1__get_service_request__descriptor, get_service },
    { "/inventory.v1.ServicesService/AddService", &inventory__v1__add_service_request__descriptor, add_service },
    { "/inventory.v1.ServicesService/RemoveService", &inventory__v1__remove_service_request__descriptor,
      remove_service },
    { "/inventory.v1.ServicesService/ChangeService", &inventory__v1__change_service_request__descriptor,
      change_service },
};
const size_t services_methods_count = sizeof services_methods / sizeof *services_methods;
