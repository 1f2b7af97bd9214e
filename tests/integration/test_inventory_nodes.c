/* Integration tests of inventoryd's NodesService, fixtures and
 * authentication, calling the bus handlers directly against a real
 * PostgreSQL (a fresh database per run). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "inventoryd/app.h"
#include "inventoryd/fixtures.h"
#include "internal/v1/auth.pb-c.h"
#include "inventory/v1/nodes.pb-c.h"
#include "inventoryd/nodes.h"
#include "pbutil.h"
#include "tests/lib/pgtest.h"
#include "inventoryd/users.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/rpccall.h"

static db_params params;
static app the_app;
static daemon_worker w;

/* One handler, run as the bus server runs it (tests/lib/rpccall.h). */
static int call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp, char *msg)
{
    const rpc_method *m = rpc_method_find(nodes_methods, nodes_methods_count, method);
    if (!m)
        m = rpc_method_find(users_methods, users_methods_count, method);
    ck_assert_msg(m != NULL, "no method %s", method);
    return rpc_call_method(m, &w, &the_app, req, resp, msg);
}

static ProtobufCMessage *add_req(const char *member, const char *name, const char *address, const char *region)
{
    ProtobufCMessage *req = pb_new(&inventory__v1__add_node_request__descriptor);
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(req->descriptor, member);
    ProtobufCMessage *p = pb_new(f->descriptor);
    pb_set_str(p, "node_name", name);
    pb_set_str(p, "address", address);
    if (region)
        pb_set_str(p, "region", region);
    pb_set_map_json(p, "custom_labels", "{\"env\": \"prod\"}");
    ck_assert_int_eq(pb_set_msg(req, member, p), 0);
    return req;
}

/* Adds a node and returns its id (malloc'd). */
static char *add_node(const char *member, const char *name, const char *address, const char *region)
{
    ProtobufCMessage *req = add_req(member, name, address, region), *resp;
    char msg[RPC_MESSAGE_MAX];
    ck_assert_msg(call("/inventory.v1.NodesService/AddNode", req, &resp, msg) == 0, "%s", msg);
    protobuf_c_message_free_unpacked(req, NULL);
    const char *resp_member = strcmp(member, "remote_azure") == 0 ? "remote_azure_database" : member;
    const ProtobufCMessage *node = pb_get_msg(resp, resp_member);
    ck_assert_ptr_nonnull(node);
    ck_assert_str_eq(pb_get_str(node, "node_name"), name);
    char *id = strdup(pb_get_str(node, "node_id"));
    ck_assert_int_eq(strlen(id), 36);
    protobuf_c_message_free_unpacked(resp, NULL);
    return id;
}

static int id_call(const char *method, const ProtobufCMessageDescriptor *d, const char *id, bool force, char *msg)
{
    ProtobufCMessage *req = pb_new(d);
    pb_set_str(req, "node_id", id);
    pb_set_bool(req, "force", force);
    int code = call(method, req, NULL, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    return code;
}

static void exec_sql(const char *sql)
{
    rpc_status st;
    PGresult *r = db_exec_script(w.db, &st, sql);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    PQclear(r);
}

static void setup(void)
{
    ck_assert_int_eq(sodium_init() >= 0, 1);
    ck_assert_int_eq(pgtest_fresh_db("test_inventory_nodes", &params), 0);
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

START_TEST(fixtures_once)
{
    ck_assert_int_eq(fixtures_ensure(w.db, &params, false), 0);
    rpc_status st;
    PGresult *r = db_exec(w.db, &st,
                          "SELECT (SELECT count(*) FROM nodes WHERE node_id = 'pmm-server'), "
                          "(SELECT count(*) FROM agents WHERE agent_id = 'pmm-server'), "
                          "(SELECT count(*) FROM agents WHERE agent_type = 'node_exporter'), "
                          "(SELECT count(*) FROM services WHERE service_name = 'pmm-server-postgresql'), "
                          "(SELECT count(*) FROM agents WHERE agent_type = 'postgres_exporter')",
                          0, NULL);
    ck_assert_ptr_nonnull(r);
    for (int c = 0; c < 5; c++)
        ck_assert_str_eq(PQgetvalue(r, 0, c), "1");
    PQclear(r);
}
END_TEST

START_TEST(add_get_list_every_kind)
{
    char *g = add_node("generic", "n-generic", "10.0.0.1", NULL);
    char *c = add_node("container", "n-container", "10.0.0.2", NULL);
    char *r = add_node("remote", "n-remote", "10.0.0.3", NULL);
    char *rds = add_node("remote_rds", "n-rds", "db-1", "us-east-1");
    char *az = add_node("remote_azure", "n-azure", "az-1", "eastus");

    ProtobufCMessage *req = pb_new(&inventory__v1__get_node_request__descriptor), *resp;
    pb_set_str(req, "node_id", az);
    ck_assert_int_eq(call("/inventory.v1.NodesService/GetNode", req, &resp, NULL), 0);
    ck_assert_str_eq(pb_oneof_selected(resp, "generic"), "remote_azure_database");
    char *labels = pb_map_to_json(pb_get_msg(resp, "remote_azure_database"), "custom_labels");
    ck_assert_str_eq(labels, "{\"env\":\"prod\"}");
    free(labels);
    protobuf_c_message_free_unpacked(req, NULL);
    protobuf_c_message_free_unpacked(resp, NULL);

    Inventory__V1__ListNodesRequest lreq = INVENTORY__V1__LIST_NODES_REQUEST__INIT;
    Inventory__V1__ListNodesResponse *list;
    ck_assert_int_eq(call("/inventory.v1.NodesService/ListNodes", &lreq.base, (ProtobufCMessage **)&list, NULL), 0);
    ck_assert_int_eq(list->n_generic, 2); /* pmm-server too */
    ck_assert_int_eq(list->n_container, 1);
    ck_assert_int_ge(list->n_remote, 1); /* and pmm-server-db when the DB is not 127.0.0.1:5432 */
    ck_assert_int_eq(list->n_remote_rds, 1);
    ck_assert_str_eq(list->remote_rds[0]->instance_id, "db-1");
    ck_assert_int_eq(list->n_remote_azure_database, 1);
    protobuf_c_message_free_unpacked(&list->base, NULL);

    lreq.node_type = INVENTORY__V1__NODE_TYPE__NODE_TYPE_CONTAINER_NODE;
    ck_assert_int_eq(call("/inventory.v1.NodesService/ListNodes", &lreq.base, (ProtobufCMessage **)&list, NULL), 0);
    ck_assert_int_eq(list->n_generic + list->n_remote + list->n_remote_rds, 0);
    ck_assert_int_eq(list->n_container, 1);
    ck_assert_str_eq(list->container[0]->node_id, c);
    protobuf_c_message_free_unpacked(&list->base, NULL);
    free(g), free(c), free(r), free(rds), free(az);
}
END_TEST

START_TEST(validation_texts)
{
    char msg[RPC_MESSAGE_MAX];
    ProtobufCMessage *req = add_req("generic", "", "10.0.0.1", NULL);
    ck_assert_int_eq(call("/inventory.v1.NodesService/AddNode", req, NULL, msg), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "invalid AddNodeRequest.Generic: embedded message failed validation | caused by: invalid AddGenericNodeParams.NodeName: value length must be at least 1 runes");
    protobuf_c_message_free_unpacked(req, NULL);

    req = add_req("remote_rds", "rds-x", "db-2", NULL);
    ck_assert_int_eq(call("/inventory.v1.NodesService/AddNode", req, NULL, msg), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "invalid AddNodeRequest.RemoteRds: embedded message failed validation | caused by: invalid AddRemoteRDSNodeParams.Region: value length must be at least 1 runes");
    protobuf_c_message_free_unpacked(req, NULL);

    /* no member: upstream's handler fails with a plain error, which its
     * interceptor turns into Internal */
    req = pb_new(&inventory__v1__add_node_request__descriptor);
    ck_assert_int_eq(call("/inventory.v1.NodesService/AddNode", req, NULL, msg), RPC_INTERNAL);
    ck_assert_str_eq(msg, "Internal server error.");
    protobuf_c_message_free_unpacked(req, NULL);

    ck_assert_int_eq(id_call("/inventory.v1.NodesService/GetNode", &inventory__v1__get_node_request__descriptor, "",
                             false, msg), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "invalid GetNodeRequest.NodeId: value length must be at least 1 runes");
    ck_assert_int_eq(id_call("/inventory.v1.NodesService/RemoveNode", &inventory__v1__remove_node_request__descriptor,
                             "", false, msg), RPC_INVALID_ARGUMENT);
    ck_assert_str_eq(msg, "invalid RemoveNodeRequest.NodeId: value length must be at least 1 runes");
}
END_TEST

START_TEST(duplicates)
{
    char msg[RPC_MESSAGE_MAX];
    free(add_node("generic", "dup", "10.0.0.9", NULL));
    ProtobufCMessage *req = add_req("container", "dup", "10.0.0.10", NULL);
    ck_assert_int_eq(call("/inventory.v1.NodesService/AddNode", req, NULL, msg), RPC_ALREADY_EXISTS);
    ck_assert_str_eq(msg, "Node with name \"dup\" already exists.");
    protobuf_c_message_free_unpacked(req, NULL);

    free(add_node("remote_rds", "rds-a", "db-9", "eu-west-1"));
    req = add_req("remote_rds", "rds-b", "db-9", "eu-west-1");
    ck_assert_int_eq(call("/inventory.v1.NodesService/AddNode", req, NULL, msg), RPC_ALREADY_EXISTS);
    ck_assert_str_eq(msg, "Node with instance \"db-9\" and region \"eu-west-1\" already exists.");
    protobuf_c_message_free_unpacked(req, NULL);
}
END_TEST

START_TEST(remove_rules)
{
    char msg[RPC_MESSAGE_MAX];
    const ProtobufCMessageDescriptor *rd = &inventory__v1__remove_node_request__descriptor;
    const char *rm = "/inventory.v1.NodesService/RemoveNode";
    ck_assert_int_eq(id_call(rm, rd, "pmm-server", true, msg), RPC_PERMISSION_DENIED);
    ck_assert_str_eq(msg, "PMM Server node can't be removed.");
    ck_assert_int_eq(id_call(rm, rd, "pmm-not-found", false, msg), RPC_NOT_FOUND);
    ck_assert_str_eq(msg, "Node with ID \"pmm-not-found\" not found.");
    ck_assert_int_eq(id_call(rm, rd, "x'; DROP TABLE nodes; --", false, msg), RPC_NOT_FOUND);

    char *id = add_node("generic", "with-things", "10.1.0.1", NULL);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO services (service_id, service_type, service_name, node_id, environment, cluster, "
             "replication_set, custom_labels, created_at, updated_at, external_group) VALUES "
             "('svc-1', 'mysql', 'svc-1', '%s', '', '', '', '{}', now(), now(), '')", id);
    exec_sql(sql);
    char want[200];
    snprintf(want, sizeof want, "Node with ID \"%s\" has services.", id);
    ck_assert_int_eq(id_call(rm, rd, id, false, msg), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, want);

    snprintf(sql, sizeof sql,
             "INSERT INTO agents (agent_id, agent_type, runs_on_node_id, created_at, updated_at, disabled, status, "
             "tls, tls_skip_verify) VALUES ('pa-1', 'pmm-agent', '%s', now(), now(), false, '', false, false);"
             "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, created_at, updated_at, disabled, "
             "status, tls, tls_skip_verify) VALUES ('ex-1', 'mysqld_exporter', 'pa-1', 'svc-1', now(), now(), "
             "false, 'AGENT_STATUS_UNKNOWN', false, false)", id);
    exec_sql(sql);
    snprintf(want, sizeof want, "Node with ID \"%s\" has pmm-agent.", id);
    ck_assert_int_eq(id_call(rm, rd, id, false, msg), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, want);

    ck_assert_int_eq(id_call(rm, rd, id, true, msg), 0);
    rpc_status st;
    PGresult *r = db_exec(w.db, &st,
                          "SELECT (SELECT count(*) FROM agents WHERE agent_id IN ('pa-1', 'ex-1')) + "
                          "(SELECT count(*) FROM services WHERE service_id = 'svc-1')", 0, NULL);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "0");
    PQclear(r);
    ck_assert_int_eq(id_call("/inventory.v1.NodesService/GetNode", &inventory__v1__get_node_request__descriptor, id,
                             false, msg), RPC_NOT_FOUND);
    free(id);
}
END_TEST

static int authenticate(const char *header, char *user, char *role)
{
    Internal__V1__AuthenticateRequest req = INTERNAL__V1__AUTHENTICATE_REQUEST__INIT;
    req.authorization = (char *)header;
    ProtobufCMessage *resp = NULL;
    int code = call("/internal.v1.AuthService/Authenticate", &req.base, &resp, NULL);
    if (code == 0) {
        strcpy(user, pb_get_str(resp, "user"));
        strcpy(role, pb_get_str(resp, "role"));
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    return code;
}

START_TEST(authentication)
{
    char user[128], role[16];
    ck_assert_int_eq(users_ensure_admin(w.db, "s3cret"), 0);
    ck_assert_int_eq(users_ensure_admin(w.db, "other"), 0); /* first start only */
    ck_assert_int_eq(authenticate("Basic YWRtaW46czNjcmV0", user, role), 0); /* admin:s3cret */
    ck_assert_str_eq(user, "admin");
    ck_assert_str_eq(role, "admin");
    ck_assert_int_eq(authenticate("Basic YWRtaW46b3RoZXI=", user, role), RPC_UNAUTHENTICATED); /* admin:other */
    /* A remembered verification must not survive a password change. */
    ck_assert_int_eq(authenticate("Basic YWRtaW46czNjcmV0", user, role), 0);
    char hash[crypto_pwhash_STRBYTES], sql[512];
    ck_assert_int_eq(crypto_pwhash_str(hash, "other", 5, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                       crypto_pwhash_MEMLIMIT_INTERACTIVE), 0);
    snprintf(sql, sizeof sql, "UPDATE users SET password_hash = '%s' WHERE login = 'admin'", hash);
    exec_sql(sql);
    ck_assert_int_eq(authenticate("Basic YWRtaW46czNjcmV0", user, role), RPC_UNAUTHENTICATED);
    ck_assert_int_eq(authenticate("Basic YWRtaW46b3RoZXI=", user, role), 0);
    ck_assert_int_eq(authenticate("Basic !!!", user, role), RPC_UNAUTHENTICATED);
    ck_assert_int_eq(authenticate("Basic YWRtaW4=", user, role), RPC_UNAUTHENTICATED); /* no colon */
    ck_assert_int_eq(authenticate("Digest x", user, role), RPC_UNAUTHENTICATED);
    ck_assert_int_eq(authenticate("", user, role), RPC_UNAUTHENTICATED);

    /* sha256("tok-123") */
    exec_sql("INSERT INTO service_tokens (token_id, name, token_hash, role, created_at) VALUES ('t1', 'node-a', "
             "encode(sha256('tok-123'), 'hex'), 'viewer', now())");
    ck_assert_int_eq(authenticate("Bearer tok-123", user, role), 0);
    ck_assert_str_eq(user, "node-a");
    ck_assert_str_eq(role, "viewer");
    ck_assert_int_eq(authenticate("Basic c2VydmljZV90b2tlbjp0b2stMTIz", user, role), 0); /* service_token:tok-123 */
    ck_assert_int_eq(authenticate("Basic YXBpX2tleTp0b2stMTIz", user, role), 0);         /* api_key:tok-123 */
    ck_assert_int_eq(authenticate("Bearer tok-124", user, role), RPC_UNAUTHENTICATED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("inventory_nodes");
    TCase *tc = tcase_create("nodes");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fixtures_once);
    tcase_add_test(tc, add_get_list_every_kind);
    tcase_add_test(tc, validation_texts);
    tcase_add_test(tc, duplicates);
    tcase_add_test(tc, remove_rules);
    tcase_add_test(tc, authentication);
    suite_add_tcase(s, tc);
    return check_run(s);
}
