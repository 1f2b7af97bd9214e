/* agents: management.v1 ListAgents and ListAgentVersions, and
 * the UniversalAgent form of an agent row. A UniversalAgent never carries
 * a secret: passwords, the agent password, TLS keys, the AWS secret key
 * and the Azure client secret are reported only as is_*_set flags (the
 * sealed column is non-empty exactly when the secret is). The username is
 * shown, as upstream does, so it is decrypted. */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "inventory/v1/log_level.pb-c.h"
#include "log.h"
#include "management/v1/agent.pb-c.h"
#include "pbutil.h"
#include "secret.h"

#define TIMES \
    "floor(extract(epoch FROM a.created_at))::bigint, mod(extract(microseconds FROM a.created_at)::bigint, 1000000), " \
    "floor(extract(epoch FROM a.updated_at))::bigint, mod(extract(microseconds FROM a.updated_at)::bigint, 1000000)"

typedef enum { T_STR, T_BOOL, T_I32, T_I64, T_U32, T_SET, T_STRLIST } val_type;

/* One UniversalAgent field (sub: inside that option message) from a
 * column, or a key inside a JSONB column. T_SET: "is it non-empty". */
static const struct {
    const char *sub, *field, *col, *key;
    val_type type;
} fields[] = {
    { NULL, "agent_id", "agent_id", NULL, T_STR },
    { NULL, "agent_type", "agent_type", NULL, T_STR },
    { NULL, "status", "status", NULL, T_STR },
    { NULL, "is_connected", "is_connected", NULL, T_BOOL },
    { NULL, "is_agent_password_set", "agent_password", NULL, T_SET },
    { NULL, "is_password_set", "password", NULL, T_SET },
    { NULL, "aws_access_key", "aws_options", "aws_access_key", T_STR },
    { NULL, "is_aws_secret_key_set", "aws_options", "aws_secret_key", T_SET },
    { NULL, "disabled", "disabled", NULL, T_BOOL },
    { NULL, "disabled_collectors", "exporter_options", "disabled_collectors", T_STRLIST },
    { NULL, "listen_port", "listen_port", NULL, T_U32 },
    { NULL, "max_query_length", "qan_options", "max_query_length", T_I32 },
    { NULL, "max_query_log_size", "qan_options", "max_query_log_size", T_I64 },
    { NULL, "metrics_path", "exporter_options", "metrics_path", T_STR },
    { NULL, "metrics_scheme", "exporter_options", "metrics_scheme", T_STR },
    { NULL, "node_id", "node_id", NULL, T_STR },
    { NULL, "pmm_agent_id", "pmm_agent_id", NULL, T_STR },
    { NULL, "process_exec_path", "process_exec_path", NULL, T_STR },
    { NULL, "push_metrics", "exporter_options", "push_metrics", T_BOOL },
    { NULL, "expose_exporter", "exporter_options", "expose_exporter", T_BOOL },
    { NULL, "query_examples_disabled", "qan_options", "query_examples_disabled", T_BOOL },
    { NULL, "comments_parsing_disabled", "qan_options", "comments_parsing_disabled", T_BOOL },
    { NULL, "rds_basic_metrics_disabled", "aws_options", "rds_basic_metrics_disabled", T_BOOL },
    { NULL, "rds_enhanced_metrics_disabled", "aws_options", "rds_enhanced_metrics_disabled", T_BOOL },
    { NULL, "runs_on_node_id", "runs_on_node_id", NULL, T_STR },
    { NULL, "service_id", "service_id", NULL, T_STR },
    { NULL, "table_count", "mysql_options", "table_count", T_I32 },
    { NULL, "table_count_tablestats_group_limit", "mysql_options", "table_count_tablestats_group_limit", T_I32 },
    { NULL, "tls", "tls", NULL, T_BOOL },
    { NULL, "tls_skip_verify", "tls_skip_verify", NULL, T_BOOL },
    { NULL, "version", "version", NULL, T_STR },
    { "azure_options", "client_id", "azure_options", "client_id", T_STR },
    { "azure_options", "is_client_secret_set", "azure_options", "client_secret", T_SET },
    { "azure_options", "resource_group", "azure_options", "resource_group", T_STR },
    { "azure_options", "subscription_id", "azure_options", "subscription_id", T_STR },
    { "azure_options", "tenant_id", "azure_options", "tenant_id", T_STR },
    { "mongo_db_options", "is_tls_certificate_key_set", "mongo_options", "tls_certificate_key", T_SET },
    { "mongo_db_options", "is_tls_certificate_key_file_password_set", "mongo_options",
      "tls_certificate_key_file_password", T_SET },
    { "mongo_db_options", "authentication_mechanism", "mongo_options", "authentication_mechanism", T_STR },
    { "mongo_db_options", "authentication_database", "mongo_options", "authentication_database", T_STR },
    { "mongo_db_options", "stats_collections", "mongo_options", "stats_collections", T_STRLIST },
    { "mongo_db_options", "collections_limit", "mongo_options", "collections_limit", T_I32 },
    { "mongo_db_options", "enable_all_collectors", "mongo_options", "enable_all_collectors", T_BOOL },
    { "mysql_options", "is_tls_key_set", "mysql_options", "tls_key", T_SET },
    { "postgresql_options", "is_ssl_key_set", "postgresql_options", "ssl_key", T_SET },
    { "postgresql_options", "auto_discovery_limit", "postgresql_options", "auto_discovery_limit", T_I32 },
    { "postgresql_options", "max_exporter_connections", "postgresql_options", "max_exporter_connections", T_I32 },
};

static const char *const subs[] = { "azure_options", "mongo_db_options", "mysql_options", "postgresql_options",
                                    "valkey_options" };

static int set_value(ProtobufCMessage *m, const char *field, val_type type, json_t *v)
{
    switch (type) {
    case T_STR:
        return json_is_string(v) ? pb_set_str(m, field, json_string_value(v)) : 0;
    case T_BOOL:
        return pb_set_bool(m, field, json_is_true(v));
    case T_I32:
        return pb_set_i32(m, field, (int32_t)json_integer_value(v));
    case T_I64:
        return pb_set_i64(m, field, json_integer_value(v));
    case T_U32:
        return pb_set_u32(m, field, (uint32_t)json_integer_value(v));
    case T_SET:
        return pb_set_bool(m, field, json_is_string(v) && *json_string_value(v));
    case T_STRLIST: {
        size_t i;
        json_t *s;
        json_array_foreach(v, i, s) if (json_is_string(s) && pb_append_str(m, field, json_string_value(s)) < 0) return -1;
        return 0;
    }
    }
    return 0;
}

/* inventory.v1.LogLevel from the stored lower-case name. */
static int log_level_value(const char *stored)
{
    char name[48];
    int n = snprintf(name, sizeof name, "LOG_LEVEL_%s", stored ? stored : "");
    for (int i = 10; i < n && i < (int)sizeof name; i++)
        name[i] = (char)toupper((unsigned char)name[i]);
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(&inventory__v1__log_level__descriptor,
                                                                                 name);
    return ev ? ev->value : 0;
}

/* Username is stored sealed; NULL on a key mismatch. */
static int set_username(ProtobufCMessage *m, json_t *rec, rpc_status *st)
{
    const char *stored = json_string_value(json_object_get(rec, "username"));
    if (!stored || !*stored)
        return RPC_OK;
    char *plain = secret_decrypt(stored);
    if (!plain) {
        log_error("agent %s: stored username cannot be decrypted (wrong encryption key?)",
                  json_string_value(json_object_get(rec, "agent_id")));
        return rpc_fail(st, RPC_INTERNAL, "cannot decrypt agent credentials");
    }
    int rc = pb_set_str(m, "username", plain);
    free(plain);
    return rc < 0 ? rpc_fail(st, RPC_INTERNAL, "out of memory") : RPC_OK;
}

static ProtobufCMessage *sub_message(ProtobufCMessage *m, const char *name)
{
    return (ProtobufCMessage *)pb_get_msg(m, name);
}

static int fill(ProtobufCMessage *m, json_t *rec, rpc_status *st)
{
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, subs[i]);
        if (pb_set_msg(m, subs[i], pb_new(f->descriptor)) != 0)
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        json_t *v = json_object_get(rec, fields[i].col);
        if (fields[i].key)
            v = json_object_get(v, fields[i].key);
        ProtobufCMessage *target = fields[i].sub ? sub_message(m, fields[i].sub) : m;
        if (set_value(target, fields[i].field, fields[i].type, v) < 0)
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    const char *labels = json_string_value(json_object_get(rec, "custom_labels"));
    if (pb_set_map_json(m, "custom_labels", labels) < 0 ||
        pb_set_i32(m, "log_level", log_level_value(json_string_value(json_object_get(rec, "log_level")))) < 0)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return set_username(m, rec, st);
}

static ProtobufCMessage *agent_from_row(PGresult *r, int row, rpc_status *st)
{
    json_t *rec = json_loads(PQgetvalue(r, row, 0), 0, NULL);
    ProtobufCMessage *m = json_is_object(rec) ? pb_new(&management__v1__universal_agent__descriptor) : NULL;
    int rc = m ? fill(m, rec, st) : rpc_fail(st, RPC_INTERNAL, "bad agent row");
    json_decref(rec);
    if (rc == RPC_OK &&
        (mgmt_set_timestamp(m, "created_at", mgmt_cell(r, row, 1), mgmt_cell(r, row, 2)) != 0 ||
         mgmt_set_timestamp(m, "updated_at", mgmt_cell(r, row, 3), mgmt_cell(r, row, 4)) != 0))
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (rc != RPC_OK && m) {
        protobuf_c_message_free_unpacked(m, NULL);
        m = NULL;
    }
    return m;
}

/* Appends to resp's `field` the agents matching where (an SQL condition
 * on agents a with $1 its only parameter: one of the constants below,
 * never input). */
static int append_agents(db *d, const char *where, const char *param, ProtobufCMessage *resp, const char *field,
                         rpc_status *st)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT row_to_json(a)::text, " TIMES " FROM agents a WHERE %s ORDER BY a.agent_id",
             where);
    PGresult *r = db_exec(d, st, sql, 1, (const char *[]){ param });
    if (!r)
        return st->code;
    int rc = RPC_OK;
    for (int i = 0; i < PQntuples(r) && rc == RPC_OK; i++) {
        ProtobufCMessage *m = agent_from_row(r, i, st);
        if (!m)
            rc = st->code;
        else if (pb_append_msg(resp, field, m) != 0)
            rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    PQclear(r);
    return rc;
}

/* Upstream's IsServiceAgent, IsNodeAgent (the service's node's
 * pmm-agent) and IsVMAgent for service $1. */
#define AGENTS_OF_SERVICE \
    "(a.service_id = $1 OR EXISTS (SELECT 1 FROM services s WHERE s.service_id = $1 AND " \
    "((a.service_id IS NULL AND a.runs_on_node_id = s.node_id) OR " \
    "(a.node_id = s.node_id AND a.agent_type = 'vmagent'))))"

static int service_exists(db *d, const char *id, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT 1 FROM services WHERE service_id = $1", 1, (const char *[]){ id });
    if (!r)
        return st->code;
    bool found = PQntuples(r) > 0;
    PQclear(r);
    if (found)
        return RPC_OK;
    char q[RPC_MESSAGE_MAX];
    rpc_quote(q, sizeof q, id);
    return rpc_fail(st, RPC_NOT_FOUND, "Service with ID %s not found.", q);
}

int mgmt_list_agents(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    const char *service_id = pb_get_str(in, "service_id"), *node_id = pb_get_str(in, "node_id");
    if (!*service_id && !*node_id)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Either service_id or node_id is expected.");
    if (*service_id && *node_id)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Either service_id or node_id is expected, not both.");
    if (*service_id && service_exists(w->db, service_id, &ctx->status))
        return ctx->status.code;
    ProtobufCMessage *resp = pb_new(&management__v1__list_agents_response__descriptor);
    if (!resp)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    int rc = *service_id ? append_agents(w->db, AGENTS_OF_SERVICE, service_id, resp, "agents", &ctx->status)
                         : append_agents(w->db, "(a.node_id = $1 OR a.runs_on_node_id = $1)", node_id, resp, "agents",
                                         &ctx->status);
    if (rc != RPC_OK) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return rc;
    }
    *out = resp;
    return RPC_OK;
}

/* major.minor.patch of a version text ("3.1.0", "v3.1.0-rc1"); -1 if not one. */
static int parse_version(const char *s, long v[3])
{
    if (*s == 'v')
        s++;
    for (int i = 0; i < 3; i++) {
        char *end;
        if (!isdigit((unsigned char)*s))
            return -1;
        v[i] = strtol(s, &end, 10);
        s = end;
        if (i < 2 && *s++ != '.')
            return -1;
    }
    return *s == '\0' || *s == '-' || *s == '+' ? 0 : -1;
}

static int cmp_version(const long a[3], const long b[3])
{
    for (int i = 0; i < 3; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

static int severity(const long agent[3], const long server[3])
{
    if (agent[0] < server[0])
        return MANAGEMENT__V1__UPDATE_SEVERITY__UPDATE_SEVERITY_CRITICAL;
    int c = cmp_version(agent, server);
    if (c < 0)
        return MANAGEMENT__V1__UPDATE_SEVERITY__UPDATE_SEVERITY_REQUIRED;
    if (c > 0)
        return MANAGEMENT__V1__UPDATE_SEVERITY__UPDATE_SEVERITY_UNSUPPORTED;
    return MANAGEMENT__V1__UPDATE_SEVERITY__UPDATE_SEVERITY_UP_TO_DATE;
}

static int append_version(ProtobufCMessage *resp, PGresult *r, int row, const long server[3], rpc_status *st)
{
    long v[3];
    if (parse_version(mgmt_cell(r, row, 1), v) != 0) {
        log_warn("could not parse the client version of agent %s", mgmt_cell(r, row, 0));
        return RPC_OK; /* upstream skips it rather than failing the list */
    }
    ProtobufCMessage *m = pb_new(&management__v1__agent_versions__descriptor);
    if (!m || pb_set_str(m, "agent_id", mgmt_cell(r, row, 0)) < 0 || pb_set_str(m, "version", mgmt_cell(r, row, 1)) < 0 ||
        pb_set_str(m, "node_name", mgmt_cell(r, row, 2)) < 0 || pb_set_i32(m, "severity", severity(v, server)) < 0) {
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    return pb_append_msg(resp, "agent_versions", m) == 0 ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

int mgmt_list_agent_versions(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    long server[3];
    if (parse_version(PMM_VERSION, server) != 0)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "could not parse the server version: %s", PMM_VERSION);
    /* Enabled pmm-agents on a known node, as upstream. */
    PGresult *r = db_exec(w->db, &ctx->status,
                          "SELECT a.agent_id, COALESCE(a.version, ''), n.node_name FROM agents a "
                          "JOIN nodes n ON n.node_id = a.runs_on_node_id "
                          "WHERE a.agent_type = 'pmm-agent' AND NOT a.disabled ORDER BY a.agent_id",
                          0, NULL);
    if (!r)
        return ctx->status.code;
    ProtobufCMessage *resp = pb_new(&management__v1__list_agent_versions_response__descriptor);
    int rc = resp ? RPC_OK : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    for (int i = 0; i < PQntuples(r) && rc == RPC_OK; i++)
        rc = append_version(resp, r, i, server, &ctx->status);
    PQclear(r);
    if (rc != RPC_OK) {
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return rc;
    }
    *out = resp;
    return RPC_OK;
}
