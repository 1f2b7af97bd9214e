/* agents: inventory.v1.AgentsService (AddAgent, GetAgent, ListAgents,
 * ChangeAgent, RemoveAgent) with upstream's validation texts and codes.
 * The per-kind work is table driven in agent_model.c. */
#include "agents.h"

#include <string.h>

#include "agent_model.h"
#include "app.h"
#include "events.h"
#include "google/protobuf/duration.pb-c.h"
#include "inventory/v1/agents.pb-c.h"
#include "pbutil.h"
#include "validate.h"

/* connection_timeout {gte: 0s} of Add/Change params that have one, when set. */
static int check_connection_timeout(rpc_status *st, const ProtobufCMessage *p)
{
    const Google__Protobuf__Duration *d = (const Google__Protobuf__Duration *)pb_get_msg(p, "connection_timeout");
    if (!d)
        return RPC_OK;
    static const validate_time_rules gte0 = { .has = VALIDATE_GTE, .gte = { 0, 0 } };
    return validate_duration(st, (validate_time){ d->seconds, d->nanos }, &gte0, p->descriptor->short_name,
                             "ConnectionTimeout");
}

/* The rules of kind k's Add params in field order: the min_len 1 fields
 * ("proto_name:GoName"), listen_port {gt: 0, lt: 65536} of external
 * exporters, connection_timeout {gte: 0s}. */
static int require_fields(rpc_status *st, const agent_kind *k, const ProtobufCMessage *p)
{
    for (int i = 0; i < 4 && k->required[i]; i++) {
        char name[64], go[64];
        const char *rule = "";
        snprintf(name, sizeof name, "%s", k->required[i]);
        char *colon = strchr(name, ':'), *colon2 = colon ? strchr(colon + 1, ':') : NULL;
        if (colon2) {
            *colon2 = '\0';
            rule = colon2 + 1;
        }
        snprintf(go, sizeof go, "%s", colon ? colon + 1 : name);
        if (colon)
            *colon = '\0';
        int rc = strcmp(rule, "uuid") == 0 ? validate_uuid(st, pb_get_str(p, name), k->add_params, go)
                                           : validate_min_len(st, pb_get_str(p, name), 1, k->add_params, go);
        if (rc)
            return st->code;
    }
    if (k->attach == ATTACH_EXTERNAL &&
        validate_int(st, pb_get_u32(p, "listen_port"), &validate_port_rules, k->add_params, "ListenPort"))
        return st->code;
    return check_connection_timeout(st, p);
}

/* Ends the transaction a handler began: commits when the work (whose
 * result is rc_of_fn) succeeded, else rolls back. */
static int in_tx(worker *w, rpc_status *st, int rc_of_fn)
{
    if (rc_of_fn != RPC_OK || db_commit(w->db, st) != RPC_OK) {
        db_rollback(w->db);
        return st->code ? st->code : RPC_INTERNAL;
    }
    return RPC_OK;
}

static int add_agent(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const agent_kind *k = agent_kind_by_add_member(pb_oneof_selected(in, "pmm_agent"));
    const ProtobufCMessage *p = k ? pb_get_msg(in, k->add_member) : NULL;
    /* The oneof is not required upstream: its handler's fmt.Errorf("invalid
     * request %v") is an unexpected error, answered as Internal. */
    if (!p)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "Internal server error.");
    if (require_fields(&ctx->status, k, p))
        return validate_embedded(&ctx->status, "AddAgentRequest", k->add_member);
    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    ProtobufCMessage *agent = NULL;
    if (in_tx(w, &ctx->status, agent_create(w->db, k, p, &agent, &ctx->status))) {
        if (agent)
            protobuf_c_message_free_unpacked(agent, NULL);
        return ctx->status.code;
    }
    events_inventory_changed(APP(w)->pub, "agent", "add", pb_get_str(agent, "agent_id"));
    return pb_respond(&ctx->status, &inventory__v1__add_agent_response__descriptor, k->add_member, agent, out);
}

static int get_agent(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *id = pb_get_str(in, "agent_id");
    if (validate_min_len(&ctx->status, id, 36, "GetAgentRequest", "AgentId"))
        return ctx->status.code;
    const agent_kind *k;
    ProtobufCMessage *agent;
    if (agent_get(w->db, id, &k, &agent, &ctx->status))
        return ctx->status.code;
    return pb_respond(&ctx->status, &inventory__v1__get_agent_response__descriptor, k->get_member, agent, out);
}

static int list_agents(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *pmm = pb_get_str(in, "pmm_agent_id"), *node = pb_get_str(in, "node_id"),
               *svc = pb_get_str(in, "service_id");
    if ((*pmm != 0) + (*node != 0) + (*svc != 0) > 1)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT,
                        "expected at most one param: pmm_agent_id, node_id or service_id");
    ProtobufCMessage *resp = pb_new(&inventory__v1__list_agents_response__descriptor);
    if (!resp)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    if (agent_list(w->db, pmm, node, svc, pb_get_i32(in, "agent_type"), resp, &ctx->status)) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return ctx->status.code;
    }
    *out = resp;
    return RPC_OK;
}

static int change_agent(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *id = pb_get_str(in, "agent_id");
    if (validate_min_len(&ctx->status, id, 1, "ChangeAgentRequest", "AgentId"))
        return ctx->status.code;
    const char *member = pb_oneof_selected(in, "node_exporter");
    const ProtobufCMessage *p = member ? pb_get_msg(in, member) : NULL;
    /* As in AddAgent: the oneof is not required, the handler's
     * fmt.Errorf("invalid request %v") is answered as Internal. */
    if (!p)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "Internal server error.");
    if (pb_has(p, "listen_port") && validate_int(&ctx->status, pb_get_u32(p, "listen_port"), &validate_port_rules,
                                                 p->descriptor->short_name, "ListenPort"))
        return validate_embedded(&ctx->status, "ChangeAgentRequest", member);
    if (check_connection_timeout(&ctx->status, p))
        return validate_embedded(&ctx->status, "ChangeAgentRequest", member);
    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    ProtobufCMessage *agent = NULL;
    if (in_tx(w, &ctx->status, agent_change(w->db, id, member, p, &agent, &ctx->status))) {
        if (agent)
            protobuf_c_message_free_unpacked(agent, NULL);
        return ctx->status.code;
    }
    events_inventory_changed(APP(w)->pub, "agent", "change", id);
    return pb_respond(&ctx->status, &inventory__v1__change_agent_response__descriptor, member, agent, out);
}

static int remove_agent(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *id = pb_get_str(in, "agent_id");
    if (validate_min_len(&ctx->status, id, 1, "RemoveAgentRequest", "AgentId"))
        return ctx->status.code;
    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    if (in_tx(w, &ctx->status, agent_remove(w->db, id, pb_get_bool(in, "force"), &ctx->status)))
        return ctx->status.code;
    events_inventory_changed(APP(w)->pub, "agent", "remove", id);
    *out = pb_new(&inventory__v1__remove_agent_response__descriptor);
    return *out ? RPC_OK : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
}

const rpc_method agents_methods[] = {
    { "/inventory.v1.AgentsService/AddAgent", &inventory__v1__add_agent_request__descriptor, add_agent },
    { "/inventory.v1.AgentsService/GetAgent", &inventory__v1__get_agent_request__descriptor, get_agent },
    { "/inventory.v1.AgentsService/ListAgents", &inventory__v1__list_agents_request__descriptor, list_agents },
    { "/inventory.v1.AgentsService/ChangeAgent", &inventory__v1__change_agent_request__descriptor, change_agent },
    { "/inventory.v1.AgentsService/RemoveAgent", &inventory__v1__remove_agent_request__descriptor, remove_agent },
};
const size_t agents_methods_count = sizeof agents_methods / sizeof *agents_methods;
