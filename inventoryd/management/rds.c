/* rds: AddService for an Amazon RDS instance, as upstream's
 * AddRDS: a remote_rds node (addressed by the instance id), optionally an
 * rds_exporter, and a MySQL or PostgreSQL service with its exporter and
 * optional QAN agent, all run by the given pmm-agent (default: the PMM
 * Server's), in one transaction. No AWS call is made here: the keys are
 * only stored (sealed) for the rds_exporter. Unless skip_connection_check
 * the exporter's pmm-agent checks the connection (check.c). */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#include "inventoryd/agent_model.h"
#include "inventoryd/events.h"
#include "inventory/v1/agents.pb-c.h"
#include "inventory/v1/nodes.pb-c.h"
#include "inventory/v1/services.pb-c.h"
#include "management/v1/rds.pb-c.h"
#include "management/v1/service.pb-c.h"
#include "inventoryd/node_model.h"
#include "pbutil.h"
#include "validate.h"
#include "inventoryd/service_model.h"

#define DEFAULT_TABLESTATS_GROUP_TABLE_LIMIT 1000

typedef struct {
    const ProtobufCMessage *p;
    const char *pmm_agent_id, *node_name, *service_name;
    ProtobufCMessage *result; /* RDSServiceResult */
    char node_id[64], service_id[64], agent_ids[3][64];
} rds_add;

static int create_node(db *d, rds_add *a, rpc_status *st)
{
    ProtobufCMessage *np = mgmt_params_from(&inventory__v1__add_node_request__descriptor, "remote_rds", a->p, NULL);
    if (!np || pb_set_str(np, "node_name", a->node_name) < 0 ||
        pb_set_str(np, "address", pb_get_str(a->p, "instance_id")) < 0) {
        if (np)
            protobuf_c_message_free_unpacked(np, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    ProtobufCMessage *node = NULL;
    int rc = node_create(d, node_kind_by_stored("remote_rds"), np, &node, st);
    protobuf_c_message_free_unpacked(np, NULL);
    if (rc != RPC_OK)
        return rc;
    snprintf(a->node_id, sizeof a->node_id, "%s", pb_get_str(node, "node_id"));
    return pb_set_msg(a->result, "node", node) == 0 ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

static const char *const agent_skip[] = { "custom_labels", "pmm_agent_id", "service_id", "node_id",
                                          "push_metrics", "skip_connection_check", NULL };

/* One agent of member under the pmm-agent, on the node (rds_exporter) or
 * on the service (the params ignore the id they have no field for). */
static int create_agent(db *d, rds_add *a, const char *member, const char *field, int slot, rpc_status *st)
{
    bool push;
    if (mgmt_push_metrics(pb_get_i32(a->p, "metrics_mode"), a->pmm_agent_id, &push, st))
        return st->code;
    ProtobufCMessage *ap = mgmt_params_from(&inventory__v1__add_agent_request__descriptor, member, a->p, agent_skip);
    int bad = !ap || pb_set_bool(ap, "push_metrics", push) < 0 || pb_set_str(ap, "pmm_agent_id", a->pmm_agent_id) < 0 ||
              pb_set_str(ap, "node_id", a->node_id) < 0 || pb_set_str(ap, "service_id", a->service_id) < 0;
    if (!bad && strcmp(member, "mysqld_exporter") == 0) {
        int32_t limit = pb_get_i32(a->p, "tablestats_group_table_limit");
        bad = pb_set_i32(ap, "tablestats_group_table_limit",
                         limit == 0 ? DEFAULT_TABLESTATS_GROUP_TABLE_LIMIT : limit < 0 ? -1 : limit) < 0;
    }
    if (!bad && strcmp(member, "postgres_exporter") == 0)
        bad = pb_set_i32(ap, "max_exporter_connections", pb_get_i32(a->p, "max_postgresql_exporter_connections")) < 0;
    if (bad) {
        if (ap)
            protobuf_c_message_free_unpacked(ap, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    int rc = mgmt_create_agent(d, member, ap, a->result, field, a->agent_ids[slot], sizeof a->agent_ids[slot], st);
    protobuf_c_message_free_unpacked(ap, NULL);
    return rc;
}

static int create_service(db *d, rds_add *a, const char *member, rpc_status *st)
{
    ProtobufCMessage *sp = mgmt_params_from(&inventory__v1__add_service_request__descriptor, member, a->p, NULL);
    if (!sp || pb_set_str(sp, "node_id", a->node_id) < 0 || pb_set_str(sp, "service_name", a->service_name) < 0) {
        if (sp)
            protobuf_c_message_free_unpacked(sp, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    ProtobufCMessage *service = NULL;
    int rc = service_create(d, service_kind_by_member(member), sp, &service, st);
    protobuf_c_message_free_unpacked(sp, NULL);
    if (rc != RPC_OK)
        return rc;
    snprintf(a->service_id, sizeof a->service_id, "%s", pb_get_str(service, "service_id"));
    const char *database = pb_get_str(a->p, "database");
    if (strcmp(member, "postgresql") == 0 && *database) {
        PGresult *r = db_exec(d, st, "UPDATE services SET database_name = $2 WHERE service_id = $1", 2,
                              (const char *[]){ a->service_id, database });
        if (!r) {
            protobuf_c_message_free_unpacked(service, NULL);
            return st->code;
        }
        PQclear(r);
        if (pb_set_str(service, "database_name", database) < 0) {
            protobuf_c_message_free_unpacked(service, NULL);
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
        }
    }
    return pb_set_msg(a->result, member, service) == 0 ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

/* Upstream checks the exporter through the server's pmm-agent unless
 * skip_connection_check; the response keeps the exporter as created. */
static int check(db *d, rds_add *a, rpc_status *st)
{
    if (pb_get_bool(a->p, "skip_connection_check"))
        return RPC_OK;
    return mgmt_check_service(d, a->service_id, a->agent_ids[1], NULL, st);
}

static int do_add(db *d, rds_add *a, rpc_status *st)
{
    if (create_node(d, a, st))
        return st->code;
    if (pb_get_bool(a->p, "rds_exporter") && create_agent(d, a, "rds_exporter", "rds_exporter", 0, st))
        return st->code;
    switch (pb_get_i32(a->p, "engine")) {
    case MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_MYSQL:
        if (create_service(d, a, "mysql", st) || create_agent(d, a, "mysqld_exporter", "mysqld_exporter", 1, st) ||
            check(d, a, st))
            return st->code;
        if (pb_get_bool(a->p, "qan_mysql_perfschema"))
            return create_agent(d, a, "qan_mysql_perfschema_agent", "qan_mysql_perfschema", 2, st);
        return RPC_OK;
    case MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_POSTGRESQL:
        if (create_service(d, a, "postgresql", st) ||
            create_agent(d, a, "postgres_exporter", "postgresql_exporter", 1, st) || check(d, a, st))
            return st->code;
        if (pb_get_bool(a->p, "qan_postgresql_pgstatements"))
            return create_agent(d, a, "qan_postgresql_pgstatements_agent", "qan_postgresql_pgstatements", 2, st);
        return RPC_OK;
    default: {
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
            &management__v1__discover_rdsengine__descriptor, pb_get_i32(a->p, "engine"));
        char q[96];
        if (ev)
            rpc_quote(q, sizeof q, ev->name);
        else
            snprintf(q, sizeof q, "%d", pb_get_i32(a->p, "engine"));
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Unsupported Engine type %s.", q);
    }
    }
}

/* protoc-gen-validate's rules of AddRDSServiceParams, in field order,
 * reported through AddServiceRequest's rds member. */
static int validate(const ProtobufCMessage *p, rpc_status *st)
{
    static const char *const R = "AddRDSServiceParams";
    if (validate_min_len(st, pb_get_str(p, "region"), 1, R, "Region") ||
        validate_min_len(st, pb_get_str(p, "instance_id"), 1, R, "InstanceId") ||
        validate_min_len(st, pb_get_str(p, "address"), 1, R, "Address") ||
        validate_int(st, pb_get_u32(p, "port"), &validate_gt0_rules, R, "Port") ||
        validate_min_len(st, pb_get_str(p, "username"), 1, R, "Username"))
        return validate_embedded(st, "AddServiceRequest", "rds");
    return RPC_OK;
}

int mgmt_add_rds(rpc_ctx *ctx, const ProtobufCMessage *p, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    if (!p) /* as an empty oneof (see mgmt_add_service) */
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "invalid service type");
    if (validate(p, &ctx->status))
        return ctx->status.code;
    const char *instance = pb_get_str(p, "instance_id");
    rds_add a = { .p = p };
    /* Upstream's defaults: names from the instance, the server's pmm-agent. */
    a.pmm_agent_id = *pb_get_str(p, "pmm_agent_id") ? pb_get_str(p, "pmm_agent_id") : PMM_SERVER_AGENT_ID;
    a.node_name = *pb_get_str(p, "node_name") ? pb_get_str(p, "node_name") : instance;
    a.service_name = *pb_get_str(p, "service_name") ? pb_get_str(p, "service_name") : instance;
    a.result = mgmt_new_member(&management__v1__add_service_response__descriptor, "rds");
    if (!a.result)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    if (db_begin(w->db, &ctx->status) || mgmt_end_tx(w->db, &ctx->status, do_add(w->db, &a, &ctx->status))) {
        protobuf_c_message_free_unpacked(a.result, NULL);
        return ctx->status.code;
    }
    events_inventory_changed(APP(w)->pub, "node", "add", a.node_id);
    events_inventory_changed(APP(w)->pub, "service", "add", a.service_id);
    for (int i = 0; i < 3; i++)
        if (a.agent_ids[i][0])
            events_inventory_changed(APP(w)->pub, "agent", "add", a.agent_ids[i]);
    return pb_respond(&ctx->status, &management__v1__add_service_response__descriptor, "rds", a.result, out);
}
