/* add: management.v1 AddService. One table row per service
 * kind says which agents the request may ask for; the service (on its node,
 * or on a node made from add_node) and those agents are created with the
 * inventory models (service_model.h, agent_model.h) in one transaction, so
 * a failure anywhere leaves nothing behind. Request fields reach the
 * inventory parameter messages by name.
 * Not done here (needs agentsd): upstream's connection check through the
 * pmm-agent unless skip_connection_check, and the MySQL table count it
 * returns; table_count stays 0. RDS is rds.c. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventoryd/agent_model.h"
#include "inventoryd/events.h"
#include "inventory/v1/agents.pb-c.h"
#include "inventory/v1/services.pb-c.h"
#include "management/v1/service.pb-c.h"
#include "pbutil.h"
#include "validate.h"
#include "inventoryd/service_model.h"

typedef struct {
    const char *flag;   /* request bool that asks for the agent; NULL: always */
    const char *agent;  /* AddAgentRequest member of its kind */
    const char *result; /* *ServiceResult field */
} agent_part;

typedef struct {
    const char *member;      /* AddServiceRequest / AddServiceResponse member */
    const char *params;      /* message name for validation texts */
    const char *required[3]; /* min_len 1 fields, "proto_name:GoName", in field order */
    bool external;           /* an external exporter on a node, not under a pmm-agent's service */
    agent_part agents[3];
} add_kind;

static const add_kind kinds[] = {
    { "mysql", "AddMySQLServiceParams",
      { "service_name:ServiceName", "pmm_agent_id:PmmAgentId", "username:Username" }, false,
      { { NULL, "mysqld_exporter", "mysqld_exporter" },
        { "qan_mysql_perfschema", "qan_mysql_perfschema_agent", "qan_mysql_perfschema" },
        { "qan_mysql_slowlog", "qan_mysql_slowlog_agent", "qan_mysql_slowlog" } } },
    { "mongodb", "AddMongoDBServiceParams", { "service_name:ServiceName", "pmm_agent_id:PmmAgentId" }, false,
      { { NULL, "mongodb_exporter", "mongodb_exporter" },
        { "qan_mongodb_profiler", "qan_mongodb_profiler_agent", "qan_mongodb_profiler" },
        { "qan_mongodb_mongolog", "qan_mongodb_mongolog_agent", "qan_mongodb_mongolog" } } },
    { "postgresql", "AddPostgreSQLServiceParams",
      { "service_name:ServiceName", "pmm_agent_id:PmmAgentId", "username:Username" }, false,
      { { NULL, "postgres_exporter", "postgres_exporter" },
        { "qan_postgresql_pgstatements_agent", "qan_postgresql_pgstatements_agent",
          "qan_postgresql_pgstatements_agent" },
        { "qan_postgresql_pgstatmonitor_agent", "qan_postgresql_pgstatmonitor_agent",
          "qan_postgresql_pgstatmonitor_agent" } } },
    { "proxysql", "AddProxySQLServiceParams",
      { "service_name:ServiceName", "pmm_agent_id:PmmAgentId", "username:Username" }, false,
      { { NULL, "proxysql_exporter", "proxysql_exporter" } } },
    { "valkey", "AddValkeyServiceParams", { "service_name:ServiceName", "pmm_agent_id:PmmAgentId" }, false,
      { { NULL, "valkey_exporter", "valkey_exporter" } } },
    { "haproxy", "AddHAProxyServiceParams", { "service_name:ServiceName" }, true,
      { { NULL, "external_exporter", "external_exporter" } } },
    { "external", "AddExternalServiceParams", { "service_name:ServiceName" }, true,
      { { NULL, "external_exporter", "external_exporter" } } },
};

/* Upstream's defaults for MySQL (see the AddMySQLServiceParams docs). */
#define DEFAULT_TABLESTATS_GROUP_TABLE_LIMIT 1000
#define DEFAULT_MAX_SLOWLOG_FILE_SIZE (1LL << 30)

static const add_kind *kind_of(const char *member)
{
    for (size_t i = 0; member && i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(kinds[i].member, member) == 0)
            return &kinds[i];
    return NULL;
}

static int64_t get_i64(const ProtobufCMessage *m, const char *name)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (!f || f->type != PROTOBUF_C_TYPE_INT64)
        return 0;
    return *(const int64_t *)((const uint8_t *)m + f->offset);
}

static int validate(const add_kind *k, const ProtobufCMessage *p, rpc_status *st)
{
    /* add_node (field 3, before service_name) is an embedded AddNodeParams
     * whose node_name is min_len 1: two levels of embedded-message text */
    const ProtobufCMessage *add_node = pb_get_msg(p, "add_node");
    if (add_node && validate_min_len(st, pb_get_str(add_node, "node_name"), 1, "AddNodeParams", "NodeName")) {
        validate_embedded(st, k->params, "add_node");
        return validate_embedded(st, "AddServiceRequest", k->member);
    }
    for (int i = 0; i < 3 && k->required[i]; i++) {
        const char *colon = strchr(k->required[i], ':');
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(colon - k->required[i]), k->required[i]);
        if (validate_min_len(st, pb_get_str(p, name), 1, k->params, colon + 1))
            return validate_embedded(st, "AddServiceRequest", k->member);
    }
    /* listen_port (field 10, after service_name) {gt: 0, lt: 65536} */
    if (k->external && validate_int(st, pb_get_u32(p, "listen_port"), &validate_port_rules, k->params, "ListenPort"))
        return validate_embedded(st, "AddServiceRequest", k->member);
    if (strcmp(k->member, "external") == 0) {
        if (!*pb_get_str(p, "node_id") != !*pb_get_str(p, "runs_on_node_id"))
            return rpc_fail(st, RPC_INVALID_ARGUMENT, "runs_on_node_id and node_id should be specified together.");
        if (!*pb_get_str(p, "address") && pb_get_msg(p, "add_node"))
            return rpc_fail(st, RPC_INVALID_ARGUMENT, "address can't be empty for add node request.");
    }
    return RPC_OK;
}

/* What one AddService builds, for the response and the events. */
typedef struct {
    ProtobufCMessage *result; /* the *ServiceResult */
    char service_id[64], node_id[64];
    bool node_added;
    char agent_ids[3][64];
} added;

static int create_service(db *d, const add_kind *k, const ProtobufCMessage *p, const char *node_id, added *a,
                          rpc_status *st)
{
    const service_kind *sk = service_kind_by_member(k->member);
    ProtobufCMessage *sp = mgmt_new_member(&inventory__v1__add_service_request__descriptor, k->member);
    if (!sk || !sp || mgmt_copy_fields(sp, p, (const char *const[]){ "node_id", NULL }) != 0 ||
        pb_set_str(sp, "node_id", node_id) < 0) {
        if (sp)
            protobuf_c_message_free_unpacked(sp, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    ProtobufCMessage *service = NULL;
    int rc = service_create(d, sk, sp, &service, st);
    protobuf_c_message_free_unpacked(sp, NULL);
    if (rc != RPC_OK)
        return rc;
    snprintf(a->service_id, sizeof a->service_id, "%s", pb_get_str(service, "service_id"));
    if (pb_set_msg(a->result, "service", service) != 0)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    /* The inventory model names PostgreSQL's database "postgres"; the
     * management request may name another. */
    const char *database = pb_get_str(p, "database");
    if (strcmp(k->member, "postgresql") != 0 || !*database)
        return RPC_OK;
    PGresult *r = db_exec(d, st, "UPDATE services SET database_name = $2 WHERE service_id = $1", 2,
                          (const char *[]){ a->service_id, database });
    if (!r)
        return st->code;
    PQclear(r);
    ProtobufCMessage *svc = (ProtobufCMessage *)pb_get_msg(a->result, "service");
    return pb_set_str(svc, "database_name", database) < 0 ? rpc_fail(st, RPC_INTERNAL, "out of memory") : RPC_OK;
}

/* Where an external exporter runs: runs_on_node_id, else the service's node. */
static const char *runs_on(const ProtobufCMessage *p, const char *node_id)
{
    const char *id = pb_get_str(p, "runs_on_node_id");
    return *id ? id : node_id;
}

/* Upstream's metrics mode choice: "auto" pushes (not on the PMM Server's
 * pmm-agent), and an external exporter is pulled unless exactly one
 * pmm-agent runs on its node. */
static int push_mode(db *d, const add_kind *k, const ProtobufCMessage *p, const char *node_id, bool *push,
                     rpc_status *st)
{
    int mode = pb_get_i32(p, "metrics_mode");
    if (!k->external)
        return mgmt_push_metrics(mode, pb_get_str(p, "pmm_agent_id"), push, st);
    *push = MGMT_PUSH_MODE(mode);
    if (mode != MGMT_METRICS_MODE_UNSPECIFIED)
        return RPC_OK;
    PGresult *r = db_exec(d, st, "SELECT count(*) FROM agents WHERE agent_type = 'pmm-agent' AND runs_on_node_id = $1",
                          1, (const char *[]){ runs_on(p, node_id) });
    if (!r)
        return st->code;
    *push = strcmp(PQgetvalue(r, 0, 0), "1") == 0;
    PQclear(r);
    return RPC_OK;
}

/* The Add…Params of one agent, from the request by field name. */
static ProtobufCMessage *agent_params(const add_kind *k, const agent_part *part, const ProtobufCMessage *p,
                                      const char *node_id, const char *service_id, bool push)
{
    static const char *const skip[] = { "custom_labels", "service_id", "pmm_agent_id", "runs_on_node_id",
                                        "push_metrics", "skip_connection_check", NULL };
    ProtobufCMessage *ap = mgmt_new_member(&inventory__v1__add_agent_request__descriptor, part->agent);
    if (!ap || mgmt_copy_fields(ap, p, skip) != 0 || pb_set_str(ap, "service_id", service_id) < 0 ||
        pb_set_bool(ap, "push_metrics", push) < 0)
        goto fail;
    if (k->external) {
        /* Upstream gives an external exporter the service's labels and
         * runs it on runs_on_node_id, else on the service's node. */
        char *labels = pb_map_to_json(p, "custom_labels");
        int rc = labels ? pb_set_map_json(ap, "custom_labels", labels) : -1;
        free(labels);
        if (rc < 0 || pb_set_str(ap, "runs_on_node_id", runs_on(p, node_id)) < 0)
            goto fail;
        return ap;
    }
    if (pb_set_str(ap, "pmm_agent_id", pb_get_str(p, "pmm_agent_id")) < 0)
        goto fail;
    if (strcmp(k->member, "mysql") == 0) {
        int32_t limit = pb_get_i32(p, "tablestats_group_table_limit");
        int64_t size = get_i64(p, "max_slowlog_file_size");
        if (pb_set_i32(ap, "tablestats_group_table_limit",
                       limit == 0 ? DEFAULT_TABLESTATS_GROUP_TABLE_LIMIT : limit < 0 ? -1 : limit) < 0 ||
            pb_set_i64(ap, "max_slowlog_file_size", size == 0 ? DEFAULT_MAX_SLOWLOG_FILE_SIZE : size < 0 ? 0 : size) < 0)
            goto fail;
    }
    return ap;
fail:
    if (ap)
        protobuf_c_message_free_unpacked(ap, NULL);
    return NULL;
}

/* The kinds upstream's ConnectionChecker knows (not yet here: Valkey). */
static bool checked_kind(const add_kind *k)
{
    static const char *const kinds_checked[] = { "mysql", "mongodb", "postgresql", "proxysql", "external", "haproxy" };
    for (size_t i = 0; i < sizeof kinds_checked / sizeof *kinds_checked; i++)
        if (strcmp(k->member, kinds_checked[i]) == 0)
            return true;
    return false;
}

/* The connection check of the new exporter; the exporter's result is read
 * again, since the check stored the table count on it. */
static int check_exporter(db *d, const add_kind *k, added *a, rpc_status *st)
{
    bool mysql = strcmp(k->member, "mysql") == 0;
    int32_t table_count = 0;
    if (mgmt_check_service(d, a->service_id, a->agent_ids[0], &table_count, st))
        return st->code;
    if (!mysql)
        return RPC_OK;
    ProtobufCMessage *agent = NULL;
    if (agent_get(d, a->agent_ids[0], NULL, &agent, st) != RPC_OK)
        return st->code;
    if (pb_set_msg(a->result, k->agents[0].result, agent) != 0 || pb_set_i32(a->result, "table_count", table_count) != 0)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}

static int create_agents(db *d, const add_kind *k, const ProtobufCMessage *p, added *a, rpc_status *st)
{
    bool push;
    if (push_mode(d, k, p, a->node_id, &push, st))
        return st->code;
    for (int i = 0; i < 3 && k->agents[i].agent; i++) {
        const agent_part *part = &k->agents[i];
        if (part->flag && !pb_get_bool(p, part->flag))
            continue;
        const agent_kind *ak = agent_kind_by_add_member(part->agent);
        ProtobufCMessage *ap = ak ? agent_params(k, part, p, a->node_id, a->service_id, push) : NULL;
        if (!ap)
            return rpc_fail(st, RPC_INTERNAL, "failed to build agent parameters");
        ProtobufCMessage *agent = NULL;
        int rc = agent_create(d, ak, ap, &agent, st);
        protobuf_c_message_free_unpacked(ap, NULL);
        if (rc != RPC_OK)
            return rc;
        snprintf(a->agent_ids[i], sizeof a->agent_ids[i], "%s", pb_get_str(agent, "agent_id"));
        if (pb_set_msg(a->result, part->result, agent) != 0)
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
        if (i == 0 && checked_kind(k) && !pb_get_bool(p, "skip_connection_check") &&
            check_exporter(d, k, a, st) != RPC_OK)
            return st->code;
    }
    return RPC_OK;
}

static int do_add(db *d, const add_kind *k, const ProtobufCMessage *p, added *a, rpc_status *st)
{
    const ProtobufCMessage *add_node = pb_get_msg(p, "add_node");
    if (mgmt_resolve_node(d, pb_get_str(p, "node_id"), pb_get_str(p, "node_name"), add_node,
                          pb_get_str(p, "address"), a->node_id, sizeof a->node_id, st))
        return st->code;
    a->node_added = add_node != NULL;
    if (create_service(d, k, p, a->node_id, a, st))
        return st->code;
    return create_agents(d, k, p, a, st);
}

static void publish(worker *w, const added *a)
{
    if (a->node_added)
        events_inventory_changed(APP(w)->pub, "node", "add", a->node_id);
    events_inventory_changed(APP(w)->pub, "service", "add", a->service_id);
    for (int i = 0; i < 3; i++)
        if (a->agent_ids[i][0])
            events_inventory_changed(APP(w)->pub, "agent", "add", a->agent_ids[i]);
}

int mgmt_add_service(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *member = pb_oneof_selected(in, "mysql");
    if (member && strcmp(member, "rds") == 0)
        return mgmt_add_rds(ctx, pb_get_msg(in, "rds"), out);
    const add_kind *k = kind_of(member);
    const ProtobufCMessage *p = k ? pb_get_msg(in, k->member) : NULL;
    if (!p) /* the oneof is not required: upstream's handler refuses it */
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "invalid service type");
    if (validate(k, p, &ctx->status))
        return ctx->status.code;

    added a = { 0 };
    a.result = mgmt_new_member(&management__v1__add_service_response__descriptor, k->member);
    if (!a.result)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    if (db_begin(w->db, &ctx->status) ||
        mgmt_end_tx(w->db, &ctx->status, do_add(w->db, k, p, &a, &ctx->status))) {
        protobuf_c_message_free_unpacked(a.result, NULL);
        return ctx->status.code;
    }
    publish(w, &a);
    return pb_respond(&ctx->status, &management__v1__add_service_response__descriptor, k->member, a.result, out);
}
