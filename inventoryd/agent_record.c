/* agent_record: one agent row as a JSON object and its conversions: Add and
 * Change parameters into the row, the row into the kind's API message
 * (see agent_record.h). */
#include "agent_record.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/v1/agent_status.pb-c.h"
#include "inventory/v1/log_level.pb-c.h"
#include "log.h"
#include "pbutil.h"
#include "secret.h"
#include "uuid.h"

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

static const char *const json_columns[] = {
    "exporter_options", "qan_options", "aws_options", "azure_options", "mysql_options",
    "mongo_options", "postgresql_options", "valkey_options", "rta_options",
};


/* ---- record helpers ----------------------------------------------------- */



/* Steals v. */
int agent_rec_set(json_t *rec, const char *col, const char *key, json_t *v)
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
    json_t *cur = agent_rec_get(rec, "exporter_options", "metrics_resolutions");
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
    return agent_rec_set(rec, "exporter_options", "metrics_resolutions", res);
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
    return agent_rec_set(rec, f->col, f->key, v);
}

int agent_rec_apply(json_t *rec, const agent_kind *k, const ProtobufCMessage *p, bool change)
{
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (apply_field(rec, k, &fields[i], p, change) != 0)
            return -1;
    return 0;
}

/* ---- row -> message ------------------------------------------------------ */

/* Lists read thousands of rows: the message is built from the result's
 * columns directly, not through a JSON record per row. Column positions,
 * secret flags and message fields are looked up once, not per row. */

#define N_FIELDS (sizeof fields / sizeof *fields)
#define N_JSON_COLUMNS (sizeof json_columns / sizeof *json_columns)

struct agent_rows {
    PGresult *r;
    int col[N_FIELDS];  /* column of each field map entry, -1 if absent */
    int json[N_FIELDS]; /* its JSONB column's slot when it has a key, else -1 */
    bool secret[N_FIELDS];
    int json_col[N_JSON_COLUMNS];
    int type_col, pmm_node_col, mysql_slot;
    const agent_kind *last_kind;
    /* the current row's JSONB columns, parsed when first needed */
    int parsed_row;
    json_t *parsed[N_JSON_COLUMNS];
    bool tried[N_JSON_COLUMNS];
};

/* The response field of each field map entry in each kind's message
 * (agent_kinds_count rows; NULL only on ENOMEM at first use). */
static const ProtobufCFieldDescriptor *(*resp_fd)[N_FIELDS];
static pthread_once_t resp_once = PTHREAD_ONCE_INIT;

static void resp_fd_init(void)
{
    resp_fd = calloc((size_t)agent_kinds_count, sizeof *resp_fd);
    for (int k = 0; resp_fd && k < agent_kinds_count; k++)
        for (size_t i = 0; i < N_FIELDS; i++)
            if (fields[i].resp)
                resp_fd[k][i] = protobuf_c_message_descriptor_get_field_by_name(agent_kinds[k].desc, fields[i].resp);
}

agent_rows *agent_rows_new(PGresult *r)
{
    pthread_once(&resp_once, resp_fd_init);
    agent_rows *rs = resp_fd ? calloc(1, sizeof *rs) : NULL;
    if (!rs)
        return NULL;
    rs->r = r;
    rs->parsed_row = -1;
    for (size_t j = 0; j < N_JSON_COLUMNS; j++) {
        rs->json_col[j] = PQfnumber(r, json_columns[j]);
        if (strcmp(json_columns[j], "mysql_options") == 0)
            rs->mysql_slot = (int)j;
    }
    for (size_t i = 0; i < N_FIELDS; i++) {
        rs->col[i] = PQfnumber(r, fields[i].col);
        rs->json[i] = -1;
        for (size_t j = 0; fields[i].key && j < N_JSON_COLUMNS; j++)
            if (strcmp(json_columns[j], fields[i].col) == 0)
                rs->json[i] = (int)j;
        rs->secret[i] = agent_rec_is_secret(fields[i].col, fields[i].key);
    }
    rs->type_col = PQfnumber(r, "agent_type");
    rs->pmm_node_col = PQfnumber(r, PMM_NODE_KEY);
    return rs;
}

static void parsed_clear(agent_rows *rs)
{
    for (size_t j = 0; j < N_JSON_COLUMNS; j++) {
        json_decref(rs->parsed[j]);
        rs->parsed[j] = NULL;
        rs->tried[j] = false;
    }
}

void agent_rows_free(agent_rows *rs)
{
    if (!rs)
        return;
    parsed_clear(rs);
    free(rs);
}

/* JSONB column slot j of row as an object (borrowed; NULL when empty,
 * NULL or not an object). Most option columns hold just {}. */
static json_t *json_column(agent_rows *rs, int row, int j)
{
    if (rs->parsed_row != row) {
        parsed_clear(rs);
        rs->parsed_row = row;
    }
    if (!rs->tried[j]) {
        rs->tried[j] = true;
        int c = rs->json_col[j];
        const char *v = c >= 0 && !PQgetisnull(rs->r, row, c) ? PQgetvalue(rs->r, row, c) : NULL;
        if (v && strcmp(v, "{}") != 0)
            rs->parsed[j] = json_loads(v, JSON_DECODE_ANY, NULL);
    }
    return rs->parsed[j];
}

/* One value of a row: a plain column's text (NULL for SQL NULL) or the
 * value of a key of a JSONB column (NULL when absent). */
typedef struct {
    const char *text;
    json_t *json;
} cell;

static cell row_cell(agent_rows *rs, int row, size_t i)
{
    cell c = { NULL, NULL };
    if (rs->json[i] >= 0)
        c.json = json_object_get(json_column(rs, row, rs->json[i]), fields[i].key);
    else if (rs->col[i] >= 0 && !PQgetisnull(rs->r, row, rs->col[i]))
        c.text = PQgetvalue(rs->r, row, rs->col[i]);
    return c;
}

/* The string of a cell: a text column, or a JSON string. */
static const char *cell_str(cell c)
{
    return c.json ? json_string_value(c.json) : c.text;
}

static bool cell_bool(cell c)
{
    return c.json ? json_is_true(c.json) : c.text && c.text[0] == 't';
}

static json_int_t cell_int(cell c)
{
    return c.json ? json_integer_value(c.json) : c.text ? strtoll(c.text, NULL, 10) : 0;
}

/* The JSON value of a cell: a key's value, or a text column holding JSON
 * (K_ENVLIST); a new reference, NULL when none. */
static json_t *cell_json(cell c)
{
    if (c.json)
        return json_incref(c.json);
    return c.text ? json_loads(c.text, JSON_DECODE_ANY, NULL) : NULL;
}

static int show_list(ProtobufCMessage *m, const char *field, json_t *arr)
{
    size_t i;
    json_t *s;
    json_array_foreach(arr, i, s) if (pb_append_str(m, field, json_string_value(s)) < 0) return -1;
    return 0;
}

static int show_resolutions(ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, json_t *v)
{
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
    return pb_set_msg(m, fd->name, res);
}

/* Sets response field fd of m from cell c (field map entry f). */
static int show_field(ProtobufCMessage *m, const field_map *f, const ProtobufCFieldDescriptor *fd, cell c)
{
    const char *name = fd->name;
    switch (f->kind) {
    case K_STR: {
        const char *s = cell_str(c);
        return s ? pb_set_str(m, name, s) : 0;
    }
    case K_BOOL:
        return pb_set_bool(m, name, cell_bool(c));
    case K_I32:
        return pb_set_i32(m, name, (int32_t)cell_int(c));
    case K_I64:
        return pb_set_i64(m, name, cell_int(c));
    case K_U32:
        return pb_set_u32(m, name, (uint32_t)cell_int(c));
    case K_LOGLEVEL:
        return pb_set_i32(m, name, log_level_value(cell_str(c)));
    case K_STATUS:
        return pb_set_i32(m, name, status_value(cell_str(c)));
    case K_STRLIST:
        return show_list(m, name, c.json);
    case K_ENVLIST: {
        json_t *a = cell_str(c) ? cell_json(c) : NULL;
        int rc = show_list(m, name, a);
        json_decref(a);
        return rc;
    }
    case K_LABELS:
        return pb_set_map_json(m, name, cell_str(c));
    case K_JMAP: {
        char *text = json_is_object(c.json) ? json_dumps(c.json, JSON_COMPACT) : NULL;
        int rc = text ? pb_set_map_json(m, name, text) : 0;
        free(text);
        return rc;
    }
    case K_RES:
        return show_resolutions(m, fd, c.json);
    case K_DUR:
        if (!json_is_integer(c.json) || json_integer_value(c.json) == 0)
            return 0;
        return pb_set_msg(m, name, duration_new(fd, json_integer_value(c.json)));
    }
    return 0;
}

/* upstream IsMySQLTablestatsGroupEnabled, negated. */
static bool tablestats_disabled(agent_rows *rs, int row)
{
    json_t *opts = json_column(rs, row, rs->mysql_slot);
    json_int_t limit = json_integer_value(json_object_get(opts, "table_count_tablestats_group_limit"));
    json_t *count = json_object_get(opts, "table_count");
    if (limit == 0)
        return false;
    if (limit < 0)
        return true;
    return json_is_integer(count) && json_integer_value(count) > limit;
}

/* Shows field map entry i, decrypting a stored secret first. 0, -1 on
 * ENOMEM, -2 when a secret cannot be decrypted. */
static int show_entry(agent_rows *rs, int row, ProtobufCMessage *m, size_t i, const ProtobufCFieldDescriptor *fd)
{
    cell c = row_cell(rs, row, i);
    const char *s = rs->secret[i] ? cell_str(c) : NULL;
    if (!s || !*s)
        return show_field(m, &fields[i], fd, c) < 0 ? -1 : 0;
    char *plain = secret_decrypt(s);
    if (!plain)
        return -2;
    int rc = pb_set_str(m, fd->name, plain) < 0 ? -1 : 0;
    free(plain);
    return rc;
}

ProtobufCMessage *agent_rows_msg(agent_rows *rs, int row, const agent_kind **kind, rpc_status *st)
{
    const char *type = rs->type_col >= 0 ? PQgetvalue(rs->r, row, rs->type_col) : "";
    /* rows of one kind often come together (a list filtered by type): try
     * the previous row's kind before the table */
    const agent_kind *k = rs->last_kind && strcmp(rs->last_kind->stored, type) == 0 ? rs->last_kind
                                                                                   : agent_kind_by_stored(type);
    rs->last_kind = k;
    *kind = k;
    if (!k)
        return NULL; /* a type this server does not know (e.g. a newer one) */
    ProtobufCMessage *m = pb_new(k->desc);
    if (!m) {
        rpc_fail(st, RPC_INTERNAL, "out of memory");
        return NULL;
    }
    int rc = 0;
    for (size_t i = 0; i < N_FIELDS && rc == 0; i++) {
        const ProtobufCFieldDescriptor *fd = resp_fd[k - agent_kinds][i];
        if (fd && applies(k, &fields[i]))
            rc = show_entry(rs, row, m, i, fd);
    }
    /* A push-mode external exporter belongs to a pmm-agent; upstream still
     * shows the node it runs on. */
    const char *pmm_node = rs->pmm_node_col >= 0 && !PQgetisnull(rs->r, row, rs->pmm_node_col)
                               ? PQgetvalue(rs->r, row, rs->pmm_node_col)
                               : NULL;
    if (rc == 0 && k->attach == ATTACH_EXTERNAL && !*pb_get_str(m, "runs_on_node_id") && pmm_node &&
        pb_set_str(m, "runs_on_node_id", pmm_node) < 0)
        rc = -1;
    if (rc == 0 && pb_set_bool(m, "tablestats_group_disabled", tablestats_disabled(rs, row)) < 0)
        rc = -1;
    if (rc == 0)
        return m;
    protobuf_c_message_free_unpacked(m, NULL);
    if (rc == -2) {
        log_error("agent %s: stored credentials cannot be decrypted (wrong encryption key?)",
                  PQgetvalue(rs->r, row, rs->col[0]));
        rpc_fail(st, RPC_INTERNAL, "cannot decrypt agent credentials");
    } else {
        rpc_fail(st, RPC_INTERNAL, "failed to build agent");
    }
    return NULL;
}

json_t *agent_rec_new(const agent_kind *k)
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

/* Disabling stops the agent: upstream reports it DONE at once (api-tests);
 * pmm-agents and external exporters have no status of their own. */
int agent_rec_set_enabled(json_t *rec, const agent_kind *k, bool enable)
{
    if (agent_rec_set(rec, "disabled", NULL, json_boolean(!enable)) != 0)
        return -1;
    if (!enable && k->attach != ATTACH_EXTERNAL && k->attach != ATTACH_NODE_RUNS_ON)
        return agent_rec_set(rec, "status", NULL, json_string("AGENT_STATUS_DONE"));
    return 0;
}
