/* azure: DiscoverAzureDatabase and AddAzureDatabase as upstream
 * (managed/services/management/azure_database.go). Both need Azure
 * discovery enabled in the settings (else Unknown "Azure monitoring is
 * disabled", a plain Go error upstream). Discovery asks Azure AD for a
 * token and Resource Graph for the databases (azure_discovery.c); adding
 * creates, in one transaction, a remote_azure_database node, a MySQL or
 * PostgreSQL service, the azure_database_exporter (attached to the
 * service, as upstream stores it), the metrics exporter and the optional
 * QAN agent, all run by the PMM Server's pmm-agent; unless
 * skip_connection_check the exporter's connection is checked first
 * (check.c). --azure-login-url / --azure-management-url point
 * discovery at other hosts (the e2e tests' stand-in). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventoryd/agent_model.h"
#include "azure_discovery.h"
#include "inventoryd/events.h"
#include "inventory/v1/agents.pb-c.h"
#include "inventory/v1/nodes.pb-c.h"
#include "inventory/v1/services.pb-c.h"
#include "management/v1/azure.pb-c.h"
#include "inventoryd/node_model.h"
#include "pbutil.h"
#include "validate.h"
#include "inventoryd/service_model.h"
#include "db/settings.h"

#define DEFAULT_TABLESTATS_GROUP_TABLE_LIMIT 1000
/* how long discovery may take when the caller sets no deadline */
#define AZURE_DISCOVER_TIMEOUT_MS 20000

/* services.ErrAzureDisabled, which upstream returns as is (code Unknown) */
static int azure_enabled(db *d, rpc_status *st)
{
    settings s;
    if (settings_load(d, &s, st) != RPC_OK)
        return st->code;
    bool on = s.azure_discover_enabled;
    settings_free(&s);
    return on ? RPC_OK : rpc_fail(st, RPC_UNKNOWN, "Azure monitoring is disabled");
}

/* protoc-gen-validate's rules of DiscoverAzureDatabaseRequest. */
static int validate_discover(const ProtobufCMessage *in, rpc_status *st)
{
    static const char *const f[][2] = { { "azure_client_id", "AzureClientId" },
                                        { "azure_client_secret", "AzureClientSecret" },
                                        { "azure_tenant_id", "AzureTenantId" },
                                        { "azure_subscription_id", "AzureSubscriptionId" } };
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if (validate_min_len(st, pb_get_str(in, f[i][0]), 1, "DiscoverAzureDatabaseRequest", f[i][1]))
            return st->code;
    return RPC_OK;
}

int mgmt_discover_azure(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (validate_discover(in, st) || azure_enabled(w->db, st))
        return st->code;
    if (!azure_tenant_valid(pb_get_str(in, "azure_tenant_id")))
        return rpc_fail(st, RPC_UNKNOWN, "%s", azure_invalid_tenant);
    char *err = malloc(RPC_MESSAGE_MAX), *token = NULL, *body = NULL;
    size_t len = 0;
    ProtobufCMessage *resp = pb_new(&management__v1__discover_azure_database_response__descriptor);
    int rc = RPC_OK;
    if (!err || !resp) {
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
        goto out;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long total = mgmt_time_left(ctx, AZURE_DISCOVER_TIMEOUT_MS);
    if (azure_token(APP(w)->azure_login_url, pb_get_str(in, "azure_tenant_id"), pb_get_str(in, "azure_client_id"),
                    pb_get_str(in, "azure_client_secret"), total, &token, err, RPC_MESSAGE_MAX) != 0) {
        rc = rpc_fail(st, RPC_UNKNOWN, "%s", err);
        goto out;
    }
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long left = total - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    if (azure_query(APP(w)->azure_mgmt_url, token, pb_get_str(in, "azure_subscription_id"), left > 100 ? left : 100,
                    &body, &len, err, RPC_MESSAGE_MAX) != 0 ||
        azure_instances(body, len, resp, err, RPC_MESSAGE_MAX) != 0) {
        rc = rpc_fail(st, RPC_UNKNOWN, "%s", err);
        goto out;
    }
    *out = resp;
    resp = NULL;
out:
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    free(err);
    free(token);
    free(body);
    return rc;
}

/* ---- AddAzureDatabase ------------------------------------------------------ */

typedef struct {
    const ProtobufCMessage *req;
    const char *node_name, *service_name, *service_member, *exporter_member, *qan_member;
    int32_t tablestats_limit;
    char node_id[64], service_id[64], agent_ids[3][64];
} azure_add;

/* protoc-gen-validate's rules of AddAzureDatabaseRequest, in field order. */
static int validate_add(const ProtobufCMessage *in, rpc_status *st)
{
    static const char *const before_port[][2] = { { "region", "Region" }, { "instance_id", "InstanceId" },
                                                   { "address", "Address" } };
    static const char *const after_port[][2] = { { "username", "Username" },
                                                 { "azure_client_id", "AzureClientId" },
                                                 { "azure_client_secret", "AzureClientSecret" },
                                                 { "azure_tenant_id", "AzureTenantId" },
                                                 { "azure_subscription_id", "AzureSubscriptionId" },
                                                 { "azure_resource_group", "AzureResourceGroup" } };
    for (size_t i = 0; i < sizeof before_port / sizeof *before_port; i++)
        if (validate_min_len(st, pb_get_str(in, before_port[i][0]), 1, "AddAzureDatabaseRequest",
                             before_port[i][1]))
            return st->code;
    if (validate_int(st, pb_get_u32(in, "port"), &validate_gt0_rules, "AddAzureDatabaseRequest", "Port"))
        return st->code;
    for (size_t i = 0; i < sizeof after_port / sizeof *after_port; i++)
        if (validate_min_len(st, pb_get_str(in, after_port[i][0]), 1, "AddAzureDatabaseRequest", after_port[i][1]))
            return st->code;
    return RPC_OK;
}

static int oom(ProtobufCMessage *m, rpc_status *st)
{
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    return rpc_fail(st, RPC_INTERNAL, "out of memory");
}

static int create_node(db *d, azure_add *a, rpc_status *st)
{
    ProtobufCMessage *np = mgmt_params_from(&inventory__v1__add_node_request__descriptor, "remote_azure", a->req, NULL);
    if (!np || pb_set_str(np, "node_name", a->node_name) < 0)
        return oom(np, st);
    ProtobufCMessage *node = NULL;
    int rc = node_create(d, node_kind_by_stored("remote_azure_database"), np, &node, st);
    protobuf_c_message_free_unpacked(np, NULL);
    if (rc == RPC_OK) {
        snprintf(a->node_id, sizeof a->node_id, "%s", pb_get_str(node, "node_id"));
        protobuf_c_message_free_unpacked(node, NULL);
    }
    return rc;
}

/* Upstream's AddDBMSServiceParams: name, node, environment, labels, address and port. */
static int create_service(db *d, azure_add *a, rpc_status *st)
{
    static const char *const skip[] = { "cluster", "replication_set", "socket", "database", NULL };
    ProtobufCMessage *sp = mgmt_params_from(&inventory__v1__add_service_request__descriptor, a->service_member, a->req, skip);
    if (!sp || pb_set_str(sp, "node_id", a->node_id) < 0 || pb_set_str(sp, "service_name", a->service_name) < 0)
        return oom(sp, st);
    ProtobufCMessage *service = NULL;
    int rc = service_create(d, service_kind_by_member(a->service_member), sp, &service, st);
    protobuf_c_message_free_unpacked(sp, NULL);
    if (rc == RPC_OK) {
        snprintf(a->service_id, sizeof a->service_id, "%s", pb_get_str(service, "service_id"));
        protobuf_c_message_free_unpacked(service, NULL);
    }
    return rc;
}

/* One agent of member under the server's pmm-agent, from the request's
 * fields of the same names (labels and switches are the request's, not
 * the agent's). *p is the params for the caller to complete. */
static ProtobufCMessage *agent_params(const azure_add *a, const char *member)
{
    static const char *const skip[] = { "custom_labels", "skip_connection_check", "pmm_agent_id", "service_id",
                                        "node_id", "tablestats_group_table_limit", "disable_query_examples", NULL };
    ProtobufCMessage *p = mgmt_params_from(&inventory__v1__add_agent_request__descriptor, member, a->req, skip);
    if (p && (pb_set_str(p, "pmm_agent_id", PMM_SERVER_AGENT_ID) < 0 || pb_set_str(p, "service_id", a->service_id) < 0 ||
              pb_set_str(p, "node_id", a->node_id) < 0)) {
        protobuf_c_message_free_unpacked(p, NULL);
        p = NULL;
    }
    return p;
}

static int create_agent(db *d, azure_add *a, const char *member, ProtobufCMessage *p, int slot, rpc_status *st)
{
    ProtobufCMessage *result = pb_new(&inventory__v1__add_agent_response__descriptor);
    if (!result)
        return oom(p, st);
    int rc = mgmt_create_agent(d, member, p, result, member, a->agent_ids[slot], sizeof a->agent_ids[slot], st);
    protobuf_c_message_free_unpacked(p, NULL);
    protobuf_c_message_free_unpacked(result, NULL);
    return rc;
}

/* The azure_database_exporter: the credentials go to its azure_options.
 * It is created on the node (the only attachment inventory's AddAgent
 * knows for it) and moved to the service, where upstream's AddAzureDatabase
 * puts it and where agentsd reads the service type for its resource types. */
static int create_azure_exporter(db *d, azure_add *a, rpc_status *st)
{
    ProtobufCMessage *p = agent_params(a, "azure_database_exporter");
    if (!p)
        return oom(NULL, st);
    int rc = create_agent(d, a, "azure_database_exporter", p, 0, st);
    if (rc != RPC_OK)
        return rc;
    PGresult *r = db_exec(d, st, "UPDATE agents SET node_id = NULL, service_id = $2 WHERE agent_id = $1", 2,
                          (const char *[]){ a->agent_ids[0], a->service_id });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

/* A copy of the request's connection_timeout for the exporter's params. */
static int set_timeout(ProtobufCMessage *p, const ProtobufCMessage *req)
{
    const ProtobufCMessage *src = pb_get_msg(req, "connection_timeout");
    if (!src)
        return 0;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(p->descriptor, "connection_timeout");
    if (!f)
        return 0;
    ProtobufCMessage *copy = pb_new(f->descriptor);
    const Google__Protobuf__Duration *dur = (const Google__Protobuf__Duration *)src;
    if (!copy || pb_set_i64(copy, "seconds", dur->seconds) < 0 || pb_set_i32(copy, "nanos", dur->nanos) < 0)
        return copy ? (protobuf_c_message_free_unpacked(copy, NULL), -1) : -1;
    return pb_set_msg(p, "connection_timeout", copy) == 0 ? 0 : -1;
}

static int create_exporter(db *d, azure_add *a, rpc_status *st)
{
    ProtobufCMessage *p = agent_params(a, a->exporter_member);
    if (!p || set_timeout(p, a->req) != 0 ||
        (a->tablestats_limit && pb_set_i32(p, "tablestats_group_table_limit", a->tablestats_limit) < 0))
        return oom(p, st);
    return create_agent(d, a, a->exporter_member, p, 1, st);
}

static int create_qan(db *d, azure_add *a, rpc_status *st)
{
    ProtobufCMessage *p = agent_params(a, a->qan_member);
    bool no_examples = pb_get_bool(a->req, "disable_query_examples");
    int set = p ? pb_set_bool(p, "disable_query_examples", no_examples) : -1;
    if (set < 0)
        return oom(p, st);
    int rc = create_agent(d, a, a->qan_member, p, 2, st);
    if (rc != RPC_OK || !no_examples || set == 0)
        return rc;
    /* pg_stat_statements' params have no such field; upstream sets it all the same */
    PGresult *r = db_exec(d, st,
                          "UPDATE agents SET qan_options = jsonb_set(coalesce(qan_options, '{}'::jsonb), "
                          "'{query_examples_disabled}', 'true') WHERE agent_id = $1",
                          1, (const char *[]){ a->agent_ids[2] });
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

static int do_add(db *d, azure_add *a, rpc_status *st)
{
    if (create_node(d, a, st) || create_service(d, a, st))
        return st->code;
    if (pb_get_bool(a->req, "azure_database_exporter") && create_azure_exporter(d, a, st))
        return st->code;
    if (create_exporter(d, a, st))
        return st->code;
    if (!pb_get_bool(a->req, "skip_connection_check") && mgmt_check_service(d, a->service_id, a->agent_ids[1], NULL, st))
        return st->code;
    return pb_get_bool(a->req, "qan") ? create_qan(d, a, st) : RPC_OK;
}

int mgmt_add_azure(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (validate_add(in, st) || azure_enabled(w->db, st))
        return st->code;
    const char *instance = pb_get_str(in, "instance_id");
    azure_add a = { .req = in };
    a.node_name = *pb_get_str(in, "node_name") ? pb_get_str(in, "node_name") : instance;
    a.service_name = *pb_get_str(in, "service_name") ? pb_get_str(in, "service_name") : instance;
    int32_t limit = pb_get_i32(in, "tablestats_group_table_limit");
    a.tablestats_limit = limit == 0 ? DEFAULT_TABLESTATS_GROUP_TABLE_LIMIT : limit < 0 ? -1 : limit;
    switch (pb_get_i32(in, "type")) {
    case MANAGEMENT__V1__DISCOVER_AZURE_DATABASE_TYPE__DISCOVER_AZURE_DATABASE_TYPE_MYSQL:
        a.service_member = "mysql", a.exporter_member = "mysqld_exporter", a.qan_member = "qan_mysql_perfschema_agent";
        break;
    case MANAGEMENT__V1__DISCOVER_AZURE_DATABASE_TYPE__DISCOVER_AZURE_DATABASE_TYPE_POSTGRESQL:
        a.service_member = "postgresql", a.exporter_member = "postgres_exporter";
        a.qan_member = "qan_postgresql_pgstatements_agent";
        a.tablestats_limit = 0;
        break;
    default: {
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
            &management__v1__discover_azure_database_type__descriptor, pb_get_i32(in, "type"));
        /* Go's %q of the enum: its name, or its number for one it does not know */
        char num[16], q[96];
        snprintf(num, sizeof num, "%d", pb_get_i32(in, "type"));
        rpc_quote(q, sizeof q, ev ? ev->name : num);
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Unsupported Azure Database type %s.", q);
    }
    }
    if (db_begin(w->db, st) || mgmt_end_tx(w->db, st, do_add(w->db, &a, st)))
        return st->code;
    events_inventory_changed(APP(w)->pub, "node", "add", a.node_id);
    events_inventory_changed(APP(w)->pub, "service", "add", a.service_id);
    for (int i = 0; i < 3; i++)
        if (a.agent_ids[i][0])
            events_inventory_changed(APP(w)->pub, "agent", "add", a.agent_ids[i]);
    *out = pb_new(&management__v1__add_azure_database_response__descriptor);
    return *out ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}
