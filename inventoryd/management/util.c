/* util: helpers the management.v1 handlers share: copying request fields into inventory parameter messages by name,
 * timestamps, transactions, and upstream's choice of a node (nodeID()). */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "inventoryd/agent_model.h"
#include "inventory/v1/nodes.pb-c.h"
#include "inventoryd/node_model.h"
#include "pbutil.h"

#define MEMBER(m, off, type) (*(type *)((const uint8_t *)(m) + (off)))

static bool is_map(const ProtobufCFieldDescriptor *f)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED)
        return false;
    const ProtobufCMessageDescriptor *d = f->descriptor;
    return d->n_fields == 2 && strcmp(d->fields[0].name, "key") == 0 && strcmp(d->fields[1].name, "value") == 0;
}

static bool skipped(const char *name, const char *const *skip)
{
    for (size_t i = 0; skip && skip[i]; i++)
        if (strcmp(skip[i], name) == 0)
            return true;
    return false;
}

/* One field of the same name and type; 0 when copied or not copyable. */
static int copy_field(ProtobufCMessage *dst, const ProtobufCFieldDescriptor *df, const ProtobufCMessage *src,
                      const ProtobufCFieldDescriptor *sf)
{
    const char *name = df->name;
    if (is_map(df) || is_map(sf)) {
        if (!is_map(df) || !is_map(sf))
            return 0;
        char *json = pb_map_to_json(src, name);
        int rc = json ? pb_set_map_json(dst, name, json) : -1;
        free(json);
        return rc < 0 ? -1 : 0;
    }
    if (df->type != sf->type || df->label != sf->label)
        return 0;
    if (df->label == PROTOBUF_C_LABEL_REPEATED) {
        if (df->type != PROTOBUF_C_TYPE_STRING)
            return 0;
        size_t n = MEMBER(src, sf->quantifier_offset, size_t);
        char **arr = MEMBER(src, sf->offset, char **);
        for (size_t i = 0; i < n; i++)
            if (pb_append_str(dst, name, arr[i] ? arr[i] : "") < 0)
                return -1;
        return 0;
    }
    /* An unset oneof member / optional stays unset in dst too. */
    if ((sf->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && !pb_has(src, name))
        return 0;
    switch (df->type) {
    case PROTOBUF_C_TYPE_STRING:
        return pb_set_str(dst, name, pb_get_str(src, name)) < 0 ? -1 : 0;
    case PROTOBUF_C_TYPE_BOOL:
        return pb_set_bool(dst, name, pb_get_bool(src, name)) < 0 ? -1 : 0;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM:
        return pb_set_i32(dst, name, pb_get_i32(src, name)) < 0 ? -1 : 0;
    case PROTOBUF_C_TYPE_UINT32:
        return pb_set_u32(dst, name, pb_get_u32(src, name)) < 0 ? -1 : 0;
    case PROTOBUF_C_TYPE_INT64:
        return pb_set_i64(dst, name, MEMBER(src, sf->offset, int64_t)) < 0 ? -1 : 0;
    default:
        return 0;
    }
}

int mgmt_copy_fields(ProtobufCMessage *dst, const ProtobufCMessage *src, const char *const *skip)
{
    const ProtobufCMessageDescriptor *d = dst->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *df = &d->fields[i];
        if (skipped(df->name, skip))
            continue;
        const ProtobufCFieldDescriptor *sf = protobuf_c_message_descriptor_get_field_by_name(src->descriptor, df->name);
        if (sf && copy_field(dst, df, src, sf) != 0)
            return -1;
    }
    return 0;
}

int mgmt_set_timestamp(ProtobufCMessage *m, const char *field, const char *seconds, const char *micros)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return -1;
    ProtobufCMessage *ts = pb_new(f->descriptor);
    if (!ts)
        return -1;
    int64_t s = strtoll(seconds, NULL, 10);
    long us = strtol(micros, NULL, 10);
    if (us < 0 || us >= 1000000)
        us = 0;
    if (pb_set_i64(ts, "seconds", s) < 0 || pb_set_i32(ts, "nanos", (int32_t)(us * 1000)) < 0) {
        protobuf_c_message_free_unpacked(ts, NULL);
        return -1;
    }
    return pb_set_msg(m, field, ts) == 0 ? 0 : -1;
}

ProtobufCMessage *mgmt_new_member(const ProtobufCMessageDescriptor *d, const char *member)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, member);
    return f && f->type == PROTOBUF_C_TYPE_MESSAGE ? pb_new(f->descriptor) : NULL;
}

ProtobufCMessage *mgmt_params_from(const ProtobufCMessageDescriptor *d, const char *member, const ProtobufCMessage *p,
                                   const char *const *skip)
{
    ProtobufCMessage *m = mgmt_new_member(d, member);
    if (m && mgmt_copy_fields(m, p, skip) != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        m = NULL;
    }
    return m;
}

int mgmt_create_agent(db *d, const char *member, const ProtobufCMessage *params, ProtobufCMessage *result,
                      const char *field, char *id, size_t id_len, rpc_status *st)
{
    const agent_kind *k = agent_kind_by_add_member(member);
    if (!k)
        return rpc_fail(st, RPC_INTERNAL, "no agent kind %s", member);
    ProtobufCMessage *agent = NULL;
    int rc = agent_create(d, k, params, &agent, st);
    if (rc != RPC_OK)
        return rc;
    snprintf(id, id_len, "%s", pb_get_str(agent, "agent_id"));
    return pb_set_msg(result, field, agent) == 0 ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

static int set_from_json(ProtobufCMessage *m, const char *key, json_t *v)
{
    if (json_is_string(v))
        return pb_set_str(m, key, json_string_value(v)) < 0 ? -1 : 0;
    if (json_is_boolean(v))
        return pb_set_bool(m, key, json_is_true(v)) < 0 ? -1 : 0;
    return 0;
}

int mgmt_append_json_objects(ProtobufCMessage *m, const char *field, const char *json_text)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return -1;
    if (!json_text || !*json_text)
        return 0;
    json_t *arr = json_loads(json_text, 0, NULL);
    size_t i;
    json_t *obj;
    int rc = json_is_array(arr) ? 0 : -1;
    json_array_foreach(arr, i, obj) {
        ProtobufCMessage *child = pb_new(f->descriptor);
        const char *key;
        json_t *v;
        if (!child) {
            rc = -1;
            break;
        }
        json_object_foreach(obj, key, v) if (rc == 0) rc = set_from_json(child, key, v);
        if (rc != 0) {
            protobuf_c_message_free_unpacked(child, NULL);
            break;
        }
        if (pb_append_msg(m, field, child) != 0) {
            rc = -1;
            break;
        }
    }
    json_decref(arr);
    return rc;
}

const char *mgmt_cell(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

int mgmt_end_tx(db *d, rpc_status *st, int rc)
{
    if (rc == RPC_OK && db_commit(d, st) == RPC_OK)
        return RPC_OK;
    db_rollback(d);
    if (st->code == RPC_OK)
        rpc_fail(st, RPC_INTERNAL, "transaction failed");
    return st->code;
}

/* upstream addNode(): a remote node at address (the only kind add_node makes). */
static int add_node(db *d, const ProtobufCMessage *add, const char *address, char *id, size_t id_len, rpc_status *st)
{
    if (pb_get_i32(add, "node_type") != INVENTORY__V1__NODE_TYPE__NODE_TYPE_REMOTE_NODE)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "add_node structure can be used only for remote nodes");
    const node_kind *k = node_kind_by_stored("remote");
    ProtobufCMessage *params = mgmt_new_member(&inventory__v1__add_node_request__descriptor, k->add_member);
    if (!params || mgmt_copy_fields(params, add, NULL) != 0 || pb_set_str(params, "address", address) < 0) {
        if (params)
            protobuf_c_message_free_unpacked(params, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    ProtobufCMessage *node = NULL;
    int rc = node_create(d, k, params, &node, st);
    protobuf_c_message_free_unpacked(params, NULL);
    if (rc == RPC_OK) {
        snprintf(id, id_len, "%s", pb_get_str(node, "node_id"));
        protobuf_c_message_free_unpacked(node, NULL);
    }
    return rc;
}

int mgmt_resolve_node(db *d, const char *node_id, const char *node_name, const ProtobufCMessage *add,
                      const char *address, char *id, size_t id_len, rpc_status *st)
{
    int given = (node_id && *node_id) + (node_name && *node_name) + (add != NULL);
    if (given != 1)
        return rpc_fail(st, RPC_INVALID_ARGUMENT,
                        "expected only one param; node id, node name or register node params");
    if (add)
        return add_node(d, add, address ? address : "", id, id_len, st);
    bool by_id = node_id && *node_id;
    PGresult *r = db_exec(d, st,
                          by_id ? "SELECT node_id, node_type FROM nodes WHERE node_id = $1"
                                : "SELECT node_id, node_type FROM nodes WHERE node_name = $1",
                          1, (const char *[]){ by_id ? node_id : node_name });
    if (!r)
        return st->code;
    int rc = RPC_OK;
    if (PQntuples(r) == 0) {
        char q[RPC_MESSAGE_MAX];
        rpc_quote(q, sizeof q, by_id ? node_id : node_name);
        rc = rpc_fail(st, RPC_NOT_FOUND, by_id ? "Node with ID %s not found." : "Node with name %s not found.", q);
    } else if (strcmp(PQgetvalue(r, 0, 1), "generic") != 0 && strcmp(PQgetvalue(r, 0, 1), "container") != 0) {
        rc = rpc_fail(st, RPC_INVALID_ARGUMENT,
                      "node_id or node_name can be used only for generic nodes or container nodes");
    } else {
        snprintf(id, id_len, "%s", PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return rc;
}

int mgmt_push_metrics(int mode, const char *pmm_agent_id, bool *push, rpc_status *st)
{
    bool server = strcmp(pmm_agent_id, PMM_SERVER_AGENT_ID) == 0;
    if (server && mode == MGMT_METRICS_MODE_PUSH)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "push metrics mode is not allowed for exporters running on pmm-server");
    *push = server ? mode == MGMT_METRICS_MODE_PUSH : MGMT_PUSH_MODE(mode);
    return RPC_OK;
}

long mgmt_time_left(const rpc_ctx *ctx, long max_ms)
{
    if (!ctx->req || ctx->req->deadline_ms <= 0)
        return max_ms;
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    /* some room to answer before the caller gives up */
    long left = (long)(ctx->req->deadline_ms - ((int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000)) - 300;
    return left < max_ms ? (left > 100 ? left : 100) : max_ms;
}
