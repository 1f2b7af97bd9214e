/* Integration tests of inventoryd's AgentsService: every agent kind's
 * add/get/list round trip, filters, ChangeAgent presence semantics,
 * removal rules, upstream's error texts, and credentials stored encrypted
 * and never returned. Handlers are called directly against a real
 * PostgreSQL (a fresh database per test). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/common.pb-c.h"
#include "inventory/v1/agent_status.pb-c.h"
#include "inventory/v1/agents.pb-c.h"
#include "inventoryd/agent_model.h"
#include "inventoryd/agents.h"
#include "inventoryd/app.h"
#include "inventoryd/fixtures.h"
#include "pbutil.h"
#include "secret.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/rpccall.h"
#include "tests/lib/pgtest.h"

#define AGS "/inventory.v1.AgentsService/"
#define PASSWORD "Pa55-w0rd-never-shown"
#define SECRET_KEY "aws-secret-never-shown"

/* Fixed ids of the nodes and services each test inserts. */
#define NODE "11111111-1111-4111-8111-111111111111"
#define RDS_NODE "22222222-2222-4222-8222-222222222222"
#define AZURE_NODE "33333333-3333-4333-8333-333333333333"
#define REMOTE_NODE "44444444-4444-4444-8444-444444444444"
#define SVC_MYSQL "aaaaaaaa-0000-4000-8000-000000000001"
#define SVC_MONGO "aaaaaaaa-0000-4000-8000-000000000002"
#define SVC_PG "aaaaaaaa-0000-4000-8000-000000000003"
#define SVC_PROXY "aaaaaaaa-0000-4000-8000-000000000004"
#define SVC_EXT "aaaaaaaa-0000-4000-8000-000000000005"
#define SVC_VALKEY "aaaaaaaa-0000-4000-8000-000000000006"

static db_params params;
static app the_app;
static daemon_worker w;

/* One handler, run as the bus server runs it (tests/lib/rpccall.h). */
static int call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp, char *msg)
{
    const rpc_method *m = rpc_method_find(agents_methods, agents_methods_count, method);
    ck_assert_msg(m != NULL, "no method %s", method);
    return rpc_call_method(m, &w, &the_app, req, resp, msg);
}

/* Fails when the wire form of m carries any of the secrets. */
static void assert_no_secret(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n + 1);
    protobuf_c_message_pack(m, buf);
    ck_assert_ptr_null(memmem(buf, n, PASSWORD, strlen(PASSWORD)));
    ck_assert_ptr_null(memmem(buf, n, SECRET_KEY, strlen(SECRET_KEY)));
    ck_assert_ptr_null(memmem(buf, n, "enc:", 4));
    free(buf);
}

static void exec_sql(const char *sql)
{
    rpc_status st;
    PGresult *r = db_exec_script(w.db, &st, sql);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    PQclear(r);
}

/* One value of a query's first row (malloc'd). */
static char *sql_value(const char *sql, const char *param)
{
    rpc_status st;
    PGresult *r = db_exec(w.db, &st, sql, param ? 1 : 0, param ? (const char *[]){ param } : NULL);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    ck_assert_int_eq(PQntuples(r), 1);
    char *v = strdup(PQgetisnull(r, 0, 0) ? "(null)" : PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static char key_path[256];

static void setup(void)
{
    ck_assert_int_eq(sodium_init() >= 0, 1);
    snprintf(key_path, sizeof key_path, "/tmp/test_inventory_agents.%d.key", (int)getpid());
    unlink(key_path);
    ck_assert_int_eq(secret_init(key_path), 0);
    ck_assert_int_eq(pgtest_fresh_db("test_inventory_agents", &params), 0);
    the_app.db = params;
    w.app = &the_app;
    w.db = db_new(&params);
    ck_assert_int_eq(db_migrate(w.db), 0);
    ck_assert_int_eq(fixtures_ensure(w.db, &params, false), 0);
#define NODE_SQL(id, name, type, region) \
    "INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, address, region, created_at, " \
    "updated_at) VALUES ('" id "', '" type "', '" name "', '', '', '', '" name "', " region ", now(), now());"
#define SVC_SQL(id, type, group) \
    "INSERT INTO services (service_id, service_type, service_name, node_id, environment, cluster, " \
    "replication_set, created_at, updated_at, external_group) VALUES ('" id "', '" type "', 'svc-" type "', '" NODE \
    "', '', '', '', now(), now(), '" group "');"
    exec_sql(NODE_SQL(NODE, "n1", "generic", "NULL") NODE_SQL(RDS_NODE, "rds1", "remote_rds", "'us-east-1'")
                 NODE_SQL(AZURE_NODE, "az1", "remote_azure_database", "'eastus'")
                     NODE_SQL(REMOTE_NODE, "rem1", "remote", "NULL") SVC_SQL(SVC_MYSQL, "mysql", "")
                         SVC_SQL(SVC_MONGO, "mongodb", "") SVC_SQL(SVC_PG, "postgresql", "")
                             SVC_SQL(SVC_PROXY, "proxysql", "") SVC_SQL(SVC_EXT, "external", "external")
                                 SVC_SQL(SVC_VALKEY, "valkey", ""));
}

static void teardown(void)
{
    db_destroy(w.db);
    pgtest_params_clear(&params);
    unlink(key_path);
}

/* A new Add…Params message for AddAgentRequest member. */
static ProtobufCMessage *params_for(const ProtobufCMessageDescriptor *outer, const char *member)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(outer, member);
    ck_assert_msg(f != NULL, "no member %s", member);
    return pb_new(f->descriptor);
}

/* Sends AddAgent with p as member; returns the code, *agent a copy of the new agent message. */
static int add(const char *member, ProtobufCMessage *p, ProtobufCMessage **resp, char *msg)
{
    ProtobufCMessage *req = pb_new(&inventory__v1__add_agent_request__descriptor);
    ck_assert_int_eq(pb_set_msg(req, member, p), 0);
    int code = call(AGS "AddAgent", req, resp, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    return code;
}

static char *add_pmm_agent(const char *node)
{
    ProtobufCMessage *p = params_for(&inventory__v1__add_agent_request__descriptor, "pmm_agent"), *resp;
    pb_set_str(p, "runs_on_node_id", node);
    pb_set_map_json(p, "custom_labels", "{\"dc\": \"eu\"}");
    char msg[RPC_MESSAGE_MAX];
    ck_assert_msg(add("pmm_agent", p, &resp, msg) == 0, "%s", msg);
    const ProtobufCMessage *a = pb_get_msg(resp, "pmm_agent");
    ck_assert_str_eq(pb_get_str(a, "runs_on_node_id"), node);
    char *labels = pb_map_to_json(a, "custom_labels");
    ck_assert_str_eq(labels, "{\"dc\":\"eu\"}");
    free(labels);
    char *id = strdup(pb_get_str(a, "agent_id"));
    ck_assert_int_eq(strlen(id), 36);
    protobuf_c_message_free_unpacked(resp, NULL);
    return id;
}

static int get(const char *id, ProtobufCMessage **resp, char *msg)
{
    ProtobufCMessage *req = pb_new(&inventory__v1__get_agent_request__descriptor);
    pb_set_str(req, "agent_id", id);
    int code = call(AGS "GetAgent", req, resp, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    return code;
}

static int remove_agent(const char *id, bool force, char *msg)
{
    ProtobufCMessage *req = pb_new(&inventory__v1__remove_agent_request__descriptor);
    pb_set_str(req, "agent_id", id);
    pb_set_bool(req, "force", force);
    int code = call(AGS "RemoveAgent", req, NULL, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    return code;
}

static bool same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t na = protobuf_c_message_get_packed_size(a), nb = protobuf_c_message_get_packed_size(b);
    if (na != nb)
        return false;
    uint8_t *ba = malloc(na + 1), *bb = malloc(nb + 1);
    protobuf_c_message_pack(a, ba);
    protobuf_c_message_pack(b, bb);
    bool same = memcmp(ba, bb, na) == 0;
    free(ba);
    free(bb);
    return same;
}

/* Every addable kind: its Add member, how it attaches, the list and get
 * members, its stored type, and whether it takes a password. */
static const struct {
    const char *member, *service, *node, *list, *get, *stored;
    int status;
} kinds[] = {
    { "node_exporter", NULL, NULL, "node_exporter", "node_exporter", "node_exporter", 6 },
    { "mysqld_exporter", SVC_MYSQL, NULL, "mysqld_exporter", "mysqld_exporter", "mysqld_exporter", 6 },
    { "mongodb_exporter", SVC_MONGO, NULL, "mongodb_exporter", "mongodb_exporter", "mongodb_exporter", 6 },
    { "postgres_exporter", SVC_PG, NULL, "postgres_exporter", "postgres_exporter", "postgres_exporter", 6 },
    { "proxysql_exporter", SVC_PROXY, NULL, "proxysql_exporter", "proxysql_exporter", "proxysql_exporter", 6 },
    { "external_exporter", SVC_EXT, NULL, "external_exporter", "external_exporter", "external-exporter", 0 },
    { "rds_exporter", NULL, RDS_NODE, "rds_exporter", "rds_exporter", "rds_exporter", 6 },
    { "azure_database_exporter", NULL, AZURE_NODE, "azure_database_exporter", "azure_database_exporter",
      "azure_database_exporter", 6 },
    { "qan_mysql_perfschema_agent", SVC_MYSQL, NULL, "qan_mysql_perfschema_agent", "qan_mysql_perfschema_agent",
      "qan-mysql-perfschema-agent", 6 },
    { "qan_mysql_slowlog_agent", SVC_MYSQL, NULL, "qan_mysql_slowlog_agent", "qan_mysql_slowlog_agent",
      "qan-mysql-slowlog-agent", 6 },
    { "qan_mongodb_profiler_agent", SVC_MONGO, NULL, "qan_mongodb_profiler_agent", "qan_mongodb_profiler_agent",
      "qan-mongodb-profiler-agent", 6 },
    { "qan_mongodb_mongolog_agent", SVC_MONGO, NULL, "qan_mongodb_mongolog_agent", "qan_mongodb_mongolog_agent",
      "qan-mongodb-mongolog-agent", 6 },
    { "qan_postgresql_pgstatements_agent", SVC_PG, NULL, "qan_postgresql_pgstatements_agent",
      "qan_postgresql_pgstatements_agent", "qan-postgresql-pgstatements-agent", 6 },
    { "qan_postgresql_pgstatmonitor_agent", SVC_PG, NULL, "qan_postgresql_pgstatmonitor_agent",
      "qan_postgresql_pgstatmonitor_agent", "qan-postgresql-pgstatmonitor-agent", 6 },
    { "valkey_exporter", SVC_VALKEY, NULL, "valkey_exporter", "valkey_exporter", "valkey_exporter", 6 },
};
#define NKINDS (int)(sizeof kinds / sizeof *kinds)

/* Add params for kinds[i] under pmm-agent pmm, every credential set. */
static ProtobufCMessage *kind_params(int i, const char *pmm)
{
    ProtobufCMessage *p = params_for(&inventory__v1__add_agent_request__descriptor, kinds[i].member);
    pb_set_str(p, "pmm_agent_id", pmm);
    pb_set_str(p, "runs_on_node_id", NODE);
    if (kinds[i].service)
        pb_set_str(p, "service_id", kinds[i].service);
    if (kinds[i].node)
        pb_set_str(p, "node_id", kinds[i].node);
    pb_set_str(p, "username", "monitor");
    pb_set_str(p, "password", PASSWORD);
    pb_set_str(p, "agent_password", PASSWORD);
    pb_set_str(p, "tls_key", "TLS-KEY");
    pb_set_str(p, "tls_certificate_key", PASSWORD);
    pb_set_str(p, "tls_certificate_key_file_password", PASSWORD);
    pb_set_str(p, "aws_access_key", "AKIA");
    pb_set_str(p, "aws_secret_key", SECRET_KEY);
    pb_set_str(p, "azure_client_id", "client");
    pb_set_str(p, "azure_client_secret", SECRET_KEY);
    pb_set_str(p, "azure_database_resource_type", "mysql");
    pb_set_u32(p, "listen_port", 9999);
    pb_set_i32(p, "max_query_length", 123);
    pb_set_i32(p, "log_level", 4);
    pb_set_map_json(p, "custom_labels", "{\"kind\": \"k\"}");
    return p;
}

START_TEST(every_kind_round_trip)
{
    char *pmm = add_pmm_agent(NODE);
    char msg[RPC_MESSAGE_MAX];
    for (int i = 0; i < NKINDS; i++) {
        ProtobufCMessage *resp, *got;
        ck_assert_msg(add(kinds[i].member, kind_params(i, pmm), &resp, msg) == 0, "%s: %s", kinds[i].member, msg);
        ck_assert_str_eq(pb_oneof_selected(resp, "pmm_agent"), kinds[i].member);
        const ProtobufCMessage *a = pb_get_msg(resp, kinds[i].member);
        assert_no_secret(resp);
        const char *id = pb_get_str(a, "agent_id");
        ck_assert_int_eq(strlen(id), 36);
        ck_assert_int_eq(pb_get_i32(a, "status"), kinds[i].status);
        char *labels = pb_map_to_json(a, "custom_labels");
        ck_assert_str_eq(labels, "{\"kind\":\"k\"}");
        free(labels);

        ck_assert_int_eq(get(id, &got, msg), 0);
        ck_assert_str_eq(pb_oneof_selected(got, "pmm_agent"), kinds[i].get);
        ck_assert_msg(same_message(a, pb_get_msg(got, kinds[i].get)), "%s: get differs from add", kinds[i].member);
        assert_no_secret(got);
        protobuf_c_message_free_unpacked(got, NULL);

        char *stored = sql_value("SELECT agent_type || ' ' || status FROM agents WHERE agent_id = $1", id);
        char want[128];
        snprintf(want, sizeof want, "%s %s", kinds[i].stored, kinds[i].status ? "AGENT_STATUS_UNKNOWN" : "");
        ck_assert_str_eq(stored, want);
        free(stored);
        protobuf_c_message_free_unpacked(resp, NULL);
    }

    /* Everything in one list, each under its own key. */
    ProtobufCMessage *req = pb_new(&inventory__v1__list_agents_request__descriptor), *list;
    pb_set_str(req, "pmm_agent_id", pmm);
    ck_assert_int_eq(call(AGS "ListAgents", req, &list, msg), 0);
    assert_no_secret(list);
    for (int i = 0; i < NKINDS; i++) {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(list->descriptor, kinds[i].list);
        size_t n = *(size_t *)((uint8_t *)list + f->quantifier_offset);
        /* The external exporter runs on the node, not under the pmm-agent. */
        ck_assert_msg(n == (strcmp(kinds[i].member, "external_exporter") == 0 ? 0u : 1u), "%s: %zu", kinds[i].list, n);
    }
    protobuf_c_message_free_unpacked(list, NULL);
    protobuf_c_message_free_unpacked(req, NULL);
    free(pmm);
}
END_TEST

START_TEST(secrets_stored_encrypted)
{
    char *pmm = add_pmm_agent(NODE);
    char msg[RPC_MESSAGE_MAX];
    ProtobufCMessage *resp;
    ck_assert_msg(add("mysqld_exporter", kind_params(1, pmm), &resp, msg) == 0, "%s", msg);
    char *id = strdup(pb_get_str(pb_get_msg(resp, "mysqld_exporter"), "agent_id"));
    /* Upstream's MySQLdExporter message shows the TLS key; never the password. */
    ck_assert_str_eq(pb_get_str(pb_get_msg(resp, "mysqld_exporter"), "tls_key"), "TLS-KEY");
    ck_assert_str_eq(pb_get_str(pb_get_msg(resp, "mysqld_exporter"), "username"), "monitor");
    protobuf_c_message_free_unpacked(resp, NULL);
    const char *columns[] = { "username", "password", "agent_password", "mysql_options->>'tls_key'" };
    for (int i = 0; i < 4; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT %s FROM agents WHERE agent_id = $1", columns[i]);
        char *v = sql_value(sql, id);
        ck_assert_msg(strncmp(v, "enc:", 4) == 0, "%s stored as %s", columns[i], v);
        ck_assert_ptr_null(strstr(v, PASSWORD));
        free(v);
    }
    char *whole = sql_value("SELECT row_to_json(a)::text FROM agents a WHERE agent_id = $1", id);
    ck_assert_ptr_null(strstr(whole, PASSWORD));
    free(whole);

    ck_assert_msg(add("rds_exporter", kind_params(6, pmm), &resp, msg) == 0, "%s", msg);
    char *rds = strdup(pb_get_str(pb_get_msg(resp, "rds_exporter"), "agent_id"));
    ck_assert_str_eq(pb_get_str(pb_get_msg(resp, "rds_exporter"), "aws_access_key"), "AKIA");
    protobuf_c_message_free_unpacked(resp, NULL);
    char *v = sql_value("SELECT aws_options->>'aws_secret_key' FROM agents WHERE agent_id = $1", rds);
    ck_assert_int_eq(strncmp(v, "enc:", 4), 0);
    char *plain = secret_decrypt(v);
    ck_assert_str_eq(plain, SECRET_KEY);
    free(plain);
    free(v);
    /* Two encryptions of one value differ (random nonce). */
    char *a = secret_encrypt("x"), *b = secret_encrypt("x");
    ck_assert_str_ne(a, b);
    free(a);
    free(b);
    /* A damaged value does not decrypt. */
    ck_assert_ptr_null(secret_decrypt("enc:AAAA"));
    free(rds);
    free(id);
    free(pmm);
}
END_TEST

static void expect_add_error(const char *member, ProtobufCMessage *p, int code, const char *text)
{
    char msg[RPC_MESSAGE_MAX];
    ck_assert_int_eq(add(member, p, NULL, msg), code);
    ck_assert_str_eq(msg, text);
}

START_TEST(add_errors)
{
    char *pmm = add_pmm_agent(NODE);
    ProtobufCMessage *p = params_for(&inventory__v1__add_agent_request__descriptor, "pmm_agent");
    expect_add_error("pmm_agent", p, 3, "invalid AddAgentRequest.PmmAgent: embedded message failed validation | caused by: invalid AddPMMAgentParams.RunsOnNodeId: value length must be at least 1 runes");
    p = params_for(&inventory__v1__add_agent_request__descriptor, "pmm_agent");
    pb_set_str(p, "runs_on_node_id", "no-such-node");
    expect_add_error("pmm_agent", p, 5, "Node with ID \"no-such-node\" not found.");

    p = kind_params(2, pmm); /* mongodb_exporter */
    pb_set_str(p, "service_id", SVC_MYSQL);
    expect_add_error("mongodb_exporter", p, 9, "invalid combination of service type mysql and agent type mongodb_exporter");
    p = kind_params(1, "no-such-agent");
    expect_add_error("mysqld_exporter", p, 5, "Agent with ID no-such-agent not found.");
    p = kind_params(1, pmm);
    pb_set_str(p, "service_id", "no-such-service");
    expect_add_error("mysqld_exporter", p, 5, "Service with ID \"no-such-service\" not found.");
    p = kind_params(1, pmm);
    pb_set_str(p, "username", "");
    expect_add_error("mysqld_exporter", p, 3, "invalid AddAgentRequest.MysqldExporter: embedded message failed validation | caused by: invalid AddMySQLdExporterParams.Username: value length must be at least 1 runes");
    p = kind_params(0, "");
    expect_add_error("node_exporter", p, 3, "invalid AddAgentRequest.NodeExporter: embedded message failed validation | caused by: invalid AddNodeExporterParams.PmmAgentId: value length must be at least 1 runes");
    p = kind_params(6, pmm); /* rds_exporter on a generic node is fine, on a remote node not */
    pb_set_str(p, "node_id", REMOTE_NODE);
    expect_add_error("rds_exporter", p, 9, "invalid combination of node type remote and agent type rds_exporter");
    p = kind_params(6, pmm);
    pb_set_str(p, "node_id", "no-such-node");
    expect_add_error("rds_exporter", p, 5, "Node with ID \"no-such-node\" not found.");
    p = kind_params(5, pmm);
    pb_set_u32(p, "listen_port", 0);
    expect_add_error("external_exporter", p, 3,
                     "invalid AddAgentRequest.ExternalExporter: embedded message failed validation | caused by: invalid AddExternalExporterParams.ListenPort: value must be inside range (0, 65536)");
    p = kind_params(5, pmm);
    pb_set_str(p, "service_id", "");
    expect_add_error("external_exporter", p, 3, "Empty Service ID.");
    p = kind_params(1, pmm);
    pb_set_str(p, "service_id", "");
    expect_add_error("mysqld_exporter", p, 3, "invalid AddAgentRequest.MysqldExporter: embedded message failed validation | caused by: invalid AddMySQLdExporterParams.ServiceId: value length must be at least 1 runes");
    p = kind_params(6, pmm);
    pb_set_str(p, "node_id", "");
    expect_add_error("rds_exporter", p, 3, "invalid AddAgentRequest.RdsExporter: embedded message failed validation | caused by: invalid AddRDSExporterParams.NodeId: value length must be at least 1 runes");
    p = kind_params(7, pmm);
    pb_set_str(p, "node_id", "");
    expect_add_error("azure_database_exporter", p, 3,
                     "invalid AddAgentRequest.AzureDatabaseExporter: embedded message failed validation | caused by: invalid AddAzureDatabaseExporterParams.NodeId: value length must be at least 1 runes");
    p = kind_params(14, pmm);
    pb_set_str(p, "pmm_agent_id", "");
    expect_add_error("valkey_exporter", p, 3, "invalid AddAgentRequest.ValkeyExporter: embedded message failed validation | caused by: invalid AddValkeyExporterParams.PmmAgentId: value length must be at least 1 runes");
    p = kind_params(14, pmm);
    pb_set_str(p, "service_id", "valkey-1");
    expect_add_error("valkey_exporter", p, 3, "invalid AddAgentRequest.ValkeyExporter: embedded message failed validation | caused by: invalid AddValkeyExporterParams.ServiceId: value must be a valid UUID | caused by: invalid uuid format");
    p = kind_params(1, pmm);
    pb_set_map_json(p, "extra_dsn_params", "{\"multiStatements\": \"true\"}");
    expect_add_error("mysqld_exporter", p, 3, "Unsupported DSN parameter: multiStatements");

    char msg[RPC_MESSAGE_MAX];
    ProtobufCMessage *req = pb_new(&inventory__v1__add_agent_request__descriptor);
    ck_assert_int_eq(call(AGS "AddAgent", req, NULL, msg), 13); /* upstream: plain error -> Internal */
    ck_assert_str_eq(msg, "Internal server error.");
    protobuf_c_message_free_unpacked(req, NULL);

    /* Nothing of the failed adds was stored. */
    char *n = sql_value("SELECT count(*) FROM agents WHERE pmm_agent_id = $1", pmm);
    ck_assert_str_eq(n, "0");
    free(n);
    free(pmm);
}
END_TEST

static int list(const char *pmm, const char *node, const char *svc, int type, ProtobufCMessage **resp, char *msg)
{
    ProtobufCMessage *req = pb_new(&inventory__v1__list_agents_request__descriptor);
    pb_set_str(req, "pmm_agent_id", pmm);
    pb_set_str(req, "node_id", node);
    pb_set_str(req, "service_id", svc);
    pb_set_i32(req, "agent_type", type);
    int code = call(AGS "ListAgents", req, resp, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    return code;
}

static size_t count_of(const ProtobufCMessage *m, const char *field)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);
    return *(const size_t *)((const uint8_t *)m + f->quantifier_offset);
}

static const ProtobufCMessage *first_of(const ProtobufCMessage *m, const char *field)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);
    ck_assert_uint_gt(count_of(m, field), 0);
    return (*(ProtobufCMessage *const *const *)((const uint8_t *)m + f->offset))[0];
}

START_TEST(list_filters)
{
    char msg[RPC_MESSAGE_MAX];
    ProtobufCMessage *resp;
    ck_assert_int_eq(list("a", "b", "", 0, NULL, msg), 3);
    ck_assert_str_eq(msg, "expected at most one param: pmm_agent_id, node_id or service_id");
    ck_assert_int_eq(list("", "b", "c", 0, NULL, msg), 3);
    ck_assert_str_eq(msg, "expected at most one param: pmm_agent_id, node_id or service_id");
    ck_assert_int_eq(list("nope", "", "", 0, NULL, msg), 5);
    ck_assert_str_eq(msg, "Agent with ID nope not found.");
    ck_assert_int_eq(list("", "nope", "", 0, NULL, msg), 5);
    ck_assert_str_eq(msg, "Node with ID \"nope\" not found.");
    ck_assert_int_eq(list("", "", "nope", 0, NULL, msg), 5);
    ck_assert_str_eq(msg, "Service with ID \"nope\" not found.");

    /* Fixtures: pmm-agent, node_exporter, postgres_exporter, pgstatements QAN. */
    ck_assert_int_eq(list("", "", "", 0, &resp, msg), 0);
    ck_assert_uint_eq(count_of(resp, "pmm_agent"), 1);
    ck_assert_uint_eq(count_of(resp, "node_exporter"), 1);
    ck_assert_uint_eq(count_of(resp, "postgres_exporter"), 1);
    ck_assert_uint_eq(count_of(resp, "qan_postgresql_pgstatements_agent"), 1);
    assert_no_secret(resp);
    protobuf_c_message_free_unpacked(resp, NULL);

    char *pmm = add_pmm_agent(NODE);
    ProtobufCMessage *p = kind_params(0, pmm);
    ck_assert_int_eq(add("node_exporter", p, NULL, msg), 0);
    ck_assert_int_eq(add("mysqld_exporter", kind_params(1, pmm), NULL, msg), 0);
    ck_assert_int_eq(add("qan_mysql_slowlog_agent", kind_params(9, pmm), NULL, msg), 0);

    ck_assert_int_eq(list("", NODE, "", 0, &resp, msg), 0); /* node_id: the node_exporter only */
    ck_assert_uint_eq(count_of(resp, "node_exporter"), 1);
    ck_assert_uint_eq(count_of(resp, "mysqld_exporter"), 0);
    ck_assert_str_eq(pb_get_str(first_of(resp, "node_exporter"), "pmm_agent_id"), pmm);
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_int_eq(list("", "", SVC_MYSQL, 0, &resp, msg), 0);
    ck_assert_uint_eq(count_of(resp, "mysqld_exporter"), 1);
    ck_assert_uint_eq(count_of(resp, "qan_mysql_slowlog_agent"), 1);
    ck_assert_uint_eq(count_of(resp, "node_exporter"), 0);
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_int_eq(list("", "", SVC_MYSQL, INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_SLOWLOG_AGENT, &resp, msg), 0);
    ck_assert_uint_eq(count_of(resp, "mysqld_exporter"), 0);
    ck_assert_uint_eq(count_of(resp, "qan_mysql_slowlog_agent"), 1);
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_int_eq(list(pmm, "", "", INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_NODE_EXPORTER, &resp, msg), 0);
    ck_assert_uint_eq(count_of(resp, "node_exporter"), 1);
    ck_assert_uint_eq(count_of(resp, "mysqld_exporter"), 0);
    protobuf_c_message_free_unpacked(resp, NULL);
    free(pmm);
}
END_TEST

START_TEST(get_and_remove_rules)
{
    char msg[RPC_MESSAGE_MAX];
    ck_assert_int_eq(get("short", NULL, msg), 3);
    ck_assert_str_eq(msg, "invalid GetAgentRequest.AgentId: value length must be at least 36 runes");
    /* 36 bytes but 18 runes: still too short. */
    ck_assert_int_eq(get("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
                         "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", NULL, msg), 3);
    ck_assert_str_eq(msg, "invalid GetAgentRequest.AgentId: value length must be at least 36 runes");
    ck_assert_int_eq(get("00000000-0000-4000-8000-000000000000", NULL, msg), 5);
    ck_assert_str_eq(msg, "Agent with ID 00000000-0000-4000-8000-000000000000 not found.");

    ck_assert_int_eq(remove_agent("", false, msg), 3);
    ck_assert_str_eq(msg, "invalid RemoveAgentRequest.AgentId: value length must be at least 1 runes");
    ck_assert_int_eq(remove_agent("nope", false, msg), 5);
    ck_assert_str_eq(msg, "Agent with ID nope not found.");
    ck_assert_int_eq(remove_agent("pmm-server", true, msg), 7);
    ck_assert_str_eq(msg, "pmm-agent on PMM Server can't be removed.");

    char *pmm = add_pmm_agent(NODE);
    ProtobufCMessage *resp;
    ck_assert_int_eq(add("node_exporter", kind_params(0, pmm), &resp, msg), 0);
    char *child = strdup(pb_get_str(pb_get_msg(resp, "node_exporter"), "agent_id"));
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_int_eq(add("mysqld_exporter", kind_params(1, pmm), NULL, msg), 0);

    char want[200];
    snprintf(want, sizeof want, "pmm-agent with ID %s has agents.", pmm);
    ck_assert_int_eq(remove_agent(pmm, false, msg), 9);
    ck_assert_str_eq(msg, want);
    ck_assert_int_eq(remove_agent(child, false, msg), 0);
    ck_assert_int_eq(get(child, NULL, msg), 5);
    ck_assert_int_eq(remove_agent(pmm, true, msg), 0);
    char *n = sql_value("SELECT count(*) FROM agents WHERE agent_id = $1 OR pmm_agent_id = $1", pmm);
    ck_assert_str_eq(n, "0");
    free(n);
    free(child);
    free(pmm);
}
END_TEST

/* ChangeAgent with member p (Change…Params); returns the code and the agent. */
static int change(const char *id, const char *member, ProtobufCMessage *p, ProtobufCMessage **resp, char *msg)
{
    ProtobufCMessage *req = pb_new(&inventory__v1__change_agent_request__descriptor);
    pb_set_str(req, "agent_id", id);
    ck_assert_int_eq(pb_set_msg(req, member, p), 0);
    int code = call(AGS "ChangeAgent", req, resp, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    return code;
}

static ProtobufCMessage *string_map(const char *json)
{
    ProtobufCMessage *m = pb_new(&common__string_map__descriptor);
    pb_set_map_json(m, "values", json);
    return m;
}

START_TEST(change_presence)
{
    char msg[RPC_MESSAGE_MAX];
    char *pmm = add_pmm_agent(NODE);
    ProtobufCMessage *p = kind_params(0, pmm), *resp;
    pb_append_str(p, "disable_collectors", "textfile");
    ck_assert_int_eq(add("node_exporter", p, &resp, msg), 0);
    char *id = strdup(pb_get_str(pb_get_msg(resp, "node_exporter"), "agent_id"));
    protobuf_c_message_free_unpacked(resp, NULL);

    /* Only enable: labels, collectors and log level stay. */
    p = params_for(&inventory__v1__change_agent_request__descriptor, "node_exporter");
    pb_set_bool(p, "enable", false);
    ck_assert_int_eq(change(id, "node_exporter", p, &resp, msg), 0);
    const ProtobufCMessage *a = pb_get_msg(resp, "node_exporter");
    ck_assert(pb_get_bool(a, "disabled"));
    ck_assert_int_eq(pb_get_i32(a, "status"), INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_DONE);
    char *labels = pb_map_to_json(a, "custom_labels");
    ck_assert_str_eq(labels, "{\"kind\":\"k\"}");
    free(labels);
    ck_assert_int_eq(pb_get_i32(a, "log_level"), 4);
    ck_assert_uint_eq(count_of(a, "disabled_collectors"), 1);
    ck_assert(!pb_get_bool(a, "push_metrics_enabled"));
    protobuf_c_message_free_unpacked(resp, NULL);

    /* Labels replaced as a whole, push metrics and resolutions set. */
    p = params_for(&inventory__v1__change_agent_request__descriptor, "node_exporter");
    pb_set_msg(p, "custom_labels", string_map("{\"x\": \"1\", \"y\": \"2\"}"));
    pb_set_bool(p, "enable_push_metrics", true);
    ProtobufCMessage *mr = pb_new(&common__metrics_resolutions__descriptor);
    ProtobufCMessage *hr = pb_new(protobuf_c_message_descriptor_get_field_by_name(mr->descriptor, "hr")->descriptor);
    pb_set_i64(hr, "seconds", 10);
    pb_set_msg(mr, "hr", hr);
    pb_set_msg(p, "metrics_resolutions", mr);
    pb_set_i32(p, "log_level", 5);
    ck_assert_int_eq(change(id, "node_exporter", p, &resp, msg), 0);
    a = pb_get_msg(resp, "node_exporter");
    labels = pb_map_to_json(a, "custom_labels");
    ck_assert_str_eq(labels, "{\"x\":\"1\",\"y\":\"2\"}");
    free(labels);
    ck_assert(pb_get_bool(a, "push_metrics_enabled"));
    ck_assert(pb_get_bool(a, "disabled"));
    ck_assert_int_eq(pb_get_i32(a, "log_level"), 5);
    const ProtobufCMessage *res = pb_get_msg(a, "metrics_resolutions");
    ck_assert_ptr_nonnull(res);
    ck_assert_ptr_nonnull(pb_get_msg(res, "hr"));
    ck_assert_ptr_null(pb_get_msg(res, "mr"));
    protobuf_c_message_free_unpacked(resp, NULL);

    /* An empty StringMap removes every label; enable again. */
    p = params_for(&inventory__v1__change_agent_request__descriptor, "node_exporter");
    pb_set_msg(p, "custom_labels", string_map("{}"));
    pb_set_bool(p, "enable", true);
    ck_assert_int_eq(change(id, "node_exporter", p, &resp, msg), 0);
    a = pb_get_msg(resp, "node_exporter");
    ck_assert_uint_eq(count_of(a, "custom_labels"), 0);
    ck_assert(!pb_get_bool(a, "disabled"));
    /* Enabling does not make up a status: the pmm-agent will report one. */
    ck_assert_int_eq(pb_get_i32(a, "status"), INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_DONE);
    ProtobufCMessage *got;
    ck_assert_int_eq(get(id, &got, msg), 0);
    ck_assert(same_message(a, pb_get_msg(got, "node_exporter")));
    protobuf_c_message_free_unpacked(got, NULL);
    protobuf_c_message_free_unpacked(resp, NULL);
    char *v = sql_value("SELECT custom_labels FROM agents WHERE agent_id = $1", id);
    ck_assert_str_eq(v, "(null)");
    free(v);

    /* The wrong Change member for the agent's type. */
    p = params_for(&inventory__v1__change_agent_request__descriptor, "mysqld_exporter");
    ck_assert_int_eq(change(id, "mysqld_exporter", p, NULL, msg), 3);
    p = params_for(&inventory__v1__change_agent_request__descriptor, "node_exporter");
    ck_assert_int_eq(change("nope", "node_exporter", p, NULL, msg), 5);
    ck_assert_str_eq(msg, "Agent with ID nope not found.");
    p = params_for(&inventory__v1__change_agent_request__descriptor, "node_exporter");
    ck_assert_int_eq(change("", "node_exporter", p, NULL, msg), 3);
    ck_assert_str_eq(msg, "invalid ChangeAgentRequest.AgentId: value length must be at least 1 runes");
    /* No member: the oneof is not required, upstream's handler fails with
     * a plain error, answered as Internal. */
    ProtobufCMessage *empty = pb_new(&inventory__v1__change_agent_request__descriptor);
    pb_set_str(empty, "agent_id", id);
    ck_assert_int_eq(call(AGS "ChangeAgent", empty, NULL, msg), 13);
    ck_assert_str_eq(msg, "Internal server error.");
    protobuf_c_message_free_unpacked(empty, NULL);

    /* A mysqld_exporter: new password stored encrypted, username kept. */
    ck_assert_int_eq(add("mysqld_exporter", kind_params(1, pmm), &resp, msg), 0);
    char *my = strdup(pb_get_str(pb_get_msg(resp, "mysqld_exporter"), "agent_id"));
    protobuf_c_message_free_unpacked(resp, NULL);
    char *before = sql_value("SELECT password FROM agents WHERE agent_id = $1", my);
    p = params_for(&inventory__v1__change_agent_request__descriptor, "mysqld_exporter");
    pb_set_str(p, "password", "another-" PASSWORD);
    pb_set_i32(p, "tablestats_group_table_limit", -1);
    ck_assert_int_eq(change(my, "mysqld_exporter", p, &resp, msg), 0);
    a = pb_get_msg(resp, "mysqld_exporter");
    ck_assert_str_eq(pb_get_str(a, "username"), "monitor");
    ck_assert_int_eq(pb_get_i32(a, "tablestats_group_table_limit"), -1);
    ck_assert(pb_get_bool(a, "tablestats_group_disabled"));
    assert_no_secret(resp);
    protobuf_c_message_free_unpacked(resp, NULL);
    char *after = sql_value("SELECT password FROM agents WHERE agent_id = $1", my);
    ck_assert_str_ne(before, after);
    ck_assert_int_eq(strncmp(after, "enc:", 4), 0);
    char *plain = secret_decrypt(after);
    ck_assert_str_eq(plain, "another-" PASSWORD);
    free(plain);
    free(before);
    free(after);
    free(my);
    free(id);
    free(pmm);
}
END_TEST

/* The fixtures store the server's own PostgreSQL password in plain text;
 * the start-up step seals it, once, and reading still works. */
START_TEST(seal_plaintext_rows)
{
    const char *sql = "SELECT password FROM agents WHERE agent_type = 'postgres_exporter' AND pmm_agent_id = 'pmm-server'";
    char *before = sql_value(sql, NULL);
    ck_assert_str_eq(before, params.password); /* the password the daemons connect with */
    ck_assert_int_eq(agent_seal_plaintext(w.db), 0);
    char *after = sql_value(sql, NULL);
    ck_assert_int_eq(strncmp(after, "enc:", 4), 0);
    char *plain = secret_decrypt(after);
    ck_assert_str_eq(plain, params.password);
    ck_assert_int_eq(agent_seal_plaintext(w.db), 0);
    char *again = sql_value(sql, NULL);
    ck_assert_str_eq(again, after); /* already sealed rows are left alone */
    char msg[RPC_MESSAGE_MAX];
    ProtobufCMessage *resp;
    ck_assert_int_eq(list("pmm-server", "", "", INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_POSTGRES_EXPORTER, &resp, msg), 0);
    ck_assert_str_eq(pb_get_str(first_of(resp, "postgres_exporter"), "username"), "pmm-managed");
    protobuf_c_message_free_unpacked(resp, NULL);
    free(plain);
    free(again);
    free(after);
    free(before);
}
END_TEST

/* A row sealed with another key fails cleanly, never with garbage. */
START_TEST(wrong_key_is_an_error)
{
    char *pmm = add_pmm_agent(NODE);
    char msg[RPC_MESSAGE_MAX];
    ProtobufCMessage *resp;
    ck_assert_int_eq(add("mysqld_exporter", kind_params(1, pmm), &resp, msg), 0);
    char *id = strdup(pb_get_str(pb_get_msg(resp, "mysqld_exporter"), "agent_id"));
    protobuf_c_message_free_unpacked(resp, NULL);
    char other[300];
    snprintf(other, sizeof other, "%s.other", key_path);
    unlink(other);
    ck_assert_int_eq(secret_init(other), 0);
    ck_assert_int_eq(get(id, NULL, msg), 13);
    ck_assert_str_eq(msg, "cannot decrypt agent credentials");
    unlink(other);
    free(id);
    free(pmm);
}
END_TEST

/* Every kind's Change member: enable and labels change, the rest stays. */
START_TEST(change_every_kind)
{
    char *pmm = add_pmm_agent(NODE);
    char msg[RPC_MESSAGE_MAX];
    for (int i = 0; i < NKINDS; i++) {
        ProtobufCMessage *resp, *changed;
        ck_assert_msg(add(kinds[i].member, kind_params(i, pmm), &resp, msg) == 0, "%s: %s", kinds[i].member, msg);
        ProtobufCMessage *before = (ProtobufCMessage *)pb_get_msg(resp, kinds[i].member);
        char *id = strdup(pb_get_str(before, "agent_id"));
        ProtobufCMessage *p = params_for(&inventory__v1__change_agent_request__descriptor, kinds[i].member);
        pb_set_bool(p, "enable", false);
        pb_set_msg(p, "custom_labels", string_map("{\"c\": \"d\"}"));
        ck_assert_msg(change(id, kinds[i].member, p, &changed, msg) == 0, "%s: %s", kinds[i].member, msg);
        ck_assert_str_eq(pb_oneof_selected(changed, "node_exporter"), kinds[i].member);
        const ProtobufCMessage *after = pb_get_msg(changed, kinds[i].member);
        ck_assert_msg(pb_get_bool(after, "disabled"), "%s", kinds[i].member);
        char *labels = pb_map_to_json(after, "custom_labels");
        ck_assert_str_eq(labels, "{\"c\":\"d\"}");
        free(labels);
        assert_no_secret(changed);
        /* Put back what was asked, and the rest must equal the original. */
        pb_set_bool(before, "disabled", true);
        if (kinds[i].status) /* disabling reports DONE at once, as upstream */
            pb_set_i32(before, "status", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_DONE);
        pb_set_map_json(before, "custom_labels", NULL);
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(before->descriptor, "custom_labels");
        ProtobufCMessage **entries = *(ProtobufCMessage ***)((uint8_t *)before + f->offset);
        size_t *n = (size_t *)((uint8_t *)before + f->quantifier_offset);
        for (size_t e = 0; e < *n; e++) {
            pb_set_str(entries[e], "key", "c");
            pb_set_str(entries[e], "value", "d");
        }
        ck_assert_msg(same_message(before, after), "%s: other fields changed", kinds[i].member);
        protobuf_c_message_free_unpacked(changed, NULL);
        protobuf_c_message_free_unpacked(resp, NULL);
        free(id);
    }
    free(pmm);
}
END_TEST

/* Push mode moves an external exporter under the node's pmm-agent and back. */
START_TEST(external_exporter_push_switch)
{
    char *pmm = add_pmm_agent(NODE);
    char msg[RPC_MESSAGE_MAX];
    ProtobufCMessage *resp;
    ck_assert_int_eq(add("external_exporter", kind_params(5, pmm), &resp, msg), 0);
    const ProtobufCMessage *a = pb_get_msg(resp, "external_exporter");
    char *id = strdup(pb_get_str(a, "agent_id"));
    ck_assert_str_eq(pb_get_str(a, "runs_on_node_id"), NODE);
    ck_assert_str_eq(pb_get_str(a, "scheme"), "http");
    ck_assert_str_eq(pb_get_str(a, "metrics_path"), "/metrics");
    ck_assert_uint_eq(pb_get_u32(a, "listen_port"), 9999);
    protobuf_c_message_free_unpacked(resp, NULL);

    ProtobufCMessage *p = params_for(&inventory__v1__change_agent_request__descriptor, "external_exporter");
    pb_set_bool(p, "enable_push_metrics", true);
    pb_set_str(p, "metrics_path", "/m2");
    ck_assert_int_eq(change(id, "external_exporter", p, &resp, msg), 0);
    a = pb_get_msg(resp, "external_exporter");
    ck_assert(pb_get_bool(a, "push_metrics_enabled"));
    ck_assert_str_eq(pb_get_str(a, "runs_on_node_id"), NODE); /* upstream shows the node still */
    ck_assert_str_eq(pb_get_str(a, "metrics_path"), "/m2");
    ck_assert_str_eq(pb_get_str(a, "scheme"), "http");
    protobuf_c_message_free_unpacked(resp, NULL);
    char *owner = sql_value("SELECT pmm_agent_id || ' ' || (runs_on_node_id IS NULL) FROM agents WHERE agent_id = $1", id);
    char want[100];
    snprintf(want, sizeof want, "%s true", pmm);
    ck_assert_str_eq(owner, want);
    free(owner);
    ProtobufCMessage *got;
    ck_assert_int_eq(get(id, &got, msg), 0);
    ck_assert_str_eq(pb_get_str(pb_get_msg(got, "external_exporter"), "runs_on_node_id"), NODE);
    protobuf_c_message_free_unpacked(got, NULL);

    p = params_for(&inventory__v1__change_agent_request__descriptor, "external_exporter");
    pb_set_u32(p, "listen_port", 70000);
    ck_assert_int_eq(change(id, "external_exporter", p, NULL, msg), 3);
    ck_assert_str_eq(msg, "invalid ChangeAgentRequest.ExternalExporter: embedded message failed validation | caused by: invalid ChangeExternalExporterParams.ListenPort: value must be inside range (0, 65536)");

    p = params_for(&inventory__v1__change_agent_request__descriptor, "external_exporter");
    pb_set_bool(p, "enable_push_metrics", false);
    pb_set_u32(p, "listen_port", 9105);
    ck_assert_int_eq(change(id, "external_exporter", p, &resp, msg), 0);
    ck_assert_str_eq(pb_get_str(pb_get_msg(resp, "external_exporter"), "runs_on_node_id"), NODE);
    ck_assert_uint_eq(pb_get_u32(pb_get_msg(resp, "external_exporter"), "listen_port"), 9105);
    protobuf_c_message_free_unpacked(resp, NULL);
    owner = sql_value("SELECT pmm_agent_id FROM agents WHERE agent_id = $1", id);
    ck_assert_str_eq(owner, "(null)");
    free(owner);
    free(id);
    free(pmm);
}
END_TEST

START_TEST(fixture_agents_listed)
{
    char msg[RPC_MESSAGE_MAX];
    ProtobufCMessage *resp;
    ck_assert_int_eq(list("pmm-server", "", "", 0, &resp, msg), 0);
    ck_assert_uint_eq(count_of(resp, "node_exporter"), 1);
    ck_assert_uint_eq(count_of(resp, "postgres_exporter"), 1);
    ck_assert_uint_eq(count_of(resp, "pmm_agent"), 0);
    protobuf_c_message_free_unpacked(resp, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("inventory_agents");
    TCase *tc = tcase_create("agents");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_kind_round_trip);
    tcase_add_test(tc, secrets_stored_encrypted);
    tcase_add_test(tc, add_errors);
    tcase_add_test(tc, list_filters);
    tcase_add_test(tc, get_and_remove_rules);
    tcase_add_test(tc, change_presence);
    tcase_add_test(tc, fixture_agents_listed);
    tcase_add_test(tc, seal_plaintext_rows);
    tcase_add_test(tc, change_every_kind);
    tcase_add_test(tc, external_exporter_push_switch);
    tcase_add_test(tc, wrong_key_is_an_error);
    suite_add_tcase(s, tc);
    return check_run(s);
}
