/* nodes: RegisterNode and UnregisterNode. Registration makes
 * the node, its pmm-agent, its node_exporter and the agent's token in one
 * transaction. Upstream returns the caller's own bearer token, or else
 * creates a Grafana service account token; our bus envelope carries only
 * the caller's user and role, so a new service token (role admin, named
 * after the node, tied to the node id) is always created, and removing the
 * node removes its tokens, as upstream deletes the service account. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "inventoryd/agent_model.h"
#include "db/credentials.h"
#include "inventoryd/events.h"
#include "inventory/v1/agents.pb-c.h"
#include "inventory/v1/nodes.pb-c.h"
#include "management/v1/node.pb-c.h"
#include "inventoryd/node_model.h"
#include "pbutil.h"
#include "validate.h"
#include "secret.h"

/* Removes a node with its service tokens, inside the caller's transaction. */
static int remove_node(db *d, const char *id, bool force, rpc_status *st)
{
    if (node_remove(d, id, force, st))
        return st->code;
    PGresult *r = db_exec(d, st, "DELETE FROM service_tokens WHERE node_id = $1", 1, (const char *[]){ id });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

/* The id of the node that matches sql (one parameter or two); "" if none. */
static int find_node(db *d, const char *sql, int n, const char *const *params, char *id, size_t id_len,
                     rpc_status *st)
{
    PGresult *r = db_exec(d, st, sql, n, params);
    if (!r)
        return st->code;
    snprintf(id, id_len, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return RPC_OK;
}

/* Upstream's checks before creating: the name, then address + region
 * (only when a region is given); reregister removes what is in the way. */
static int clear_the_way(db *d, const ProtobufCMessage *req, rpc_status *st)
{
    const char *name = pb_get_str(req, "node_name");
    const char *address = pb_get_str(req, "address");
    const char *region = pb_get_str(req, "region");
    bool again = pb_get_bool(req, "reregister");
    char id[256], q[RPC_MESSAGE_MAX];
    if (find_node(d, "SELECT node_id FROM nodes WHERE node_name = $1", 1, (const char *[]){ name }, id, sizeof id,
                  st))
        return st->code;
    if (*id && !again) {
        rpc_quote(q, sizeof q, name);
        return rpc_fail(st, RPC_ALREADY_EXISTS, "Node with name %s already exists.", q);
    }
    if (*id && remove_node(d, id, true, st))
        return st->code;
    if (!*region)
        return RPC_OK;
    if (!*address)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Empty Node address.");
    if (find_node(d, "SELECT node_id FROM nodes WHERE address = $1 AND region = $2 LIMIT 1", 2,
                  (const char *[]){ address, region }, id, sizeof id, st))
        return st->code;
    if (*id && !again) {
        char qr[RPC_MESSAGE_MAX];
        rpc_quote(q, sizeof q, address);
        rpc_quote(qr, sizeof qr, region);
        return rpc_fail(st, RPC_ALREADY_EXISTS, "Node with address %s and region %s already exists.", q, qr);
    }
    return *id ? remove_node(d, id, true, st) : RPC_OK;
}

/* Only generic and container nodes register; upstream's text otherwise. */
static const node_kind *register_kind(int type, rpc_status *st)
{
    if (type == INVENTORY__V1__NODE_TYPE__NODE_TYPE_GENERIC_NODE ||
        type == INVENTORY__V1__NODE_TYPE__NODE_TYPE_CONTAINER_NODE)
        return node_kind_by_enum(type);
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(&inventory__v1__node_type__descriptor, type);
    char q[64];
    if (ev)
        rpc_quote(q, sizeof q, ev->name);
    else
        snprintf(q, sizeof q, "%d", type);
    rpc_fail(st, RPC_INVALID_ARGUMENT, "Unsupported Node type %s.", q);
    return NULL;
}

static int create_node(db *d, const node_kind *k, const ProtobufCMessage *req, ProtobufCMessage **node,
                       rpc_status *st)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(&inventory__v1__add_node_request__descriptor, k->add_member);
    ProtobufCMessage *p = f ? pb_new(f->descriptor) : NULL;
    if (!p || mgmt_copy_fields(p, req, NULL) != 0) {
        if (p)
            protobuf_c_message_free_unpacked(p, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    int rc = node_create(d, k, p, node, st);
    protobuf_c_message_free_unpacked(p, NULL);
    return rc;
}

/* Creates an agent of kind member from a params message built by fill. */
static int create_agent(db *d, const char *member, const ProtobufCMessage *params, ProtobufCMessage **agent,
                        rpc_status *st)
{
    const agent_kind *k = agent_kind_by_add_member(member);
    if (!k)
        return rpc_fail(st, RPC_INTERNAL, "no agent kind %s", member);
    return agent_create(d, k, params, agent, st);
}

static int create_pmm_agent(db *d, const char *node_id, ProtobufCMessage **agent, rpc_status *st)
{
    ProtobufCMessage *p = pb_new(&inventory__v1__add_pmmagent_params__descriptor);
    if (!p || pb_set_str(p, "runs_on_node_id", node_id) < 0) {
        if (p)
            protobuf_c_message_free_unpacked(p, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    int rc = create_agent(d, "pmm_agent", p, agent, st);
    protobuf_c_message_free_unpacked(p, NULL);
    return rc;
}

/* The agent's password is not an AddNodeExporterParams field; it is
 * stored sealed, as every agent credential. */
static int set_agent_password(db *d, const char *agent_id, const char *password, rpc_status *st)
{
    char *sealed = secret_encrypt(password);
    if (!sealed)
        return rpc_fail(st, RPC_INTERNAL, "cannot encrypt agent credentials");
    PGresult *r = db_exec(d, st, "UPDATE agents SET agent_password = $2 WHERE agent_id = $1", 2,
                          (const char *[]){ agent_id, sealed });
    free(sealed);
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

/* The node_exporter as upstream's CreateNodeExporter call makes it. */
static int create_node_exporter(db *d, const char *pmm_agent_id, const ProtobufCMessage *req, char *id, size_t id_len,
                                rpc_status *st)
{
    ProtobufCMessage *p = pb_new(&inventory__v1__add_node_exporter_params__descriptor);
    if (!p || pb_set_str(p, "pmm_agent_id", pmm_agent_id) < 0 ||
        pb_set_bool(p, "push_metrics", MGMT_PUSH_MODE(pb_get_i32(req, "metrics_mode"))) < 0 ||
        pb_set_bool(p, "expose_exporter", pb_get_bool(req, "expose_exporter")) < 0 ||
        mgmt_copy_fields(p, req, (const char *const[]){ "pmm_agent_id", "custom_labels", "push_metrics",
                                                        "expose_exporter", "log_level", NULL }) != 0) {
        if (p)
            protobuf_c_message_free_unpacked(p, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    ProtobufCMessage *agent = NULL;
    int rc = create_agent(d, "node_exporter", p, &agent, st);
    protobuf_c_message_free_unpacked(p, NULL);
    if (rc != RPC_OK)
        return rc;
    snprintf(id, id_len, "%s", pb_get_str(agent, "agent_id"));
    protobuf_c_message_free_unpacked(agent, NULL);
    const char *password = pb_get_str(req, "agent_password");
    return *password ? set_agent_password(d, id, password, st) : RPC_OK;
}

typedef struct {
    ProtobufCMessage *node, *pmm_agent;
    const node_kind *kind;
    char exporter_id[64];
    char token[CRED_TOKEN_MAX];
} registration;

static int do_register(db *d, const ProtobufCMessage *req, registration *g, rpc_status *st)
{
    if (clear_the_way(d, req, st))
        return st->code;
    g->kind = register_kind(pb_get_i32(req, "node_type"), st);
    if (!g->kind)
        return st->code;
    if (create_node(d, g->kind, req, &g->node, st))
        return st->code;
    const char *node_id = pb_get_str(g->node, "node_id");
    if (create_pmm_agent(d, node_id, &g->pmm_agent, st) ||
        create_node_exporter(d, pb_get_str(g->pmm_agent, "agent_id"), req, g->exporter_id, sizeof g->exporter_id,
                             st))
        return st->code;
    return cred_token_create(d, pb_get_str(req, "node_name"), "admin", node_id, g->token, st);
}

static void registration_clear(registration *g)
{
    if (g->node)
        protobuf_c_message_free_unpacked(g->node, NULL);
    if (g->pmm_agent)
        protobuf_c_message_free_unpacked(g->pmm_agent, NULL);
    sodium_memzero(g->token, sizeof g->token);
}

int mgmt_register_node(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    if (validate_min_len(&ctx->status, pb_get_str(in, "node_name"), 1, "RegisterNodeRequest", "NodeName"))
        return ctx->status.code;
    registration g = { 0 };
    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    if (mgmt_end_tx(w->db, &ctx->status, do_register(w->db, in, &g, &ctx->status))) {
        registration_clear(&g);
        return ctx->status.code;
    }
    events_inventory_changed(APP(w)->pub, "node", "add", pb_get_str(g.node, "node_id"));
    events_inventory_changed(APP(w)->pub, "agent", "add", pb_get_str(g.pmm_agent, "agent_id"));
    events_inventory_changed(APP(w)->pub, "agent", "add", g.exporter_id);

    ProtobufCMessage *resp = pb_new(&management__v1__register_node_response__descriptor);
    const char *member = strcmp(g.kind->stored, "container") == 0 ? "container_node" : "generic_node";
    int rc = !resp || pb_set_str(resp, "token", g.token) < 0 ? -1 : 0;
    if (rc == 0) {
        rc = pb_set_msg(resp, member, g.node);
        g.node = NULL; /* taken, even on failure */
    }
    if (rc == 0) {
        rc = pb_set_msg(resp, "pmm_agent", g.pmm_agent);
        g.pmm_agent = NULL;
    }
    registration_clear(&g);
    if (rc != 0) {
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "failed to build response");
    }
    *out = resp;
    return RPC_OK;
}

int mgmt_unregister_node(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *id = pb_get_str(in, "node_id");
    if (validate_min_len(&ctx->status, id, 1, "UnregisterNodeRequest", "NodeId"))
        return ctx->status.code;
    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    if (mgmt_end_tx(w->db, &ctx->status, remove_node(w->db, id, pb_get_bool(in, "force"), &ctx->status)))
        return ctx->status.code;
    events_inventory_changed(APP(w)->pub, "node", "remove", id);
    /* warning stays empty: deleting the node's tokens cannot half-fail. */
    *out = pb_new(&management__v1__unregister_node_response__descriptor);
    return *out ? RPC_OK : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
}
