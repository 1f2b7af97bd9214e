/* agent_model: agents in PostgreSQL, as the inventory.v1 agent kinds
 * (see agent_model.h). */
#include "agent_model.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/v1/agent_status.pb-c.h"
#include "inventory/v1/agents.pb-c.h"
#include "inventory/v1/log_level.pb-c.h"
#include "log.h"
#include "pbutil.h"
#include "secret.h"
#include "uuid.h"

#define NOW "now() AT TIME ZONE 'UTC'"

/* The min_len 1 pair every service-attached kind validates first. */
#define PMM_SVC "pmm_agent_id:PmmAgentId", "service_id:ServiceId"

const agent_kind agent_kinds[] = {
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_PMM_AGENT, "pmm-agent", "pmm_agent", "pmm_agent", "pmm_agent", NULL,
      "AddPMMAgentParams", &inventory__v1__pmmagent__descriptor, ATTACH_NODE_RUNS_ON, FAM_NONE,
      { "runs_on_node_id:RunsOnNodeId" }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_VM_AGENT, "vmagent", "vm_agent", "vmagent", NULL, NULL,
      "", &inventory__v1__vmagent__descriptor, ATTACH_NODE, FAM_NONE, { NULL }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_NODE_EXPORTER, "node_exporter", "node_exporter", "node_exporter",
      "node_exporter", "node_exporter", "AddNodeExporterParams", &inventory__v1__node_exporter__descriptor,
      ATTACH_PMM_NODE, FAM_NONE, { "pmm_agent_id:PmmAgentId" }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_MYSQLD_EXPORTER, "mysqld_exporter", "mysqld_exporter", "mysqld_exporter",
      "mysqld_exporter", "mysqld_exporter", "AddMySQLdExporterParams", &inventory__v1__my_sqld_exporter__descriptor,
      ATTACH_SERVICE, FAM_MYSQL, { PMM_SVC, "username:Username" }, { "mysql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_MONGODB_EXPORTER, "mongodb_exporter", "mongodb_exporter",
      "mongodb_exporter", "mongodb_exporter", "mongodb_exporter", "AddMongoDBExporterParams",
      &inventory__v1__mongo_dbexporter__descriptor, ATTACH_SERVICE, FAM_MONGO,
      { PMM_SVC }, { "mongodb" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_POSTGRES_EXPORTER, "postgres_exporter", "postgres_exporter",
      "postgres_exporter", "postgres_exporter", "postgres_exporter", "AddPostgresExporterParams",
      &inventory__v1__postgres_exporter__descriptor, ATTACH_SERVICE, FAM_PG, { PMM_SVC, "username:Username" },
      { "postgresql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_PROXYSQL_EXPORTER, "proxysql_exporter", "proxysql_exporter",
      "proxysql_exporter", "proxysql_exporter", "proxysql_exporter", "AddProxySQLExporterParams",
      &inventory__v1__proxy_sqlexporter__descriptor, ATTACH_SERVICE, FAM_NONE, { PMM_SVC, "username:Username" },
      { "proxysql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_PERFSCHEMA_AGENT, "qan-mysql-perfschema-agent",
      "qan_mysql_perfschema_agent", "qan_mysql_perfschema_agent", "qan_mysql_perfschema_agent",
      "qan_mysql_perfschema_agent", "AddQANMySQLPerfSchemaAgentParams",
      &inventory__v1__qanmy_sqlperf_schema_agent__descriptor, ATTACH_SERVICE, FAM_MYSQL, { PMM_SVC, "username:Username" },
      { "mysql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_SLOWLOG_AGENT, "qan-mysql-slowlog-agent",
      "qan_mysql_slowlog_agent", "qan_mysql_slowlog_agent", "qan_mysql_slowlog_agent", "qan_mysql_slowlog_agent",
      "AddQANMySQLSlowlogAgentParams", &inventory__v1__qanmy_sqlslowlog_agent__descriptor, ATTACH_SERVICE,
      FAM_MYSQL, { PMM_SVC, "username:Username" }, { "mysql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MONGODB_PROFILER_AGENT, "qan-mongodb-profiler-agent",
      "qan_mongodb_profiler_agent", "qan_mongodb_profiler_agent", "qan_mongodb_profiler_agent",
      "qan_mongodb_profiler_agent", "AddQANMongoDBProfilerAgentParams",
      &inventory__v1__qanmongo_dbprofiler_agent__descriptor, ATTACH_SERVICE, FAM_MONGO, { PMM_SVC }, { "mongodb" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_POSTGRESQL_PGSTATEMENTS_AGENT, "qan-postgresql-pgstatements-agent",
      "qan_postgresql_pgstatements_agent", "qan_postgresql_pgstatements_agent", "qan_postgresql_pgstatements_agent",
      "qan_postgresql_pgstatements_agent", "AddQANPostgreSQLPgStatementsAgentParams",
      &inventory__v1__qanpostgre_sqlpg_statements_agent__descriptor, ATTACH_SERVICE, FAM_PG, { PMM_SVC, "username:Username" },
      { "postgresql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_POSTGRESQL_PGSTATMONITOR_AGENT, "qan-postgresql-pgstatmonitor-agent",
      "qan_postgresql_pgstatmonitor_agent", "qan_postgresql_pgstatmonitor_agent",
      "qan_postgresql_pgstatmonitor_agent", "qan_postgresql_pgstatmonitor_agent",
      "AddQANPostgreSQLPgStatMonitorAgentParams", &inventory__v1__qanpostgre_sqlpg_stat_monitor_agent__descriptor,
      ATTACH_SERVICE, FAM_PG, { PMM_SVC, "username:Username" }, { "postgresql" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_EXTERNAL_EXPORTER, "external-exporter", "external_exporter",
      "external_exporter", "external_exporter", "external_exporter", "AddExternalExporterParams",
      &inventory__v1__external_exporter__descriptor, ATTACH_EXTERNAL, FAM_NONE, { "runs_on_node_id:RunsOnNodeId" },
      { "external" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_RDS_EXPORTER, "rds_exporter", "rds_exporter", "rds_exporter",
      "rds_exporter", "rds_exporter", "AddRDSExporterParams", &inventory__v1__rdsexporter__descriptor, ATTACH_NODE,
      FAM_NONE, { "pmm_agent_id:PmmAgentId", "node_id:NodeId" }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_AZURE_DATABASE_EXPORTER, "azure_database_exporter",
      "azure_database_exporter", "azure_database_exporter", "azure_database_exporter", "azure_database_exporter",
      "AddAzureDatabaseExporterParams", &inventory__v1__azure_database_exporter__descriptor, ATTACH_NODE, FAM_NONE,
      { "pmm_agent_id:PmmAgentId", "node_id:NodeId",
        "azure_database_resource_type:AzureDatabaseResourceType" }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_NOMAD_AGENT, "nomad-agent", "nomad_agent", "nomad_agent", NULL,
      "nomad_agent", "", &inventory__v1__nomad_agent__descriptor, ATTACH_NODE, FAM_NONE, { NULL }, { NULL } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_VALKEY_EXPORTER, "valkey_exporter", "valkey_exporter", "valkey_exporter",
      "valkey_exporter", "valkey_exporter", "AddValkeyExporterParams", &inventory__v1__valkey_exporter__descriptor,
      ATTACH_SERVICE, FAM_VALKEY, { PMM_SVC, "username:Username" }, { "valkey" } },
    { INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MONGODB_MONGOLOG_AGENT, "qan-mongodb-mongolog-agent",
      "qan_mongodb_mongolog_agent", "qan_mongodb_mongolog_agent", "qan_mongodb_mongolog_agent",
      "qan_mongodb_mongolog_agent", "AddQANMongoDBMongologAgentParams",
      &inventory__v1__qanmongo_dbmongolog_agent__descriptor, ATTACH_SERVICE, FAM_MONGO, { PMM_SVC }, { "mongodb" } },
};
const int agent_kinds_count = sizeof agent_kinds / sizeof *agent_kinds;

const agent_kind *agent_kind_by_stored(const char *stored)
{
    for (int i = 0; stored && i < agent_kinds_count; i++)
        if (strcmp(agent_kinds[i].stored, stored) == 0)
            return &agent_kinds[i];
    return NULL;
}

const agent_kind *agent_kind_by_enum(int type_enum)
{
    for (int i = 0; i < agent_kinds_count; i++)
        if (agent_kinds[i].type_enum == type_enum)
            return &agent_kinds[i];
    return NULL;
}

const agent_kind *agent_kind_by_add_member(const char *member)
{
    for (int i = 0; member && i < agent_kinds_count; i++)
        if (agent_kinds[i].add_member && strcmp(agent_kinds[i].add_member, member) == 0)
            return &agent_kinds[i];
    return NULL;
}

const agent_kind *agent_kind_by_change_member(const char *member)
{
    for (int i = 0; member && i < agent_kinds_count; i++)
        if (agent_kinds[i].change_member && strcmp(agent_kinds[i].change_member, member) == 0)
            return &agent_kinds[i];
    return NULL;
}

/* ---- the field map ---------------------------------------------------- */

typedef enum {
    K_STR,     /* string; an empty column value is NULL */
    K_BOOL,
    K_I32,
    K_I64,
    K_U32,     /* listen_port; 0 is NULL */
    K_LOGLEVEL,/* LogLevel enum <-> lower-case name */
    K_STATUS,  /* AgentStatus enum <-> its name */
    K_STRLIST, /* repeated string <-> JSON array */
    K_LABELS,  /* map <-> TEXT column holding a JSON object (NULL when empty) */
    K_JMAP,    /* map <-> JSON object inside a JSONB column */
    K_RES,     /* common.MetricsResolutions <-> {hr, mr, lr} in nanoseconds */
    K_DUR,     /* google.protobuf.Duration <-> nanoseconds */
    K_ENVLIST, /* repeated string <-> TEXT column holding a JSON array */
} field_kind;

typedef struct {
    const char *param;  /* Add…Params field; NULL: output only */
    const char *change; /* Change…Params field when it differs from param */
    const char *resp;   /* agent message field; NULL: never shown */
    const char *col;
    const char *key;    /* key inside the JSONB column col */
    field_kind kind;
    int family;         /* 0: every kind; else only kinds of these families */
} field_map;

/* JSONB key names follow managed/models/agent_model.go and
 * agent_helpers.go (ExporterOptions, QANOptions, AWSOptions, AzureOptions,
 * MongoDBOptions, MySQLOptions, PostgreSQLOptions, ValkeyOptions). */
static const field_map fields[] = {
    { NULL, NULL, "agent_id", "agent_id", NULL, K_STR, 0 },
    { NULL, NULL, "pmm_agent_id", "pmm_agent_id", NULL, K_STR, 0 },
    { NULL, NULL, "runs_on_node_id", "runs_on_node_id", NULL, K_STR, 0 },
    { NULL, NULL, "service_id", "service_id", NULL, K_STR, 0 },
    { NULL, NULL, "node_id", "node_id", NULL, K_STR, 0 },
    { NULL, NULL, "disabled", "disabled", NULL, K_BOOL, 0 },
    { NULL, NULL, "status", "status", NULL, K_STATUS, 0 },
    { NULL, NULL, "process_exec_path", "process_exec_path", NULL, K_STR, 0 },
    { NULL, NULL, "connected", "is_connected", NULL, K_BOOL, 0 },
    { "listen_port", NULL, "listen_port", "listen_port", NULL, K_U32, 0 },
    { "custom_labels", NULL, "custom_labels", "custom_labels", NULL, K_LABELS, 0 },
    { "username", NULL, "username", "username", NULL, K_STR, 0 },
    { "password", NULL, NULL, "password", NULL, K_STR, 0 },
    { "agent_password", NULL, NULL, "agent_password", NULL, K_STR, 0 },
    { "tls", NULL, "tls", "tls", NULL, K_BOOL, 0 },
    { "tls_skip_verify", NULL, "tls_skip_verify", "tls_skip_verify", NULL, K_BOOL, 0 },
    { "log_level", NULL, "log_level", "log_level", NULL, K_LOGLEVEL, 0 },
    { "environment_variable_names", NULL, "environment_variable_names", "environment_variables", NULL, K_ENVLIST, 0 },

    { "push_metrics", "enable_push_metrics", "push_metrics_enabled", "exporter_options", "push_metrics", K_BOOL, 0 },
    { "disable_collectors", NULL, "disabled_collectors", "exporter_options", "disabled_collectors", K_STRLIST, 0 },
    { "expose_exporter", NULL, "expose_exporter", "exporter_options", "expose_exporter", K_BOOL, 0 },
    { "metrics_resolutions", NULL, "metrics_resolutions", "exporter_options", "metrics_resolutions", K_RES, 0 },
    { "connection_timeout", NULL, "connection_timeout", "exporter_options", "connection_timeout", K_DUR, 0 },
    { "scheme", NULL, "scheme", "exporter_options", "metrics_scheme", K_STR, 0 },
    { "metrics_path", NULL, "metrics_path", "exporter_options", "metrics_path", K_STR, 0 },

    { "max_query_length", NULL, "max_query_length", "qan_options", "max_query_length", K_I32, 0 },
    { "max_slowlog_file_size", NULL, "max_slowlog_file_size", "qan_options", "max_query_log_size", K_I64, 0 },
    { "disable_query_examples", NULL, "query_examples_disabled", "qan_options", "query_examples_disabled", K_BOOL, 0 },
    { "disable_comments_parsing", NULL, "disable_comments_parsing", "qan_options", "comments_parsing_disabled",
      K_BOOL, 0 },

    { "tls_ca", NULL, "tls_ca", "mysql_options", "tls_ca", K_STR, FAM_MYSQL },
    { "tls_cert", NULL, "tls_cert", "mysql_options", "tls_cert", K_STR, FAM_MYSQL },
    { "tls_key", NULL, "tls_key", "mysql_options", "tls_key", K_STR, FAM_MYSQL },
    { "tablestats_group_table_limit", NULL, "tablestats_group_table_limit", "mysql_options",
      "table_count_tablestats_group_limit", K_I32, 0 },
    { NULL, NULL, "table_count", "mysql_options", "table_count", K_I32, 0 },
    { "extra_dsn_params", NULL, "extra_dsn_params", "mysql_options", "extra_dsn_params", K_JMAP, 0 },

    { "tls_ca", NULL, NULL, "postgresql_options", "ssl_ca", K_STR, FAM_PG },
    { "tls_cert", NULL, NULL, "postgresql_options", "ssl_cert", K_STR, FAM_PG },
    { "tls_key", NULL, NULL, "postgresql_options", "ssl_key", K_STR, FAM_PG },
    { "auto_discovery_limit", NULL, "auto_discovery_limit", "postgresql_options", "auto_discovery_limit", K_I32, 0 },
    { "max_exporter_connections", NULL, "max_exporter_connections", "postgresql_options", "max_exporter_connections",
      K_I32, 0 },

    { "tls_ca", NULL, NULL, "mongo_options", "tls_ca", K_STR, FAM_MONGO },
    { "tls_certificate_key", NULL, NULL, "mongo_options", "tls_certificate_key", K_STR, 0 },
    { "tls_certificate_key_file_password", NULL, NULL, "mongo_options", "tls_certificate_key_file_password", K_STR, 0 },
    { "authentication_mechanism", NULL, NULL, "mongo_options", "authentication_mechanism", K_STR, 0 },
    { "authentication_database", NULL, NULL, "mongo_options", "authentication_database", K_STR, 0 },
    { "stats_collections", NULL, "stats_collections", "mongo_options", "stats_collections", K_STRLIST, 0 },
    { "collections_limit", NULL, "collections_limit", "mongo_options", "collections_limit", K_I32, 0 },
    { "enable_all_collectors", NULL, "enable_all_collectors", "mongo_options", "enable_all_collectors", K_BOOL, 0 },

    { "tls_ca", NULL, NULL, "valkey_options", "ssl_ca", K_STR, FAM_VALKEY },
    { "tls_cert", NULL, NULL, "valkey_options", "ssl_cert", K_STR, FAM_VALKEY },
    { "tls_key", NULL, NULL, "valkey_options", "ssl_key", K_STR, FAM_VALKEY },

    { "aws_access_key", NULL, "aws_access_key", "aws_options", "aws_access_key", K_STR, 0 },
    { "aws_secret_key", NULL, NULL, "aws_options", "aws_secret_key", K_STR, 0 },
    { "disable_basic_metrics", NULL, "basic_metrics_disabled", "aws_options", "rds_basic_metrics_disabled", K_BOOL, 0 },
    { "disable_enhanced_metrics", NULL, "enhanced_metrics_disabled", "aws_options", "rds_enhanced_metrics_disabled",
      K_BOOL, 0 },

    { "azure_client_id", NULL, NULL, "azure_options", "client_id", K_STR, 0 },
    { "azure_client_secret", NULL, NULL, "azure_options", "client_secret", K_STR, 0 },
    { "azure_tenant_id", NULL, NULL, "azure_options", "tenant_id", K_STR, 0 },
    { "azure_subscription_id", NULL, "azure_database_subscription_id", "azure_options", "subscription_id", K_STR, 0 },
    { "azure_resource_group", NULL, NULL, "azure_options", "resource_group", K_STR, 0 },
    /* Upstream does not show the resource type back (api-tests). */
    { "azure_database_resource_type", NULL, NULL, "azure_options", "resource_type", K_STR, 0 },
};

/* Stored encrypted: upstream's DefaultAgentEncryptionColumnsV3 columns, and
 * inside the JSON columns the keys that hold private material. */
static const struct {
    const char *col, *key;
} secrets[] = {
    { "username", NULL },
    { "password", NULL },
    { "agent_password", NULL },
    { "aws_options", "aws_secret_key" },
    { "azure_options", "client_secret" },
    { "mysql_options", "tls_key" },
    { "postgresql_options", "ssl_key" },
    { "mongo_options", "tls_certificate_key" },
    { "mongo_options", "tls_certificate_key_file_password" },
    { "valkey_options", "ssl_key" },
};

static const char *const json_columns[] = {
    "exporter_options", "qan_options", "aws_options", "azure_options", "mysql_options",
    "mongo_options", "postgresql_options", "valkey_options", "rta_options",
};

/* Columns an update writes (everything but the id, type and times). */
#define MUTABLE_COLUMNS \
    "runs_on_node_id, pmm_agent_id, node_id, service_id, custom_labels, disabled, status, listen_port, " \
    "username, password, agent_password, tls, tls_skip_verify, log_level, exporter_options, qan_options, " \
    "aws_options, azure_options, mysql_options, mongo_options, postgresql_options, valkey_options, " \
    "environment_variables"

/* ---- record helpers ----------------------------------------------------- */

/* Not a column (jsonb_populate_record ignores it): the node of the agent's
 * pmm-agent, for showing where a push-mode external exporter runs. */
#define PMM_NODE_KEY "_pmm_agent_node"

/* Loads rows with that node alongside; %s is the WHERE clause. */
#define SELECT_ROWS \
    "SELECT row_to_json(a)::text, p.runs_on_node_id FROM agents a " \
    "LEFT JOIN agents p ON p.agent_id = a.pmm_agent_id "

static json_t *rec_get(json_t *rec, const char *col, const char *key)
{
    json_t *v = json_object_get(rec, col);
    return key ? json_object_get(v, key) : v;
}

/* Steals v. */
static int rec_set(json_t *rec, const char *col, const char *key, json_t *v)
{
    if (!v)
        return -1;
    if (!key)
        return json_object_set_new(rec, col, v);
    json_t *obj = json_object_get(rec, col);
    if (!json_is_object(obj)) {
        obj = json_object();
        if (!obj || json_object_set_new(rec, col, obj) != 0) {
            json_decref(v);
            return -1;
        }
    }
    return json_object_set_new(obj, key, v);
}

static const char *rec_str(json_t *rec, const char *col)
{
    const char *s = json_string_value(json_object_get(rec, col));
    return s ? s : "";
}

/* Applies f (secret_encrypt or secret_decrypt) to every secret string. */
static int rec_transform_secrets(json_t *rec, char *(*f)(const char *))
{
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        json_t *v = rec_get(rec, secrets[i].col, secrets[i].key);
        const char *s = json_string_value(v);
        if (!s || !*s)
            continue;
        char *t = f(s);
        if (!t || json_string_set(v, t) != 0) {
            free(t);
            return -1;
        }
        free(t);
    }
    return 0;
}

/* ---- protobuf field access beyond pbutil ------------------------------- */

static const ProtobufCFieldDescriptor *fdesc(const ProtobufCMessage *m, const char *name)
{
    return m && name ? protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name) : NULL;
}

#define MEMBER(m, off, type) (*(type *)((uint8_t *)(m) + (off)))

static int64_t get_i64(const ProtobufCMessage *m, const char *name)
{
    const ProtobufCFieldDescriptor *f = fdesc(m, name);
    if (!f || (f->type != PROTOBUF_C_TYPE_INT64 && f->type != PROTOBUF_C_TYPE_SINT64) || !pb_has(m, name))
        return 0;
    return MEMBER(m, f->offset, int64_t);
}

/* A repeated string field: its count and array. */
static size_t get_strs(const ProtobufCMessage *m, const char *name, char ***arr)
{
    const ProtobufCFieldDescriptor *f = fdesc(m, name);
    if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label != PROTOBUF_C_LABEL_REPEATED)
        return 0;
    *arr = MEMBER(m, f->offset, char **);
    return MEMBER(m, f->quantifier_offset, size_t);
}

/* Whether params carries field name: in a Change message only the fields
 * actually sent (a set optional, a non-empty list, a present message). */
static bool param_present(const ProtobufCMessage *p, const char *name, bool change)
{
    const ProtobufCFieldDescriptor *f = fdesc(p, name);
    if (!f)
        return false;
    if (f->label == PROTOBUF_C_LABEL_REPEATED && f->type != PROTOBUF_C_TYPE_MESSAGE) {
        char **arr;
        return !change || get_strs(p, name, &arr) > 0;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED)
        return pb_get_msg(p, name) != NULL;
    return pb_has(p, name);
}

static int64_t duration_ns(const ProtobufCMessage *d)
{
    if (!d)
        return 0;
    return get_i64(d, "seconds") * 1000000000LL + pb_get_i32(d, "nanos");
}

/* A new Duration (descriptor taken from the field that will hold it). */
static ProtobufCMessage *duration_new(const ProtobufCFieldDescriptor *f, int64_t ns)
{
    ProtobufCMessage *d = pb_new(f->descriptor);
    if (d && (pb_set_i64(d, "seconds", ns / 1000000000LL) < 0 || pb_set_i32(d, "nanos", (int32_t)(ns % 1000000000LL)) < 0)) {
        protobuf_c_message_free_unpacked(d, NULL);
        return NULL;
    }
    return d;
}

/* ---- enums ---------------------------------------------------------------- */

static json_t *log_level_json(const agent_kind *k, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(&inventory__v1__log_level__descriptor, v);
    if (!ev || v == 0)
        return json_null();
    /* Migration 67: these exporters have no fatal level. */
    if (v == INVENTORY__V1__LOG_LEVEL__LOG_LEVEL_FATAL &&
        (strcmp(k->stored, "node_exporter") == 0 || strcmp(k->stored, "mysqld_exporter") == 0 ||
         strcmp(k->stored, "postgres_exporter") == 0))
        return json_string("error");
    char buf[32];
    const char *name = ev->name + strlen("LOG_LEVEL_");
    size_t i = 0;
    for (; name[i] && i < sizeof buf - 1; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    buf[i] = 0;
    return json_string(buf);
}

static int log_level_value(const char *stored)
{
    char buf[48];
    size_t n = (size_t)snprintf(buf, sizeof buf, "LOG_LEVEL_%s", stored ? stored : "");
    for (size_t i = 10; i < n && i < sizeof buf; i++)
        buf[i] = (char)toupper((unsigned char)buf[i]);
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(&inventory__v1__log_level__descriptor, buf);
    return ev ? ev->value : 0;
}

static int status_value(const char *stored)
{
    const ProtobufCEnumValue *ev =
        protobuf_c_enum_descriptor_get_value_by_name(&inventory__v1__agent_status__descriptor, stored ? stored : "");
    return ev ? ev->value : 0;
}

/* ---- params -> record ---------------------------------------------------- */

static bool applies(const agent_kind *k, const field_map *f)
{
    return f->family == 0 || (f->family & k->family);
}

static json_t *labels_json(const ProtobufCMessage *m, const char *field)
{
    char *text = pb_map_to_json(m, field);
    if (!text)
        return NULL;
    json_t *v = strcmp(text, "{}") == 0 ? json_null() : json_string(text);
    free(text);
    return v;
}

static json_t *str_list_json(const ProtobufCMessage *p, const char *name)
{
    char **arr = NULL;
    size_t n = get_strs(p, name, &arr);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(arr[i] ? arr[i] : "")) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Merges present resolutions; upstream drops the object when all are 0. */
static int merge_resolutions(json_t *rec, const ProtobufCMessage *mr)
{
    json_t *cur = rec_get(rec, "exporter_options", "metrics_resolutions");
    json_t *res = json_is_object(cur) ? json_deep_copy(cur) : json_object();
    if (!res)
        return -1;
    static const char *const names[] = { "hr", "mr", "lr" };
    bool any = false;
    for (int i = 0; i < 3; i++) {
        const ProtobufCMessage *d = pb_get_msg(mr, names[i]);
        if (d)
            json_object_set_new(res, names[i], json_integer(duration_ns(d)));
        if (json_integer_value(json_object_get(res, names[i])) != 0)
            any = true;
    }
    if (!any) {
        json_decref(res);
        res = json_null();
    }
    return rec_set(rec, "exporter_options", "metrics_resolutions", res);
}

/* Copies one mapped parameter into the record. */
static int apply_field(json_t *rec, const agent_kind *k, const field_map *f, const ProtobufCMessage *p, bool change)
{
    const char *name = change && f->change ? f->change : f->param;
    if (!name || !applies(k, f) || !param_present(p, name, change))
        return 0;
    json_t *v = NULL;
    switch (f->kind) {
    case K_STR: {
        const char *s = pb_get_str(p, name);
        v = !f->key && !*s ? json_null() : json_string(s);
        break;
    }
    case K_BOOL:
        v = json_boolean(pb_get_bool(p, name));
        break;
    case K_I32:
        v = json_integer(pb_get_i32(p, name));
        break;
    case K_I64:
        v = json_integer(get_i64(p, name));
        break;
    case K_U32: {
        uint32_t u = pb_get_u32(p, name);
        v = u ? json_integer(u) : json_null();
        break;
    }
    case K_LOGLEVEL:
        v = log_level_json(k, pb_get_i32(p, name));
        break;
    case K_STRLIST:
        v = str_list_json(p, name);
        break;
    case K_ENVLIST: {
        json_t *a = str_list_json(p, name);
        char *text = a && json_array_size(a) ? json_dumps(a, JSON_COMPACT) : NULL;
        v = text ? json_string(text) : (a ? json_null() : NULL);
        free(text);
        json_decref(a);
        break;
    }
    case K_LABELS:
        v = change ? labels_json(pb_get_msg(p, name), "values") : labels_json(p, name);
        break;
    case K_JMAP: {
        char *text = pb_map_to_json(p, name);
        v = text ? json_loads(text, 0, NULL) : NULL;
        free(text);
        break;
    }
    case K_RES:
        return merge_resolutions(rec, pb_get_msg(p, name));
    case K_DUR:
        v = json_integer(duration_ns(pb_get_msg(p, name)));
        break;
    case K_STATUS:
        return 0;
    }
    return rec_set(rec, f->col, f->key, v);
}

static int apply_params(json_t *rec, const agent_kind *k, const ProtobufCMessage *p, bool change)
{
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (apply_field(rec, k, &fields[i], p, change) != 0)
            return -1;
    return 0;
}

/* ---- record -> message ---------------------------------------------------- */

static int show_field(ProtobufCMessage *m, const agent_kind *k, const field_map *f, json_t *rec)
{
    if (!f->resp || !applies(k, f) || !fdesc(m, f->resp))
        return 0;
    json_t *v = rec_get(rec, f->col, f->key);
    const ProtobufCFieldDescriptor *fd = fdesc(m, f->resp);
    switch (f->kind) {
    case K_STR:
        return json_is_string(v) ? pb_set_str(m, f->resp, json_string_value(v)) : 0;
    case K_BOOL:
        return pb_set_bool(m, f->resp, json_is_true(v));
    case K_I32:
        return pb_set_i32(m, f->resp, (int32_t)json_integer_value(v));
    case K_I64:
        return pb_set_i64(m, f->resp, json_integer_value(v));
    case K_U32:
        return pb_set_u32(m, f->resp, (uint32_t)json_integer_value(v));
    case K_LOGLEVEL:
        return pb_set_i32(m, f->resp, log_level_value(json_string_value(v)));
    case K_STATUS:
        return pb_set_i32(m, f->resp, status_value(json_string_value(v)));
    case K_STRLIST: {
        size_t i;
        json_t *s;
        json_array_foreach(v, i, s) if (pb_append_str(m, f->resp, json_string_value(s)) < 0) return -1;
        return 0;
    }
    case K_ENVLIST: {
        json_t *a = json_is_string(v) ? json_loads(json_string_value(v), 0, NULL) : NULL;
        size_t i;
        json_t *s;
        int rc = 0;
        json_array_foreach(a, i, s) if (pb_append_str(m, f->resp, json_string_value(s)) < 0) rc = -1;
        json_decref(a);
        return rc;
    }
    case K_LABELS:
        return pb_set_map_json(m, f->resp, json_string_value(v));
    case K_JMAP: {
        char *text = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;
        int rc = text ? pb_set_map_json(m, f->resp, text) : 0;
        free(text);
        return rc;
    }
    case K_RES: {
        if (!json_is_object(v))
            return 0;
        ProtobufCMessage *res = pb_new(fd->descriptor);
        if (!res)
            return -1;
        static const char *const names[] = { "hr", "mr", "lr" };
        for (int i = 0; i < 3; i++) {
            json_int_t ns = json_integer_value(json_object_get(v, names[i]));
            if (ns && pb_set_msg(res, names[i], duration_new(fdesc(res, names[i]), ns)) != 0) {
                protobuf_c_message_free_unpacked(res, NULL);
                return -1;
            }
        }
        return pb_set_msg(m, f->resp, res);
    }
    case K_DUR:
        if (!json_is_integer(v) || json_integer_value(v) == 0)
            return 0;
        return pb_set_msg(m, f->resp, duration_new(fd, json_integer_value(v)));
    }
    return 0;
}

/* upstream IsMySQLTablestatsGroupEnabled, negated. */
static bool tablestats_disabled(json_t *rec)
{
    json_int_t limit = json_integer_value(rec_get(rec, "mysql_options", "table_count_tablestats_group_limit"));
    json_t *count = rec_get(rec, "mysql_options", "table_count");
    if (limit == 0)
        return false;
    if (limit < 0)
        return true;
    return json_is_integer(count) && json_integer_value(count) > limit;
}

static ProtobufCMessage *agent_to_msg(json_t *rec, const agent_kind **kind)
{
    const agent_kind *k = agent_kind_by_stored(rec_str(rec, "agent_type"));
    if (!k)
        return NULL;
    ProtobufCMessage *m = pb_new(k->desc);
    if (!m)
        return NULL;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (show_field(m, k, &fields[i], rec) < 0) {
            protobuf_c_message_free_unpacked(m, NULL);
            return NULL;
        }
    /* A push-mode external exporter belongs to a pmm-agent; upstream still
     * shows the node it runs on. */
    const char *pmm_node = json_string_value(json_object_get(rec, PMM_NODE_KEY));
    if (k->attach == ATTACH_EXTERNAL && !*pb_get_str(m, "runs_on_node_id") && pmm_node &&
        pb_set_str(m, "runs_on_node_id", pmm_node) < 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    if (pb_set_bool(m, "tablestats_group_disabled", tablestats_disabled(rec)) < 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    if (kind)
        *kind = k;
    return m;
}

/* ---- database ------------------------------------------------------------- */

/* Parses a row_to_json text and decrypts its secrets. */
static json_t *rec_parse(PGresult *r, int row, rpc_status *st)
{
    json_t *rec = json_loads(PQgetvalue(r, row, 0), 0, NULL);
    if (!json_is_object(rec)) {
        json_decref(rec);
        rpc_fail(st, RPC_INTERNAL, "bad agent row");
        return NULL;
    }
    if (PQnfields(r) > 1 && !PQgetisnull(r, row, 1))
        json_object_set_new(rec, PMM_NODE_KEY, json_string(PQgetvalue(r, row, 1)));
    if (rec_transform_secrets(rec, secret_decrypt) != 0) {
        log_error("agent %s: stored credentials cannot be decrypted (wrong encryption key?)", rec_str(rec, "agent_id"));
        json_decref(rec);
        rpc_fail(st, RPC_INTERNAL, "cannot decrypt agent credentials");
        return NULL;
    }
    return rec;
}

static int rec_load(db *d, const char *id, bool for_update, json_t **out, rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          for_update ? SELECT_ROWS "WHERE a.agent_id = $1 FOR UPDATE OF a"
                                     : SELECT_ROWS "WHERE a.agent_id = $1",
                          1, (const char *[]){ id });
    if (!r)
        return st->code;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(st, RPC_NOT_FOUND, "Agent with ID %s not found.", id);
    }
    *out = rec_parse(r, 0, st);
    PQclear(r);
    return *out ? RPC_OK : st->code;
}

/* The record as the database stores it: secrets encrypted. malloc'd text. */
static char *rec_stored_text(json_t *rec, rpc_status *st)
{
    json_t *copy = json_deep_copy(rec);
    char *text = NULL;
    if (copy && rec_transform_secrets(copy, secret_encrypt) == 0)
        text = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    if (!text)
        rpc_fail(st, RPC_INTERNAL, "cannot encrypt agent credentials");
    return text;
}

static int rec_insert(db *d, json_t *rec, rpc_status *st)
{
    char *text = rec_stored_text(rec, st);
    if (!text)
        return st->code;
    PGresult *r = db_exec(d, st,
                          "INSERT INTO agents SELECT * FROM jsonb_populate_record(NULL::agents, $1::jsonb || "
                          "jsonb_build_object('created_at', " NOW ", 'updated_at', " NOW "))",
                          1, (const char *[]){ text });
    free(text);
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

static int rec_update(db *d, json_t *rec, rpc_status *st)
{
    char *text = rec_stored_text(rec, st);
    if (!text)
        return st->code;
    PGresult *r = db_exec(d, st,
                          "UPDATE agents SET (" MUTABLE_COLUMNS ") = (SELECT " MUTABLE_COLUMNS
                          " FROM jsonb_populate_record(NULL::agents, $2::jsonb)), updated_at = " NOW
                          " WHERE agent_id = $1",
                          2, (const char *[]){ rec_str(rec, "agent_id"), text });
    free(text);
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

/* ---- upstream's lookups (managed/models: agent, node and service helpers) ------------------- */

/* FindAgentByID; *runs_on gets the agent's runs_on_node_id (malloc'd) when asked. */
static int find_agent(db *d, const char *id, char **runs_on, rpc_status *st)
{
    if (!id || !*id)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Empty Agent ID.");
    PGresult *r = db_exec(d, st, "SELECT runs_on_node_id FROM agents WHERE agent_id = $1", 1, (const char *[]){ id });
    if (!r)
        return st->code;
    int rc = RPC_OK;
    if (PQntuples(r) == 0)
        rc = rpc_fail(st, RPC_NOT_FOUND, "Agent with ID %s not found.", id);
    else if (runs_on)
        *runs_on = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

/* FindNodeByID / FindServiceByID: *type gets node_type / service_type. */
static int find_typed(db *d, const char *sql, const char *what, const char *id, char *type, size_t tlen,
                      rpc_status *st)
{
    if (!id || !*id)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Empty %s ID.", what);
    PGresult *r = db_exec(d, st, sql, 1, (const char *[]){ id });
    if (!r)
        return st->code;
    int rc = RPC_OK;
    if (PQntuples(r) == 0) {
        char q[300];
        rpc_quote(q, sizeof q, id);
        rc = rpc_fail(st, RPC_NOT_FOUND, "%s with ID %s not found.", what, q);
    } else if (type) {
        snprintf(type, tlen, "%s", PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return rc;
}

static int find_node(db *d, const char *id, char *type, size_t tlen, rpc_status *st)
{
    return find_typed(d, "SELECT node_type FROM nodes WHERE node_id = $1", "Node", id, type, tlen, st);
}

static int find_service(db *d, const char *id, char *type, size_t tlen, rpc_status *st)
{
    return find_typed(d, "SELECT service_type FROM services WHERE service_id = $1", "Service", id, type, tlen, st);
}

/* compatibleNodeAndAgent */
static bool node_compatible(const char *node_type, const char *agent_type)
{
    if (strcmp(node_type, "generic") == 0 || strcmp(node_type, "container") == 0)
        return true;
    return (strcmp(node_type, "remote") == 0 && strcmp(agent_type, "external-exporter") == 0) ||
           (strcmp(node_type, "remote_rds") == 0 && strcmp(agent_type, "rds_exporter") == 0) ||
           (strcmp(node_type, "remote_azure_database") == 0 && strcmp(agent_type, "azure_database_exporter") == 0);
}

static bool service_compatible(const agent_kind *k, const char *service_type)
{
    for (int i = 0; i < 3 && k->services[i]; i++)
        if (strcmp(k->services[i], service_type) == 0)
            return true;
    return false;
}

/* The only pmm-agent on a node, for push-mode external exporters. */
static int pmm_agent_on_node(db *d, const char *node_id, char **id, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT agent_id FROM agents WHERE runs_on_node_id = $1 AND agent_type = 'pmm-agent'",
                          1, (const char *[]){ node_id });
    if (!r)
        return st->code;
    int n = PQntuples(r), rc = RPC_OK;
    if (n == 0)
        rc = rpc_fail(st, RPC_NOT_FOUND, "cannot find any pmm-agent by NodeID");
    else if (n > 1)
        rc = rpc_fail(st, RPC_INTERNAL, "exactly one pmm_agent expected for external exporter, but (%d) found at node: %s",
                      n, node_id);
    else
        *id = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

/* ---- create / get / change / list / remove ------------------------------ */

static json_t *rec_new(const agent_kind *k)
{
    char id[UUID_STR_LEN];
    uuid_v4(id);
    json_t *rec = json_object();
    if (!rec)
        return NULL;
    bool no_status = k->attach == ATTACH_NODE_RUNS_ON || k->attach == ATTACH_EXTERNAL;
    json_object_set_new(rec, "agent_id", json_string(id));
    json_object_set_new(rec, "agent_type", json_string(k->stored));
    json_object_set_new(rec, "disabled", json_false());
    json_object_set_new(rec, "status", json_string(no_status ? "" : "AGENT_STATUS_UNKNOWN"));
    json_object_set_new(rec, "tls", json_false());
    json_object_set_new(rec, "tls_skip_verify", json_false());
    json_object_set_new(rec, "is_connected", json_false());
    for (size_t i = 0; i < sizeof json_columns / sizeof *json_columns; i++)
        json_object_set_new(rec, json_columns[i], json_object());
    return rec;
}

/* Upstream MySQLOptionsFromRequest accepts one extra DSN parameter. */
static int check_dsn_params(const ProtobufCMessage *p, rpc_status *st)
{
    char *text = pb_map_to_json(p, "extra_dsn_params");
    json_t *obj = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    const char *key;
    json_t *v;
    int rc = RPC_OK;
    json_object_foreach(obj, key, v) {
        if (strcmp(key, "allowCleartextPasswords") != 0) {
            rc = rpc_fail(st, RPC_INVALID_ARGUMENT, "Unsupported DSN parameter: %s", key);
            break;
        }
    }
    json_decref(obj);
    return rc;
}

/* Sets pmm_agent_id / node_id / service_id / runs_on_node_id as kind k
 * attaches, after upstream's checks (in upstream's order). */
static int attach(db *d, const agent_kind *k, const ProtobufCMessage *p, json_t *rec, rpc_status *st)
{
    char type[64];
    const char *pmm = pb_get_str(p, "pmm_agent_id");
    switch (k->attach) {
    case ATTACH_NODE_RUNS_ON: {
        const char *node = pb_get_str(p, "runs_on_node_id");
        if (find_node(d, node, NULL, 0, st))
            return st->code;
        return rec_set(rec, "runs_on_node_id", NULL, json_string(node)) ? rpc_fail(st, RPC_INTERNAL, "out of memory") : 0;
    }
    case ATTACH_PMM_NODE: {
        char *node = NULL;
        if (find_agent(d, pmm, &node, st))
            return st->code;
        int rc = rec_set(rec, "pmm_agent_id", NULL, json_string(pmm)) ||
                 rec_set(rec, "node_id", NULL, node ? json_string(node) : json_null());
        free(node);
        return rc ? rpc_fail(st, RPC_INTERNAL, "out of memory") : 0;
    }
    case ATTACH_SERVICE: {
        const char *svc = pb_get_str(p, "service_id");
        if (find_agent(d, pmm, NULL, st) || find_service(d, svc, type, sizeof type, st))
            return st->code;
        if (!service_compatible(k, type))
            return rpc_fail(st, RPC_FAILED_PRECONDITION, "invalid combination of service type %s and agent type %s",
                            type, k->stored);
        return rec_set(rec, "pmm_agent_id", NULL, json_string(pmm)) ||
                       rec_set(rec, "service_id", NULL, json_string(svc))
                   ? rpc_fail(st, RPC_INTERNAL, "out of memory")
                   : 0;
    }
    case ATTACH_NODE: {
        const char *node = pb_get_str(p, "node_id");
        if (find_agent(d, pmm, NULL, st) || find_node(d, node, type, sizeof type, st))
            return st->code;
        if (!node_compatible(type, k->stored))
            return rpc_fail(st, RPC_FAILED_PRECONDITION, "invalid combination of node type %s and agent type %s",
                            type, k->stored);
        return rec_set(rec, "pmm_agent_id", NULL, json_string(pmm)) || rec_set(rec, "node_id", NULL, json_string(node))
                   ? rpc_fail(st, RPC_INTERNAL, "out of memory")
                   : 0;
    }
    case ATTACH_EXTERNAL: {
        uint32_t port = pb_get_u32(p, "listen_port");
        const char *node = pb_get_str(p, "runs_on_node_id"), *svc = pb_get_str(p, "service_id");
        if (port == 0 || port > 65535) /* agents.c validates first; kept for other callers */
            return rpc_fail(st, RPC_INVALID_ARGUMENT, "Listen port should be between 1 and 65535.");
        char *owner = NULL;
        if (pb_get_bool(p, "push_metrics") && pmm_agent_on_node(d, node, &owner, st))
            return st->code;
        if (find_node(d, node, NULL, 0, st) || find_service(d, svc, NULL, 0, st)) {
            free(owner);
            return st->code;
        }
        /* Push mode: the pmm-agent scrapes it, so it belongs to that agent. */
        int rc = rec_set(rec, "service_id", NULL, json_string(svc)) ||
                 (owner ? rec_set(rec, "pmm_agent_id", NULL, json_string(owner)) ||
                              rec_set(rec, PMM_NODE_KEY, NULL, json_string(node))
                        : rec_set(rec, "runs_on_node_id", NULL, json_string(node)));
        free(owner);
        return rc ? rpc_fail(st, RPC_INTERNAL, "out of memory") : 0;
    }
    }
    return rpc_fail(st, RPC_INTERNAL, "unknown agent kind");
}

/* Upstream defaults an external exporter's scheme and path. */
static void external_defaults(json_t *rec)
{
    const char *scheme = json_string_value(rec_get(rec, "exporter_options", "metrics_scheme"));
    const char *path = json_string_value(rec_get(rec, "exporter_options", "metrics_path"));
    if (!scheme || !*scheme)
        rec_set(rec, "exporter_options", "metrics_scheme", json_string("http"));
    if (!path || !*path)
        rec_set(rec, "exporter_options", "metrics_path", json_string("/metrics"));
}

int agent_create(db *d, const agent_kind *k, const ProtobufCMessage *p, ProtobufCMessage **out, rpc_status *st)
{
    if (k->family == FAM_MYSQL && check_dsn_params(p, st))
        return st->code;
    json_t *rec = rec_new(k);
    if (!rec)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    int rc = attach(d, k, p, rec, st);
    if (rc == RPC_OK && apply_params(rec, k, p, false) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "failed to build agent");
    if (rc == RPC_OK) {
        if (k->attach == ATTACH_EXTERNAL)
            external_defaults(rec);
        rc = rec_insert(d, rec, st);
    }
    if (rc == RPC_OK) {
        *out = agent_to_msg(rec, NULL);
        if (!*out)
            rc = rpc_fail(st, RPC_INTERNAL, "failed to build agent");
    }
    json_decref(rec);
    return rc;
}

int agent_get(db *d, const char *id, const agent_kind **kind, ProtobufCMessage **out, rpc_status *st)
{
    json_t *rec;
    if (rec_load(d, id, false, &rec, st))
        return st->code;
    *out = agent_to_msg(rec, kind);
    json_decref(rec);
    return *out ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "failed to build agent");
}

/* updateExternalExporterParams: push mode moves an external exporter from
 * its node to the node's pmm-agent, pull mode back. */
static int external_push_switch(db *d, json_t *rec, rpc_status *st)
{
    bool push = json_is_true(rec_get(rec, "exporter_options", "push_metrics"));
    json_t *pmm = json_object_get(rec, "pmm_agent_id"), *node = json_object_get(rec, "runs_on_node_id");
    if (push && !json_is_string(pmm)) {
        char *owner = NULL;
        if (pmm_agent_on_node(d, json_string_value(node) ? json_string_value(node) : "", &owner, st))
            return st->code;
        int rc = rec_set(rec, PMM_NODE_KEY, NULL, json_deep_copy(node)) ||
                 rec_set(rec, "pmm_agent_id", NULL, json_string(owner)) || rec_set(rec, "runs_on_node_id", NULL, json_null());
        free(owner);
        return rc ? rpc_fail(st, RPC_INTERNAL, "out of memory") : 0;
    }
    if (!push && !json_is_string(node)) {
        char *runs_on = NULL;
        if (find_agent(d, json_string_value(pmm), &runs_on, st))
            return st->code;
        int rc = rec_set(rec, "runs_on_node_id", NULL, runs_on ? json_string(runs_on) : json_null()) ||
                 rec_set(rec, "pmm_agent_id", NULL, json_null());
        free(runs_on);
        return rc ? rpc_fail(st, RPC_INTERNAL, "out of memory") : 0;
    }
    return RPC_OK;
}

/* Disabling stops the agent: upstream reports it DONE at once (api-tests);
 * pmm-agents and external exporters have no status of their own. */
static int set_enabled(json_t *rec, const agent_kind *k, bool enable)
{
    if (rec_set(rec, "disabled", NULL, json_boolean(!enable)) != 0)
        return -1;
    if (!enable && k->attach != ATTACH_EXTERNAL && k->attach != ATTACH_NODE_RUNS_ON)
        return rec_set(rec, "status", NULL, json_string("AGENT_STATUS_DONE"));
    return 0;
}

int agent_change(db *d, const char *id, const char *member, const ProtobufCMessage *p, ProtobufCMessage **out,
                 rpc_status *st)
{
    json_t *rec;
    if (rec_load(d, id, true, &rec, st))
        return st->code;
    const agent_kind *k = agent_kind_by_stored(rec_str(rec, "agent_type"));
    int rc = RPC_OK;
    if (!k || !k->change_member || strcmp(k->change_member, member) != 0)
        rc = rpc_fail(st, RPC_INVALID_ARGUMENT, "Agent with ID %s is not a %s.", id,
                      agent_kind_by_change_member(member) ? agent_kind_by_change_member(member)->stored : member);
    if (rc == RPC_OK && pb_has(p, "enable") && set_enabled(rec, k, pb_get_bool(p, "enable")) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (rc == RPC_OK && apply_params(rec, k, p, true) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "failed to change agent");
    if (rc == RPC_OK && k->attach == ATTACH_EXTERNAL && pb_has(p, "enable_push_metrics"))
        rc = external_push_switch(d, rec, st);
    if (rc == RPC_OK)
        rc = rec_update(d, rec, st);
    if (rc == RPC_OK) {
        *out = agent_to_msg(rec, NULL);
        if (!*out)
            rc = rpc_fail(st, RPC_INTERNAL, "failed to build agent");
    }
    json_decref(rec);
    return rc;
}

int agent_list(db *d, const char *pmm_agent_id, const char *node_id, const char *service_id, int type_enum,
               ProtobufCMessage *resp, rpc_status *st)
{
    const agent_kind *only = type_enum ? agent_kind_by_enum(type_enum) : NULL;
    if (type_enum && !only)
        return RPC_OK;
    const char *col = NULL, *val = NULL;
    if (pmm_agent_id && *pmm_agent_id) {
        if (find_agent(d, pmm_agent_id, NULL, st))
            return st->code;
        col = "pmm_agent_id", val = pmm_agent_id;
    } else if (node_id && *node_id) {
        if (find_node(d, node_id, NULL, 0, st))
            return st->code;
        col = "node_id", val = node_id;
    } else if (service_id && *service_id) {
        if (find_service(d, service_id, NULL, 0, st))
            return st->code;
        col = "service_id", val = service_id;
    }
    /* col is one of three constants, never input. */
    char sql[256];
    snprintf(sql, sizeof sql,
             SELECT_ROWS "WHERE ($1::text IS NULL OR a.%s = $1) "
             "AND ($2::text IS NULL OR a.agent_type = $2) ORDER BY a.agent_id",
             col ? col : "agent_id");
    PGresult *r = db_exec(d, st, sql, 2, (const char *[]){ val, only ? only->stored : NULL });
    if (!r)
        return st->code;
    int rc = RPC_OK;
    for (int i = 0; i < PQntuples(r) && rc == RPC_OK; i++) {
        json_t *rec = rec_parse(r, i, st);
        if (!rec) {
            rc = st->code;
            break;
        }
        const agent_kind *k;
        ProtobufCMessage *m = agent_to_msg(rec, &k);
        json_decref(rec);
        if (!m)
            continue; /* a type this server does not know (e.g. a newer one) */
        if (pb_append_msg(resp, k->list_member, m) != 0)
            rc = rpc_fail(st, RPC_INTERNAL, "failed to build agent list");
    }
    PQclear(r);
    return rc;
}

int agent_remove(db *d, const char *id, bool force, rpc_status *st)
{
    if (find_agent(d, id, NULL, st))
        return st->code;
    if (strcmp(id, PMM_SERVER_AGENT_ID) == 0)
        return rpc_fail(st, RPC_PERMISSION_DENIED, "pmm-agent on PMM Server can't be removed.");
    const char *params[] = { id };
    PGresult *r = db_exec(d, st, "SELECT 1 FROM agents WHERE pmm_agent_id = $1 LIMIT 1", 1, params);
    if (!r)
        return st->code;
    bool children = PQntuples(r) > 0;
    PQclear(r);
    if (children && !force)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "pmm-agent with ID %s has agents.", id);
    if (children) {
        r = db_exec(d, st, "DELETE FROM agents WHERE pmm_agent_id = $1", 1, params);
        if (!r)
            return st->code;
        PQclear(r);
    }
    r = db_exec(d, st, "DELETE FROM agents WHERE agent_id = $1", 1, params);
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

/* Whether a stored row holds a secret without the "enc:" prefix. */
static bool has_plaintext(json_t *rec)
{
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        const char *s = json_string_value(rec_get(rec, secrets[i].col, secrets[i].key));
        if (s && *s && strncmp(s, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0)
            return true;
    }
    return false;
}

static int seal_rows(db *d, rpc_status *st, int *sealed)
{
    PGresult *r = db_exec(d, st, "SELECT row_to_json(a)::text FROM agents a ORDER BY agent_id FOR UPDATE", 0, NULL);
    if (!r)
        return st->code;
    int rc = RPC_OK;
    for (int i = 0; i < PQntuples(r) && rc == RPC_OK; i++) {
        json_t *raw = json_loads(PQgetvalue(r, i, 0), 0, NULL);
        if (json_is_object(raw) && has_plaintext(raw)) {
            json_t *rec = rec_parse(r, i, st);
            rc = rec ? rec_update(d, rec, st) : st->code;
            json_decref(rec);
            if (rc == RPC_OK)
                (*sealed)++;
        }
        json_decref(raw);
    }
    PQclear(r);
    return rc;
}

int agent_seal_plaintext(db *d)
{
    rpc_status st = { 0 };
    int sealed = 0;
    if (db_begin(d, &st) != RPC_OK || seal_rows(d, &st, &sealed) != RPC_OK || db_commit(d, &st) != RPC_OK) {
        db_rollback(d);
        log_error("cannot encrypt stored agent credentials: %s", st.message);
        return -1;
    }
    if (sealed)
        log_info("encrypted the stored credentials of %d agents", sealed);
    return 0;
}
