/* Integration tests of inventoryd's ServicesService (and RemoveNode of a
 * node with services), calling the bus handlers directly against a real
 * PostgreSQL (a fresh database per test). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/v1/nodes.pb-c.h"
#include "inventory/v1/services.pb-c.h"
#include "inventoryd/app.h"
#include "inventoryd/fixtures.h"
#include "inventoryd/nodes.h"
#include "inventoryd/services.h"
#include "pbutil.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/rpccall.h"
#include "tests/lib/pgtest.h"
#include "common/common.pb-c.h"

#define SVC "/inventory.v1.ServicesService/"

static db_params params;
static app the_app;
static daemon_worker w;

/* One handler, run as the bus server runs it (tests/lib/rpccall.h). */
static int call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp, char *msg)
{
    const rpc_method *m = rpc_method_find(nodes_methods, nodes_methods_count, method);
    if (!m)
        m = rpc_method_find(services_methods, services_methods_count, method);
    ck_assert_msg(m != NULL, "no method %s", method);
    return rpc_call_method(m, &w, &the_app, req, resp, msg);
}

static char *add_node(const char *member, const char *name, const char *region)
{
    ProtobufCMessage *req = pb_new(&inventory__v1__add_node_request__descriptor), *resp;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(req->descriptor, member);
    ProtobufCMessage *p = pb_new(f->descriptor);
    pb_set_str(p, "node_name", name);
    pb_set_str(p, "address", name);
    if (region)
        pb_set_str(p, "region", region);
    ck_assert_int_eq(pb_set_msg(req, member, p), 0);
    char msg[RPC_MESSAGE_MAX];
    ck_assert_msg(call("/inventory.v1.NodesService/AddNode", req, &resp, msg) == 0, "%s", msg);
    protobuf_c_message_free_unpacked(req, NULL);
    char *id = strdup(pb_get_str(pb_get_msg(resp, member), "node_id"));
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_int_eq(strlen(id), 36);
    return id;
}

/* An AddServiceRequest for kind member; address / socket NULL or "" = unset. */
static ProtobufCMessage *add_req(const char *member, const char *name, const char *node_id, const char *address,
                                 uint32_t port, const char *socket)
{
    ProtobufCMessage *req = pb_new(&inventory__v1__add_service_request__descriptor);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(req->descriptor, member);
    ck_assert_ptr_nonnull(f);
    ProtobufCMessage *p = pb_new(f->descriptor);
    pb_set_str(p, "service_name", name);
    pb_set_str(p, "node_id", node_id);
    if (address)
        pb_set_str(p, "address", address);
    if (port)
        pb_set_u32(p, "port", port);
    if (socket)
        pb_set_str(p, "socket", socket);
    ck_assert_int_eq(pb_set_msg(req, member, p), 0);
    return req;
}

/* The params message inside an add_req. */
static ProtobufCMessage *params_of(ProtobufCMessage *req, const char *member)
{
    return (ProtobufCMessage *)pb_get_msg(req, member);
}

static int add_service(ProtobufCMessage *req, ProtobufCMessage **resp, char *msg)
{
    int code = call(SVC "AddService", req, resp, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    return code;
}

/* Adds a service and returns its id (malloc'd). */
static char *add_ok(const char *member, const char *name, const char *node_id, const char *address, uint32_t port,
                    const char *socket)
{
    ProtobufCMessage *resp;
    char msg[RPC_MESSAGE_MAX];
    ck_assert_msg(add_service(add_req(member, name, node_id, address, port, socket), &resp, msg) == 0, "%s: %s",
                  member, msg);
    ck_assert_str_eq(pb_oneof_selected(resp, "mysql"), member);
    char *id = strdup(pb_get_str(pb_get_msg(resp, member), "service_id"));
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_int_eq(strlen(id), 36);
    return id;
}

static int id_call(const char *method, const ProtobufCMessageDescriptor *d, const char *field, const char *id,
                   bool force, ProtobufCMessage **resp, char *msg)
{
    ProtobufCMessage *req = pb_new(d);
    pb_set_str(req, field, id);
    pb_set_bool(req, "force", force);
    int code = call(method, req, resp, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    return code;
}

static int get_service(const char *id, ProtobufCMessage **resp, char *msg)
{
    return id_call(SVC "GetService", &inventory__v1__get_service_request__descriptor, "service_id", id, false, resp,
                   msg);
}

static int remove_service(const char *id, bool force, char *msg)
{
    return id_call(SVC "RemoveService", &inventory__v1__remove_service_request__descriptor, "service_id", id, force,
                   NULL, msg);
}

static char *query1(const char *sql, const char *param)
{
    rpc_status st;
    PGresult *r = db_exec(w.db, &st, sql, param ? 1 : 0, param ? (const char *[]){ param } : NULL);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    char *v = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "<none>");
    PQclear(r);
    return v;
}

static void assert_query(const char *sql, const char *param, const char *want)
{
    char *got = query1(sql, param);
    ck_assert_msg(strcmp(got, want) == 0, "%s [%s]: got %s, want %s", sql, param ? param : "", got, want);
    free(got);
}

static void exec_sql(const char *sql)
{
    rpc_status st;
    PGresult *r = db_exec_script(w.db, &st, sql);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    PQclear(r);
}

/* A pmm-agent on node_id and an exporter of service_id under it. */
static void add_agents(const char *pmm_agent_id, const char *node_id, const char *exporter_id, const char *service_id)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO agents (agent_id, agent_type, runs_on_node_id, created_at, updated_at, disabled, status, "
             "tls, tls_skip_verify) VALUES ('%s', 'pmm-agent', '%s', now(), now(), false, '', false, false);"
             "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, created_at, updated_at, disabled, "
             "status, tls, tls_skip_verify) VALUES ('%s', 'mysqld_exporter', '%s', '%s', now(), now(), false, "
             "'AGENT_STATUS_UNKNOWN', false, false)",
             pmm_agent_id, node_id, exporter_id, pmm_agent_id, service_id);
    exec_sql(sql);
}

static void setup(void)
{
    ck_assert_int_eq(pgtest_fresh_db("test_inventory_services", &params), 0);
    the_app.db = params;
    w.app = &the_app;
    w.db = db_new(&params);
    ck_assert_int_eq(db_migrate(w.db), 0);
    ck_assert_int_eq(fixtures_ensure(w.db, &params, false), 0);
}

static void teardown(void)
{
    db_destroy(w.db);
    pgtest_params_clear(&params);
}

START_TEST(add_get_every_kind)
{
    char *node = add_node("generic", "svc-node", NULL);
    static const struct {
        const char *member, *stored;
        bool address;
    } kinds[] = {
        { "mysql", "mysql", true },         { "mongodb", "mongodb", true }, { "postgresql", "postgresql", true },
        { "proxysql", "proxysql", true },   { "haproxy", "haproxy", false }, { "external", "external", false },
        { "valkey", "valkey", true },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        char name[64];
        snprintf(name, sizeof name, "svc-%s", kinds[i].member);
        ProtobufCMessage *req = add_req(kinds[i].member, name, node, kinds[i].address ? "10.0.0.7" : NULL,
                                        kinds[i].address ? 3306 : 0, NULL);
        ProtobufCMessage *p = params_of(req, kinds[i].member);
        pb_set_str(p, "environment", "prod");
        pb_set_str(p, "cluster", "c1");
        pb_set_str(p, "replication_set", "rs1");
        pb_set_map_json(p, "custom_labels", "{\"team\": \"db\", \"a\": \"b\"}");
        ProtobufCMessage *resp, *got;
        char msg[RPC_MESSAGE_MAX];
        ck_assert_msg(add_service(req, &resp, msg) == 0, "%s: %s", kinds[i].member, msg);
        ck_assert_str_eq(pb_oneof_selected(resp, "mysql"), kinds[i].member);
        const ProtobufCMessage *s = pb_get_msg(resp, kinds[i].member);
        const char *id = pb_get_str(s, "service_id");
        ck_assert_int_eq(strlen(id), 36);
        ck_assert_str_eq(pb_get_str(s, "service_name"), name);
        ck_assert_str_eq(pb_get_str(s, "node_id"), node);
        ck_assert_str_eq(pb_get_str(s, "environment"), "prod");
        ck_assert_str_eq(pb_get_str(s, "cluster"), "c1");
        ck_assert_str_eq(pb_get_str(s, "replication_set"), "rs1");
        char *labels = pb_map_to_json(s, "custom_labels");
        ck_assert_str_eq(labels, "{\"a\":\"b\",\"team\":\"db\"}");
        free(labels);
        if (kinds[i].address) {
            ck_assert_str_eq(pb_get_str(s, "address"), "10.0.0.7");
            ck_assert_uint_eq(pb_get_u32(s, "port"), 3306);
            ck_assert_str_eq(pb_get_str(s, "socket"), "");
        }
        assert_query("SELECT service_type FROM services WHERE service_id = $1", id, kinds[i].stored);

        ck_assert_int_eq(get_service(id, &got, msg), 0);
        ck_assert_str_eq(pb_oneof_selected(got, "mysql"), kinds[i].member);
        /* Get returns exactly what Add returned. */
        const ProtobufCMessage *gs = pb_get_msg(got, kinds[i].member);
        size_t n1 = protobuf_c_message_get_packed_size(s), n2 = protobuf_c_message_get_packed_size(gs);
        ck_assert_uint_eq(n1, n2);
        uint8_t *b1 = malloc(n1 + 1), *b2 = malloc(n2 + 1);
        protobuf_c_message_pack(s, b1);
        protobuf_c_message_pack(gs, b2);
        ck_assert_int_eq(memcmp(b1, b2, n1), 0);
        free(b1);
        free(b2);
        protobuf_c_message_free_unpacked(got, NULL);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    free(node);
}
END_TEST

START_TEST(kind_defaults)
{
    char *node = add_node("generic", "defaults-node", NULL);
    ProtobufCMessage *resp;
    char msg[RPC_MESSAGE_MAX];

    /* PostgreSQL gets database "postgres"; other kinds none. */
    ck_assert_int_eq(add_service(add_req("postgresql", "pg-1", node, NULL, 0, "/run/pg"), &resp, msg), 0);
    const ProtobufCMessage *pg = pb_get_msg(resp, "postgresql");
    ck_assert_str_eq(pb_get_str(pg, "database_name"), "postgres");
    ck_assert_str_eq(pb_get_str(pg, "socket"), "/run/pg");
    ck_assert_str_eq(pb_get_str(pg, "address"), "");
    ck_assert_uint_eq(pb_get_u32(pg, "port"), 0);
    assert_query("SELECT coalesce(address, 'NULL') || coalesce(port::text, 'NULL') FROM services "
                 "WHERE service_name = $1", "pg-1", "NULLNULL");
    protobuf_c_message_free_unpacked(resp, NULL);

    ck_assert_int_eq(add_service(add_req("valkey", "vk-1", node, "10.0.0.8", 6379, NULL), &resp, msg), 0);
    ck_assert_str_eq(pb_get_str(pb_get_msg(resp, "valkey"), "database_name"), "");
    protobuf_c_message_free_unpacked(resp, NULL);

    /* External services get group "external" when none is given. */
    ck_assert_int_eq(add_service(add_req("external", "ext-default", node, NULL, 0, NULL), &resp, msg), 0);
    ck_assert_str_eq(pb_get_str(pb_get_msg(resp, "external"), "group"), "external");
    protobuf_c_message_free_unpacked(resp, NULL);
    ProtobufCMessage *req = add_req("external", "ext-redis", node, NULL, 0, NULL);
    pb_set_str(params_of(req, "external"), "group", "redis");
    ck_assert_int_eq(add_service(req, &resp, msg), 0);
    ck_assert_str_eq(pb_get_str(pb_get_msg(resp, "external"), "group"), "redis");
    assert_query("SELECT external_group FROM services WHERE service_name = $1", "ext-redis", "redis");
    protobuf_c_message_free_unpacked(resp, NULL);

    /* Labels: none given reads back as an empty map. */
    ck_assert_int_eq(add_service(add_req("haproxy", "hap-1", node, NULL, 0, NULL), &resp, msg), 0);
    char *labels = pb_map_to_json(pb_get_msg(resp, "haproxy"), "custom_labels");
    ck_assert_str_eq(labels, "{}");
    free(labels);
    assert_query("SELECT external_group FROM services WHERE service_name = $1", "hap-1", "");
    protobuf_c_message_free_unpacked(resp, NULL);
    free(node);
}
END_TEST

START_TEST(validation_texts)
{
    char msg[RPC_MESSAGE_MAX];
    static const char *const kinds[][3] = {
        { "mysql", "AddMySQLServiceParams", "Mysql" },       { "mongodb", "AddMongoDBServiceParams", "Mongodb" },
        { "postgresql", "AddPostgreSQLServiceParams", "Postgresql" }, { "proxysql", "AddProxySQLServiceParams", "Proxysql" },
        { "haproxy", "AddHAProxyServiceParams", "Haproxy" },   { "external", "AddExternalServiceParams", "External" },
        { "valkey", "AddValkeyServiceParams", "Valkey" },
    };
    /* protoc-gen-validate reports the nested params through the oneof member */
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        char want[300];
        snprintf(want, sizeof want, "invalid AddServiceRequest.%s: embedded message failed validation | caused by: "
                 "invalid %s.ServiceName: value length must be at least 1 runes", kinds[i][2], kinds[i][1]);
        ck_assert_int_eq(add_service(add_req(kinds[i][0], "", "pmm-server", "h", 1, NULL), NULL, msg),
                         RPC_INVALID_ARGUMENT);
        ck_assert_str_eq(msg, want);
        /* both missing: the first field's rule speaks first */
        ck_assert_int_eq(add_service(add_req(kinds[i][0], "", "", NULL, 0, NULL), NULL, msg), RPC_INVALID_ARGUMENT);
        ck_assert_str_eq(msg, want);
        snprintf(want, sizeof want, "invalid AddServiceRequest.%s: embedded message failed validation | caused by: "
                 "invalid %s.NodeId: value length must be at least 1 runes", kinds[i][2], kinds[i][1]);
        ck_assert_int_eq(add_service(add_req(kinds[i][0], "x", "", "h", 1, NULL), NULL, msg), RPC_INVALID_ARGUMENT);
        ck_assert_str_eq(msg, want);
    }

    ProtobufCMessage *empty = pb_new(&inventory__v1__add_service_request__descriptor);
    ck_assert_int_eq(add_service(empty, NULL, msg), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "unsupported service type <nil>");

    ck_assert_int_eq(get_service("", NULL, msg), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "invalid GetServiceRequest.ServiceId: value length must be at least 1 runes");
    ck_assert_int_eq(remove_service("", true, msg), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "invalid RemoveServiceRequest.ServiceId: value length must be at least 1 runes");
    Inventory__V1__ChangeServiceRequest ch = INVENTORY__V1__CHANGE_SERVICE_REQUEST__INIT;
    ch.environment = "x";
    ch._environment_case = INVENTORY__V1__CHANGE_SERVICE_REQUEST___ENVIRONMENT_ENVIRONMENT;
    ck_assert_int_eq(call(SVC "ChangeService", &ch.base, NULL, msg), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "invalid ChangeServiceRequest.ServiceId: value length must be at least 1 runes");
}
END_TEST

START_TEST(address_rules)
{
    char msg[RPC_MESSAGE_MAX];
    static const char *const kinds[] = { "mysql", "mongodb", "postgresql", "proxysql", "valkey" };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        ck_assert_int_eq(add_service(add_req(kinds[i], "a", "pmm-server", "localhost", 0, NULL), NULL, msg),
                         RPC_INVALID_ARGUMENT);
        ck_assert_str_eq(msg, "Port is expected to be passed along with the host address.");
        ck_assert_int_eq(add_service(add_req(kinds[i], "a", "pmm-server", "localhost", 3306, "/tmp/s.sock"), NULL, msg),
                         RPC_INVALID_ARGUMENT);
        ck_assert_str_eq(msg, "Socket and address cannot be specified together.");
        /* address + socket without port: the conflict is reported before the missing port */
        ck_assert_int_eq(add_service(add_req(kinds[i], "a", "pmm-server", "localhost", 0, "/tmp/s.sock"), NULL, msg),
                         RPC_INVALID_ARGUMENT);
        ck_assert_str_eq(msg, "Socket and address cannot be specified together.");
        ck_assert_int_eq(add_service(add_req(kinds[i], "a", "pmm-server", NULL, 3306, "/tmp/s.sock"), NULL, msg),
                         RPC_INVALID_ARGUMENT);
        ck_assert_str_eq(msg, "Socket and port cannot be specified together.");
        ck_assert_int_eq(add_service(add_req(kinds[i], "a", "pmm-server", NULL, 0, NULL), NULL, msg),
                         RPC_INVALID_ARGUMENT);
        ck_assert_str_eq(msg, "Neither socket nor address passed.");
        ck_assert_int_eq(add_service(add_req(kinds[i], "a", "pmm-server", NULL, 3306, NULL), NULL, msg),
                         RPC_INVALID_ARGUMENT);
        ck_assert_str_eq(msg, "Neither socket nor address passed.");
        ck_assert_int_eq(add_service(add_req(kinds[i], "a", "pmm-server", "localhost", 70000, NULL), NULL, msg),
                         RPC_INVALID_ARGUMENT);
    }
    /* Address rules come before the node check. */
    ck_assert_int_eq(add_service(add_req("mysql", "a", "no-such-node", NULL, 0, NULL), NULL, msg),
                     RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "Neither socket nor address passed.");
    /* Kinds without an address of their own are not bound by them. */
    free(add_ok("haproxy", "hap", "pmm-server", NULL, 0, NULL));
    free(add_ok("external", "ext", "pmm-server", NULL, 0, NULL));
    assert_query("SELECT count(*) FROM services WHERE service_name = $1", "a", "0");
}
END_TEST

START_TEST(not_found_and_duplicates)
{
    char msg[RPC_MESSAGE_MAX];
    ck_assert_int_eq(add_service(add_req("mysql", "m1", "pmm-not-found", "localhost", 3306, NULL), NULL, msg),
                     RPC_NOT_FOUND);
    ck_assert_str_eq(msg, "Node with ID \"pmm-not-found\" not found.");
    ck_assert_int_eq(add_service(add_req("external", "e1", "pmm-not-found", NULL, 0, NULL), NULL, msg), RPC_NOT_FOUND);
    ck_assert_str_eq(msg, "Node with ID \"pmm-not-found\" not found.");

    ck_assert_int_eq(get_service("pmm-not-found", NULL, msg), RPC_NOT_FOUND);
    ck_assert_str_eq(msg, "Service with ID \"pmm-not-found\" not found.");
    ck_assert_int_eq(remove_service("not-exist-service-id", false, msg), RPC_NOT_FOUND);
    ck_assert_str_eq(msg, "Service with ID \"not-exist-service-id\" not found.");
    ck_assert_int_eq(remove_service("x'; DROP TABLE services; --", true, msg), RPC_NOT_FOUND);
    Inventory__V1__ChangeServiceRequest ch = INVENTORY__V1__CHANGE_SERVICE_REQUEST__INIT;
    ch.service_id = "pmm-not-found";
    ck_assert_int_eq(call(SVC "ChangeService", &ch.base, NULL, msg), RPC_NOT_FOUND);
    ck_assert_str_eq(msg, "Service with ID \"pmm-not-found\" not found.");

    free(add_ok("mysql", "dup", "pmm-server", "localhost", 3306, NULL));
    ck_assert_int_eq(add_service(add_req("mysql", "dup", "pmm-server", "127.0.0.1", 3336, NULL), NULL, msg),
                     RPC_ALREADY_EXISTS);
    ck_assert_str_eq(msg, "Service with name \"dup\" already exists.");
    /* across kinds too, and before the node check */
    ck_assert_int_eq(add_service(add_req("external", "dup", "pmm-not-found", NULL, 0, NULL), NULL, msg),
                     RPC_ALREADY_EXISTS);
    ck_assert_str_eq(msg, "Service with name \"dup\" already exists.");
    ck_assert_int_eq(add_service(add_req("mongodb", "pmm-server-postgresql", "pmm-server", NULL, 0, "/s"), NULL, msg),
                     RPC_ALREADY_EXISTS);
    ck_assert_str_eq(msg, "Service with name \"pmm-server-postgresql\" already exists.");
}
END_TEST

static Inventory__V1__ListServicesResponse *list(const char *node_id, int type, const char *group)
{
    Inventory__V1__ListServicesRequest req = INVENTORY__V1__LIST_SERVICES_REQUEST__INIT;
    req.node_id = (char *)(node_id ? node_id : "");
    req.service_type = type;
    req.external_group = (char *)(group ? group : "");
    ProtobufCMessage *resp;
    char msg[RPC_MESSAGE_MAX];
    ck_assert_msg(call(SVC "ListServices", &req.base, &resp, msg) == 0, "%s", msg);
    return (Inventory__V1__ListServicesResponse *)resp;
}

static size_t list_total(const Inventory__V1__ListServicesResponse *l)
{
    return l->n_mysql + l->n_mongodb + l->n_postgresql + l->n_proxysql + l->n_haproxy + l->n_external + l->n_valkey;
}

START_TEST(list_filters)
{
    char *n1 = add_node("generic", "list-n1", NULL), *n2 = add_node("remote", "list-n2", NULL);
    char *m1 = add_ok("mysql", "m1", n1, "h1", 3306, NULL);
    char *m2 = add_ok("mysql", "m2", n2, "h2", 3306, NULL);
    char *pg = add_ok("postgresql", "pg", n1, "h1", 5432, NULL);
    ProtobufCMessage *req = add_req("external", "ext-redis", n1, NULL, 0, NULL);
    pb_set_str(params_of(req, "external"), "group", "redis");
    ck_assert_int_eq(add_service(req, NULL, NULL), 0);
    free(add_ok("external", "ext-plain", n2, NULL, 0, NULL));
    free(add_ok("haproxy", "hap", n1, NULL, 0, NULL));
    free(add_ok("mongodb", "mg", n2, NULL, 0, "/tmp/mongodb.sock"));
    free(add_ok("proxysql", "px", n2, "h2", 6032, NULL));
    free(add_ok("valkey", "vk", n1, "h1", 6379, NULL));

    Inventory__V1__ListServicesResponse *l = list(NULL, 0, NULL);
    ck_assert_uint_eq(l->n_mysql, 2);
    ck_assert_uint_eq(l->n_postgresql, 2); /* and pmm-server-postgresql */
    ck_assert_uint_eq(l->n_external, 2);
    ck_assert_uint_eq(l->n_haproxy, 1);
    ck_assert_uint_eq(l->n_mongodb, 1);
    ck_assert_str_eq(l->mongodb[0]->socket, "/tmp/mongodb.sock");
    ck_assert_uint_eq(l->n_proxysql, 1);
    ck_assert_uint_eq(l->proxysql[0]->port, 6032);
    ck_assert_uint_eq(l->n_valkey, 1);
    /* ordered by service_id */
    ck_assert_int_lt(strcmp(l->mysql[0]->service_id, l->mysql[1]->service_id), 0);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    l = list(n1, 0, NULL);
    ck_assert_uint_eq(list_total(l), 5);
    ck_assert_uint_eq(l->n_mysql, 1);
    ck_assert_str_eq(l->mysql[0]->service_id, m1);
    ck_assert_uint_eq(l->n_postgresql, 1);
    ck_assert_str_eq(l->postgresql[0]->service_id, pg);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    l = list(n2, INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_MYSQL_SERVICE, NULL);
    ck_assert_uint_eq(list_total(l), 1);
    ck_assert_str_eq(l->mysql[0]->service_id, m2);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    l = list(NULL, INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_POSTGRESQL_SERVICE, NULL);
    ck_assert_uint_eq(list_total(l), 2);
    ck_assert_uint_eq(l->n_postgresql, 2);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    l = list(NULL, 0, "redis");
    ck_assert_uint_eq(list_total(l), 1);
    ck_assert_str_eq(l->external[0]->service_name, "ext-redis");
    ck_assert_str_eq(l->external[0]->group, "redis");
    protobuf_c_message_free_unpacked(&l->base, NULL);

    l = list(NULL, 0, "external");
    ck_assert_uint_eq(list_total(l), 1);
    ck_assert_str_eq(l->external[0]->service_name, "ext-plain");
    protobuf_c_message_free_unpacked(&l->base, NULL);

    l = list(NULL, 0, "non-existing-external-group");
    ck_assert_uint_eq(list_total(l), 0);
    protobuf_c_message_free_unpacked(&l->base, NULL);
    l = list(n2, 0, "redis");
    ck_assert_uint_eq(list_total(l), 0);
    protobuf_c_message_free_unpacked(&l->base, NULL);
    l = list(NULL, 99, NULL); /* an unknown type matches nothing */
    ck_assert_uint_eq(list_total(l), 0);
    protobuf_c_message_free_unpacked(&l->base, NULL);
    l = list("no-such-node", 0, NULL);
    ck_assert_uint_eq(list_total(l), 0);
    protobuf_c_message_free_unpacked(&l->base, NULL);
    free(n1), free(n2), free(m1), free(m2), free(pg);
}
END_TEST

static Inventory__V1__ListActiveServiceTypesResponse *active_types(void)
{
    Inventory__V1__ListActiveServiceTypesRequest req = INVENTORY__V1__LIST_ACTIVE_SERVICE_TYPES_REQUEST__INIT;
    ProtobufCMessage *resp;
    ck_assert_int_eq(call(SVC "ListActiveServiceTypes", &req.base, &resp, NULL), 0);
    return (Inventory__V1__ListActiveServiceTypesResponse *)resp;
}

START_TEST(active_service_types)
{
    Inventory__V1__ListActiveServiceTypesResponse *t = active_types();
    ck_assert_uint_eq(t->n_service_types, 1); /* the fixture's PostgreSQL */
    ck_assert_int_eq(t->service_types[0], INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_POSTGRESQL_SERVICE);
    protobuf_c_message_free_unpacked(&t->base, NULL);

    char *v = add_ok("valkey", "vk", "pmm-server", "h", 6379, NULL);
    free(add_ok("mysql", "m1", "pmm-server", "h", 3306, NULL));
    free(add_ok("mysql", "m2", "pmm-server", "h", 3307, NULL));
    free(add_ok("external", "e", "pmm-server", NULL, 0, NULL));
    t = active_types();
    /* one entry per type, ordered by stored type name: external, mysql, postgresql, valkey */
    ck_assert_uint_eq(t->n_service_types, 4);
    ck_assert_int_eq(t->service_types[0], INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_EXTERNAL_SERVICE);
    ck_assert_int_eq(t->service_types[1], INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_MYSQL_SERVICE);
    ck_assert_int_eq(t->service_types[2], INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_POSTGRESQL_SERVICE);
    ck_assert_int_eq(t->service_types[3], INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_VALKEY_SERVICE);
    protobuf_c_message_free_unpacked(&t->base, NULL);

    ck_assert_int_eq(remove_service(v, false, NULL), 0);
    t = active_types();
    ck_assert_uint_eq(t->n_service_types, 3);
    ck_assert_int_eq(t->service_types[2], INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_POSTGRESQL_SERVICE);
    protobuf_c_message_free_unpacked(&t->base, NULL);
    free(v);
}
END_TEST

START_TEST(remove_rules)
{
    char msg[RPC_MESSAGE_MAX], want[200];
    char *node = add_node("generic", "rm-node", NULL);
    char *plain = add_ok("mysql", "plain", node, "h", 3306, NULL);
    ck_assert_int_eq(remove_service(plain, false, msg), 0);
    ck_assert_int_eq(get_service(plain, NULL, msg), RPC_NOT_FOUND);

    char *busy = add_ok("mysql", "busy", node, "h", 3306, NULL);
    add_agents("pa-rm", node, "ex-rm", busy);
    /* another agent of the same pmm-agent, not of the service */
    exec_sql("INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, created_at, updated_at, disabled, "
             "status, tls, tls_skip_verify) VALUES ('ne-rm', 'node_exporter', 'pa-rm', 'pmm-server', now(), now(), "
             "false, 'AGENT_STATUS_UNKNOWN', false, false)");
    snprintf(want, sizeof want, "Service with ID \"%s\" has agents.", busy);
    ck_assert_int_eq(remove_service(busy, false, msg), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, want);
    assert_query("SELECT count(*) FROM services WHERE service_id = $1", busy, "1");

    ck_assert_int_eq(remove_service(busy, true, msg), 0);
    assert_query("SELECT count(*) FROM services WHERE service_id = $1", busy, "0");
    assert_query("SELECT count(*) FROM agents WHERE agent_id = $1", "ex-rm", "0");
    /* only the service's agents go: its pmm-agent and the node stay */
    assert_query("SELECT count(*) FROM agents WHERE agent_id = $1", "pa-rm", "1");
    assert_query("SELECT count(*) FROM agents WHERE agent_id = $1", "ne-rm", "1");
    assert_query("SELECT count(*) FROM nodes WHERE node_id = $1", node, "1");
    ck_assert_int_eq(get_service(busy, NULL, msg), RPC_NOT_FOUND);
    snprintf(want, sizeof want, "Service with ID \"%s\" not found.", busy);
    ck_assert_str_eq(msg, want);
    free(node), free(plain), free(busy);
}
END_TEST

START_TEST(remove_takes_rds_node)
{
    char msg[RPC_MESSAGE_MAX];
    char *rds = add_node("remote_rds", "rds-1", "us-east-1");
    char *svc = add_ok("mysql", "rds-mysql", rds, "rds-1.example", 3306, NULL);
    add_agents("pa-rds", "pmm-server", "ex-rds", svc);
    ck_assert_int_eq(remove_service(svc, true, msg), 0);
    assert_query("SELECT count(*) FROM nodes WHERE node_id = $1", rds, "0");
    assert_query("SELECT count(*) FROM agents WHERE agent_id = $1", "ex-rds", "0");

    /* a generic node stays */
    char *node = add_node("generic", "keep-node", NULL);
    char *s2 = add_ok("mysql", "keep-mysql", node, "h", 3306, NULL);
    ck_assert_int_eq(remove_service(s2, true, msg), 0);
    assert_query("SELECT count(*) FROM nodes WHERE node_id = $1", node, "1");
    free(rds), free(svc), free(node), free(s2);
}
END_TEST

static Inventory__V1__ChangeServiceResponse *change(Inventory__V1__ChangeServiceRequest *req)
{
    ProtobufCMessage *resp;
    char msg[RPC_MESSAGE_MAX];
    ck_assert_msg(call(SVC "ChangeService", &req->base, &resp, msg) == 0, "%s", msg);
    return (Inventory__V1__ChangeServiceResponse *)resp;
}

START_TEST(change_presence)
{
    ProtobufCMessage *req = add_req("mysql", "chg", "pmm-server", "h", 3306, NULL);
    ProtobufCMessage *p = params_of(req, "mysql");
    pb_set_str(p, "environment", "env0");
    pb_set_str(p, "cluster", "cl0");
    pb_set_str(p, "replication_set", "rs0");
    pb_set_map_json(p, "custom_labels", "{\"k\": \"v\"}");
    ProtobufCMessage *resp;
    ck_assert_int_eq(add_service(req, &resp, NULL), 0);
    char *id = strdup(pb_get_str(pb_get_msg(resp, "mysql"), "service_id"));
    protobuf_c_message_free_unpacked(resp, NULL);

    /* Nothing present: nothing changes, the service comes back. */
    Inventory__V1__ChangeServiceRequest ch = INVENTORY__V1__CHANGE_SERVICE_REQUEST__INIT;
    ch.service_id = id;
    Inventory__V1__ChangeServiceResponse *r = change(&ch);
    ck_assert_int_eq(r->service_case, INVENTORY__V1__CHANGE_SERVICE_RESPONSE__SERVICE_MYSQL);
    ck_assert_str_eq(r->mysql->environment, "env0");
    ck_assert_str_eq(r->mysql->cluster, "cl0");
    ck_assert_uint_eq(r->mysql->n_custom_labels, 1);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* Only environment. */
    ch.environment = "env1";
    ch._environment_case = INVENTORY__V1__CHANGE_SERVICE_REQUEST___ENVIRONMENT_ENVIRONMENT;
    r = change(&ch);
    ck_assert_str_eq(r->mysql->environment, "env1");
    ck_assert_str_eq(r->mysql->cluster, "cl0");
    ck_assert_str_eq(r->mysql->replication_set, "rs0");
    ck_assert_str_eq(r->mysql->address, "h");
    ck_assert_uint_eq(r->mysql->port, 3306);
    ck_assert_uint_eq(r->mysql->n_custom_labels, 1);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* Present and empty clears; absent keeps. */
    ch._environment_case = INVENTORY__V1__CHANGE_SERVICE_REQUEST___ENVIRONMENT__NOT_SET;
    ch.cluster = "";
    ch._cluster_case = INVENTORY__V1__CHANGE_SERVICE_REQUEST___CLUSTER_CLUSTER;
    ch.replication_set = "rs2";
    ch._replication_set_case = INVENTORY__V1__CHANGE_SERVICE_REQUEST___REPLICATION_SET_REPLICATION_SET;
    r = change(&ch);
    ck_assert_str_eq(r->mysql->environment, "env1");
    ck_assert_str_eq(r->mysql->cluster, "");
    ck_assert_str_eq(r->mysql->replication_set, "rs2");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    assert_query("SELECT environment || '|' || cluster || '|' || replication_set FROM services WHERE service_id = $1",
                 id, "env1||rs2");

    /* custom_labels replaces all labels. */
    ch._cluster_case = INVENTORY__V1__CHANGE_SERVICE_REQUEST___CLUSTER__NOT_SET;
    ch._replication_set_case = INVENTORY__V1__CHANGE_SERVICE_REQUEST___REPLICATION_SET__NOT_SET;
    ProtobufCMessage *labels = pb_new(&common__string_map__descriptor);
    pb_set_map_json(labels, "values", "{\"a\": \"1\", \"b\": \"2\"}");
    ch.custom_labels = (Common__StringMap *)labels;
    ch._custom_labels_case = INVENTORY__V1__CHANGE_SERVICE_REQUEST___CUSTOM_LABELS_CUSTOM_LABELS;
    r = change(&ch);
    char *json = pb_map_to_json(&r->mysql->base, "custom_labels");
    ck_assert_str_eq(json, "{\"a\":\"1\",\"b\":\"2\"}");
    free(json);
    ck_assert_str_eq(r->mysql->replication_set, "rs2");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    protobuf_c_message_free_unpacked(labels, NULL);

    /* Present but empty: no labels at all. */
    Common__StringMap none = COMMON__STRING_MAP__INIT;
    ch.custom_labels = &none;
    r = change(&ch);
    ck_assert_uint_eq(r->mysql->n_custom_labels, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    ProtobufCMessage *got;
    ck_assert_int_eq(get_service(id, &got, NULL), 0);
    ck_assert_uint_eq(((Inventory__V1__GetServiceResponse *)got)->mysql->n_custom_labels, 0);
    protobuf_c_message_free_unpacked(got, NULL);
    free(id);
}
END_TEST

START_TEST(change_external_group)
{
    ProtobufCMessage *resp;
    ck_assert_int_eq(add_service(add_req("external", "ext", "pmm-server", NULL, 0, NULL), &resp, NULL), 0);
    char *id = strdup(pb_get_str(pb_get_msg(resp, "external"), "service_id"));
    protobuf_c_message_free_unpacked(resp, NULL);

    Inventory__V1__ChangeServiceRequest ch = INVENTORY__V1__CHANGE_SERVICE_REQUEST__INIT;
    ch.service_id = id;
    ch.external_group = "rabbitmq";
    ch._external_group_case = INVENTORY__V1__CHANGE_SERVICE_REQUEST___EXTERNAL_GROUP_EXTERNAL_GROUP;
    Inventory__V1__ChangeServiceResponse *r = change(&ch);
    ck_assert_int_eq(r->service_case, INVENTORY__V1__CHANGE_SERVICE_RESPONSE__SERVICE_EXTERNAL);
    ck_assert_str_eq(r->external->group, "rabbitmq");
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* The schema's rule holds: only external services have a group, always. */
    char msg[RPC_MESSAGE_MAX];
    ch.external_group = "";
    ck_assert_int_eq(call(SVC "ChangeService", &ch.base, NULL, msg), RPC_INVALID_ARGUMENT);
    assert_query("SELECT external_group FROM services WHERE service_id = $1", id, "rabbitmq");
    free(id);
}
END_TEST

START_TEST(remove_node_with_services)
{
    char msg[RPC_MESSAGE_MAX], want[200];
    char *node = add_node("generic", "node-with-svc", NULL);
    char *s1 = add_ok("postgresql", "pg-on-node", node, "h", 5432, NULL);
    char *s2 = add_ok("external", "ext-on-node", node, NULL, 0, NULL);
    const ProtobufCMessageDescriptor *rd = &inventory__v1__remove_node_request__descriptor;
    snprintf(want, sizeof want, "Node with ID \"%s\" has services.", node);
    ck_assert_int_eq(id_call("/inventory.v1.NodesService/RemoveNode", rd, "node_id", node, false, NULL, msg),
                     RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, want);
    ck_assert_int_eq(get_service(s1, NULL, msg), 0);

    ck_assert_int_eq(id_call("/inventory.v1.NodesService/RemoveNode", rd, "node_id", node, true, NULL, msg), 0);
    ck_assert_int_eq(get_service(s1, NULL, msg), RPC_NOT_FOUND);
    ck_assert_int_eq(get_service(s2, NULL, msg), RPC_NOT_FOUND);
    assert_query("SELECT count(*) FROM services WHERE node_id = $1", node, "0");
    free(node), free(s1), free(s2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("inventory_services");
    TCase *tc = tcase_create("services");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, add_get_every_kind);
    tcase_add_test(tc, kind_defaults);
    tcase_add_test(tc, validation_texts);
    tcase_add_test(tc, address_rules);
    tcase_add_test(tc, not_found_and_duplicates);
    tcase_add_test(tc, list_filters);
    tcase_add_test(tc, active_service_types);
    tcase_add_test(tc, remove_rules);
    tcase_add_test(tc, remove_takes_rds_node);
    tcase_add_test(tc, change_presence);
    tcase_add_test(tc, change_external_group);
    tcase_add_test(tc, remove_node_with_services);
    suite_add_tcase(s, tc);
    return check_run(s);
}
