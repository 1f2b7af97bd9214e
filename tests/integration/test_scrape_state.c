/* Integration tests of configd's scrape file updates against a real
 * PostgreSQL and Debian's VictoriaMetrics dry run: a full update writes
 * what the inventory says; agent changes, additions, removals and a
 * pmm-agent's children are applied incrementally and give the same file
 * as a full update; settings change the intervals; a base configuration
 * VictoriaMetrics refuses, or one that does not parse, leaves the previous
 * file in place, as does a failed reload. */
#include <check.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "configd/scrape/state.h"
#include "configd/vm.h"
#include "db/db.h"
#include "secret.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/golden.h"
#include "tests/lib/pgtest.h"

#define VM_BIN "/usr/bin/victoria-metrics"

static db_params params;
static db *d;
static char dir[] = "/tmp/test-scrape-state-XXXXXX";
static char file[256], base[256], key[256];
static scrape_state_config cfg;

static void sql(const char *q)
{
    rpc_status st;
    PGresult *r = db_exec_script(d, &st, q);
    ck_assert_msg(r != NULL, "%s: %s", q, st.message);
    PQclear(r);
}

static char *slurp(const char *path)
{
    char *s = golden_read(path);
    ck_assert_msg(s != NULL, "cannot read %s", path);
    return s;
}

static void put(const char *path, const char *text)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(rename(tmp, path), 0);
}

static void setup(void)
{
    ck_assert_int_eq(pgtest_fresh_db("test_scrape_state", &params), 0);
    d = db_new(&params);
    ck_assert_int_eq(db_migrate(d), 0);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/promscrape.yml", dir);
    snprintf(base, sizeof base, "%s/prometheus.base.yml", dir);
    snprintf(key, sizeof key, "%s/key", dir);
    ck_assert_int_ge(sodium_init(), 0);
    ck_assert_int_eq(secret_init(key), 0);
    cfg = (scrape_state_config){ .vm = { .binary = VM_BIN, .config_path = file, .url = NULL,
                                         .check_timeout_ms = 30000, .http_timeout_ms = 2000 },
                                 .base_path = base, .vmalert_url = "http://127.0.0.1:8880/",
                                 .managed_target = "127.0.0.1:7773" };
    char *sealed = secret_encrypt("agent-secret");
    char q[2048];
    snprintf(q, sizeof q,
             "INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, address, created_at, updated_at)"
             " VALUES ('n1', 'generic', 'node-1', 'linux', '', '', '10.0.0.1', now(), now());"
             "INSERT INTO agents (agent_id, agent_type, runs_on_node_id, disabled, status, version, tls, tls_skip_verify,"
             " created_at, updated_at) VALUES ('pa1', 'pmm-agent', 'n1', false, 'AGENT_STATUS_CONNECTED', '3.0.0',"
             " false, false, now(), now());"
             "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, disabled, status, listen_port,"
             " agent_password, tls, tls_skip_verify, created_at, updated_at) VALUES ('ne1', 'node_exporter', 'pa1',"
             " 'n1', false, 'AGENT_STATUS_RUNNING', 42000, '%s', false, false, now(), now());",
             sealed);
    free(sealed);
    sql(q);
}

static void teardown(void)
{
    db_destroy(d);
    pgtest_params_clear(&params);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(dir, "/tmp/test-scrape-state-XXXXXX");
}

/* The file a fresh full update writes now. */
static char *full_file(void)
{
    scrape_state *s = scrape_state_new(&cfg);
    rpc_status st;
    ck_assert_msg(scrape_state_full(s, d, &st) == RPC_OK, "%s", st.message);
    scrape_state_destroy(s);
    return slurp(file);
}

static void agents(scrape_state *s, const char *id)
{
    rpc_status st;
    const char *ids[] = { id };
    ck_assert_msg(scrape_state_agents(s, d, ids, 1, &st) == RPC_OK, "%s", st.message);
}

START_TEST(full_and_incremental_agree)
{
    scrape_state *s = scrape_state_new(&cfg);
    rpc_status st;
    ck_assert_msg(scrape_state_full(s, d, &st) == RPC_OK, "%s", st.message);
    char *f = slurp(file);
    ck_assert_ptr_nonnull(strstr(f, "job_name: node_exporter_ne1_hr\n"));
    ck_assert_ptr_nonnull(strstr(f, "            - 10.0.0.1:42000\n"));
    ck_assert_ptr_nonnull(strstr(f, "        password: agent-secret\n"));
    free(f);

    /* a new port */
    sql("UPDATE agents SET listen_port = 42100 WHERE agent_id = 'ne1'");
    agents(s, "ne1");
    f = slurp(file);
    ck_assert_ptr_nonnull(strstr(f, "10.0.0.1:42100"));
    ck_assert_ptr_null(strstr(f, "10.0.0.1:42000"));
    free(f);

    /* an addition, sorted in */
    sql("INSERT INTO services (service_id, service_type, service_name, node_id, environment, cluster, replication_set,"
        " external_group, address, port, created_at, updated_at) VALUES ('s1', 'mysql', 'mysql-1', 'n1', 'prod', '',"
        " '', '', '127.0.0.1', 3306, now(), now());"
        "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, disabled, status, listen_port, tls,"
        " tls_skip_verify, created_at, updated_at) VALUES ('me1', 'mysqld_exporter', 'pa1', 's1', false,"
        " 'AGENT_STATUS_RUNNING', 42001, false, false, now(), now());"
        "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, disabled, status, listen_port, tls,"
        " tls_skip_verify, exporter_options, created_at, updated_at) VALUES ('me2', 'mysqld_exporter', 'pa1', 's1',"
        " false, 'AGENT_STATUS_RUNNING', 42002, false, false, '{\"push_metrics\": true}', now(), now());");
    agents(s, "me1");
    agents(s, "me2"); /* push mode: no jobs */
    f = slurp(file);
    char *mysqld = strstr(f, "job_name: mysqld_exporter_me1_hr"), *node = strstr(f, "job_name: node_exporter_ne1_hr");
    ck_assert_ptr_nonnull(mysqld);
    ck_assert_ptr_nonnull(node);
    ck_assert(mysqld < node);
    ck_assert_ptr_null(strstr(f, "me2"));
    char *full = full_file();
    ck_assert_str_eq(f, full);
    free(f);
    free(full);

    /* a pmm-agent's event re-reads its children: a disabled one goes */
    sql("UPDATE agents SET disabled = true WHERE agent_id = 'me1'");
    agents(s, "pa1");
    f = slurp(file);
    ck_assert_ptr_null(strstr(f, "me1"));
    ck_assert_ptr_nonnull(strstr(f, "ne1"));
    free(f);

    /* removed */
    sql("DELETE FROM agents WHERE agent_id = 'ne1'");
    agents(s, "ne1");
    f = slurp(file);
    ck_assert_ptr_null(strstr(f, "ne1"));
    full = full_file();
    ck_assert_str_eq(f, full);
    free(f);
    free(full);
    scrape_state_destroy(s);
}
END_TEST

START_TEST(settings_change_intervals)
{
    char *f = full_file();
    ck_assert_ptr_nonnull(strstr(f, "global:\n    scrape_interval: 1m\n    scrape_timeout: 54s\n"));
    free(f);
    sql("UPDATE settings SET settings = jsonb_set(settings, '{metrics_resolutions}',"
        " '{\"hr\": 2000000000, \"mr\": 30000000000, \"lr\": 300000000000}')");
    f = full_file();
    ck_assert_ptr_nonnull(strstr(f, "global:\n    scrape_interval: 5m\n    scrape_timeout: 270s\n"));
    ck_assert_ptr_nonnull(strstr(f, "job_name: node_exporter_ne1_hr\n      honor_timestamps: false\n      params:\n"));
    ck_assert_ptr_nonnull(strstr(f, "      scrape_interval: 2s\n      scrape_timeout: 1s\n"));
    ck_assert_ptr_nonnull(strstr(f, "      scrape_interval: 30s\n      scrape_timeout: 27s\n"));
    free(f);
}
END_TEST

START_TEST(refused_base_keeps_previous_file)
{
    scrape_state *s = scrape_state_new(&cfg);
    rpc_status st;
    put(base, "scrape_configs:\n  - job_name: mine\n    static_configs:\n      - targets: ['127.0.0.1:1']\n");
    ck_assert(scrape_state_base_changed(s));
    ck_assert_msg(scrape_state_full(s, d, &st) == RPC_OK, "%s", st.message);
    ck_assert(!scrape_state_base_changed(s));
    char *good = slurp(file);
    ck_assert_ptr_nonnull(strstr(good, "job_name: mine\n"));

    put(base, "scrape_configs:\n  - job_name: bad\n    bogus_field: 1\n");
    ck_assert(scrape_state_base_changed(s));
    ck_assert_int_eq(scrape_state_full(s, d, &st), RPC_ABORTED);
    ck_assert_msg(strstr(st.message, "field bogus_field not found") != NULL, "%s", st.message);
    ck_assert(!scrape_state_base_changed(s)); /* not retried until it changes */
    char *now = slurp(file);
    ck_assert_str_eq(now, good);
    free(now);

    put(base, "scrape_configs: [\n");
    ck_assert_int_eq(scrape_state_full(s, d, &st), RPC_FAILED_PRECONDITION);
    ck_assert_msg(strncmp(st.message, "base configuration: line", 24) == 0, "%s", st.message);
    now = slurp(file);
    ck_assert_str_eq(now, good);
    free(now);

    /* incremental updates go on with the last good base */
    sql("UPDATE agents SET listen_port = 42100 WHERE agent_id = 'ne1'");
    agents(s, "ne1");
    now = slurp(file);
    ck_assert_ptr_nonnull(strstr(now, "job_name: mine\n"));
    ck_assert_ptr_nonnull(strstr(now, "10.0.0.1:42100"));
    free(now);
    free(good);
    scrape_state_destroy(s);
}
END_TEST

START_TEST(failed_reload_restores_previous_file)
{
    char *good = full_file();
    scrape_state_config bad = cfg;
    bad.vm.url = "http://127.0.0.1:1/prometheus/"; /* nothing listens: the reload fails */
    scrape_state *s = scrape_state_new(&bad);
    sql("UPDATE agents SET listen_port = 42100 WHERE agent_id = 'ne1'");
    rpc_status st;
    ck_assert_int_eq(scrape_state_full(s, d, &st), RPC_UNAVAILABLE);
    char *now = slurp(file);
    ck_assert_str_eq(now, good);
    char prev[300];
    snprintf(prev, sizeof prev, "%s.prev", file);
    ck_assert_int_ne(access(prev, F_OK), 0);
    free(now);
    free(good);
    scrape_state_destroy(s);
}
END_TEST

/* A change that changes no job (a status report) writes nothing: the
 * file keeps its inode; a changed port writes a new one. */
START_TEST(unchanged_jobs_not_written)
{
    scrape_state *s = scrape_state_new(&cfg);
    rpc_status st;
    ck_assert_msg(scrape_state_full(s, d, &st) == RPC_OK, "%s", st.message);
    struct stat a, b;
    ck_assert_int_eq(stat(file, &a), 0);
    sql("UPDATE agents SET status = 'AGENT_STATUS_WAITING' WHERE agent_id = 'ne1'");
    agents(s, "ne1");
    agents(s, "pa1");
    ck_assert_int_eq(stat(file, &b), 0);
    ck_assert_int_eq(a.st_ino, b.st_ino);
    sql("UPDATE agents SET listen_port = 42100 WHERE agent_id = 'ne1'");
    agents(s, "ne1");
    ck_assert_int_eq(stat(file, &b), 0);
    ck_assert_int_ne(a.st_ino, b.st_ino);
    char *f = slurp(file);
    ck_assert_ptr_nonnull(strstr(f, "            - 10.0.0.1:42100\n"));
    free(f);
    scrape_state_destroy(s);
}
END_TEST

START_TEST(dry_run_verdicts)
{
    vm_params p = cfg.vm;
    rpc_status st;
    struct iovec ok = { "scrape_configs: []\n", 19 };
    ck_assert_int_eq(vm_check(&p, &ok, 1, &st), RPC_OK);
    static char bad_text[] = "global:\n  scrape_interval: 1m\nunknown_filed: unknown_value\n";
    struct iovec bad = { bad_text, sizeof bad_text - 1 };
    ck_assert_int_eq(vm_check(&p, &bad, 1, &st), RPC_ABORTED);
    /* upstream's TestConfigReload text */
    ck_assert_str_eq(st.message, "yaml: unmarshal errors:\n  line 3: field unknown_filed not found in type "
                                 "promscrape.Config; pass -promscrape.config.strictParse=false command-line flag "
                                 "for ignoring unknown fields in yaml config\n");
    p.binary = "/nonexistent/victoria-metrics";
    ck_assert_int_eq(vm_check(&p, &ok, 1, &st), RPC_INTERNAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scrape_state");
    TCase *tc = tcase_create("scrape_state");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, full_and_incremental_agree);
    tcase_add_test(tc, settings_change_intervals);
    tcase_add_test(tc, refused_base_keeps_previous_file);
    tcase_add_test(tc, failed_reload_restores_previous_file);
    tcase_add_test(tc, unchanged_jobs_not_written);
    tcase_add_test(tc, dry_run_verdicts);
    suite_add_tcase(s, tc);
    return check_run(s);
}
