/* Integration tests of inventoryd's management.v1.ManagementService,
 * calling the bus handlers directly against a real PostgreSQL (a fresh
 * database per test): RegisterNode / UnregisterNode, node lists,
 * AddService for each kind, RemoveService, ListServices, ListAgents,
 * ListAgentVersions, the upstream error texts, and that a failing call
 * leaves nothing behind (also AddService's connection check when agentsd
 * is down); node and service statuses read from a real VictoriaMetrics
 * (tests/lib/vmtest.h), and the lists' error when it cannot be queried;
 * DiscoverRDS against a loopback AWS (tests/lib/httpstub.h: regions told
 * apart by their signature's scope, pages, errors, an unreachable
 * endpoint, the deadline), AddAzureDatabase (what it stores, what agentsd
 * builds from it, one transaction) and DiscoverAzureDatabase's checks,
 * AddAnnotation's checks before it refuses for want of Grafana. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "agentsd/state/state.h"
#include "inventoryd/agent_model.h"
#include "inventory/v1/nodes.pb-c.h"
#include "inventory/v1/services.pb-c.h"
#include "bus/peers.h"
#include "db/credentials.h"
#include "inventoryd/app.h"
#include "inventoryd/fixtures.h"
#include "inventoryd/management/management.h"
#include "management/v1/agent.pb-c.h"
#include "management/v1/annotation.pb-c.h"
#include "management/v1/azure.pb-c.h"
#include "management/v1/node.pb-c.h"
#include "management/v1/rds.pb-c.h"
#include "management/v1/service.pb-c.h"
#include "pbutil.h"
#include "secret.h"
#include "db/settings.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/httpstub.h"
#include "tests/lib/rpccall.h"
#include "tests/lib/pgtest.h"
#include "tests/lib/vmtest.h"
#include "inventoryd/vm.h"

#define MGMT "/management.v1.ManagementService/"

static db_params params;
static app the_app;
static daemon_worker w;
static char key_path[256];
static vmtest vm; /* one VictoriaMetrics for the whole binary, started in main */

/* One handler, run as the bus server runs it (tests/lib/rpccall.h). */
static int call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp, char *msg)
{
    const rpc_method *m = rpc_method_find(management_methods, management_methods_count, method);
    ck_assert_msg(m != NULL, "no method %s", method);
    return rpc_call_method(m, &w, &the_app, req, resp, msg);
}

/* Calls and frees req. */
static int call_free(const char *method, ProtobufCMessage *req, ProtobufCMessage **resp, char *msg)
{
    int code = call(method, req, resp, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    return code;
}

static void expect_error(const char *method, ProtobufCMessage *req, int code, const char *text)
{
    char msg[RPC_MESSAGE_MAX];
    int got = call_free(method, req, NULL, msg);
    ck_assert_msg(got == code, "%s: code %d (%s), want %d", method, got, msg, code);
    ck_assert_str_eq(msg, text);
}

static char *query1(const char *sql, const char *param)
{
    rpc_status st;
    PGresult *r = db_exec(w.db, &st, sql, param ? 1 : 0, param ? (const char *[]){ param } : NULL);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    char *v = strdup(PQntuples(r) == 0 ? "<none>" : PQgetisnull(r, 0, 0) ? "<null>" : PQgetvalue(r, 0, 0));
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

static ProtobufCMessage *register_req(const char *name, int type)
{
    ProtobufCMessage *req = pb_new(&management__v1__register_node_request__descriptor);
    pb_set_str(req, "node_name", name);
    pb_set_i32(req, "node_type", type);
    pb_set_str(req, "address", "10.0.0.1");
    return req;
}

typedef struct {
    char node_id[64], pmm_agent_id[64], token[128];
} registered;

static registered register_ok(ProtobufCMessage *req)
{
    ProtobufCMessage *resp;
    char msg[RPC_MESSAGE_MAX];
    ck_assert_msg(call_free(MGMT "RegisterNode", req, &resp, msg) == 0, "%s", msg);
    registered g;
    const ProtobufCMessage *node = pb_get_msg(resp, "generic_node");
    if (!node)
        node = pb_get_msg(resp, "container_node");
    ck_assert_ptr_nonnull(node);
    snprintf(g.node_id, sizeof g.node_id, "%s", pb_get_str(node, "node_id"));
    snprintf(g.pmm_agent_id, sizeof g.pmm_agent_id, "%s", pb_get_str(pb_get_msg(resp, "pmm_agent"), "agent_id"));
    snprintf(g.token, sizeof g.token, "%s", pb_get_str(resp, "token"));
    ck_assert_str_eq(pb_get_str(pb_get_msg(resp, "pmm_agent"), "runs_on_node_id"), g.node_id);
    ck_assert_str_eq(pb_get_str(resp, "warning"), "");
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_int_eq(strlen(g.node_id), 36);
    ck_assert_int_eq(strlen(g.pmm_agent_id), 36);
    return g;
}

/* An AddServiceRequest with params of kind member (returned through p). */
static ProtobufCMessage *add_req(const char *member, ProtobufCMessage **p)
{
    ProtobufCMessage *req = pb_new(&management__v1__add_service_request__descriptor);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(req->descriptor, member);
    ck_assert_ptr_nonnull(f);
    *p = pb_new(f->descriptor);
    ck_assert_int_eq(pb_set_msg(req, member, *p), 0);
    /* as upstream's api-tests: no pmm-agent answers here (see
     * add_service_check_needs_agentsd) */
    pb_set_bool(*p, "skip_connection_check", true);
    return req;
}

static ProtobufCMessage *mysql_req(const char *name, const registered *g, ProtobufCMessage **pp)
{
    ProtobufCMessage *p;
    ProtobufCMessage *req = add_req("mysql", &p);
    pb_set_str(p, "service_name", name);
    pb_set_str(p, "node_id", g->node_id);
    pb_set_str(p, "pmm_agent_id", g->pmm_agent_id);
    pb_set_str(p, "address", "127.0.0.1");
    pb_set_u32(p, "port", 3306);
    pb_set_str(p, "username", "pmm");
    pb_set_str(p, "password", "s3cret");
    if (pp)
        *pp = p;
    return req;
}

static char *add_ok(ProtobufCMessage *req, const char *member, ProtobufCMessage **result)
{
    ProtobufCMessage *resp;
    char msg[RPC_MESSAGE_MAX];
    ck_assert_msg(call_free(MGMT "AddService", req, &resp, msg) == 0, "%s: %s", member, msg);
    const ProtobufCMessage *res = pb_get_msg(resp, member);
    ck_assert_ptr_nonnull(res);
    char *id = strdup(pb_get_str(pb_get_msg(res, "service"), "service_id"));
    ck_assert_int_eq(strlen(id), 36);
    if (result)
        *result = resp;
    else
        protobuf_c_message_free_unpacked(resp, NULL);
    return id;
}

static void setup(void)
{
    ck_assert_int_eq(sodium_init() >= 0, 1);
    snprintf(key_path, sizeof key_path, "/tmp/test_management.%d.key", (int)getpid());
    unlink(key_path);
    ck_assert_int_eq(secret_init(key_path), 0);
    ck_assert_int_eq(pgtest_fresh_db("test_management", &params), 0);
    the_app.db = params;
    the_app.vm_url = vm.url;
    w.app = &the_app;
    w.db = db_new(&params);
    ck_assert_int_eq(db_migrate(w.db), 0);
    ck_assert_int_eq(fixtures_ensure(w.db, &params, false), 0);
}

static void teardown(void)
{
    db_destroy(w.db);
    pgtest_params_clear(&params);
    unlink(key_path);
}

START_TEST(register_node_creates_everything)
{
    ProtobufCMessage *req = register_req("node-a", INVENTORY__V1__NODE_TYPE__NODE_TYPE_GENERIC_NODE);
    pb_set_str(req, "distro", "linux");
    pb_set_str(req, "machine_id", "m-1");
    pb_set_str(req, "region", "eu");
    pb_set_map_json(req, "custom_labels", "{\"a\":\"b\"}");
    pb_set_i32(req, "metrics_mode", 2);
    pb_append_str(req, "disable_collectors", "cpu");
    pb_append_str(req, "disable_collectors", "diskstats");
    pb_set_str(req, "agent_password", "agent-pw");
    pb_set_bool(req, "expose_exporter", true);
    registered g = register_ok(req);
    ck_assert_msg(strncmp(g.token, "pmmsa_", 6) == 0, "token %s", g.token);

    assert_query("SELECT node_name || '|' || node_type || '|' || distro || '|' || address || '|' || region || '|' || "
                 "custom_labels FROM nodes WHERE node_id = $1",
                 g.node_id, "node-a|generic|linux|10.0.0.1|eu|{\"a\":\"b\"}");
    assert_query("SELECT agent_type FROM agents WHERE agent_id = $1", g.pmm_agent_id, "pmm-agent");
    assert_query("SELECT (exporter_options->>'push_metrics') || '|' || (exporter_options->>'expose_exporter') || "
                 "'|' || (exporter_options->'disabled_collectors')::text || '|' || status "
                 "FROM agents WHERE agent_type = 'node_exporter' AND pmm_agent_id = $1",
                 g.pmm_agent_id, "true|true|[\"cpu\", \"diskstats\"]|AGENT_STATUS_UNKNOWN");
    char *node_of = query1("SELECT node_id FROM agents WHERE agent_type = 'node_exporter' AND pmm_agent_id = $1",
                           g.pmm_agent_id);
    ck_assert_str_eq(node_of, g.node_id);
    free(node_of);
    /* The agent password is stored sealed. */
    assert_query("SELECT left(agent_password, 4) FROM agents WHERE agent_type = 'node_exporter' AND pmm_agent_id = $1",
                 g.pmm_agent_id, "enc:");
    /* One admin token named after the node, tied to it, stored as a hash. */
    assert_query("SELECT name || '|' || role || '|' || count(*) OVER () FROM service_tokens WHERE node_id = $1",
                 g.node_id, "node-a|admin|1");
    char hex[CRED_TOKEN_HEX];
    cred_token_hash(g.token, hex);
    assert_query("SELECT node_id FROM service_tokens WHERE token_hash = $1", hex, g.node_id);
}
END_TEST

START_TEST(register_node_errors)
{
    expect_error(MGMT "RegisterNode", register_req("", 1), RPC_INVALID_ARGUMENT,
                 "invalid RegisterNodeRequest.NodeName: value length must be at least 1 runes");
    registered g = register_ok(register_req("dup", INVENTORY__V1__NODE_TYPE__NODE_TYPE_GENERIC_NODE));
    (void)g;
    expect_error(MGMT "RegisterNode", register_req("dup", 1), RPC_ALREADY_EXISTS,
                 "Node with name \"dup\" already exists.");
    /* Only generic and container nodes; a refused one leaves nothing. */
    expect_error(MGMT "RegisterNode", register_req("remote-1", INVENTORY__V1__NODE_TYPE__NODE_TYPE_REMOTE_NODE),
                 RPC_INVALID_ARGUMENT, "Unsupported Node type \"NODE_TYPE_REMOTE_NODE\".");
    expect_error(MGMT "RegisterNode", register_req("unspec", 0), RPC_INVALID_ARGUMENT,
                 "Unsupported Node type \"NODE_TYPE_UNSPECIFIED\".");
    assert_query("SELECT count(*) FROM nodes WHERE node_name IN ('remote-1', 'unspec')", NULL, "0");
    /* Address + region are unique when a region is given. */
    ProtobufCMessage *req = register_req("r1", 1);
    pb_set_str(req, "region", "us-east");
    register_ok(req);
    req = register_req("r2", 1);
    pb_set_str(req, "region", "us-east");
    expect_error(MGMT "RegisterNode", req, RPC_ALREADY_EXISTS,
                 "Node with address \"10.0.0.1\" and region \"us-east\" already exists.");
    req = register_req("r3", 1);
    pb_set_str(req, "region", "us-east");
    pb_set_str(req, "address", "");
    expect_error(MGMT "RegisterNode", req, RPC_INVALID_ARGUMENT, "Empty Node address.");
    /* A container node comes back as container_node. */
    req = register_req("c1", INVENTORY__V1__NODE_TYPE__NODE_TYPE_CONTAINER_NODE);
    pb_set_str(req, "container_name", "box");
    ProtobufCMessage *resp;
    ck_assert_int_eq(call_free(MGMT "RegisterNode", req, &resp, NULL), 0);
    ck_assert_ptr_null(pb_get_msg(resp, "generic_node"));
    ck_assert_str_eq(pb_get_str(pb_get_msg(resp, "container_node"), "container_name"), "box");
    protobuf_c_message_free_unpacked(resp, NULL);

    /* Metrics mode: unspecified ("auto") pushes, as upstream; pull does not. */
    registered def = register_ok(register_req("mode-auto", 1));
    assert_query("SELECT exporter_options->>'push_metrics' FROM agents WHERE agent_type = 'node_exporter' AND "
                 "pmm_agent_id = $1",
                 def.pmm_agent_id, "true");
    req = register_req("mode-pull", 1);
    pb_set_i32(req, "metrics_mode", 1);
    registered pull = register_ok(req);
    assert_query("SELECT exporter_options->>'push_metrics' FROM agents WHERE agent_type = 'node_exporter' AND "
                 "pmm_agent_id = $1",
                 pull.pmm_agent_id, "false");
}
END_TEST

START_TEST(reregister_replaces_node)
{
    registered g = register_ok(register_req("again", 1));
    free(add_ok(mysql_req("mysql-again", &g, NULL), "mysql", NULL));
    ProtobufCMessage *req = register_req("again", 1);
    pb_set_bool(req, "reregister", true);
    registered g2 = register_ok(req);
    ck_assert_str_ne(g.node_id, g2.node_id);
    ck_assert_str_ne(g.token, g2.token);
    assert_query("SELECT count(*) FROM nodes WHERE node_id = $1", g.node_id, "0");
    assert_query("SELECT count(*) FROM services WHERE service_name = 'mysql-again'", NULL, "0");
    assert_query("SELECT count(*) FROM agents WHERE agent_id = $1 OR pmm_agent_id = $1", g.pmm_agent_id, "0");
    assert_query("SELECT count(*) FROM service_tokens WHERE node_id = $1", g.node_id, "0");
    assert_query("SELECT count(*) FROM service_tokens WHERE node_id = $1", g2.node_id, "1");
    /* The PMM Server node is never replaced. */
    req = register_req("pmm-server", 1);
    pb_set_bool(req, "reregister", true);
    expect_error(MGMT "RegisterNode", req, RPC_PERMISSION_DENIED, "PMM Server node can't be removed.");
}
END_TEST

static ProtobufCMessage *unregister_req(const char *id, bool force)
{
    ProtobufCMessage *req = pb_new(&management__v1__unregister_node_request__descriptor);
    pb_set_str(req, "node_id", id);
    pb_set_bool(req, "force", force);
    return req;
}

START_TEST(unregister_node)
{
    registered g = register_ok(register_req("gone", 1));
    expect_error(MGMT "UnregisterNode", unregister_req("", false), RPC_INVALID_ARGUMENT,
                 "invalid UnregisterNodeRequest.NodeId: value length must be at least 1 runes");
    expect_error(MGMT "UnregisterNode", unregister_req("nope", false), RPC_NOT_FOUND, "Node with ID \"nope\" not found.");
    char text[256];
    snprintf(text, sizeof text, "Node with ID \"%s\" has agents.", g.node_id);
    expect_error(MGMT "UnregisterNode", unregister_req(g.node_id, false), RPC_FAILED_PRECONDITION, text);
    assert_query("SELECT count(*) FROM service_tokens WHERE node_id = $1", g.node_id, "1");
    ProtobufCMessage *resp;
    ck_assert_int_eq(call_free(MGMT "UnregisterNode", unregister_req(g.node_id, true), &resp, NULL), 0);
    ck_assert_str_eq(pb_get_str(resp, "warning"), "");
    protobuf_c_message_free_unpacked(resp, NULL);
    assert_query("SELECT count(*) FROM nodes WHERE node_id = $1", g.node_id, "0");
    assert_query("SELECT count(*) FROM agents WHERE agent_id = $1 OR pmm_agent_id = $1", g.pmm_agent_id, "0");
    assert_query("SELECT count(*) FROM service_tokens WHERE node_id = $1", g.node_id, "0");
    expect_error(MGMT "UnregisterNode", unregister_req("pmm-server", true), RPC_PERMISSION_DENIED,
                 "PMM Server node can't be removed.");
}
END_TEST

static const ProtobufCMessage *find_node(const ProtobufCMessage *resp, const char *id)
{
    const Management__V1__ListNodesResponse *l = (const Management__V1__ListNodesResponse *)resp;
    for (size_t i = 0; i < l->n_nodes; i++)
        if (strcmp(l->nodes[i]->node_id, id) == 0)
            return &l->nodes[i]->base;
    return NULL;
}

START_TEST(list_and_get_nodes)
{
    ProtobufCMessage *req = register_req("listed", 1);
    pb_set_map_json(req, "custom_labels", "{\"k\":\"v\"}");
    registered g = register_ok(req);
    char *svc = add_ok(mysql_req("mysql-listed", &g, NULL), "mysql", NULL);

    ProtobufCMessage *resp;
    ck_assert_int_eq(call_free(MGMT "ListNodes", pb_new(&management__v1__list_nodes_request__descriptor), &resp, NULL),
                     0);
    const Management__V1__UniversalNode *n = (const Management__V1__UniversalNode *)find_node(resp, g.node_id);
    ck_assert_ptr_nonnull(n);
    ck_assert_ptr_nonnull(find_node(resp, "pmm-server"));
    ck_assert_str_eq(n->node_type, "generic");
    ck_assert_str_eq(n->node_name, "listed");
    ck_assert_str_eq(n->address, "10.0.0.1");
    ck_assert_int_eq(n->status, MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UNKNOWN);
    ck_assert_int_eq(n->n_custom_labels, 1);
    ck_assert_ptr_nonnull(n->created_at);
    ck_assert_int_gt(n->created_at->seconds, 1600000000);
    ck_assert_int_eq(n->n_agents, 2); /* pmm-agent, node_exporter */
    int pmm = 0;
    for (size_t i = 0; i < n->n_agents; i++) {
        pmm += strcmp(n->agents[i]->agent_type, "pmm-agent") == 0;
        ck_assert(!n->agents[i]->is_connected);
    }
    ck_assert_int_eq(pmm, 1);
    ck_assert_int_eq(n->n_services, 1);
    ck_assert_str_eq(n->services[0]->service_id, svc);
    ck_assert_str_eq(n->services[0]->service_type, "mysql");
    ck_assert_str_eq(n->services[0]->service_name, "mysql-listed");
    protobuf_c_message_free_unpacked(resp, NULL);

    /* Filtered by type: no container nodes. */
    req = pb_new(&management__v1__list_nodes_request__descriptor);
    pb_set_i32(req, "node_type", INVENTORY__V1__NODE_TYPE__NODE_TYPE_CONTAINER_NODE);
    ck_assert_int_eq(call_free(MGMT "ListNodes", req, &resp, NULL), 0);
    ck_assert_int_eq(((Management__V1__ListNodesResponse *)resp)->n_nodes, 0);
    protobuf_c_message_free_unpacked(resp, NULL);

    req = pb_new(&management__v1__get_node_request__descriptor);
    pb_set_str(req, "node_id", g.node_id);
    ck_assert_int_eq(call_free(MGMT "GetNode", req, &resp, NULL), 0);
    n = (const Management__V1__UniversalNode *)pb_get_msg(resp, "node");
    ck_assert_str_eq(n->node_name, "listed");
    ck_assert_int_eq(n->status, MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UNKNOWN);
    protobuf_c_message_free_unpacked(resp, NULL);
    req = pb_new(&management__v1__get_node_request__descriptor);
    expect_error(MGMT "GetNode", req, RPC_INVALID_ARGUMENT,
                 "invalid GetNodeRequest.NodeId: value length must be at least 1 runes");
    req = pb_new(&management__v1__get_node_request__descriptor);
    pb_set_str(req, "node_id", "pmm-not-found");
    expect_error(MGMT "GetNode", req, RPC_NOT_FOUND, "Node with ID \"pmm-not-found\" not found.");
    free(svc);
}
END_TEST

static ProtobufCMessage *list_agents_req(const char *service_id, const char *node_id)
{
    ProtobufCMessage *req = pb_new(&management__v1__list_agents_request__descriptor);
    if (service_id)
        pb_set_str(req, "service_id", service_id);
    if (node_id)
        pb_set_str(req, "node_id", node_id);
    return req;
}

static const Management__V1__UniversalAgent *find_agent(const ProtobufCMessage *resp, const char *type)
{
    const Management__V1__ListAgentsResponse *l = (const Management__V1__ListAgentsResponse *)resp;
    for (size_t i = 0; i < l->n_agents; i++)
        if (strcmp(l->agents[i]->agent_type, type) == 0)
            return l->agents[i];
    return NULL;
}

START_TEST(list_agents_redacts)
{
    ProtobufCMessage *req = register_req("agents-node", 1);
    pb_set_str(req, "agent_password", "node-pw");
    registered g = register_ok(req);
    ProtobufCMessage *p;
    req = mysql_req("mysql-agents", &g, &p);
    pb_set_bool(p, "tls", true);
    pb_set_str(p, "tls_key", "PRIVATE KEY");
    pb_set_str(p, "agent_password", "exp-pw");
    pb_set_bool(p, "qan_mysql_slowlog", true);
    char *svc = add_ok(req, "mysql", NULL);

    expect_error(MGMT "ListAgents", list_agents_req(NULL, NULL), RPC_INVALID_ARGUMENT,
                 "Either service_id or node_id is expected.");
    expect_error(MGMT "ListAgents", list_agents_req(svc, g.node_id), RPC_INVALID_ARGUMENT,
                 "Either service_id or node_id is expected, not both.");
    expect_error(MGMT "ListAgents", list_agents_req("nope", NULL), RPC_NOT_FOUND, "Service with ID \"nope\" not found.");

    ProtobufCMessage *resp;
    ck_assert_int_eq(call_free(MGMT "ListAgents", list_agents_req(svc, NULL), &resp, NULL), 0);
    ck_assert_int_eq(((Management__V1__ListAgentsResponse *)resp)->n_agents, 3); /* pmm-agent, exporter, slowlog */
    const Management__V1__UniversalAgent *a = find_agent(resp, "mysqld_exporter");
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->username, "pmm");
    ck_assert(a->is_password_set);
    ck_assert(a->is_agent_password_set);
    ck_assert(a->tls);
    ck_assert(a->mysql_options && a->mysql_options->is_tls_key_set);
    ck_assert(a->postgresql_options && !a->postgresql_options->is_ssl_key_set);
    ck_assert_str_eq(a->service_id, svc);
    ck_assert_str_eq(a->status, "AGENT_STATUS_UNKNOWN");
    ck_assert_int_eq(a->table_count_tablestats_group_limit, 1000);
    ck_assert_ptr_nonnull(a->created_at);
    a = find_agent(resp, "qan-mysql-slowlog-agent");
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->max_query_log_size, 1LL << 30);
    ck_assert(!a->is_agent_password_set);
    ck_assert_ptr_nonnull(find_agent(resp, "pmm-agent"));
    /* No secret in clear anywhere in the packed response. */
    size_t len = protobuf_c_message_get_packed_size(resp);
    uint8_t *buf = malloc(len + 1);
    protobuf_c_message_pack(resp, buf);
    buf[len] = 0;
    ck_assert_ptr_null(memmem(buf, len, "s3cret", 6));
    ck_assert_ptr_null(memmem(buf, len, "PRIVATE KEY", 11));
    ck_assert_ptr_null(memmem(buf, len, "exp-pw", 6));
    free(buf);
    protobuf_c_message_free_unpacked(resp, NULL);

    ck_assert_int_eq(call_free(MGMT "ListAgents", list_agents_req(NULL, g.node_id), &resp, NULL), 0);
    ck_assert_int_eq(((Management__V1__ListAgentsResponse *)resp)->n_agents, 2); /* pmm-agent, node_exporter */
    a = find_agent(resp, "node_exporter");
    ck_assert_ptr_nonnull(a);
    ck_assert(a->is_agent_password_set);
    ck_assert_str_eq(a->pmm_agent_id, g.pmm_agent_id);
    protobuf_c_message_free_unpacked(resp, NULL);
    free(svc);
}
END_TEST

START_TEST(add_mysql_service)
{
    registered g = register_ok(register_req("mysql-node", 1));
    ProtobufCMessage *p, *resp;
    ProtobufCMessage *req = mysql_req("mysql-1", &g, &p);
    pb_set_bool(p, "qan_mysql_perfschema", true);
    pb_set_str(p, "environment", "prod");
    pb_set_i32(p, "tablestats_group_table_limit", -5);
    pb_set_i32(p, "metrics_mode", 2);
    char *svc = add_ok(req, "mysql", &resp);
    const Management__V1__MySQLServiceResult *r = ((Management__V1__AddServiceResponse *)resp)->mysql;
    ck_assert_str_eq(r->service->service_name, "mysql-1");
    ck_assert_str_eq(r->service->node_id, g.node_id);
    ck_assert_str_eq(r->service->environment, "prod");
    ck_assert_int_eq(r->service->port, 3306);
    ck_assert_ptr_nonnull(r->mysqld_exporter);
    ck_assert_str_eq(r->mysqld_exporter->pmm_agent_id, g.pmm_agent_id);
    ck_assert_str_eq(r->mysqld_exporter->service_id, svc);
    ck_assert_str_eq(r->mysqld_exporter->username, "pmm");
    ck_assert(r->mysqld_exporter->push_metrics_enabled);
    ck_assert_int_eq(r->mysqld_exporter->tablestats_group_table_limit, -1);
    ck_assert_ptr_nonnull(r->qan_mysql_perfschema);
    ck_assert_ptr_null(r->qan_mysql_slowlog);
    protobuf_c_message_free_unpacked(resp, NULL);
    assert_query("SELECT count(*) FROM agents WHERE service_id = $1", svc, "2");
    assert_query("SELECT left(password, 4) FROM agents WHERE service_id = $1 LIMIT 1", svc, "enc:");

    /* By node name, and on a node made from add_node. */
    req = mysql_req("mysql-2", &g, &p);
    pb_set_str(p, "node_id", "");
    pb_set_str(p, "node_name", "mysql-node");
    pb_set_i32(p, "metrics_mode", 1);
    char *svc2 = add_ok(req, "mysql", NULL);
    assert_query("SELECT exporter_options->>'push_metrics' FROM agents WHERE service_id = $1 AND "
                 "agent_type = 'mysqld_exporter'",
                 svc2, "false");
    free(svc2);
    req = mysql_req("mysql-3", &g, &p);
    pb_set_str(p, "node_id", "");
    ProtobufCMessage *an = pb_new(&management__v1__add_node_params__descriptor);
    pb_set_i32(an, "node_type", INVENTORY__V1__NODE_TYPE__NODE_TYPE_REMOTE_NODE);
    pb_set_str(an, "node_name", "db-host");
    pb_set_msg(p, "add_node", an);
    char *svc3 = add_ok(req, "mysql", NULL);
    assert_query("SELECT n.node_type || '|' || n.address FROM services s JOIN nodes n USING (node_id) "
                 "WHERE s.service_id = $1",
                 svc3, "remote|127.0.0.1");
    free(svc3);
    free(svc);
}
END_TEST

START_TEST(add_service_errors)
{
    registered g = register_ok(register_req("err-node", 1));
    ProtobufCMessage *p;
    ProtobufCMessage *req = mysql_req("", &g, NULL);
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "invalid AddServiceRequest.Mysql: embedded message failed validation | caused by: invalid AddMySQLServiceParams.ServiceName: value length must be at least 1 runes");
    req = mysql_req("e1", &g, &p);
    pb_set_str(p, "pmm_agent_id", "");
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "invalid AddServiceRequest.Mysql: embedded message failed validation | caused by: invalid AddMySQLServiceParams.PmmAgentId: value length must be at least 1 runes");
    req = mysql_req("e1", &g, &p);
    pb_set_str(p, "username", "");
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "invalid AddServiceRequest.Mysql: embedded message failed validation | caused by: invalid AddMySQLServiceParams.Username: value length must be at least 1 runes");
    req = mysql_req("e1", &g, &p);
    pb_set_str(p, "node_name", "err-node");
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "expected only one param; node id, node name or register node params");
    req = mysql_req("e1", &g, &p);
    pb_set_str(p, "node_id", "");
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "expected only one param; node id, node name or register node params");
    req = mysql_req("e1", &g, &p);
    pb_set_str(p, "node_id", "nope");
    expect_error(MGMT "AddService", req, RPC_NOT_FOUND, "Node with ID \"nope\" not found.");
    req = mysql_req("e1", &g, &p);
    pb_set_str(p, "node_id", "");
    pb_set_str(p, "node_name", "nope");
    expect_error(MGMT "AddService", req, RPC_NOT_FOUND, "Node with name \"nope\" not found.");
    req = mysql_req("e1", &g, &p);
    pb_set_str(p, "address", "");
    pb_set_u32(p, "port", 0);
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT, "Neither socket nor address passed.");
    req = mysql_req("e1", &g, &p);
    pb_set_u32(p, "port", 0);
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "Port is expected to be passed along with the host address.");
    /* add_node makes remote nodes only; node_id / node_name name generic or container ones. */
    req = mysql_req("e1", &g, &p);
    pb_set_str(p, "node_id", "");
    ProtobufCMessage *an = pb_new(&management__v1__add_node_params__descriptor);
    pb_set_i32(an, "node_type", INVENTORY__V1__NODE_TYPE__NODE_TYPE_GENERIC_NODE);
    pb_set_str(an, "node_name", "e1-node");
    pb_set_msg(p, "add_node", an);
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT, "add_node structure can be used only for remote nodes");
    exec_sql("INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, address, created_at, "
             "updated_at) VALUES ('remote-e1', 'remote', 'remote-e1', '', '', '', 'r', now(), now())");
    req = mysql_req("e1", &g, &p);
    pb_set_str(p, "node_id", "remote-e1");
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "node_id or node_name can be used only for generic nodes or container nodes");
    /* The PMM Server's pmm-agent does not push. */
    req = mysql_req("e1", &g, &p);
    pb_set_str(p, "node_id", "pmm-server");
    pb_set_str(p, "pmm_agent_id", "pmm-server");
    pb_set_i32(p, "metrics_mode", 2);
    expect_error(MGMT "AddService", req, RPC_FAILED_PRECONDITION,
                 "push metrics mode is not allowed for exporters running on pmm-server");
    req = mysql_req("e-server", &g, &p);
    pb_set_str(p, "node_id", "pmm-server");
    pb_set_str(p, "pmm_agent_id", "pmm-server");
    char *srv = add_ok(req, "mysql", NULL);
    assert_query("SELECT exporter_options->>'push_metrics' FROM agents WHERE service_id = $1", srv, "false");
    free(srv);
    free(add_ok(mysql_req("e-dup", &g, NULL), "mysql", NULL));
    expect_error(MGMT "AddService", mysql_req("e-dup", &g, NULL), RPC_ALREADY_EXISTS,
                 "Service with name \"e-dup\" already exists.");
    expect_error(MGMT "AddService", pb_new(&management__v1__add_service_request__descriptor), RPC_INVALID_ARGUMENT,
                 "invalid service type");
    assert_query("SELECT count(*) FROM services WHERE service_name = 'e1'", NULL, "0");
}
END_TEST

/* A failure after the service was made (here: the agents' pmm-agent does
 * not exist) leaves neither the service nor the node add_node made. */
START_TEST(add_service_is_one_transaction)
{
    registered g = register_ok(register_req("tx-node", 1));
    ProtobufCMessage *p;
    ProtobufCMessage *req = mysql_req("tx-mysql", &g, &p);
    pb_set_str(p, "pmm_agent_id", "no-such-agent");
    pb_set_str(p, "node_id", "");
    ProtobufCMessage *an = pb_new(&management__v1__add_node_params__descriptor);
    pb_set_i32(an, "node_type", INVENTORY__V1__NODE_TYPE__NODE_TYPE_REMOTE_NODE);
    pb_set_str(an, "node_name", "tx-new-node");
    pb_set_msg(p, "add_node", an);
    expect_error(MGMT "AddService", req, RPC_NOT_FOUND, "Agent with ID no-such-agent not found.");
    assert_query("SELECT count(*) FROM services WHERE service_name = 'tx-mysql'", NULL, "0");
    assert_query("SELECT count(*) FROM nodes WHERE node_name = 'tx-new-node'", NULL, "0");
    /* A QAN agent failing after the exporter was made: bad DSN parameter. */
    req = mysql_req("tx-mysql2", &g, &p);
    pb_set_bool(p, "qan_mysql_perfschema", true);
    pb_set_map_json(p, "extra_dsn_params", "{\"bad\":\"x\"}");
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT, "Unsupported DSN parameter: bad");
    assert_query("SELECT count(*) FROM services WHERE service_name = 'tx-mysql2'", NULL, "0");
    assert_query("SELECT count(*) FROM agents WHERE pmm_agent_id = $1 AND service_id IS NOT NULL", g.pmm_agent_id,
                 "0");
}
END_TEST

/* Without skip_connection_check the pmm-agent is asked through agentsd;
 * agentsd being down fails the add, and nothing of it stays. */
/* The bus to agentsd in a run dir where no agentsd listens. */
typedef struct {
    char run_dir[64];
    void *zctx;
} no_agentsd;

static void no_agentsd_start(no_agentsd *n)
{
    snprintf(n->run_dir, sizeof n->run_dir, "/tmp/test_management_run.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(n->run_dir));
    n->zctx = zmq_ctx_new();
    ck_assert_int_eq(bus_peers_init(n->zctx, n->run_dir), 0);
}

static void no_agentsd_stop(no_agentsd *n)
{
    bus_peers_thread_done();
    zmq_ctx_term(n->zctx);
    rmdir(n->run_dir);
}

START_TEST(add_service_check_needs_agentsd)
{
    no_agentsd n;
    no_agentsd_start(&n);
    const char *run_dir = n.run_dir;
    registered g = register_ok(register_req("check-node", 1));
    ProtobufCMessage *p;
    ProtobufCMessage *req = mysql_req("check-mysql", &g, &p);
    pb_set_bool(p, "skip_connection_check", false);
    pb_set_bool(p, "qan_mysql_perfschema", true);
    char msg[RPC_MESSAGE_MAX], want[600];
    snprintf(want, sizeof want, "ipc://%s/agentsd.sock is unavailable", run_dir);
    ck_assert_int_eq(call_free(MGMT "AddService", req, NULL, msg), RPC_UNAVAILABLE);
    ck_assert_str_eq(msg, want);
    assert_query("SELECT count(*) FROM services WHERE service_name = 'check-mysql'", NULL, "0");
    assert_query("SELECT count(*) FROM agents WHERE pmm_agent_id = $1 AND service_id IS NOT NULL", g.pmm_agent_id,
                 "0");
    /* skipping the check needs no agentsd */
    req = mysql_req("check-mysql", &g, &p);
    pb_set_bool(p, "skip_connection_check", true);
    free(add_ok(req, "mysql", NULL));
    no_agentsd_stop(&n);
}
END_TEST

START_TEST(add_other_kinds)
{
    registered g = register_ok(register_req("kinds-node", 1));
    ProtobufCMessage *p, *resp;
    /* username is min_len 1 for PostgreSQL and ProxySQL (not MongoDB),
     * checked after service_name and pmm_agent_id. */
    ProtobufCMessage *req = add_req("postgresql", &p);
    pb_set_str(p, "service_name", "pg-no-user");
    pb_set_str(p, "node_id", g.node_id);
    pb_set_str(p, "pmm_agent_id", g.pmm_agent_id);
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "invalid AddServiceRequest.Postgresql: embedded message failed validation | caused by: "
                 "invalid AddPostgreSQLServiceParams.Username: value length must be at least 1 runes");
    req = add_req("proxysql", &p);
    pb_set_str(p, "service_name", "proxy-no-user");
    pb_set_str(p, "node_id", g.node_id);
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "invalid AddServiceRequest.Proxysql: embedded message failed validation | caused by: "
                 "invalid AddProxySQLServiceParams.PmmAgentId: value length must be at least 1 runes");
    req = add_req("proxysql", &p);
    pb_set_str(p, "service_name", "proxy-no-user");
    pb_set_str(p, "pmm_agent_id", g.pmm_agent_id);
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "invalid AddServiceRequest.Proxysql: embedded message failed validation | caused by: "
                 "invalid AddProxySQLServiceParams.Username: value length must be at least 1 runes");

    /* PostgreSQL with its database and both QAN agents. */
    req = add_req("postgresql", &p);
    pb_set_str(p, "service_name", "pg-1");
    pb_set_str(p, "node_id", g.node_id);
    pb_set_str(p, "pmm_agent_id", g.pmm_agent_id);
    pb_set_str(p, "socket", "/run/pg");
    pb_set_str(p, "database", "appdb");
    pb_set_str(p, "username", "pmm");
    pb_set_bool(p, "qan_postgresql_pgstatements_agent", true);
    pb_set_i32(p, "auto_discovery_limit", 7);
    char *pg = add_ok(req, "postgresql", &resp);
    const Management__V1__PostgreSQLServiceResult *pr = ((Management__V1__AddServiceResponse *)resp)->postgresql;
    ck_assert_str_eq(pr->service->database_name, "appdb");
    ck_assert_str_eq(pr->service->socket, "/run/pg");
    ck_assert_ptr_nonnull(pr->postgres_exporter);
    ck_assert_int_eq(pr->postgres_exporter->auto_discovery_limit, 7);
    ck_assert_ptr_nonnull(pr->qan_postgresql_pgstatements_agent);
    ck_assert_ptr_null(pr->qan_postgresql_pgstatmonitor_agent);
    protobuf_c_message_free_unpacked(resp, NULL);
    assert_query("SELECT database_name FROM services WHERE service_id = $1", pg, "appdb");

    /* MongoDB with the profiler. */
    req = add_req("mongodb", &p);
    pb_set_str(p, "service_name", "mongo-1");
    pb_set_str(p, "node_id", g.node_id);
    pb_set_str(p, "pmm_agent_id", g.pmm_agent_id);
    pb_set_str(p, "address", "10.0.0.2");
    pb_set_u32(p, "port", 27017);
    pb_set_str(p, "authentication_database", "admin");
    pb_set_bool(p, "qan_mongodb_profiler", true);
    pb_set_str(p, "tls_certificate_key", "KEYDATA");
    char *mongo = add_ok(req, "mongodb", &resp);
    const Management__V1__MongoDBServiceResult *mr = ((Management__V1__AddServiceResponse *)resp)->mongodb;
    ck_assert_ptr_nonnull(mr->mongodb_exporter);
    ck_assert_ptr_nonnull(mr->qan_mongodb_profiler);
    ck_assert_ptr_null(mr->qan_mongodb_mongolog);
    protobuf_c_message_free_unpacked(resp, NULL);
    assert_query("SELECT mongo_options->>'authentication_database' FROM agents WHERE service_id = $1 AND "
                 "agent_type = 'mongodb_exporter'",
                 mongo, "admin");

    /* ProxySQL and Valkey: one exporter each. */
    req = add_req("proxysql", &p);
    pb_set_str(p, "service_name", "proxy-1");
    pb_set_str(p, "node_id", g.node_id);
    pb_set_str(p, "pmm_agent_id", g.pmm_agent_id);
    pb_set_str(p, "address", "10.0.0.3");
    pb_set_u32(p, "port", 6032);
    pb_set_str(p, "username", "admin");
    free(add_ok(req, "proxysql", NULL));
    req = add_req("valkey", &p);
    pb_set_str(p, "service_name", "valkey-1");
    pb_set_str(p, "node_id", g.node_id);
    pb_set_str(p, "pmm_agent_id", g.pmm_agent_id);
    pb_set_str(p, "address", "10.0.0.4");
    pb_set_u32(p, "port", 6379);
    pb_set_str(p, "username", "default");
    free(add_ok(req, "valkey", NULL));

    /* HAProxy and external: an external exporter on the node. */
    req = add_req("haproxy", &p);
    pb_set_str(p, "service_name", "haproxy-1");
    pb_set_str(p, "node_id", g.node_id);
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "invalid AddServiceRequest.Haproxy: embedded message failed validation | caused by: invalid AddHAProxyServiceParams.ListenPort: value must be inside range (0, 65536)");
    req = add_req("haproxy", &p);
    pb_set_str(p, "service_name", "haproxy-1");
    pb_set_str(p, "node_id", g.node_id);
    pb_set_u32(p, "listen_port", 8404);
    char *ha = add_ok(req, "haproxy", &resp);
    const Management__V1__HAProxyServiceResult *hr = ((Management__V1__AddServiceResponse *)resp)->haproxy;
    ck_assert_ptr_nonnull(hr->external_exporter);
    ck_assert_str_eq(hr->external_exporter->runs_on_node_id, g.node_id);
    ck_assert_int_eq(hr->external_exporter->listen_port, 8404);
    ck_assert_str_eq(hr->external_exporter->scheme, "http");
    ck_assert(hr->external_exporter->push_metrics_enabled); /* auto, and one pmm-agent on the node */
    protobuf_c_message_free_unpacked(resp, NULL);
    req = add_req("external", &p);
    pb_set_str(p, "service_name", "ext-1");
    pb_set_str(p, "node_id", g.node_id);
    pb_set_u32(p, "listen_port", 9121);
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "runs_on_node_id and node_id should be specified together.");
    req = add_req("external", &p);
    pb_set_str(p, "service_name", "ext-1");
    pb_set_str(p, "node_id", g.node_id);
    pb_set_str(p, "runs_on_node_id", g.node_id);
    pb_set_str(p, "group", "redis");
    pb_set_u32(p, "listen_port", 9121);
    pb_set_str(p, "metrics_path", "/m");
    char *ext = add_ok(req, "external", &resp);
    const Management__V1__ExternalServiceResult *er = ((Management__V1__AddServiceResponse *)resp)->external;
    ck_assert_str_eq(er->service->group, "redis");
    ck_assert_str_eq(er->external_exporter->metrics_path, "/m");
    protobuf_c_message_free_unpacked(resp, NULL);
    assert_query("SELECT count(*) FROM agents WHERE service_id = $1", ha, "1");
    assert_query("SELECT count(*) FROM agents WHERE service_id = $1", ext, "1");
    free(ha);
    free(ext);
    free(pg);
    free(mongo);
}
END_TEST

static ProtobufCMessage *remove_req(const char *id, int type);

static ProtobufCMessage *rds_req(const char *instance, int engine, ProtobufCMessage **pp)
{
    ProtobufCMessage *p;
    ProtobufCMessage *req = add_req("rds", &p);
    pb_set_str(p, "region", "us-east-1");
    pb_set_str(p, "instance_id", instance);
    pb_set_str(p, "address", "db.example.rds.amazonaws.com");
    pb_set_u32(p, "port", engine == 1 ? 3306 : 5432);
    pb_set_i32(p, "engine", engine);
    pb_set_str(p, "username", "admin");
    pb_set_str(p, "password", "rds-pw");
    pb_set_str(p, "aws_access_key", "AKIA1");
    pb_set_str(p, "aws_secret_key", "aws-secret");
    pb_set_bool(p, "rds_exporter", true);
    if (pp)
        *pp = p;
    return req;
}

START_TEST(add_rds_service)
{
    ProtobufCMessage *p, *resp;
    ProtobufCMessage *req = rds_req("rds-mysql-1", 1, &p);
    pb_set_bool(p, "qan_mysql_perfschema", true);
    ck_assert_int_eq(call_free(MGMT "AddService", req, &resp, NULL), 0);
    const Management__V1__RDSServiceResult *r = ((Management__V1__AddServiceResponse *)resp)->rds;
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->node->node_name, "rds-mysql-1");
    ck_assert_str_eq(r->node->address, "rds-mysql-1");
    ck_assert_str_eq(r->node->region, "us-east-1");
    ck_assert_str_eq(r->rds_exporter->pmm_agent_id, "pmm-server");
    ck_assert_str_eq(r->rds_exporter->node_id, r->node->node_id);
    ck_assert_str_eq(r->rds_exporter->aws_access_key, "AKIA1");
    ck_assert_str_eq(r->mysql->service_name, "rds-mysql-1");
    ck_assert_str_eq(r->mysql->address, "db.example.rds.amazonaws.com");
    ck_assert_str_eq(r->mysqld_exporter->service_id, r->mysql->service_id);
    ck_assert_int_eq(r->mysqld_exporter->tablestats_group_table_limit, 1000);
    ck_assert_ptr_nonnull(r->qan_mysql_perfschema);
    ck_assert_ptr_null(r->postgresql);
    char *node_id = strdup(r->node->node_id), *svc = strdup(r->mysql->service_id);
    protobuf_c_message_free_unpacked(resp, NULL);
    assert_query("SELECT left(aws_options->>'aws_secret_key', 4) FROM agents WHERE node_id = $1", node_id, "enc:");

    /* PostgreSQL with its database and pg_stat_statements. */
    req = rds_req("rds-pg-1", 2, &p);
    pb_set_str(p, "service_name", "rds-pg-service");
    pb_set_str(p, "database", "app");
    pb_set_bool(p, "qan_postgresql_pgstatements", true);
    pb_set_i32(p, "max_postgresql_exporter_connections", 3);
    ck_assert_int_eq(call_free(MGMT "AddService", req, &resp, NULL), 0);
    r = ((Management__V1__AddServiceResponse *)resp)->rds;
    ck_assert_str_eq(r->postgresql->service_name, "rds-pg-service");
    ck_assert_str_eq(r->postgresql->database_name, "app");
    ck_assert_int_eq(r->postgresql_exporter->max_exporter_connections, 3);
    ck_assert_ptr_nonnull(r->qan_postgresql_pgstatements);
    protobuf_c_message_free_unpacked(resp, NULL);

    /* Errors leave nothing: an unknown engine, a duplicate instance. */
    expect_error(MGMT "AddService", rds_req("rds-x", 0, NULL), RPC_INVALID_ARGUMENT,
                 "Unsupported Engine type \"DISCOVER_RDS_ENGINE_UNSPECIFIED\".");
    assert_query("SELECT count(*) FROM nodes WHERE node_name = 'rds-x'", NULL, "0");
    expect_error(MGMT "AddService", rds_req("", 1, NULL), RPC_INVALID_ARGUMENT,
                 "invalid AddServiceRequest.Rds: embedded message failed validation | caused by: "
                 "invalid AddRDSServiceParams.InstanceId: value length must be at least 1 runes");
    req = rds_req("rds-no-region", 1, &p);
    pb_set_str(p, "region", "");
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "invalid AddServiceRequest.Rds: embedded message failed validation | caused by: "
                 "invalid AddRDSServiceParams.Region: value length must be at least 1 runes");
    req = rds_req("rds-no-port", 1, &p);
    pb_set_u32(p, "port", 0);
    expect_error(MGMT "AddService", req, RPC_INVALID_ARGUMENT,
                 "invalid AddServiceRequest.Rds: embedded message failed validation | caused by: "
                 "invalid AddRDSServiceParams.Port: value must be greater than 0");
    req = rds_req("rds-y", 1, &p);
    pb_set_str(p, "service_name", "rds-mysql-1");
    expect_error(MGMT "AddService", req, RPC_ALREADY_EXISTS, "Service with name \"rds-mysql-1\" already exists.");
    assert_query("SELECT count(*) FROM nodes WHERE node_name = 'rds-y'", NULL, "0");

    /* Removing the service takes the RDS node and its rds_exporter along. */
    ck_assert_int_eq(call_free(MGMT "RemoveService", remove_req("rds-mysql-1", 1), NULL, NULL), 0);
    assert_query("SELECT count(*) FROM nodes WHERE node_id = $1", node_id, "0");
    assert_query("SELECT count(*) FROM agents WHERE node_id = $1", node_id, "0");
    free(node_id);
    free(svc);
}
END_TEST

static ProtobufCMessage *remove_req(const char *id, int type)
{
    ProtobufCMessage *req = pb_new(&management__v1__remove_service_request__descriptor);
    pb_set_str(req, "service_id", id);
    pb_set_i32(req, "service_type", type);
    return req;
}

START_TEST(remove_service)
{
    registered g = register_ok(register_req("rm-node", 1));
    ProtobufCMessage *p;
    ProtobufCMessage *req = mysql_req("rm-mysql", &g, &p);
    pb_set_bool(p, "qan_mysql_slowlog", true);
    char *svc = add_ok(req, "mysql", NULL);
    char *svc2 = add_ok(mysql_req("rm-mysql-2", &g, NULL), "mysql", NULL);

    expect_error(MGMT "RemoveService", remove_req("", 0), RPC_INVALID_ARGUMENT, "service_id or service_name expected");
    expect_error(MGMT "RemoveService", remove_req("no-service", 0), RPC_NOT_FOUND,
                 "Service with name \"no-service\" not found.");
    expect_error(MGMT "RemoveService", remove_req("00000000-0000-4000-8000-000000000000", 0), RPC_NOT_FOUND,
                 "Service with ID \"00000000-0000-4000-8000-000000000000\" not found.");
    expect_error(MGMT "RemoveService", remove_req("rm-mysql", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_MONGODB_SERVICE),
                 RPC_INVALID_ARGUMENT, "wrong service type");
    assert_query("SELECT count(*) FROM agents WHERE service_id = $1", svc, "2");

    /* By name with the right type (pmm-admin remove mysql NAME). */
    ck_assert_int_eq(call_free(MGMT "RemoveService",
                               remove_req("rm-mysql", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_MYSQL_SERVICE), NULL,
                               NULL),
                     0);
    assert_query("SELECT count(*) FROM services WHERE service_id = $1", svc, "0");
    assert_query("SELECT count(*) FROM agents WHERE service_id = $1", svc, "0");
    /* By id, without a type; the node and its agents stay. */
    ck_assert_int_eq(call_free(MGMT "RemoveService", remove_req(svc2, 0), NULL, NULL), 0);
    assert_query("SELECT count(*) FROM services WHERE service_id = $1", svc2, "0");
    assert_query("SELECT count(*) FROM agents WHERE runs_on_node_id = $1", g.node_id, "1");
    free(svc);
    free(svc2);
}
END_TEST

START_TEST(list_services)
{
    registered g = register_ok(register_req("ls-node", 1));
    ProtobufCMessage *p;
    ProtobufCMessage *req = mysql_req("ls-mysql", &g, &p);
    pb_set_map_json(p, "custom_labels", "{\"team\":\"db\"}");
    char *svc = add_ok(req, "mysql", NULL);

    ProtobufCMessage *resp;
    req = pb_new(&management__v1__list_services_request__descriptor);
    pb_set_str(req, "node_id", g.node_id);
    ck_assert_int_eq(call_free(MGMT "ListServices", req, &resp, NULL), 0);
    const Management__V1__ListServicesResponse *l = (const Management__V1__ListServicesResponse *)resp;
    ck_assert_int_eq(l->n_services, 1);
    const Management__V1__UniversalService *s = l->services[0];
    ck_assert_str_eq(s->service_id, svc);
    ck_assert_str_eq(s->service_type, "mysql");
    ck_assert_str_eq(s->node_name, "ls-node");
    ck_assert_str_eq(s->address, "127.0.0.1");
    ck_assert_int_eq(s->port, 3306);
    ck_assert_int_eq(s->n_custom_labels, 1);
    ck_assert_int_eq(s->status, MANAGEMENT__V1__UNIVERSAL_SERVICE__STATUS__STATUS_UNSPECIFIED); /* no series */
    ck_assert_ptr_nonnull(s->created_at);
    ck_assert_int_eq(s->n_agents, 2); /* the node's pmm-agent and the exporter */
    for (size_t i = 0; i < s->n_agents; i++) {
        ck_assert_int_eq(strlen(s->agents[i]->agent_id), 36);
        ck_assert_str_eq(s->agents[i]->username, ""); /* the short form */
    }
    protobuf_c_message_free_unpacked(resp, NULL);

    req = pb_new(&management__v1__list_services_request__descriptor);
    pb_set_i32(req, "service_type", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_MONGODB_SERVICE);
    pb_set_str(req, "node_id", g.node_id);
    ck_assert_int_eq(call_free(MGMT "ListServices", req, &resp, NULL), 0);
    ck_assert_int_eq(((Management__V1__ListServicesResponse *)resp)->n_services, 0);
    protobuf_c_message_free_unpacked(resp, NULL);
    free(svc);
}
END_TEST

/* ListServices groups the agent rows by service itself (the queries come
 * unsorted): every service, whatever its neighbours have, lists
 * exactly its own agents, its node's pmm-agent and vmagent, by agent_id. */
START_TEST(list_services_agents_per_service)
{
    registered g1 = register_ok(register_req("lsa-node1", 1)), g2 = register_ok(register_req("lsa-node2", 1));
    char *a = add_ok(mysql_req("lsa-a", &g1, NULL), "mysql", NULL);
    char *b = add_ok(mysql_req("lsa-b", &g1, NULL), "mysql", NULL);
    char *c = add_ok(mysql_req("lsa-c", &g2, NULL), "mysql", NULL);
    rpc_status st;
    PGresult *r = db_exec(w.db, &st, "DELETE FROM agents WHERE service_id = $1", 1, (const char *[]){ c });
    ck_assert_ptr_nonnull(r);
    PQclear(r);
    /* a vmagent counts for the services of its node */
    r = db_exec(w.db, &st,
                "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, custom_labels, created_at, updated_at, "
                "disabled, status, tls, tls_skip_verify) VALUES ('lsa-vmagent', 'vmagent', $1, $2, '{}', now(), now(), "
                "false, 'AGENT_STATUS_UNKNOWN', false, false)",
                2, (const char *[]){ g1.pmm_agent_id, g1.node_id });
    ck_assert_msg(r != NULL, "%s", st.message);
    PQclear(r);

    /* filtered by node: only that node's services, with the same agents */
    ProtobufCMessage *resp, *fq = pb_new(&management__v1__list_services_request__descriptor);
    pb_set_str(fq, "node_id", g1.node_id);
    ck_assert_int_eq(call_free(MGMT "ListServices", fq, &resp, NULL), 0);
    const Management__V1__ListServicesResponse *fl = (const Management__V1__ListServicesResponse *)resp;
    ck_assert_uint_eq(fl->n_services, 2);
    for (size_t i = 0; i < fl->n_services; i++)
        ck_assert_uint_eq(fl->services[i]->n_agents, 3); /* mysqld_exporter, pmm-agent, vmagent */
    protobuf_c_message_free_unpacked(resp, NULL);

    ck_assert_int_eq(call_free(MGMT "ListServices", pb_new(&management__v1__list_services_request__descriptor), &resp, NULL), 0);
    const Management__V1__ListServicesResponse *l = (const Management__V1__ListServicesResponse *)resp;
    ck_assert_uint_ge(l->n_services, 3);
    for (size_t i = 0; i < l->n_services; i++) {
        const Management__V1__UniversalService *s = l->services[i];
        if (i > 0)
            ck_assert_int_lt(strcmp(l->services[i - 1]->service_id, s->service_id), 0);
        char listed[4096] = "";
        for (size_t k = 0; k < s->n_agents; k++)
            snprintf(listed + strlen(listed), sizeof listed - strlen(listed), "%s%s", k ? "," : "",
                     s->agents[k]->agent_id);
        char *want = query1("SELECT coalesce(string_agg(agent_id, ',' ORDER BY agent_id), '') FROM agents a, services s "
                            "WHERE s.service_id = $1 AND (a.service_id = s.service_id OR (a.service_id IS NULL AND "
                            "(a.runs_on_node_id = s.node_id OR (a.node_id = s.node_id AND a.agent_type = 'vmagent'))))",
                            s->service_id);
        ck_assert_msg(strcmp(listed, want) == 0, "service %s: agents %s, want %s", s->service_name, listed, want);
        if (strcmp(s->service_id, c) == 0)
            ck_assert_int_eq(s->n_agents, 1); /* only its node's pmm-agent left */
        if (strcmp(s->service_id, a) == 0 || strcmp(s->service_id, b) == 0)
            ck_assert_int_eq(s->n_agents, 3);
        free(want);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(list_agent_versions)
{
    registered old = register_ok(register_req("v-old", 1));
    registered same = register_ok(register_req("v-same", 1));
    registered newer = register_ok(register_req("v-new", 1));
    registered none = register_ok(register_req("v-none", 1));
    (void)none;
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE agents SET version = '2.44.0' WHERE agent_id = '%s';"
             "UPDATE agents SET version = '%s' WHERE agent_id = '%s';"
             "UPDATE agents SET version = '99.0.0' WHERE agent_id = '%s';",
             old.pmm_agent_id, PMM_VERSION, same.pmm_agent_id, newer.pmm_agent_id);
    exec_sql(sql);
    ProtobufCMessage *resp;
    ck_assert_int_eq(call_free(MGMT "ListAgentVersions",
                               pb_new(&management__v1__list_agent_versions_request__descriptor), &resp, NULL),
                     0);
    const Management__V1__ListAgentVersionsResponse *l = (const Management__V1__ListAgentVersionsResponse *)resp;
    int seen = 0;
    for (size_t i = 0; i < l->n_agent_versions; i++) {
        const Management__V1__AgentVersions *v = l->agent_versions[i];
        if (strcmp(v->agent_id, old.pmm_agent_id) == 0) {
            ck_assert_int_eq(v->severity, MANAGEMENT__V1__UPDATE_SEVERITY__UPDATE_SEVERITY_CRITICAL);
            ck_assert_str_eq(v->node_name, "v-old");
            seen++;
        } else if (strcmp(v->agent_id, same.pmm_agent_id) == 0) {
            ck_assert_int_eq(v->severity, MANAGEMENT__V1__UPDATE_SEVERITY__UPDATE_SEVERITY_UP_TO_DATE);
            seen++;
        } else if (strcmp(v->agent_id, newer.pmm_agent_id) == 0) {
            ck_assert_int_eq(v->severity, MANAGEMENT__V1__UPDATE_SEVERITY__UPDATE_SEVERITY_UNSUPPORTED);
            seen++;
        } else {
            ck_assert_str_ne(v->agent_id, none.pmm_agent_id); /* no version: skipped */
        }
    }
    ck_assert_int_eq(seen, 3);
    protobuf_c_message_free_unpacked(resp, NULL);
}
END_TEST

/* ---- AWS: DiscoverRDS against a loopback AWS ------------------------------- */

enum { AWS_NORMAL, AWS_MIXED, AWS_BAD_SECRET, AWS_SILENT };

static const char rds_head[] = "<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">"
                               "<DescribeDBInstancesResult><DBInstances>";
static const char rds_tail[] = "</DescribeDBInstancesResult><ResponseMetadata><RequestId>r</RequestId>"
                               "</ResponseMetadata></DescribeDBInstancesResponse>";

/* One DBInstance element. */
static void rds_instance_xml(char *out, size_t len, const char *id, const char *engine, const char *address)
{
    snprintf(out, len,
             "<DBInstance><DBInstanceIdentifier>%s</DBInstanceIdentifier><DBInstanceClass>db.t3.small</DBInstanceClass>"
             "<Engine>%s</Engine><EngineVersion>8.0.36</EngineVersion><AvailabilityZone>z-a</AvailabilityZone>"
             "%s%s%s</DBInstance>",
             id, engine, address ? "<Endpoint><Address>" : "", address ? address : "",
             address ? "</Address><Port>3306</Port></Endpoint>" : "");
}

/* Answers as RDS would, region by region (from the signature's scope):
 * us-east-1 two pages, eu-west-1 one Aurora PostgreSQL, the rest nothing. */
static void aws_stub(void *ud, const httpstub_req *r, httpstub_answer *a)
{
    static char body[8192];
    int mode = *(int *)ud;
    char auth[1024], region[64] = "";
    httpstub_header(r, "Authorization", auth, sizeof auth);
    const char *scope = strstr(auth, "Credential=");
    if (scope)
        sscanf(scope, "Credential=%*[^/]/%*[^/]/%63[^/]/rds/aws4_request,", region);
    if (!strstr(r->body, "Action=DescribeDBInstances") || !*region) {
        a->status = 400, a->body = "<ErrorResponse><Error><Code>Bad</Code><Message>bad</Message></Error></ErrorResponse>";
        return;
    }
    if (mode == AWS_SILENT) {
        a->silent = true;
        return;
    }
    bool known = strncmp(scope, "Credential=AKIDTEST/", 20) == 0;
    if (!known || mode == AWS_BAD_SECRET || (mode == AWS_MIXED && strcmp(region, "us-east-1") != 0)) {
        a->status = 403, a->reason = "Forbidden";
        a->headers = "X-Amzn-Requestid: rid-hdr\r\n";
        a->body = known ? "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
                          "calculated does not match the signature you provided.</Message></Error>"
                          "<RequestId>rid-1</RequestId></ErrorResponse>"
                        : "<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>The security token "
                          "included in the request is invalid.</Message></Error><RequestId>rid-2</RequestId>"
                          "</ErrorResponse>";
        return;
    }
    char i1[512] = "", i2[512] = "", marker[64] = "";
    if (strcmp(region, "us-east-1") == 0 && strstr(r->body, "&Marker=p2&")) {
        rds_instance_xml(i1, sizeof i1, "a-mysql", "mysql", "a.rds.example");
    } else if (strcmp(region, "us-east-1") == 0) {
        rds_instance_xml(i1, sizeof i1, "b-mysql", "mariadb", "b.rds.example");
        rds_instance_xml(i2, sizeof i2, "c-creating", "mysql", NULL);
        snprintf(marker, sizeof marker, "<Marker>p2</Marker>");
    } else if (strcmp(region, "eu-west-1") == 0) {
        rds_instance_xml(i1, sizeof i1, "aurora-pg-1", "aurora-postgresql", "pg.rds.example");
    }
    snprintf(body, sizeof body, "%s%s%s</DBInstances>%s%s", rds_head, i1, i2, marker, rds_tail);
    a->body = body;
}

static ProtobufCMessage *discover_rds_req(const char *key, const char *secret)
{
    ProtobufCMessage *req = pb_new(&management__v1__discover_rdsrequest__descriptor);
    pb_set_str(req, "aws_access_key", key);
    pb_set_str(req, "aws_secret_key", secret);
    return req;
}

START_TEST(discover_rds)
{
    int mode = AWS_NORMAL;
    httpstub *s = httpstub_start(aws_stub, &mode);
    char endpoint[64], msg[RPC_MESSAGE_MAX];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", httpstub_port(s));
    the_app.aws_endpoint = endpoint;
    ProtobufCMessage *resp;
    ck_assert_msg(call_free(MGMT "DiscoverRDS", discover_rds_req("AKIDTEST", "secret"), &resp, msg) == 0, "%s", msg);
    const Management__V1__DiscoverRDSResponse *r = (const Management__V1__DiscoverRDSResponse *)resp;
    ck_assert_uint_eq(r->n_rds_instances, 3);
    ck_assert_str_eq(r->rds_instances[0]->region, "eu-west-1");
    ck_assert_str_eq(r->rds_instances[0]->instance_id, "aurora-pg-1");
    ck_assert_int_eq(r->rds_instances[0]->engine, MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_POSTGRESQL);
    ck_assert_str_eq(r->rds_instances[1]->instance_id, "a-mysql"); /* from the second page */
    ck_assert_str_eq(r->rds_instances[2]->instance_id, "b-mysql");
    ck_assert_str_eq(r->rds_instances[2]->region, "us-east-1");
    ck_assert_str_eq(r->rds_instances[2]->az, "z-a");
    ck_assert_str_eq(r->rds_instances[2]->node_model, "db.t3.small");
    ck_assert_str_eq(r->rds_instances[2]->address, "b.rds.example");
    ck_assert_uint_eq(r->rds_instances[2]->port, 3306);
    ck_assert_str_eq(r->rds_instances[2]->engine_version, "8.0.36");
    ck_assert_int_eq(r->rds_instances[2]->engine, MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_MYSQL);
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_int_eq(httpstub_count(s), 29 + 1); /* every region of "aws", and one second page */

    /* some regions failing do not hide what the others found */
    mode = AWS_MIXED;
    ck_assert_msg(call_free(MGMT "DiscoverRDS", discover_rds_req("AKIDTEST", "secret"), &resp, msg) == 0, "%s", msg);
    ck_assert_uint_eq(((Management__V1__DiscoverRDSResponse *)resp)->n_rds_instances, 2);
    protobuf_c_message_free_unpacked(resp, NULL);

    /* with nothing found, the failure: a key AWS does not know, a wrong secret */
    mode = AWS_NORMAL;
    expect_error(MGMT "DiscoverRDS", discover_rds_req("AKIDWRONG", "secret"), RPC_INVALID_ARGUMENT,
                 "The security token included in the request is invalid.");
    mode = AWS_BAD_SECRET;
    expect_error(MGMT "DiscoverRDS", discover_rds_req("AKIDTEST", "wrong"), RPC_UNKNOWN,
                 "SignatureDoesNotMatch: The request signature we calculated does not match the signature you "
                 "provided.\n\tstatus code: 403, request id: rid-1");
    expect_error(MGMT "DiscoverRDS", discover_rds_req("AKIDTEST", ""), RPC_UNKNOWN,
                 "EmptyStaticCreds: static credentials are empty");

    /* no keys: the SDK's chain, here with nothing to find */
    unsetenv("AWS_ACCESS_KEY_ID"), unsetenv("AWS_ACCESS_KEY");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    expect_error(MGMT "DiscoverRDS", discover_rds_req("", ""), RPC_UNKNOWN,
                 "NoCredentialProviders: no valid providers in chain\n"
                 "caused by: EnvAccessKeyNotFound: AWS_ACCESS_KEY_ID or AWS_ACCESS_KEY not found in environment\n"
                 "SharedCredsLoad: failed to load shared credentials file\n"
                 "caused by: FailedRead: unable to open file\n"
                 "caused by: open /nonexistent/credentials: no such file or directory");
    setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1), setenv("AWS_SECRET_ACCESS_KEY", "from-env", 1);
    mode = AWS_NORMAL;
    ck_assert_msg(call_free(MGMT "DiscoverRDS", discover_rds_req("", ""), &resp, msg) == 0, "%s", msg);
    ck_assert_uint_eq(((Management__V1__DiscoverRDSResponse *)resp)->n_rds_instances, 3);
    protobuf_c_message_free_unpacked(resp, NULL);
    unsetenv("AWS_ACCESS_KEY_ID"), unsetenv("AWS_SECRET_ACCESS_KEY"), unsetenv("AWS_SHARED_CREDENTIALS_FILE");

    /* regions that never answer: the caller's deadline, not the 7 s */
    mode = AWS_SILENT;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const rpc_method *m = rpc_method_find(management_methods, management_methods_count, MGMT "DiscoverRDS");
    ProtobufCMessage *req = discover_rds_req("AKIDTEST", "secret");
    ck_assert_int_eq(rpc_call_method_within(m, &w, &the_app, req, 1500, NULL, msg), RPC_DEADLINE_EXCEEDED);
    protobuf_c_message_free_unpacked(req, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_str_eq(msg, "Request timeout.");
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(took >= 1.0 && took < 3.0, "took %.2f s", took);
    httpstub_stop(s);

    /* nothing listens there */
    int port = vmtest_free_port();
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/", port);
    char want[512];
    snprintf(want, sizeof want,
             "RequestError: send request failed\ncaused by: Post \"%s\": dial tcp 127.0.0.1:%d: connect: connection refused",
             endpoint, port);
    expect_error(MGMT "DiscoverRDS", discover_rds_req("AKIDTEST", "secret"), RPC_UNKNOWN, want);
    the_app.aws_endpoint = NULL;
}
END_TEST

/* ---- Azure ------------------------------------------------------------------- */

static void enable_azure(bool on)
{
    settings_params p = { .enable_azure_discover = &on };
    rpc_status st;
    ck_assert_int_eq(settings_update(w.db, &p, NULL, &st), RPC_OK);
}

static ProtobufCMessage *azure_req(const char *instance, int type)
{
    ProtobufCMessage *req = pb_new(&management__v1__add_azure_database_request__descriptor);
    pb_set_str(req, "region", "eastus");
    pb_set_str(req, "az", "2");
    pb_set_str(req, "instance_id", instance);
    pb_set_str(req, "node_model", "GP_Gen5_2");
    char address[128];
    snprintf(address, sizeof address, "%s.mysql.database.azure.com", instance);
    pb_set_str(req, "address", address);
    pb_set_u32(req, "port", type == 2 ? 5432 : 3306);
    pb_set_str(req, "environment", "prod");
    pb_set_str(req, "username", "admin@db");
    pb_set_str(req, "password", "db-password");
    pb_set_str(req, "azure_client_id", "client-1");
    pb_set_str(req, "azure_client_secret", "azure-secret-1");
    pb_set_str(req, "azure_tenant_id", "tenant-1");
    pb_set_str(req, "azure_subscription_id", "sub-1");
    pb_set_str(req, "azure_resource_group", "rg-1");
    pb_set_i32(req, "type", type);
    pb_set_map_json(req, "custom_labels", "{\"team\":\"db\"}");
    pb_set_bool(req, "skip_connection_check", true);
    return req;
}

static void add_azure_ok(ProtobufCMessage *req)
{
    ProtobufCMessage *resp;
    char msg[RPC_MESSAGE_MAX];
    ck_assert_msg(call_free(MGMT "AddAzureDatabase", req, &resp, msg) == 0, "%s", msg);
    ck_assert_ptr_eq(resp->descriptor, &management__v1__add_azure_database_response__descriptor);
    protobuf_c_message_free_unpacked(resp, NULL);
}

/* The process agentsd would send the server's pmm-agent for agent id. */
static Agent__V1__SetStateRequest__AgentProcess *server_process(Agent__V1__SetStateRequest **st, const char *id)
{
    rpc_status rs;
    ck_assert_msg(state_build(w.db, PMM_SERVER_AGENT_ID, "3.0.0", st, &rs) == RPC_OK, "%s", rs.message);
    for (size_t i = 0; i < (*st)->n_agent_processes; i++)
        if (strcmp((*st)->agent_processes[i]->key, id) == 0)
            return (*st)->agent_processes[i]->value;
    ck_abort_msg("no process %s", id);
    return NULL;
}

START_TEST(add_azure_database)
{
    expect_error(MGMT "AddAzureDatabase", azure_req("az-off", 1), RPC_UNKNOWN, "Azure monitoring is disabled");
    enable_azure(true);

    /* MySQL with the Azure exporter and QAN */
    ProtobufCMessage *req = azure_req("az-mysql", 1);
    pb_set_bool(req, "azure_database_exporter", true);
    pb_set_bool(req, "qan", true);
    pb_set_bool(req, "disable_query_examples", true);
    add_azure_ok(req);
    char *node = query1("SELECT node_id FROM nodes WHERE node_name = 'az-mysql'", NULL);
    assert_query("SELECT node_type || ' ' || address || ' ' || region || ' ' || node_model || ' ' || az || ' ' || "
                 "custom_labels::text FROM nodes WHERE node_id = $1",
                 node, "remote_azure_database az-mysql.mysql.database.azure.com eastus GP_Gen5_2 2 {\"team\":\"db\"}");
    char *svc = query1("SELECT service_id FROM services WHERE service_name = 'az-mysql'", NULL);
    assert_query("SELECT service_type || ' ' || address || ':' || port || ' ' || environment || ' ' || (node_id = (SELECT node_id FROM nodes "
                 "WHERE node_name = 'az-mysql')) FROM services WHERE service_id = $1",
                 svc, "mysql az-mysql.mysql.database.azure.com:3306 prod true");
    assert_query("SELECT string_agg(agent_type || '/' || pmm_agent_id || '/' || coalesce(node_id, '-') || '/' || "
                 "coalesce(service_id = $1, false), ' ' ORDER BY agent_type) FROM agents WHERE service_id = $1",
                 svc,
                 "azure_database_exporter/pmm-server/-/true mysqld_exporter/pmm-server/-/true "
                 "qan-mysql-perfschema-agent/pmm-server/-/true");
    assert_query("SELECT mysql_options->>'table_count_tablestats_group_limit' FROM agents "
                 "WHERE service_id = $1 AND agent_type = 'mysqld_exporter'",
                 svc, "1000");
    assert_query("SELECT qan_options->>'query_examples_disabled' FROM agents "
                 "WHERE service_id = $1 AND agent_type = 'qan-mysql-perfschema-agent'",
                 svc, "true");
    /* the credentials are sealed like any agent's */
    assert_query("SELECT count(*) FROM agents WHERE azure_options::text LIKE '%azure-secret-1%' "
                 "OR password LIKE '%db-password%'",
                 NULL, "0");
    /* and agentsd builds the exporter's configuration from them */
    char *exporter = query1("SELECT agent_id FROM agents WHERE agent_type = 'azure_database_exporter'", NULL);
    Agent__V1__SetStateRequest *st = NULL;
    Agent__V1__SetStateRequest__AgentProcess *proc = server_process(&st, exporter);
    ck_assert_int_eq(proc->type, INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_AZURE_DATABASE_EXPORTER);
    ck_assert_uint_eq(proc->n_text_files, 1);
    const char *config = proc->text_files[0]->value;
    ck_assert_msg(strstr(config, "client_id: \"client-1\"") && strstr(config, "client_secret: \"azure-secret-1\"") &&
                      strstr(config, "tenant_id: \"tenant-1\"") && strstr(config, "subscription_id: \"sub-1\"") &&
                      strstr(config, "resource_group: \"rg-1\"") && strstr(config, "Microsoft.DBforMySQL/servers"),
                  "%s", config);
    ck_assert_uint_eq(proc->n_redact_words, 1);
    ck_assert_str_eq(proc->redact_words[0], "azure-secret-1");
    protobuf_c_message_free_unpacked(&st->base, NULL);
    free(exporter);
    free(svc);
    free(node);

    /* PostgreSQL: no tablestats limit, pg_stat_statements QAN */
    req = azure_req("az-pg", 2);
    pb_set_str(req, "node_name", "az-pg-node");
    pb_set_str(req, "service_name", "az-pg-service");
    pb_set_i32(req, "tablestats_group_table_limit", 5);
    pb_set_bool(req, "qan", true);
    pb_set_bool(req, "disable_query_examples", true);
    add_azure_ok(req);
    svc = query1("SELECT service_id FROM services WHERE service_name = 'az-pg-service' AND service_type = 'postgresql'",
                 NULL);
    assert_query("SELECT string_agg(agent_type, ' ' ORDER BY agent_type) FROM agents WHERE service_id = $1", svc,
                 "postgres_exporter qan-postgresql-pgstatements-agent");
    assert_query("SELECT coalesce(mysql_options->>'table_count_tablestats_group_limit', '-') FROM agents "
                 "WHERE service_id = $1 AND agent_type = 'postgres_exporter'",
                 svc, "-");
    assert_query("SELECT qan_options->>'query_examples_disabled' FROM agents WHERE service_id = $1 "
                 "AND agent_type = 'qan-postgresql-pgstatements-agent'",
                 svc, "true");
    assert_query("SELECT count(*) FROM nodes WHERE node_name = 'az-pg-node' AND node_type = 'remote_azure_database'",
                 NULL, "1");
    free(svc);

    /* errors, and nothing of a failed add stays */
    expect_error(MGMT "AddAzureDatabase", azure_req("az-x", 0), RPC_INVALID_ARGUMENT,
                 "Unsupported Azure Database type \"DISCOVER_AZURE_DATABASE_TYPE_UNSPECIFIED\".");
    expect_error(MGMT "AddAzureDatabase", azure_req("az-x", 7), RPC_INVALID_ARGUMENT,
                 "Unsupported Azure Database type \"7\".");
    req = azure_req("az-dup", 1);
    pb_set_str(req, "service_name", "az-mysql");
    pb_set_bool(req, "azure_database_exporter", true);
    expect_error(MGMT "AddAzureDatabase", req, RPC_ALREADY_EXISTS, "Service with name \"az-mysql\" already exists.");
    assert_query("SELECT count(*) FROM nodes WHERE node_name = 'az-dup'", NULL, "0");
    expect_error(MGMT "AddAzureDatabase", azure_req("az-mysql", 1), RPC_ALREADY_EXISTS,
                 "Node with name \"az-mysql\" already exists.");
    req = azure_req("az-same-address", 1);
    pb_set_str(req, "address", "az-mysql.mysql.database.azure.com");
    expect_error(MGMT "AddAzureDatabase", req, RPC_ALREADY_EXISTS,
                 "Node with instance \"az-mysql.mysql.database.azure.com\" and region \"eastus\" already exists.");

    /* protoc-gen-validate's order and texts */
    static const struct {
        const char *field, *go;
    } required[] = { { "region", "Region" }, { "instance_id", "InstanceId" }, { "address", "Address" },
                     { "username", "Username" }, { "azure_client_id", "AzureClientId" },
                     { "azure_client_secret", "AzureClientSecret" }, { "azure_tenant_id", "AzureTenantId" },
                     { "azure_subscription_id", "AzureSubscriptionId" },
                     { "azure_resource_group", "AzureResourceGroup" } };
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        req = azure_req("az-v", 1);
        pb_set_str(req, required[i].field, "");
        char want[160];
        snprintf(want, sizeof want, "invalid AddAzureDatabaseRequest.%s: value length must be at least 1 runes",
                 required[i].go);
        expect_error(MGMT "AddAzureDatabase", req, RPC_INVALID_ARGUMENT, want);
    }
    req = azure_req("az-v", 1);
    pb_set_u32(req, "port", 0);
    pb_set_str(req, "username", "");
    expect_error(MGMT "AddAzureDatabase", req, RPC_INVALID_ARGUMENT,
                 "invalid AddAzureDatabaseRequest.Port: value must be greater than 0");
    assert_query("SELECT count(*) FROM nodes WHERE node_name IN ('az-v', 'az-x')", NULL, "0");
}
END_TEST

/* Without skip_connection_check the server's pmm-agent checks through
 * agentsd; agentsd down fails the add, and nothing stays. */
START_TEST(add_azure_check_needs_agentsd)
{
    enable_azure(true);
    no_agentsd n;
    no_agentsd_start(&n);
    ProtobufCMessage *req = azure_req("az-check", 1);
    pb_set_bool(req, "skip_connection_check", false);
    pb_set_bool(req, "azure_database_exporter", true);
    char msg[RPC_MESSAGE_MAX], want[600];
    snprintf(want, sizeof want, "ipc://%s/agentsd.sock is unavailable", n.run_dir);
    ck_assert_int_eq(call_free(MGMT "AddAzureDatabase", req, NULL, msg), RPC_UNAVAILABLE);
    ck_assert_str_eq(msg, want);
    assert_query("SELECT count(*) FROM nodes WHERE node_name = 'az-check'", NULL, "0");
    assert_query("SELECT count(*) FROM agents WHERE agent_type IN ('azure_database_exporter', 'mysqld_exporter')",
                 NULL, "0");
    no_agentsd_stop(&n);
}
END_TEST

static ProtobufCMessage *discover_azure_req(const char *tenant)
{
    ProtobufCMessage *req = pb_new(&management__v1__discover_azure_database_request__descriptor);
    pb_set_str(req, "azure_client_id", "c");
    pb_set_str(req, "azure_client_secret", "s");
    pb_set_str(req, "azure_tenant_id", tenant);
    pb_set_str(req, "azure_subscription_id", "sub");
    return req;
}

START_TEST(discover_azure_checks)
{
    ProtobufCMessage *req = discover_azure_req("t");
    pb_set_str(req, "azure_client_secret", "");
    expect_error(MGMT "DiscoverAzureDatabase", req, RPC_INVALID_ARGUMENT,
                 "invalid DiscoverAzureDatabaseRequest.AzureClientSecret: value length must be at least 1 runes");
    expect_error(MGMT "DiscoverAzureDatabase", discover_azure_req("t"), RPC_UNKNOWN, "Azure monitoring is disabled");
    enable_azure(true);
    expect_error(MGMT "DiscoverAzureDatabase", discover_azure_req("../t"), RPC_UNKNOWN,
                 "invalid tenantID. You can locate your tenantID by following the instructions listed here: "
                 "https://learn.microsoft.com/partner-center/find-ids-and-domain-names");
    int port = vmtest_free_port();
    char login[64], want[512];
    snprintf(login, sizeof login, "http://127.0.0.1:%d", port);
    the_app.azure_login_url = login;
    snprintf(want, sizeof want,
             "ClientSecretCredential: Post \"%s/t/oauth2/v2.0/token\": dial tcp 127.0.0.1:%d: connect: connection refused",
             login, port);
    expect_error(MGMT "DiscoverAzureDatabase", discover_azure_req("t"), RPC_UNKNOWN, want);
    the_app.azure_login_url = NULL;
}
END_TEST

/* ---- AddAnnotation ------------------------------------------------------------- */

static ProtobufCMessage *annotation_req(const char *text, const char *node, const char *service)
{
    ProtobufCMessage *req = pb_new(&management__v1__add_annotation_request__descriptor);
    pb_set_str(req, "text", text);
    pb_set_str(req, "node_name", node);
    if (service)
        pb_append_str(req, "service_names", service);
    pb_append_str(req, "tags", "tag1");
    return req;
}

START_TEST(add_annotation)
{
    registered g = register_ok(register_req("ann-node", 1));
    free(add_ok(mysql_req("ann-mysql", &g, NULL), "mysql", NULL));
    expect_error(MGMT "AddAnnotation", annotation_req("", "", NULL), RPC_INVALID_ARGUMENT,
                 "invalid AddAnnotationRequest.Text: value length must be at least 1 runes");
    expect_error(MGMT "AddAnnotation", annotation_req("deploy", "", "no-service"), RPC_NOT_FOUND,
                 "Service with name \"no-service\" not found.");
    expect_error(MGMT "AddAnnotation", annotation_req("deploy", "", ""), RPC_INVALID_ARGUMENT, "Empty Service Name.");
    ProtobufCMessage *req = annotation_req("deploy", "ann-node", "ann-mysql");
    pb_append_str(req, "service_names", "missing-2");
    expect_error(MGMT "AddAnnotation", req, RPC_NOT_FOUND, "Service with name \"missing-2\" not found.");
    expect_error(MGMT "AddAnnotation", annotation_req("deploy", "no-node", "ann-mysql"), RPC_NOT_FOUND,
                 "Node with name \"no-node\" not found.");
    const char *refused = "Annotations are stored in Grafana, and this PMM Server runs without Grafana: the "
                          "annotation was not added.";
    expect_error(MGMT "AddAnnotation", annotation_req("deploy", "ann-node", "ann-mysql"), RPC_FAILED_PRECONDITION,
                 refused);
    expect_error(MGMT "AddAnnotation", annotation_req("deploy", "", NULL), RPC_FAILED_PRECONDITION, refused);
}
END_TEST


/* ---- statuses from VictoriaMetrics ---------------------------------------- */

static void import(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void import(const char *fmt, ...)
{
    char lines[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lines, sizeof lines, fmt, ap);
    va_end(ap);
    ck_assert_int_eq(vmtest_import(&vm, lines), 0);
}

static int node_status_of(const ProtobufCMessage *resp, const char *id)
{
    const Management__V1__UniversalNode *n = (const Management__V1__UniversalNode *)find_node(resp, id);
    ck_assert_msg(n != NULL, "node %s not listed", id);
    return n->status;
}

static int get_node_status(const char *id)
{
    ProtobufCMessage *req = pb_new(&management__v1__get_node_request__descriptor), *resp;
    pb_set_str(req, "node_id", id);
    char msg[RPC_MESSAGE_MAX];
    ck_assert_msg(call_free(MGMT "GetNode", req, &resp, msg) == 0, "%s", msg);
    int st = ((const Management__V1__UniversalNode *)pb_get_msg(resp, "node"))->status;
    protobuf_c_message_free_unpacked(resp, NULL);
    return st;
}

/* up{job=~".*_hr$"} by node_id: 1 UP, 0 DOWN, other values unspecified,
 * no series (or only non-hr jobs) UNKNOWN; a node with several series
 * takes the first one VictoriaMetrics answers. */
START_TEST(node_status_from_vm)
{
    registered a = register_ok(register_req("st-up", 1)), b = register_ok(register_req("st-down", 1)),
               c = register_ok(register_req("st-mr", 1)), d = register_ok(register_req("st-two", 1)),
               e = register_ok(register_req("st-two-values", 1)), f = register_ok(register_req("st-none", 1));
    import("up{job=\"node_exporter_a_hr\",node_id=\"%s\"} 1\n"
           "up{job=\"node_exporter_b_hr\",node_id=\"%s\"} 0\n"
           "up{job=\"node_exporter_c_mr\",node_id=\"%s\"} 1\n"
           "up{job=\"node_exporter_d_hr\",node_id=\"%s\"} 1\n"
           "up{job=\"mysqld_exporter_d_hr\",node_id=\"%s\"} 1\n"
           "up{job=\"node_exporter_e_hr\",node_id=\"%s\"} 2\n",
           a.node_id, b.node_id, c.node_id, d.node_id, d.node_id, e.node_id);
    ProtobufCMessage *resp;
    ck_assert_int_eq(call_free(MGMT "ListNodes", pb_new(&management__v1__list_nodes_request__descriptor), &resp, NULL),
                     0);
    ck_assert_int_eq(node_status_of(resp, a.node_id), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UP);
    ck_assert_int_eq(node_status_of(resp, b.node_id), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_DOWN);
    ck_assert_int_eq(node_status_of(resp, c.node_id), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UNKNOWN);
    ck_assert_int_eq(node_status_of(resp, d.node_id), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UP);
    ck_assert_int_eq(node_status_of(resp, e.node_id), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UNSPECIFIED);
    ck_assert_int_eq(node_status_of(resp, f.node_id), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UNKNOWN);
    ck_assert_int_eq(node_status_of(resp, "pmm-server"), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UNKNOWN);
    protobuf_c_message_free_unpacked(resp, NULL);

    ck_assert_int_eq(get_node_status(a.node_id), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UP);
    ck_assert_int_eq(get_node_status(b.node_id), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_DOWN);
    ck_assert_int_eq(get_node_status(c.node_id), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UNKNOWN);
    ck_assert_int_eq(get_node_status(f.node_id), MANAGEMENT__V1__UNIVERSAL_NODE__STATUS__STATUS_UNKNOWN);
}
END_TEST

/* Several series with one label value: ListNodes keeps the first (as
 * upstream's "take the first one"), ListServices the last (upstream's
 * plain map assignment). */
START_TEST(vm_keeps_first_or_last)
{
    registered g = register_ok(register_req("st-order", 1));
    import("up{job=\"a_hr\",node_id=\"%s\"} 1\nup{job=\"b_hr\",node_id=\"%s\"} 0\n", g.node_id, g.node_id);
    char q[256];
    snprintf(q, sizeof q, "up{job=~\".*_hr$\",node_id=\"%s\"}", g.node_id);
    vm_values *first = NULL, *last = NULL;
    rpc_status st;
    ck_assert_int_eq(vm_query(vm.url, q, "node_id", VM_KEEP_FIRST, &first, &st), RPC_OK);
    ck_assert_int_eq(vm_query(vm.url, q, "node_id", VM_KEEP_LAST, &last, &st), RPC_OK);
    double v1 = -1, v2 = -1, none;
    ck_assert(vm_values_get(first, g.node_id, &v1));
    ck_assert(vm_values_get(last, g.node_id, &v2));
    ck_assert_uint_eq(vm_values_count(first), 1);
    ck_assert(v1 + v2 == 1); /* one series each: 1 and 0, in VictoriaMetrics' order */
    ck_assert(!vm_values_get(first, "no-such-node", &none));
    ck_assert_int_eq(get_node_status(g.node_id), vm_up_status(v1));
    vm_values_destroy(&first);
    vm_values_destroy(&last);
    ck_assert_ptr_null(first);
}
END_TEST

static int service_status_of(const ProtobufCMessage *resp, const char *id)
{
    const Management__V1__ListServicesResponse *l = (const Management__V1__ListServicesResponse *)resp;
    for (size_t i = 0; i < l->n_services; i++)
        if (strcmp(l->services[i]->service_id, id) == 0)
            return l->services[i]->status;
    ck_abort_msg("service %s not listed", id);
    return -1;
}

/* upstream's one query (pg_up of the exporter collector, mysql_up,
 * mongodb_up, proxysql_up of *_hr jobs, haproxy_backend_status state UP)
 * by service_id: 1 UP, 0 DOWN; no series UNSPECIFIED, whatever the kind. */
START_TEST(service_status_from_vm)
{
    registered g = register_ok(register_req("st-svc-node", 1));
    char *id[8];
    for (int i = 0; i < 8; i++) {
        char name[32];
        snprintf(name, sizeof name, "st-svc-%d", i);
        id[i] = add_ok(mysql_req(name, &g, NULL), "mysql", NULL);
    }
    import("mysql_up{job=\"mysqld_exporter_x_hr\",service_id=\"%s\"} 1\n"
           "mysql_up{job=\"mysqld_exporter_x_hr\",service_id=\"%s\"} 0\n"
           "mysql_up{job=\"mysqld_exporter_x_mr\",service_id=\"%s\"} 1\n"
           "pg_up{collector=\"exporter\",job=\"postgres_exporter_x_hr\",service_id=\"%s\"} 0\n"
           "pg_up{job=\"postgres_exporter_x_hr\",service_id=\"%s\"} 1\n"
           "haproxy_backend_status{state=\"UP\",service_id=\"%s\"} 1\n"
           "haproxy_backend_status{state=\"DOWN\",service_id=\"%s\"} 1\n"
           "mongodb_up{job=\"mongodb_exporter_x_hr\",service_id=\"%s\"} 1\n",
           id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7]);
    ProtobufCMessage *resp;
    ck_assert_int_eq(call_free(MGMT "ListServices", pb_new(&management__v1__list_services_request__descriptor), &resp, NULL), 0);
    const int want[8] = {
        MANAGEMENT__V1__UNIVERSAL_SERVICE__STATUS__STATUS_UP,          MANAGEMENT__V1__UNIVERSAL_SERVICE__STATUS__STATUS_DOWN,
        MANAGEMENT__V1__UNIVERSAL_SERVICE__STATUS__STATUS_UNSPECIFIED, MANAGEMENT__V1__UNIVERSAL_SERVICE__STATUS__STATUS_DOWN,
        MANAGEMENT__V1__UNIVERSAL_SERVICE__STATUS__STATUS_UNSPECIFIED, MANAGEMENT__V1__UNIVERSAL_SERVICE__STATUS__STATUS_UP,
        MANAGEMENT__V1__UNIVERSAL_SERVICE__STATUS__STATUS_UNSPECIFIED, MANAGEMENT__V1__UNIVERSAL_SERVICE__STATUS__STATUS_UP,
    };
    for (int i = 0; i < 8; i++)
        ck_assert_msg(service_status_of(resp, id[i]) == want[i], "service %d: status %d, want %d", i,
                      service_status_of(resp, id[i]), want[i]);
    protobuf_c_message_free_unpacked(resp, NULL);
    for (int i = 0; i < 8; i++)
        free(id[i]);
}
END_TEST

static void expect_vm_error(const char *method, ProtobufCMessage *req, const char *cause)
{
    char msg[RPC_MESSAGE_MAX];
    int got = call_free(method, req, NULL, msg);
    ck_assert_msg(got == RPC_UNKNOWN, "%s: code %d (%s)", method, got, msg);
    ck_assert_msg(strncmp(msg, "failed to execute an instant VM query: ", 39) == 0 && strstr(msg, cause),
                  "%s: %s", method, msg);
}

/* As upstream: the lists fail when VictoriaMetrics cannot answer; GetNode
 * still says first when the node does not exist. */
START_TEST(vm_unreachable)
{
    registered g = register_ok(register_req("st-novm", 1));
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/prometheus/", vmtest_free_port());
    the_app.vm_url = url;
    expect_vm_error(MGMT "ListServices", pb_new(&management__v1__list_services_request__descriptor), "Post \"http://127.0.0.1:");
    expect_vm_error(MGMT "ListNodes", pb_new(&management__v1__list_nodes_request__descriptor), "/prometheus/api/v1/query");
    ProtobufCMessage *req = pb_new(&management__v1__get_node_request__descriptor);
    pb_set_str(req, "node_id", g.node_id);
    expect_vm_error(MGMT "GetNode", req, "Couldn't connect");
    req = pb_new(&management__v1__get_node_request__descriptor);
    pb_set_str(req, "node_id", "nope");
    expect_error(MGMT "GetNode", req, RPC_NOT_FOUND, "Node with ID \"nope\" not found.");

    /* something that is not the Prometheus API */
    snprintf(url, sizeof url, "%sno-such-api/", vm.url);
    expect_vm_error(MGMT "ListNodes", pb_new(&management__v1__list_nodes_request__descriptor), "bad response code");

    /* a listener that never answers: the list gives up after the timeout */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/prometheus/", ntohs(a.sin_port));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_vm_error(MGMT "ListServices", pb_new(&management__v1__list_services_request__descriptor), "Timeout");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(took >= VM_QUERY_TIMEOUT_MS / 1000.0 - 0.1 && took < VM_QUERY_TIMEOUT_MS / 1000.0 + 2, "took %.2f s", took);
    close(fd);
    the_app.vm_url = vm.url;
}
END_TEST

int main(void)
{
    if (vmtest_start(&vm) != 0)
        return 1;
    Suite *s = suite_create("management");
    TCase *tc = tcase_create("management");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, register_node_creates_everything);
    tcase_add_test(tc, register_node_errors);
    tcase_add_test(tc, reregister_replaces_node);
    tcase_add_test(tc, unregister_node);
    tcase_add_test(tc, list_and_get_nodes);
    tcase_add_test(tc, list_agents_redacts);
    tcase_add_test(tc, add_mysql_service);
    tcase_add_test(tc, add_service_errors);
    tcase_add_test(tc, add_service_is_one_transaction);
    tcase_add_test(tc, add_service_check_needs_agentsd);
    tcase_add_test(tc, add_other_kinds);
    tcase_add_test(tc, add_rds_service);
    tcase_add_test(tc, remove_service);
    tcase_add_test(tc, list_services);
    tcase_add_test(tc, list_services_agents_per_service);
    tcase_add_test(tc, list_agent_versions);
    tcase_add_test(tc, discover_rds);
    tcase_add_test(tc, add_azure_database);
    tcase_add_test(tc, add_azure_check_needs_agentsd);
    tcase_add_test(tc, discover_azure_checks);
    tcase_add_test(tc, add_annotation);
    tcase_add_test(tc, node_status_from_vm);
    tcase_add_test(tc, vm_keeps_first_or_last);
    tcase_add_test(tc, service_status_from_vm);
    tcase_add_test(tc, vm_unreachable);
    suite_add_tcase(s, tc);
    int rc = check_run(s);
    vmtest_stop(&vm);
    return rc;
}
