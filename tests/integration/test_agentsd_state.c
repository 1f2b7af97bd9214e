/* Integration tests of agentsd's SetState builder (agentsd/state.h): an
 * inventory made through inventoryd's management handlers against a real
 * PostgreSQL, the SetStateRequest of each pmm-agent rendered as JSON and
 * compared with tests/golden/state_*.json (which follow
 * upstream's managed/services/agents tests (*_test.go) expectations).
 * PMM_UPDATE_GOLDEN=1 rewrites the golden files instead. */
#include <check.h>
#include <crypt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <pthread.h>
#include <zmq.h>

#include "agentsd/state/state.h"
#include "agentsd/vmagent.h"
#include "agentsd/webcfg.h"
#include "bus/peers.h"
#include "configd/scrape/service.h"
#include "db/daemon_db.h"
#include "internal/v1/scrape.pb-c.h"
#include "inventoryd/app.h"
#include "inventoryd/fixtures.h"
#include "inventoryd/management/management.h"
#include "management/v1/node.pb-c.h"
#include "management/v1/service.pb-c.h"
#include "json/pbjson.h"
#include "pbutil.h"
#include "secret.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/golden.h"
#include "tests/lib/pgtest.h"
#include "tests/lib/rpccall.h"

#define MGMT "/management.v1.ManagementService/"

static db_params params;
static app the_app;
static daemon_worker w;
static char key_path[256];

/* Random ids in the output replaced by names before comparing. */
static struct {
    char id[64], name[64];
} subst[8];
static int n_subst;

static void setup(void)
{
    n_subst = 0;
    ck_assert_int_eq(sodium_init() >= 0, 1);
    snprintf(key_path, sizeof key_path, "/tmp/test_agentsd_state.%d.key", (int)getpid());
    unlink(key_path);
    ck_assert_int_eq(secret_init(key_path), 0);
    ck_assert_int_eq(pgtest_fresh_db("test_agentsd_state", &params), 0);
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
    unlink(key_path);
}

static void call_ok(const char *method, ProtobufCMessage *req, ProtobufCMessage **resp)
{
    const rpc_method *m = rpc_method_find(management_methods, management_methods_count, method);
    ck_assert_ptr_nonnull(m);
    char msg[RPC_MESSAGE_MAX];
    int code = rpc_call_method(m, &w, &the_app, req, resp, msg);
    protobuf_c_message_free_unpacked(req, NULL);
    ck_assert_msg(code == 0, "%s: %d %s", method, code, msg);
}

static char *query1(const char *sql, const char *param)
{
    rpc_status st;
    PGresult *r = db_exec(w.db, &st, sql, 1, (const char *[]){ param });
    ck_assert_msg(r != NULL && PQntuples(r) == 1, "%s: %s", sql, r ? "no row" : st.message);
    char *v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static void exec_sql(const char *sql, const char *param)
{
    rpc_status st;
    PGresult *r = db_exec(w.db, &st, sql, param ? 1 : 0, param ? (const char *[]){ param } : NULL);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    PQclear(r);
}

/* Registers a generic node (metrics_mode: 0 auto = push, 1 pull); the id
 * of its pmm-agent goes to pmm_agent_id, the node's to last_node_id. */
static char last_node_id[64];

static void register_node(const char *name, int metrics_mode, const char *distro, char *pmm_agent_id)
{
    ProtobufCMessage *req = pb_new(&management__v1__register_node_request__descriptor);
    pb_set_str(req, "node_name", name);
    pb_set_i32(req, "node_type", 1);
    pb_set_str(req, "address", "10.0.0.1");
    pb_set_str(req, "distro", distro);
    pb_set_i32(req, "metrics_mode", metrics_mode);
    ProtobufCMessage *resp;
    call_ok(MGMT "RegisterNode", req, &resp);
    snprintf(pmm_agent_id, 64, "%s", pb_get_str(pb_get_msg(resp, "pmm_agent"), "agent_id"));
    snprintf(last_node_id, sizeof last_node_id, "%s", pb_get_str(pb_get_msg(resp, "generic_node"), "node_id"));
    protobuf_c_message_free_unpacked(resp, NULL);
}

/* AddService of kind member; *p is its params to fill before adding. */
static ProtobufCMessage *add_req(const char *member, ProtobufCMessage **p, const char *pmm_agent_id)
{
    ProtobufCMessage *req = pb_new(&management__v1__add_service_request__descriptor);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(req->descriptor, member);
    ck_assert_ptr_nonnull(f);
    *p = pb_new(f->descriptor);
    pb_set_msg(req, member, *p);
    pb_set_str(*p, "service_name", member);
    pb_set_str(*p, "pmm_agent_id", pmm_agent_id);
    pb_set_str(*p, "node_id", last_node_id); /* of the node registered last */
    pb_set_bool(*p, "skip_connection_check", true);
    return req;
}

static void add_service(ProtobufCMessage *req)
{
    ProtobufCMessage *resp;
    call_ok(MGMT "AddService", req, &resp);
    protobuf_c_message_free_unpacked(resp, NULL);
}

/* Agent ids are random; the golden files need fixed ones (the web config
 * hash is salted with the id), so each child agent gets "<type>-<n>". */
static void fix_agent_ids(const char *pmm_agent_id)
{
    exec_sql("UPDATE agents SET agent_id = agent_type || '-id-0123456789abcdef' WHERE pmm_agent_id = $1",
             pmm_agent_id);
}

static Agent__V1__SetStateRequest *build_ok(const char *pmm_agent_id, const char *version)
{
    Agent__V1__SetStateRequest *req = NULL;
    rpc_status st = { 0 };
    int code = state_build(w.db, pmm_agent_id, version, &req, &st);
    ck_assert_msg(code == 0, "state_build: %d %s", code, st.message);
    ck_assert_ptr_nonnull(req);
    return req;
}


static void substitute(const char *id, const char *name)
{
    ck_assert_int_lt(n_subst, 8);
    snprintf(subst[n_subst].id, sizeof subst[n_subst].id, "%s", id);
    snprintf(subst[n_subst].name, sizeof subst[n_subst].name, "%s", name);
    n_subst++;
}

static char *apply_substitutions(char *text)
{
    for (int i = 0; i < n_subst; i++) {
        char *at;
        size_t il = strlen(subst[i].id);
        while ((at = strstr(text, subst[i].id)) != NULL) {
            char *t = NULL;
            ck_assert_int_gt(asprintf(&t, "%.*s%s%s", (int)(at - text), text, subst[i].name, at + il), 0);
            free(text);
            text = t;
        }
    }
    return text;
}

/* Compares the message as JSON (one line feed at the end) with tests/golden/<name>. */
static void expect_golden_msg(const ProtobufCMessage *m, const char *name)
{
    char *text = pbjson_write(m, NULL);
    ck_assert_ptr_nonnull(text);
    text = apply_substitutions(text);
    char *line = NULL;
    ck_assert_int_gt(asprintf(&line, "%s\n", text), 0);
    ck_assert_msg(golden_matches(name, line), "%s differs (PMM_UPDATE_GOLDEN=1 rewrites it)", name);
    free(line);
    free(text);
}

static void expect_golden(Agent__V1__SetStateRequest *req, const char *name)
{
    expect_golden_msg(&req->base, name);
}

/* The process under key in req (fails the test when there is none). */
static Agent__V1__SetStateRequest__AgentProcess *process(Agent__V1__SetStateRequest *req, const char *key)
{
    for (size_t i = 0; i < req->n_agent_processes; i++)
        if (strcmp(req->agent_processes[i]->key, key) == 0)
            return req->agent_processes[i]->value;
    ck_abort_msg("no agent process %s", key);
    return NULL;
}

/* The web config holds a bcrypt hash that verifies the agent password. */
static void expect_web_config(Agent__V1__SetStateRequest__AgentProcess *p, const char *password)
{
    const char *wcf = NULL;
    for (size_t i = 0; i < p->n_text_files; i++)
        if (strcmp(p->text_files[i]->key, "webConfigPlaceholder") == 0)
            wcf = p->text_files[i]->value;
    ck_assert_ptr_nonnull(wcf);
    const char *prefix = "basic_auth_users:\n    pmm: ";
    ck_assert_int_eq(strncmp(wcf, prefix, strlen(prefix)), 0);
    char hash[128];
    snprintf(hash, sizeof hash, "%s", wcf + strlen(prefix));
    hash[strcspn(hash, "\n")] = '\0';
    ck_assert_int_eq(strncmp(hash, "$2a$10$", 7), 0);
    struct crypt_data cd = { 0 };
    ck_assert_str_eq(crypt_r(password, hash, &cd), hash);
}

START_TEST(node_exporter_v3)
{
    char id[64];
    register_node("node-v3", 0, "linux", id);
    fix_agent_ids(id);
    Agent__V1__SetStateRequest *req = build_ok(id, "3.0.0");
    ck_assert_int_eq(req->n_agent_processes, 1);
    ck_assert_int_eq(req->n_builtin_agents, 0);
    expect_web_config(req->agent_processes[0]->value, "node_exporter-id-0123456789abcdef");
    expect_golden(req, "state_node_exporter_v3.json");
    protobuf_c_message_free_unpacked(&req->base, NULL);
}
END_TEST

/* Older agents: HTTP_AUTH instead of a web config, the fixed paths base,
 * macOS keeps the default collectors, pull mode listens everywhere. */
START_TEST(node_exporter_old_agents)
{
    char id[64];
    register_node("node-old", 1, "darwin", id);
    fix_agent_ids(id);
    Agent__V1__SetStateRequest *req = build_ok(id, "2.15.1");
    expect_golden(req, "state_node_exporter_2.15.1_darwin.json");
    protobuf_c_message_free_unpacked(&req->base, NULL);
    /* 2.28.0 is the first with --web.config (not .file before 3.0.0). */
    req = build_ok(id, "2.28.0");
    Agent__V1__SetStateRequest__AgentProcess *p = req->agent_processes[0]->value;
    ck_assert_int_eq(p->n_env, 0);
    bool found = false;
    for (size_t i = 0; i < p->n_args; i++)
        found |= strcmp(p->args[i], "--web.config={{ .TextFiles.webConfigPlaceholder }}") == 0;
    ck_assert(found);
    protobuf_c_message_free_unpacked(&req->base, NULL);
}
END_TEST

START_TEST(mysql_with_qan_and_tls)
{
    char id[64];
    register_node("node-mysql", 0, "linux", id);
    ProtobufCMessage *p, *req = add_req("mysql", &p, id);
    pb_set_str(p, "address", "1.2.3.4");
    pb_set_u32(p, "port", 3306);
    pb_set_str(p, "username", "username");
    pb_set_str(p, "password", "s3cur3 p@$$w0r4.");
    pb_set_bool(p, "qan_mysql_perfschema", true);
    pb_set_bool(p, "qan_mysql_slowlog", true);
    pb_set_i64(p, "max_slowlog_file_size", 1048576);
    pb_set_bool(p, "tls", true);
    pb_set_str(p, "tls_ca", "content-of-tls-ca");
    pb_set_str(p, "tls_cert", "content-of-tls-cert");
    pb_set_str(p, "tls_key", "content-of-tls-key");
    add_service(req);
    fix_agent_ids(id);
    Agent__V1__SetStateRequest *st = build_ok(id, "3.0.0");
    ck_assert_int_eq(st->n_agent_processes, 2); /* node_exporter, mysqld_exporter */
    ck_assert_int_eq(st->n_builtin_agents, 2);
    expect_golden(st, "state_mysql.json");
    protobuf_c_message_free_unpacked(&st->base, NULL);
}
END_TEST

START_TEST(postgresql_with_qan)
{
    char id[64];
    register_node("node-pg", 1, "linux", id);
    ProtobufCMessage *p, *req = add_req("postgresql", &p, id);
    pb_set_str(p, "address", "1.2.3.4");
    pb_set_u32(p, "port", 5432);
    pb_set_str(p, "username", "username");
    pb_set_str(p, "password", "s3cur3 p@$$w0r4.");
    pb_set_bool(p, "qan_postgresql_pgstatements_agent", true);
    pb_set_bool(p, "qan_postgresql_pgstatmonitor_agent", true);
    pb_set_i32(p, "max_query_length", 1024);
    pb_append_str(p, "disable_collectors", "custom_query.hr");
    pb_append_str(p, "disable_collectors", "wal");
    add_service(req);
    fix_agent_ids(id);
    Agent__V1__SetStateRequest *st = build_ok(id, "3.0.0");
    ck_assert_int_eq(st->n_agent_processes, 2);
    ck_assert_int_eq(st->n_builtin_agents, 2);
    expect_golden(st, "state_postgresql.json");
    protobuf_c_message_free_unpacked(&st->base, NULL);
    /* 2.12: no auto-discovery yet, basic auth through HTTP_AUTH. */
    st = build_ok(id, "2.12.0");
    Agent__V1__SetStateRequest__AgentProcess *pg = process(st, "postgres_exporter-id-0123456789abcdef");
    for (size_t i = 0; i < pg->n_args; i++)
        ck_assert_str_ne(pg->args[i], "--auto-discover-databases");
    ck_assert_int_eq(pg->n_env, 2);
    ck_assert_str_eq(pg->env[1], "HTTP_AUTH=pmm:postgres_exporter-id-0123456789abcdef");
    protobuf_c_message_free_unpacked(&st->base, NULL);
}
END_TEST

START_TEST(mongodb_with_qan_and_tls)
{
    char id[64];
    register_node("node-mongo", 0, "linux", id);
    ProtobufCMessage *p, *req = add_req("mongodb", &p, id);
    pb_set_str(p, "address", "1.2.3.4");
    pb_set_u32(p, "port", 27017);
    pb_set_str(p, "username", "username");
    pb_set_str(p, "password", "s3cur3 p@$$w0r4.");
    pb_set_bool(p, "qan_mongodb_profiler", true);
    pb_set_bool(p, "tls", true);
    pb_set_str(p, "tls_certificate_key", "content-of-tls-certificate-key");
    pb_set_str(p, "tls_certificate_key_file_password", "passwordoftls");
    pb_set_str(p, "tls_ca", "content-of-tls-ca");
    add_service(req);
    fix_agent_ids(id);
    Agent__V1__SetStateRequest *st = build_ok(id, "3.0.0");
    expect_golden(st, "state_mongodb.json");
    protobuf_c_message_free_unpacked(&st->base, NULL);
}
END_TEST

START_TEST(proxysql_socket)
{
    char id[64];
    register_node("node-proxysql", 1, "linux", id);
    ProtobufCMessage *p, *req = add_req("proxysql", &p, id);
    pb_set_str(p, "socket", "/var/run/proxysql.sock");
    pb_set_str(p, "username", "admin");
    pb_set_str(p, "password", "admin");
    pb_set_str(p, "agent_password", "agent-pass");
    pb_set_i32(p, "metrics_mode", 1);
    pb_set_i32(p, "log_level", 1); /* fatal, which proxysql_exporter knows */
    add_service(req);
    fix_agent_ids(id);
    Agent__V1__SetStateRequest *st = build_ok(id, "3.0.0");
    expect_golden(st, "state_proxysql.json");
    protobuf_c_message_free_unpacked(&st->base, NULL);
}
END_TEST

static void add_rds(const char *instance, const char *key, const char *secret, const char *log_level)
{
    ProtobufCMessage *p, *req = add_req("rds", &p, "");
    pb_set_str(p, "service_name", instance);
    pb_set_str(p, "region", "us-east-1");
    pb_set_str(p, "az", "us-east-1c");
    pb_set_str(p, "node_model", "db.t2.micro");
    pb_set_str(p, "instance_id", instance);
    pb_set_str(p, "address", instance);
    pb_set_u32(p, "port", 3306);
    pb_set_i32(p, "engine", 1);
    pb_set_str(p, "username", "admin");
    pb_set_str(p, "password", "rds-pw");
    pb_set_str(p, "aws_access_key", key);
    pb_set_str(p, "aws_secret_key", secret);
    pb_set_bool(p, "rds_exporter", true);
    add_service(req);
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE agents SET log_level = $1 WHERE agent_type = 'rds_exporter' AND node_id = "
             "(SELECT node_id FROM nodes WHERE address = '%s')", instance);
    exec_sql(sql, log_level);
}

/* rds_exporter: one process per AWS access key for all the instances of
 * the pmm-agent using it, keyed "<pmm_agent_id>:rds/<key>", its YAML as
 * upstream's rds_test.go expects. */
START_TEST(rds_grouped_by_access_key)
{
    add_rds("rds-mysql57", "access_key1", "secret_key2", "warn");
    add_rds("rds-mysql56", "access_key1", "secret_key1", "warn");
    add_rds("rds-other", "access_key3", "secret_key3", "debug");
    exec_sql("UPDATE nodes SET custom_labels = '{\"foo\": \"bar\"}' WHERE address = $1", "rds-mysql56");
    const char *instances[] = { "rds-mysql56", "rds-mysql57", "rds-other" };
    for (int i = 0; i < 3; i++) {
        char *node = query1("SELECT node_id FROM nodes WHERE address = $1", instances[i]);
        char name[64];
        snprintf(name, sizeof name, "node-of-%s", instances[i]);
        substitute(node, name);
        free(node);
    }
    /* Fixed ids, in the order the instances were added. */
    exec_sql("UPDATE agents a SET agent_id = 'rds-agent-' || n.rn FROM "
             "(SELECT agent_id, row_number() OVER (ORDER BY created_at, agent_id) AS rn FROM agents "
             " WHERE agent_type = 'rds_exporter') n WHERE a.agent_id = n.agent_id AND $1 <> ''",
             "x");
    Agent__V1__SetStateRequest *st = build_ok("pmm-server", "2.28.0");
    expect_golden_msg(&process(st, "pmm-server:rds/access_key1")->base, "state_rds_access_key1.json");
    expect_golden_msg(&process(st, "pmm-server:rds/access_key3")->base, "state_rds_access_key3.json");
    protobuf_c_message_free_unpacked(&st->base, NULL);
}
END_TEST

/* azure_database_exporter: its configuration file and secrets. */
START_TEST(azure_database_exporter)
{
    char id[64];
    register_node("node-azure", 0, "linux", id);
    exec_sql("INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, address, created_at, updated_at, region) "
             "VALUES ('azure-node', 'remote_azure_database', 'azure-db', '', '', '', 'azure-db.example', now(), now(), 'eastus')",
             NULL);
    exec_sql("INSERT INTO services (service_id, service_type, service_name, node_id, environment, cluster, replication_set, "
             " created_at, updated_at, address, port, external_group) "
             "VALUES ('azure-service', 'mysql', 'azure-mysql', 'azure-node', '', '', '', now(), now(), 'azure-db.example', 3306, '')",
             NULL);
    exec_sql("INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, service_id, created_at, updated_at, disabled, "
             " status, tls, tls_skip_verify, log_level, azure_options) "
             "SELECT 'azure_database_exporter-id-0123456789abcdef', 'azure_database_exporter', $1, NULL, "
             " 'azure-service', now(), now(), false, 'AGENT_STATUS_UNKNOWN', false, false, 'fatal', "
             " '{\"client_id\": \"client-id\", \"client_secret\": \"s3cret\", \"tenant_id\": \"tenant\", "
             "   \"subscription_id\": \"subscription\", \"resource_group\": \"rg\"}'",
             id);
    Agent__V1__SetStateRequest *st = build_ok(id, "3.0.0");
    expect_golden_msg(&process(st, "azure_database_exporter-id-0123456789abcdef")->base, "state_azure.json");
    protobuf_c_message_free_unpacked(&st->base, NULL);
}
END_TEST

/* Disabled agents and the agents of other pmm-agents are left out. */
START_TEST(disabled_and_foreign_agents_excluded)
{
    char id[64], other[64];
    register_node("node-a", 0, "linux", id);
    register_node("node-b", 0, "linux", other);
    Agent__V1__SetStateRequest *st = build_ok(id, "3.0.0");
    ck_assert_int_eq(st->n_agent_processes, 1);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    exec_sql("UPDATE agents SET disabled = true WHERE pmm_agent_id = $1", id);
    st = build_ok(id, "3.0.0");
    ck_assert_int_eq(st->n_agent_processes, 0);
    ck_assert_int_eq(st->n_builtin_agents, 0);
    protobuf_c_message_free_unpacked(&st->base, NULL);
}
END_TEST

START_TEST(errors)
{
    Agent__V1__SetStateRequest *req = NULL;
    rpc_status st = { 0 };
    ck_assert_int_eq(state_build(w.db, "no-such-agent", "3.0.0", &req, &st), RPC_NOT_FOUND);
    ck_assert_str_eq(st.message, "Agent with ID no-such-agent not found.");
    ck_assert_ptr_null(req);
    char id[64];
    register_node("node-err", 0, "linux", id);
    st = (rpc_status){ 0 };
    ck_assert_int_eq(state_build(w.db, id, "three", &req, &st), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(st.message, "failed to parse PMM agent version \"three\"");
    /* No version on the connection and none stored. */
    st = (rpc_status){ 0 };
    ck_assert_int_eq(state_build(w.db, id, NULL, &req, &st), RPC_FAILED_PRECONDITION);
    /* The stored version serves when the connection gave none. */
    exec_sql("UPDATE agents SET version = '2.41.0' WHERE agent_id = $1", id);
    req = build_ok(id, "");
    protobuf_c_message_free_unpacked(&req->base, NULL);
    /* A node_exporter id is not a pmm-agent. */
    exec_sql("UPDATE agents SET agent_type = 'unknown-type' WHERE pmm_agent_id = $1", id);
    st = (rpc_status){ 0 };
    ck_assert_int_eq(state_build(w.db, id, "3.0.0", &req, &st), RPC_INTERNAL);
    ck_assert_str_eq(st.message, "unhandled Agent type unknown-type");
}
END_TEST

/* ---- vmagent: the push-mode scrape YAML from configd (a stand-in serving
 * configd's ScrapeService on a bus of its own) ---------------------------- */

static volatile sig_atomic_t configd_stop;
static void *zctx;
static char run_dir[64];

static void *configd_thread(void *arg)
{
    (void)arg;
    daemon_serve(zctx, run_dir, "configd", scrape_methods, scrape_methods_count, 1, &params, NULL, &configd_stop);
    return NULL;
}

/* Compares text with golden file name as it is. */
static void expect_golden_text(const char *text, const char *name)
{
    ck_assert_msg(golden_matches(name, text), "%s differs (PMM_UPDATE_GOLDEN=1 rewrites it)", name);
}

static bool has_str(char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

START_TEST(vmagent_push_mode)
{
    static const char *const clean[] = { "PMM_VM_URL", "PMM_INTERFACE_TO_BIND", "PMM_PROMSCRAPE_MAX_SCRAPE_SIZE",
                                         NULL };
    for (size_t i = 0; clean[i]; i++)
        unsetenv(clean[i]);
    for (char **e = environ; *e;) { /* none of the runner's VMAGENT_* */
        if (strncmp(*e, "VMAGENT_", 8) == 0) {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "="), *e);
            unsetenv(name);
        } else {
            e++;
        }
    }
    char id[64];
    register_node("node-push", 0, "linux", id);
    ProtobufCMessage *p, *req = add_req("mysql", &p, id);
    pb_set_str(p, "address", "1.2.3.4");
    pb_set_u32(p, "port", 3306);
    pb_set_str(p, "username", "username");
    pb_set_str(p, "password", "password");
    pb_set_i32(p, "metrics_mode", 2); /* push */
    add_service(req);

    /* made once per pmm-agent; not for pmm-server with the internal VM */
    rpc_status st = { 0 };
    char *made = NULL;
    ck_assert_int_eq(vmagent_row_ensure(w.db, id, last_node_id, &made, &st), RPC_OK);
    ck_assert_ptr_nonnull(made);
    free(made);
    ck_assert_int_eq(vmagent_row_ensure(w.db, id, last_node_id, &made, &st), RPC_OK);
    ck_assert_ptr_null(made);
    ck_assert_int_eq(vmagent_row_ensure(w.db, "pmm-server", "pmm-server", &made, &st), RPC_OK);
    ck_assert_ptr_null(made);
    fix_agent_ids(id);
    exec_sql("UPDATE agents SET listen_port = 42000 + length(agent_type) WHERE pmm_agent_id = $1", id);
    substitute(last_node_id, "node-push-id");
    char *svc = query1("SELECT service_id FROM agents WHERE agent_id = $1", "mysqld_exporter-id-0123456789abcdef");
    substitute(svc, "mysql-service-id");
    free(svc);

    /* configd not there: SetState cannot be built */
    zctx = zmq_ctx_new();
    snprintf(run_dir, sizeof run_dir, "/tmp/test-agentsd-state-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(run_dir));
    ck_assert_int_eq(bus_peers_init(zctx, run_dir), 0);
    Agent__V1__SetStateRequest *out = NULL;
    st = (rpc_status){ 0 };
    ck_assert_int_eq(state_build(w.db, id, "3.0.0", &out, &st), RPC_UNAVAILABLE);
    ck_assert_ptr_null(out);

    scrape_state_config cfg = { .vmalert_url = "http://127.0.0.1:8880/", .managed_target = "127.0.0.1:7773" };
    scrape_service_init(&cfg);
    configd_stop = 0;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, configd_thread, NULL), 0);
    int up = -1;
    for (int i = 0; i < 50 && up != RPC_OK; i++) /* until it has bound its socket */
        if ((up = bus_peers_ping("configd", 200, &st)) != RPC_OK)
            usleep(100000);
    ck_assert_int_eq(up, RPC_OK);

    /* the method itself */
    const rpc_method *m = rpc_method_find(scrape_methods, scrape_methods_count,
                                          "/internal.v1.ScrapeService/AgentConfig");
    ck_assert_ptr_nonnull(m);
    Internal__V1__AgentConfigRequest creq = INTERNAL__V1__AGENT_CONFIG_REQUEST__INIT;
    char msg[RPC_MESSAGE_MAX];
    ProtobufCMessage *cresp = NULL;
    ck_assert_int_eq(rpc_call_method(m, &w, NULL, &creq.base, NULL, msg), RPC_INVALID_ARGUMENT);
    creq.pmm_agent_id = id;
    ck_assert_int_eq(rpc_call_method(m, &w, NULL, &creq.base, &cresp, msg), RPC_OK);
    char *yaml = apply_substitutions(strdup(((Internal__V1__AgentConfigResponse *)cresp)->yaml));
    expect_golden_text(yaml, "vmagent_push.yml");
    free(yaml);
    protobuf_c_message_free_unpacked(cresp, NULL);
    /* pmm-server: the whole server file (its node_exporter is pulled) */
    creq.pmm_agent_id = "pmm-server";
    ck_assert_int_eq(rpc_call_method(m, &w, NULL, &creq.base, &cresp, msg), RPC_OK);
    yaml = ((Internal__V1__AgentConfigResponse *)cresp)->yaml;
    ck_assert_msg(strncmp(yaml, "# Managed by pmm-managed. DO NOT EDIT.\n---\nglobal:\n", 50) == 0, "%s", yaml);
    ck_assert_ptr_nonnull(strstr(yaml, "- job_name: pmm-managed\n"));
    ck_assert_ptr_null(strstr(yaml, "mysqld_exporter-id-0123456789abcdef"));
    protobuf_c_message_free_unpacked(cresp, NULL);
    /* a pmm-agent without push agents */
    creq.pmm_agent_id = "no-such-agent";
    ck_assert_int_eq(rpc_call_method(m, &w, NULL, &creq.base, &cresp, msg), RPC_OK);
    ck_assert_str_eq(((Internal__V1__AgentConfigResponse *)cresp)->yaml, "global: {}\n");
    protobuf_c_message_free_unpacked(cresp, NULL);

    /* SetState: the vmagent process with that YAML */
    out = build_ok(id, "3.0.0");
    ck_assert_int_eq(out->n_agent_processes, 3);
    expect_golden_msg(&process(out, "vmagent-id-0123456789abcdef")->base, "state_vmagent.json");
    protobuf_c_message_free_unpacked(&out->base, NULL);

    /* pmm-managed's own VMAGENT_* variables win and are passed through */
    setenv("VMAGENT_loggerLevel", "DEBUG", 1);
    setenv("VMAGENT_remoteWrite_bearerToken", "token", 1);
    setenv("PMM_INTERFACE_TO_BIND", "0.0.0.0", 1);
    out = build_ok(id, "3.0.0");
    Agent__V1__SetStateRequest__AgentProcess *vp = process(out, "vmagent-id-0123456789abcdef");
    ck_assert(has_str(vp->args, vp->n_args, "-httpListenAddr=0.0.0.0:{{.listen_port}}"));
    ck_assert(has_str(vp->env, vp->n_env, "VMAGENT_loggerLevel=DEBUG"));
    ck_assert(!has_str(vp->env, vp->n_env, "VMAGENT_loggerLevel=INFO"));
    ck_assert(has_str(vp->env, vp->n_env, "VMAGENT_remoteWrite_bearerToken=token"));
    ck_assert(!has_str(vp->env, vp->n_env, "VMAGENT_remoteWrite_basicAuth_username={{.server_username}}"));
    ck_assert_int_eq(vp->n_env, 6);
    protobuf_c_message_free_unpacked(&out->base, NULL);
    unsetenv("VMAGENT_loggerLevel");
    unsetenv("VMAGENT_remoteWrite_bearerToken");
    unsetenv("PMM_INTERFACE_TO_BIND");

    /* external VictoriaMetrics: its URL and user, and a vmagent for pmm-server too */
    setenv("PMM_VM_URL", "https://u:p@vm.example.com:8428/", 1);
    out = build_ok(id, "3.0.0");
    vp = process(out, "vmagent-id-0123456789abcdef");
    ck_assert(has_str(vp->env, vp->n_env, "VMAGENT_remoteWrite_url=https://vm.example.com:8428/api/v1/write"));
    ck_assert(has_str(vp->env, vp->n_env, "VMAGENT_remoteWrite_basicAuth_username=u"));
    ck_assert(has_str(vp->env, vp->n_env, "VMAGENT_remoteWrite_basicAuth_password=p"));
    protobuf_c_message_free_unpacked(&out->base, NULL);
    ck_assert_int_eq(vmagent_row_ensure(w.db, "pmm-server", "pmm-server", &made, &st), RPC_OK);
    ck_assert_ptr_nonnull(made);
    free(made);
    unsetenv("PMM_VM_URL");

    configd_stop = 1;
    pthread_join(t, NULL);
    bus_peers_thread_done();
    zmq_ctx_term(zctx);
    rmdir(run_dir);
}
END_TEST


/* The web config hash is made once per (agent, password): kept in memory,
 * stored in agent_web_hashes and loaded again by a restarted agentsd; a
 * new password makes a new one; deleting the agent drops the row. */
START_TEST(web_config_hash_made_once)
{
    char id[64];
    register_node("node-hash", 0, "linux", id);
    fix_agent_ids(id);
    const char *ne = "node_exporter-id-0123456789abcdef";
    webcfg_reset();
    long before = webcfg_computed();
    Agent__V1__SetStateRequest *req = build_ok(id, "3.0.0");
    ck_assert_int_eq(webcfg_computed(), before + 1);
    char *first = strdup(req->agent_processes[0]->value->text_files[0]->value);
    protobuf_c_message_free_unpacked(&req->base, NULL);
    char *stored = query1("SELECT hash FROM agent_web_hashes WHERE agent_id = $1", ne);
    ck_assert_ptr_nonnull(strstr(first, stored));
    free(stored);

    /* in memory: no new hash */
    req = build_ok(id, "3.0.0");
    ck_assert_int_eq(webcfg_computed(), before + 1);
    ck_assert_str_eq(req->agent_processes[0]->value->text_files[0]->value, first);
    protobuf_c_message_free_unpacked(&req->base, NULL);

    /* as after a restart: loaded from the table, still no new hash */
    webcfg_reset();
    ck_assert_int_eq(webcfg_load(w.db), 0);
    req = build_ok(id, "3.0.0");
    ck_assert_int_eq(webcfg_computed(), before + 1);
    ck_assert_str_eq(req->agent_processes[0]->value->text_files[0]->value, first);
    protobuf_c_message_free_unpacked(&req->base, NULL);

    /* a new password: a new hash, which verifies it, stored in place of the old */
    char *sealed = secret_encrypt("s3cret-Pass");
    rpc_status st;
    PGresult *r = db_exec(w.db, &st, "UPDATE agents SET agent_password = $2 WHERE agent_id = $1", 2,
                          (const char *[]){ ne, sealed });
    ck_assert_ptr_nonnull(r);
    PQclear(r);
    free(sealed);
    req = build_ok(id, "3.0.0");
    ck_assert_int_eq(webcfg_computed(), before + 2);
    ck_assert_str_ne(req->agent_processes[0]->value->text_files[0]->value, first);
    expect_web_config(req->agent_processes[0]->value, "s3cret-Pass");
    protobuf_c_message_free_unpacked(&req->base, NULL);
    char *count = query1("SELECT count(*) FROM agent_web_hashes WHERE agent_id = $1", ne);
    ck_assert_str_eq(count, "1");
    free(count);

    exec_sql("DELETE FROM agents WHERE agent_id = $1", ne);
    count = query1("SELECT count(*) FROM agent_web_hashes WHERE agent_id = $1", ne);
    ck_assert_str_eq(count, "0");
    free(count);
    free(first);
}
END_TEST

/* A batch: each pmm-agent gets what a build of its own gives, and an
 * unknown id or a bad version fails only its own job. */
START_TEST(batch_equals_single_builds)
{
    char a[64], b[64];
    register_node("node-a", 0, "linux", a);
    register_node("node-b", 1, "linux", b);
    state_job jobs[] = {
        { .pmm_agent_id = a, .agent_version = "3.0.0" },
        { .pmm_agent_id = "no-such-agent", .agent_version = "3.0.0" },
        { .pmm_agent_id = b, .agent_version = "x.y" },
        { .pmm_agent_id = b, .agent_version = "2.41.0" },
    };
    ck_assert_int_eq(state_build_many(w.db, jobs, 4), RPC_OK);
    ck_assert_int_eq(jobs[0].code, RPC_OK);
    ck_assert_int_eq(jobs[1].code, RPC_NOT_FOUND);
    ck_assert_str_eq(jobs[1].message, "Agent with ID no-such-agent not found.");
    ck_assert_ptr_null(jobs[1].req);
    ck_assert_int_eq(jobs[2].code, RPC_FAILED_PRECONDITION);
    ck_assert_int_eq(jobs[3].code, RPC_OK);
    const char *versions[] = { "3.0.0", NULL, NULL, "2.41.0" };
    const char *ids[] = { a, NULL, NULL, b };
    for (int i = 0; i < 4; i++) {
        if (!ids[i])
            continue;
        Agent__V1__SetStateRequest *one = build_ok(ids[i], versions[i]);
        char *x = pbjson_write(&one->base, NULL), *y = pbjson_write(&jobs[i].req->base, NULL);
        ck_assert_str_eq(y, x);
        ck_assert_ptr_nonnull(strstr(x, "NODE_EXPORTER"));
        free(x);
        free(y);
        protobuf_c_message_free_unpacked(&one->base, NULL);
        protobuf_c_message_free_unpacked(&jobs[i].req->base, NULL);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agentsd_state");
    TCase *tc = tcase_create("state");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, node_exporter_v3);
    tcase_add_test(tc, node_exporter_old_agents);
    tcase_add_test(tc, mysql_with_qan_and_tls);
    tcase_add_test(tc, postgresql_with_qan);
    tcase_add_test(tc, mongodb_with_qan_and_tls);
    tcase_add_test(tc, proxysql_socket);
    tcase_add_test(tc, rds_grouped_by_access_key);
    tcase_add_test(tc, azure_database_exporter);
    tcase_add_test(tc, disabled_and_foreign_agents_excluded);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, vmagent_push_mode);
    tcase_add_test(tc, web_config_hash_made_once);
    tcase_add_test(tc, batch_equals_single_builds);
    suite_add_tcase(s, tc);
    return check_run(s);
}
