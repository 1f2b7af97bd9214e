/* Integration tests of agentsd's connection and status SQL (agentsd/status.c)
 * against a real PostgreSQL: admission with upstream's refusals,
 * is_connected and its reconciliation, StateChanged applied to children
 * only (rds_exporter groups, disabled agents DONE, zero port as NULL), and
 * the digests that tell which pmm-agents' SetState changed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentsd/status.h"
#include "inventory/v1/agent_status.pb-c.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/pgtest.h"

static db_params params;
static db *d;

static void exec_ok(const char *sql)
{
    rpc_status st = { 0 };
    PGresult *r = db_exec_script(d, &st, sql);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    PQclear(r);
}

/* The first column of the first row, or "<null>" / "<none>". */
static char *value(const char *sql)
{
    static char out[256];
    rpc_status st = { 0 };
    PGresult *r = db_exec(d, &st, sql, 0, NULL);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    snprintf(out, sizeof out, "%s",
             PQntuples(r) == 0 ? "<none>" : PQgetisnull(r, 0, 0) ? "<null>" : PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

#define AGENT_COLS "(agent_id, agent_type, runs_on_node_id, pmm_agent_id, node_id, service_id, created_at, " \
                   "updated_at, disabled, status, tls, tls_skip_verify, aws_options)"

static void setup(void)
{
    ck_assert_int_eq(pgtest_fresh_db("test_agentsd_status", &params), 0);
    d = db_new(&params);
    ck_assert_int_eq(db_migrate(d), 0);
    exec_ok("INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, address, created_at, updated_at) "
            "VALUES ('n1', 'generic', 'node-one', 'linux', '', '', '10.0.0.1', now(), now()), "
            "('n2', 'generic', 'node-two', 'linux', '', '', '10.0.0.2', now(), now()), "
            "('rds', 'remote_rds', 'rds-node', '', '', '', 'db.aws', now(), now())");
    exec_ok("INSERT INTO agents " AGENT_COLS " VALUES "
            "('pa1', 'pmm-agent', 'n1', NULL, NULL, NULL, now(), now(), false, '', false, false, '{}'), "
            "('pa2', 'pmm-agent', 'n2', NULL, NULL, NULL, now(), now(), false, '', false, false, '{}'), "
            "('ne1', 'node_exporter', NULL, 'pa1', 'n1', NULL, now(), now(), false, 'AGENT_STATUS_UNKNOWN', false, false, '{}'), "
            "('off1', 'node_exporter', NULL, 'pa1', 'n1', NULL, now(), now(), true, 'AGENT_STATUS_DONE', false, false, '{}'), "
            "('ne2', 'node_exporter', NULL, 'pa2', 'n2', NULL, now(), now(), false, 'AGENT_STATUS_UNKNOWN', false, false, '{}'), "
            "('rds1', 'rds_exporter', NULL, 'pa1', 'rds', NULL, now(), now(), false, 'AGENT_STATUS_UNKNOWN', false, false, "
            "'{\"aws_access_key\": \"AK1\"}'), "
            "('rds2', 'rds_exporter', NULL, 'pa1', 'rds', NULL, now(), now(), false, 'AGENT_STATUS_UNKNOWN', false, false, "
            "'{\"aws_access_key\": \"AK1\"}'), "
            "('rds3', 'rds_exporter', NULL, 'pa1', 'rds', NULL, now(), now(), false, 'AGENT_STATUS_UNKNOWN', false, false, "
            "'{\"aws_access_key\": \"AK2\"}')");
}

static void teardown(void)
{
    db_destroy(d);
    pgtest_params_clear(&params);
}

static void expect_refusal(const char *id, const char *version, int code, const char *text)
{
    status_admission a;
    rpc_status st = { 0 };
    ck_assert_int_eq(status_admit(d, id, version, &a, &st), code);
    ck_assert_str_eq(st.message, text);
    ck_assert_ptr_null(a.node_id);
}

START_TEST(admission)
{
    expect_refusal("", "3.0.0", RPC_PERMISSION_DENIED, "Empty Agent ID.");
    expect_refusal("nope", "3.0.0", RPC_PERMISSION_DENIED, "No Agent with ID \"nope\".");
    expect_refusal("ne1", "3.0.0", RPC_PERMISSION_DENIED, "No pmm-agent with ID \"ne1\".");
    expect_refusal("pa1", "three", RPC_INVALID_ARGUMENT, "Can't parse 'version' for pmm-agent with ID \"pa1\".");
    ck_assert_str_eq(value("SELECT version FROM agents WHERE agent_id = 'pa1'"), "<null>");

    status_admission a;
    rpc_status st = { 0 };
    ck_assert_int_eq(status_admit(d, "pa1", "2.44.1", &a, &st), RPC_OK);
    ck_assert_str_eq(a.node_id, "n1");
    ck_assert_str_eq(a.node_name, "node-one");
    status_admission_clear(&a);
    ck_assert_str_eq(value("SELECT version FROM agents WHERE agent_id = 'pa1'"), "2.44.1");
}
END_TEST

START_TEST(connected_and_reconcile)
{
    rpc_status st = { 0 };
    ck_assert_int_eq(status_set_connected(d, (const char *[]){ "pa1", "ne1" }, 2, NULL, 0, &st), RPC_OK); /* ne1: not a pmm-agent, ignored */
    ck_assert_str_eq(value("SELECT string_agg(agent_id, ',' ORDER BY agent_id) FROM agents WHERE is_connected"), "pa1");
    const char *live[] = { "pa2", "with \"quote\\" };
    ck_assert_int_eq(status_reconcile(d, live, 2, &st), RPC_OK);
    ck_assert_str_eq(value("SELECT string_agg(agent_id, ',' ORDER BY agent_id) FROM agents WHERE is_connected"), "pa2");
    ck_assert_int_eq(status_reconcile(d, NULL, 0, &st), RPC_OK);
    ck_assert_str_eq(value("SELECT count(*) FROM agents WHERE is_connected"), "0");
    /* a batch: some on, some off */
    ck_assert_int_eq(status_set_connected(d, (const char *[]){ "pa1", "pa2" }, 2, NULL, 0, &st), RPC_OK);
    ck_assert_int_eq(status_set_connected(d, (const char *[]){ "pa2" }, 1, (const char *[]){ "pa1" }, 1, &st), RPC_OK);
    ck_assert_str_eq(value("SELECT string_agg(agent_id, ',' ORDER BY agent_id) FROM agents WHERE is_connected"), "pa2");
}
END_TEST

static bool vmagent;

static int apply(const char *pmm_agent, const char *agent_id, int status, unsigned port, const char *path,
                 bool *port_changed)
{
    Agent__V1__StateChangedRequest req = AGENT__V1__STATE_CHANGED_REQUEST__INIT;
    req.agent_id = (char *)agent_id;
    req.status = status;
    req.listen_port = port;
    req.process_exec_path = (char *)path;
    req.version = "";
    int n = -1;
    rpc_status st = { 0 };
    ck_assert_int_eq(status_apply(d, pmm_agent, &req, port_changed, &vmagent, &n, &st), RPC_OK);
    return n;
}

START_TEST(state_changed)
{
    bool changed;
    ck_assert_int_eq(apply("pa1", "ne1", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_RUNNING, 42000, "/bin/ne", &changed), 1);
    ck_assert(changed);
    ck_assert(!vmagent);
    ck_assert_str_eq(value("SELECT status || ' ' || listen_port || ' ' || process_exec_path FROM agents WHERE agent_id = 'ne1'"),
                     "AGENT_STATUS_RUNNING 42000 /bin/ne");
    /* the same report again changes nothing: no row written, no event */
    ck_assert_int_eq(apply("pa1", "ne1", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_RUNNING, 42000, "/bin/ne", &changed), 0);
    ck_assert(!changed);
    ck_assert_int_eq(apply("pa1", "ne1", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_STOPPING, 42000, "/bin/ne", &changed), 1);
    ck_assert(!changed);
    /* zero port and empty path are stored as NULL */
    ck_assert_int_eq(apply("pa1", "ne1", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_DONE, 0, "", &changed), 1);
    ck_assert(changed);
    ck_assert_str_eq(value("SELECT coalesce(listen_port::text, 'null') || coalesce(process_exec_path, 'null') "
                           "FROM agents WHERE agent_id = 'ne1'"), "nullnull");
    /* another pmm-agent's child and unknown ids change nothing */
    ck_assert_int_eq(apply("pa1", "ne2", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_RUNNING, 1, "", &changed), 0);
    ck_assert_int_eq(apply("pa1", "gone", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_RUNNING, 1, "", &changed), 0);
    ck_assert_str_eq(value("SELECT status FROM agents WHERE agent_id = 'ne2'"), "AGENT_STATUS_UNKNOWN");
    /* a disabled agent is DONE whatever it reports */
    ck_assert_int_eq(apply("pa1", "off1", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_RUNNING, 5, "", &changed), 1);
    ck_assert_str_eq(value("SELECT status FROM agents WHERE agent_id = 'off1'"), "AGENT_STATUS_DONE");
    /* an rds group id reaches every member with that key, and only them */
    ck_assert_int_eq(apply("pa1", "pa1:rds/AK1", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_WAITING, 42001, "", &changed), 2);
    ck_assert_str_eq(value("SELECT string_agg(agent_id || '=' || status, ',' ORDER BY agent_id) FROM agents "
                           "WHERE agent_type = 'rds_exporter'"),
                     "rds1=AGENT_STATUS_WAITING,rds2=AGENT_STATUS_WAITING,rds3=AGENT_STATUS_UNKNOWN");
    ck_assert_int_eq(apply("pa2", "pa1:rds/AK1", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_RUNNING, 1, "", &changed), 0);
    /* with a vmagent under the pmm-agent, its SetState must follow ports */
    exec_ok("INSERT INTO agents " AGENT_COLS " VALUES ('vm1', 'vmagent', NULL, 'pa1', 'n1', NULL, now(), now(), "
            "false, 'AGENT_STATUS_UNKNOWN', false, false, '{}')");
    ck_assert_int_eq(apply("pa1", "ne1", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_RUNNING, 42002, "", &changed), 1);
    ck_assert(changed && vmagent);
    /* an unknown status value is stored as Go prints it */
    ck_assert_int_eq(apply("pa1", "ne1", 99, 0, "", &changed), 1);
    ck_assert_str_eq(value("SELECT status FROM agents WHERE agent_id = 'ne1'"), "99");
}
END_TEST

static void collect(const char *id, const char *digest, void *arg)
{
    char *out = arg;
    char line[200];
    snprintf(line, sizeof line, "%s=%s;", id, digest);
    strcat(out, line);
}

/* The digest of one pmm-agent ("" without children), malloc'd. */
static char *status_fingerprint(db *db_, const char *id, rpc_status *st)
{
    char arr[200], out[2000] = "";
    snprintf(arr, sizeof arr, "{\"%s\"}", id);
    ck_assert_int_eq(status_fingerprints(db_, arr, collect, out, st), RPC_OK);
    char *eq = strchr(out, '=');
    if (eq)
        eq[strcspn(eq, ";")] = '\0';
    return strdup(eq ? eq + 1 : "");
}

START_TEST(fingerprints)
{
    rpc_status st = { 0 };
    char *before = status_fingerprint(d, "pa1", &st);
    ck_assert_ptr_nonnull(before);
    ck_assert_int_eq((int)strlen(before), 32);
    char all[2000] = "";
    ck_assert_int_eq(status_fingerprints(d, NULL, collect, all, &st), RPC_OK);
    char want[200];
    snprintf(want, sizeof want, "pa1=%s;", before);
    ck_assert_msg(strstr(all, want) != NULL, "%s", all);
    ck_assert_msg(strstr(all, "pa2=") != NULL, "%s", all);
    char only[2000] = "";
    ck_assert_int_eq(status_fingerprints(d, "{\"pa2\"}", collect, only, &st), RPC_OK);
    ck_assert_msg(strncmp(only, "pa2=", 4) == 0 && strstr(only, "pa1=") == NULL, "%s", only);

    /* a reported status is no change of the desired state */
    bool changed;
    apply("pa1", "ne1", INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_RUNNING, 42000, "", &changed);
    char *same = status_fingerprint(d, "pa1", &st);
    ck_assert_str_eq(same, before);
    /* an edited, removed or added child is */
    exec_ok("UPDATE agents SET updated_at = updated_at + interval '1 second' WHERE agent_id = 'ne1'");
    char *edited = status_fingerprint(d, "pa1", &st);
    ck_assert_str_ne(edited, before);
    exec_ok("DELETE FROM agents WHERE pmm_agent_id = 'pa1'");
    char *none = status_fingerprint(d, "pa1", &st);
    ck_assert_str_eq(none, "");
    free(before);
    free(same);
    free(edited);
    free(none);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agentsd_status");
    TCase *tc = tcase_create("status");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, admission);
    tcase_add_test(tc, connected_and_reconcile);
    tcase_add_test(tc, state_changed);
    tcase_add_test(tc, fingerprints);
    suite_add_tcase(s, tc);
    return check_run(s);
}
