/* Integration tests of agentsd's actions.v1.ActionsService against a real
 * PostgreSQL (inventory made through inventoryd's management handlers),
 * with a fake pmm-agent in place of the connection (actions_send): the
 * StartActionRequest each action sends, the validation and error texts,
 * the action rows, results written by actions_store_result and read back
 * by GetAction, CancelAction's StopActionRequest. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "actions/v1/actions.pb-c.h"
#include "agentsd/actions.h"
#include "inventoryd/app.h"
#include "inventoryd/fixtures.h"
#include "inventoryd/management/management.h"
#include "management/v1/node.pb-c.h"
#include "management/v1/service.pb-c.h"
#include "pbutil.h"
#include "secret.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/pgtest.h"
#include "tests/lib/rpccall.h"
#include "uuid.h"

#define MGMT "/management.v1.ManagementService/"
#define ACT "/actions.v1.ActionsService/"

static db_params params;
static app the_app;
static daemon_worker w;
static char key_path[256];

/* ---- the fake pmm-agent --------------------------------------------------------- */

static Agent__V1__ServerMessage *sent; /* a copy of the last request */
static char sent_to[128];
static int sent_timeout_ms, fake_code;

static int fake_send(const char *pmm_agent_id, Agent__V1__ServerMessage *req, int timeout_ms,
                     Agent__V1__AgentMessage **resp, rpc_status *st)
{
    if (sent)
        protobuf_c_message_free_unpacked(&sent->base, NULL);
    size_t n = protobuf_c_message_get_packed_size(&req->base);
    uint8_t *buf = malloc(n ? n : 1);
    protobuf_c_message_pack(&req->base, buf);
    sent = agent__v1__server_message__unpack(NULL, n, buf);
    free(buf);
    snprintf(sent_to, sizeof sent_to, "%s", pmm_agent_id);
    sent_timeout_ms = timeout_ms;
    if (fake_code) {
        char q[160];
        rpc_quote(q, sizeof q, pmm_agent_id);
        return rpc_fail(st, fake_code, "pmm-agent with ID %s is not currently connected", q);
    }
    *resp = (Agent__V1__AgentMessage *)pb_new(&agent__v1__agent_message__descriptor);
    return RPC_OK;
}

static void setup(void)
{
    ck_assert_int_eq(sodium_init() >= 0, 1);
    snprintf(key_path, sizeof key_path, "/tmp/test_agentsd_actions.%d.key", (int)getpid());
    unlink(key_path);
    ck_assert_int_eq(secret_init(key_path), 0);
    ck_assert_int_eq(pgtest_fresh_db("test_agentsd_actions", &params), 0);
    the_app.db = params;
    w.app = &the_app;
    w.db = db_new(&params);
    ck_assert_int_eq(db_migrate(w.db), 0);
    ck_assert_int_eq(fixtures_ensure(w.db, &params, false), 0);
    actions_send = fake_send;
    fake_code = 0;
    sent = NULL;
}

static void teardown(void)
{
    if (sent)
        protobuf_c_message_free_unpacked(&sent->base, NULL);
    sent = NULL;
    db_destroy(w.db);
    pgtest_params_clear(&params);
    unlink(key_path);
}

/* ---- calls -------------------------------------------------------------------------- */

static int call(const rpc_method *table, size_t n, const char *method, ProtobufCMessage *req, ProtobufCMessage **resp,
                char *msg)
{
    const rpc_method *m = rpc_method_find(table, n, method);
    ck_assert_msg(m != NULL, "no method %s", method);
    int code = rpc_call_method(m, &w, &the_app, req, resp, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    return code;
}

static int act(const char *method, ProtobufCMessage *req, ProtobufCMessage **resp, char *msg)
{
    return call(actions_methods, actions_methods_count, method, req, resp, msg);
}

static void expect_error(const char *method, ProtobufCMessage *req, int code, const char *text)
{
    char msg[RPC_MESSAGE_MAX];
    int got = act(method, req, NULL, msg);
    ck_assert_msg(got == code, "%s: code %d (%s), want %d", method, got, msg, code);
    ck_assert_str_eq(msg, text);
}

static void mgmt_ok(const char *method, ProtobufCMessage *req, ProtobufCMessage **resp)
{
    char msg[RPC_MESSAGE_MAX];
    int code = call(management_methods, management_methods_count, method, req, resp, msg);
    ck_assert_msg(code == 0, "%s: %d %s", method, code, msg);
}

static void exec_sql(const char *sql, const char *param)
{
    rpc_status st;
    PGresult *r = db_exec(w.db, &st, sql, param ? 1 : 0, param ? (const char *[]){ param } : NULL);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    PQclear(r);
}

static long count_rows(void)
{
    rpc_status st;
    PGresult *r = db_exec(w.db, &st, "SELECT count(*) FROM action_results", 0, NULL);
    ck_assert_ptr_nonnull(r);
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

/* ---- inventory -------------------------------------------------------------------------- */

typedef struct {
    char node_id[64], pmm_agent_id[64], service_id[64];
} inv;

static inv register_node(const char *name, const char *version)
{
    inv g = { 0 };
    ProtobufCMessage *req = pb_new(&management__v1__register_node_request__descriptor), *resp;
    pb_set_str(req, "node_name", name);
    pb_set_i32(req, "node_type", 1);
    pb_set_str(req, "address", "10.0.0.1");
    mgmt_ok(MGMT "RegisterNode", req, &resp);
    snprintf(g.node_id, sizeof g.node_id, "%s", pb_get_str(pb_get_msg(resp, "generic_node"), "node_id"));
    snprintf(g.pmm_agent_id, sizeof g.pmm_agent_id, "%s", pb_get_str(pb_get_msg(resp, "pmm_agent"), "agent_id"));
    protobuf_c_message_free_unpacked(resp, NULL);
    exec_sql("UPDATE agents SET version = '" "3.0.0" "' WHERE agent_type = 'pmm-agent' AND $1 <> ''", "x");
    if (version) {
        char sql[256];
        snprintf(sql, sizeof sql, "UPDATE agents SET version = $1 WHERE agent_id = '%s'", g.pmm_agent_id);
        exec_sql(sql, version);
    }
    return g;
}

/* AddService of kind member on g's node and pmm-agent; fill via *p. */
static ProtobufCMessage *add_req(const char *member, const inv *g, ProtobufCMessage **p)
{
    ProtobufCMessage *req = pb_new(&management__v1__add_service_request__descriptor);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(req->descriptor, member);
    *p = pb_new(f->descriptor);
    pb_set_msg(req, member, *p);
    pb_set_str(*p, "service_name", member);
    pb_set_str(*p, "node_id", g->node_id);
    pb_set_str(*p, "pmm_agent_id", g->pmm_agent_id);
    pb_set_str(*p, "username", "user");
    pb_set_str(*p, "password", "secret pw");
    pb_set_bool(*p, "skip_connection_check", true);
    return req;
}

static void add_service(ProtobufCMessage *req, const char *member, inv *g)
{
    ProtobufCMessage *resp;
    mgmt_ok(MGMT "AddService", req, &resp);
    const ProtobufCMessage *res = pb_get_msg(resp, member);
    snprintf(g->service_id, sizeof g->service_id, "%s", pb_get_str(pb_get_msg(res, "service"), "service_id"));
    protobuf_c_message_free_unpacked(resp, NULL);
}

static inv mysql_setup(void)
{
    inv g = register_node("mysql-node", NULL);
    ProtobufCMessage *p, *req = add_req("mysql", &g, &p);
    pb_set_str(p, "address", "1.2.3.4");
    pb_set_u32(p, "port", 3306);
    pb_set_bool(p, "tls", true);
    pb_set_bool(p, "tls_skip_verify", true);
    pb_set_str(p, "tls_ca", "ca-content");
    add_service(req, "mysql", &g);
    return g;
}

/* A StartServiceActionRequest with member's params (returned through p). */
static ProtobufCMessage *service_action(const char *member, const char *service_id, ProtobufCMessage **p)
{
    ProtobufCMessage *req = pb_new(&actions__v1__start_service_action_request__descriptor);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(req->descriptor, member);
    ck_assert_ptr_nonnull(f);
    *p = pb_new(f->descriptor);
    pb_set_msg(req, member, *p);
    pb_set_str(*p, "service_id", service_id);
    return req;
}

/* Starts it; the action id and the answered pmm_agent_id come back. */
static void start_ok(ProtobufCMessage *req, const char *resp_member, char *action_id, char *pmm_agent_id)
{
    ProtobufCMessage *resp;
    char msg[RPC_MESSAGE_MAX];
    int code = act(ACT "StartServiceAction", req, &resp, msg);
    ck_assert_msg(code == 0, "StartServiceAction: %d %s", code, msg);
    const ProtobufCMessage *r = pb_get_msg(resp, resp_member);
    ck_assert_ptr_nonnull(r);
    snprintf(action_id, 64, "%s", pb_get_str(r, "action_id"));
    snprintf(pmm_agent_id, 64, "%s", pb_get_str(r, "pmm_agent_id"));
    ck_assert(uuid_valid(action_id));
    protobuf_c_message_free_unpacked(resp, NULL);
}

static const Agent__V1__StartActionRequest *sent_start(void)
{
    ck_assert_ptr_nonnull(sent);
    ck_assert_int_eq(sent->payload_case, AGENT__V1__SERVER_MESSAGE__PAYLOAD_START_ACTION);
    return sent->start_action;
}

/* ---- tests ---------------------------------------------------------------------------------- */

START_TEST(validation_texts)
{
    ProtobufCMessage *g = pb_new(&actions__v1__get_action_request__descriptor);
    pb_set_str(g, "action_id", "nope");
    expect_error(ACT "GetAction", g, RPC_INVALID_ARGUMENT,
                 "invalid GetActionRequest.ActionId: value must be a valid UUID | caused by: invalid uuid format");
    ProtobufCMessage *c = pb_new(&actions__v1__cancel_action_request__descriptor);
    expect_error(ACT "CancelAction", c, RPC_INVALID_ARGUMENT,
                 "invalid CancelActionRequest.ActionId: value must be a valid UUID | caused by: invalid uuid format");
    expect_error(ACT "StartServiceAction", pb_new(&actions__v1__start_service_action_request__descriptor),
                 RPC_INTERNAL, "Internal server error.");
    ProtobufCMessage *p, *req = service_action("mysql_show_create_table", "bad", &p);
    expect_error(ACT "StartServiceAction", req, RPC_INVALID_ARGUMENT,
                 "invalid StartServiceActionRequest.MysqlShowCreateTable: embedded message failed validation | caused by: "
                 "invalid StartMySQLShowCreateTableActionParams.ServiceId: value must be a valid UUID | caused by: invalid "
                 "uuid format");
    req = service_action("postgres_show_index", "1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b", &p);
    expect_error(ACT "StartServiceAction", req, RPC_INVALID_ARGUMENT,
                 "invalid StartServiceActionRequest.PostgresShowIndex: embedded message failed validation | caused by: "
                 "invalid StartPostgreSQLShowIndexActionParams.TableName: value length must be at least 1 runes");
    req = service_action("mongodb_explain", "1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b", &p);
    expect_error(ACT "StartServiceAction", req, RPC_INVALID_ARGUMENT,
                 "invalid StartServiceActionRequest.MongodbExplain: embedded message failed validation | caused by: "
                 "invalid StartMongoDBExplainActionParams.Query: value length must be at least 1 runes");
    g = pb_new(&actions__v1__get_action_request__descriptor);
    pb_set_str(g, "action_id", "1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
    expect_error(ACT "GetAction", g, RPC_NOT_FOUND,
                 "ActionResult with ID \"1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b\" not found.");
    /* Unknown services. */
    req = service_action("mysql_show_index", "1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b", &p);
    pb_set_str(p, "table_name", "t");
    expect_error(ACT "StartServiceAction", req, RPC_NOT_FOUND,
                 "Service with ID \"1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b\" not found.");
    req = service_action("postgres_show_index", "1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b", &p);
    pb_set_str(p, "table_name", "t");
    expect_error(ACT "StartServiceAction", req, RPC_FAILED_PRECONDITION,
                 "Couldn't get services by service_id, 1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
    ck_assert_int_eq(count_rows(), 0);
    ck_assert_ptr_null(sent);
}
END_TEST

/* SHOW CREATE TABLE: the request the agent gets, the row, the result. */
START_TEST(mysql_show_create_table_round_trip)
{
    inv g = mysql_setup();
    ProtobufCMessage *p, *req = service_action("mysql_show_create_table", g.service_id, &p);
    pb_set_str(p, "table_name", "city");
    pb_set_str(p, "database", "world");
    char id[64], agent[64];
    start_ok(req, "mysql_show_create_table", id, agent);
    ck_assert_str_eq(agent, ""); /* upstream answers with the requested one */
    ck_assert_str_eq(sent_to, g.pmm_agent_id);
    const Agent__V1__StartActionRequest *s = sent_start();
    ck_assert_str_eq(s->action_id, id);
    ck_assert_int_eq(s->timeout->seconds, 10);
    ck_assert_int_eq(s->params_case, AGENT__V1__START_ACTION_REQUEST__PARAMS_MYSQL_SHOW_CREATE_TABLE_PARAMS);
    const Agent__V1__StartActionRequest__MySQLShowCreateTableParams *mp = s->mysql_show_create_table_params;
    ck_assert_str_eq(mp->table, "city");
    /* The DSN of the service's slowlog-less MySQL: the exporter, with the database. */
    ck_assert_str_eq(mp->dsn, "user:secret pw@tcp(1.2.3.4:3306)/world?timeout=1s&tls=custom");
    ck_assert(mp->tls_skip_verify);
    ck_assert_int_eq(mp->tls_files->n_files, 1);
    ck_assert_str_eq(mp->tls_files->files[0]->key, "tlsCa");
    ck_assert_str_eq(mp->tls_files->files[0]->value, "ca-content");
    ck_assert_str_eq(mp->tls_files->template_left_delim, "{{");

    /* The agent reports in two parts; each replaces the output. */
    Agent__V1__ActionResultRequest res = AGENT__V1__ACTION_RESULT_REQUEST__INIT;
    Agent__V1__AgentMessage msg = AGENT__V1__AGENT_MESSAGE__INIT;
    msg.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_ACTION_RESULT;
    msg.action_result = &res;
    res.action_id = id;
    res.output.data = (uint8_t *)"partial";
    res.output.len = 7;
    ck_assert_int_eq(actions_store_result(w.db, g.pmm_agent_id, &msg), 0);
    res.output.data = (uint8_t *)"CREATE TABLE `city`";
    res.output.len = strlen("CREATE TABLE `city`");
    res.done = true;
    ck_assert_int_eq(actions_store_result(w.db, g.pmm_agent_id, &msg), 0);
    res.action_id = "1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
    ck_assert_int_eq(actions_store_result(w.db, g.pmm_agent_id, &msg), RPC_NOT_FOUND);

    ProtobufCMessage *get = pb_new(&actions__v1__get_action_request__descriptor), *resp;
    pb_set_str(get, "action_id", id);
    char m[RPC_MESSAGE_MAX];
    ck_assert_int_eq(act(ACT "GetAction", get, &resp, m), 0);
    ck_assert_str_eq(pb_get_str(resp, "action_id"), id);
    ck_assert_str_eq(pb_get_str(resp, "pmm_agent_id"), g.pmm_agent_id);
    ck_assert_str_eq(pb_get_str(resp, "output"), "CREATE TABLE `city`");
    ck_assert(pb_get_bool(resp, "done"));
    ck_assert_str_eq(pb_get_str(resp, "error"), "");
    protobuf_c_message_free_unpacked(resp, NULL);

    /* CancelAction stops it on the agent that runs it. */
    ProtobufCMessage *c = pb_new(&actions__v1__cancel_action_request__descriptor);
    pb_set_str(c, "action_id", id);
    ck_assert_int_eq(act(ACT "CancelAction", c, &resp, m), 0);
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_int_eq(sent->payload_case, AGENT__V1__SERVER_MESSAGE__PAYLOAD_STOP_ACTION);
    ck_assert_str_eq(sent->stop_action->action_id, id);
    ck_assert_str_eq(sent_to, g.pmm_agent_id);
}
END_TEST

/* An agent that is not connected: its error, and no row left behind. */
START_TEST(agent_not_connected)
{
    inv g = mysql_setup();
    fake_code = RPC_FAILED_PRECONDITION;
    ProtobufCMessage *p, *req = service_action("mysql_show_index", g.service_id, &p);
    pb_set_str(p, "table_name", "city");
    char want[256];
    snprintf(want, sizeof want, "pmm-agent with ID \"%s\" is not currently connected", g.pmm_agent_id);
    expect_error(ACT "StartServiceAction", req, RPC_FAILED_PRECONDITION, want);
    ck_assert_int_eq(count_rows(), 0);
    /* A pmm_agent_id that does not run the service. */
    fake_code = 0;
    req = service_action("mysql_show_index", g.service_id, &p);
    pb_set_str(p, "table_name", "city");
    pb_set_str(p, "pmm_agent_id", "pmm-server");
    expect_error(ACT "StartServiceAction", req, RPC_FAILED_PRECONDITION, "Couldn't find pmm-agent-id to run action");
    /* EXPLAIN wants a query_id. */
    req = service_action("mysql_explain", g.service_id, &p);
    expect_error(ACT "StartServiceAction", req, RPC_FAILED_PRECONDITION, "query or query_id is required");
    ck_assert_int_eq(count_rows(), 0);
}
END_TEST

START_TEST(postgresql_and_mongodb)
{
    inv g = register_node("db-node", NULL);
    ProtobufCMessage *p, *req = add_req("postgresql", &g, &p);
    pb_set_str(p, "address", "1.2.3.4");
    pb_set_u32(p, "port", 5432);
    pb_set_bool(p, "qan_postgresql_pgstatements_agent", true);
    add_service(req, "postgresql", &g);
    req = service_action("postgres_show_index", g.service_id, &p);
    pb_set_str(p, "table_name", "public.t");
    char id[64], agent[64];
    start_ok(req, "postgresql_show_index", id, agent);
    const Agent__V1__StartActionRequest *s = sent_start();
    ck_assert_int_eq(s->params_case, AGENT__V1__START_ACTION_REQUEST__PARAMS_POSTGRESQL_SHOW_INDEX_PARAMS);
    /* The QAN agent's DSN comes first (FindDSNByServiceIDandPMMAgentID). */
    ck_assert_str_eq(s->postgresql_show_index_params->dsn,
                     "postgres://user:secret%20pw@1.2.3.4:5432/postgres?connect_timeout=1&sslmode=disable");
    ck_assert_str_eq(s->postgresql_show_index_params->table, "public.t");
    ck_assert_ptr_null(s->postgresql_show_index_params->tls_files);

    ProtobufCMessage *mp;
    req = add_req("mongodb", &g, &mp);
    pb_set_str(mp, "service_name", "mongo");
    pb_set_str(mp, "address", "1.2.3.5");
    pb_set_u32(mp, "port", 27017);
    inv m = g;
    add_service(req, "mongodb", &m);
    req = service_action("mongodb_explain", m.service_id, &p);
    pb_set_str(p, "query", "{\"ns\":\"test.coll\",\"op\":\"query\",\"query\":{\"k\":1}}");
    start_ok(req, "mongodb_explain", id, agent);
    s = sent_start();
    ck_assert_int_eq(s->params_case, AGENT__V1__START_ACTION_REQUEST__PARAMS_MONGODB_EXPLAIN_PARAMS);
    ck_assert_str_eq(s->mongodb_explain_params->dsn,
                     "mongodb://user:secret%20pw@1.2.3.5:27017/admin?connectTimeoutMS=1000&directConnection=true&"
                     "serverSelectionTimeoutMS=1000");
    ck_assert_str_eq(s->mongodb_explain_params->query, "{\"ns\":\"test.coll\",\"op\":\"query\",\"query\":{\"k\":1}}");
}
END_TEST

START_TEST(pt_summaries)
{
    inv g = mysql_setup();
    ProtobufCMessage *p, *req = service_action("pt_mysql_summary", g.service_id, &p);
    char id[64], agent[64];
    start_ok(req, "pt_mysql_summary", id, agent);
    ck_assert_str_eq(agent, g.pmm_agent_id);
    const Agent__V1__StartActionRequest *s = sent_start();
    ck_assert_int_eq(s->timeout->seconds, 30);
    ck_assert_int_eq(s->params_case, AGENT__V1__START_ACTION_REQUEST__PARAMS_PT_MYSQL_SUMMARY_PARAMS);
    ck_assert_str_eq(s->pt_mysql_summary_params->host, "1.2.3.4");
    ck_assert_int_eq(s->pt_mysql_summary_params->port, 3306);
    ck_assert_str_eq(s->pt_mysql_summary_params->username, "user");
    ck_assert_str_eq(s->pt_mysql_summary_params->password, "secret pw");

    /* Too old an agent. */
    exec_sql("UPDATE agents SET version = '2.14.0' WHERE agent_id = $1", g.pmm_agent_id);
    req = service_action("pt_mysql_summary", g.service_id, &p);
    expect_error(ACT "StartServiceAction", req, RPC_FAILED_PRECONDITION, "all available agents are outdated");

    /* pt-summary of a node. */
    ProtobufCMessage *n = pb_new(&actions__v1__start_ptsummary_action_request__descriptor), *resp;
    pb_set_str(n, "node_id", g.node_id);
    char m[RPC_MESSAGE_MAX];
    ck_assert_int_eq(act(ACT "StartPTSummaryAction", n, &resp, m), 0);
    ck_assert_str_eq(pb_get_str(resp, "pmm_agent_id"), g.pmm_agent_id);
    ck_assert(uuid_valid(pb_get_str(resp, "action_id")));
    protobuf_c_message_free_unpacked(resp, NULL);
    ck_assert_int_eq(sent_start()->params_case, AGENT__V1__START_ACTION_REQUEST__PARAMS_PT_SUMMARY_PARAMS);
    n = pb_new(&actions__v1__start_ptsummary_action_request__descriptor);
    pb_set_str(n, "node_id", "no-such-node");
    expect_error(ACT "StartPTSummaryAction", n, RPC_NOT_FOUND, "no pmm-agent running on this node");
    exec_sql("UPDATE agents SET version = '2.9.0' WHERE agent_id = $1", g.pmm_agent_id);
    n = pb_new(&actions__v1__start_ptsummary_action_request__descriptor);
    pb_set_str(n, "node_id", g.node_id);
    expect_error(ACT "StartPTSummaryAction", n, RPC_NOT_FOUND, "all available agents are outdated");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agentsd_actions");
    TCase *tc = tcase_create("actions");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, validation_texts);
    tcase_add_test(tc, mysql_show_create_table_round_trip);
    tcase_add_test(tc, agent_not_connected);
    tcase_add_test(tc, postgresql_and_mongodb);
    tcase_add_test(tc, pt_summaries);
    suite_add_tcase(s, tc);
    return check_run(s);
}
