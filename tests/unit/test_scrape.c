/* Unit tests for configd's scrape configuration renderer: the worked
 * example of config-rendering.md §5.9 (upstream's victoriametrics_test.go
 * "Normal") reproduced byte for byte, every agent kind that gets jobs,
 * push mode, custom labels, changed resolutions and the base
 * configuration, against golden files in tests/golden/ (PMM_UPDATE_GOLDEN=1
 * rewrites them); plus the YAML scalar and key-order rules. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configd/scrape/scrape.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/golden.h"

#define S(n) ((int64_t)(n) * 1000000000LL)

static const scrape_res default_res = { S(5), S(10), S(60) };

/* Compares with the golden file, showing the first differing line. */
static void assert_golden(const char *name, const char *actual)
{
    const char *path = golden_path(name);
    if (getenv("PMM_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        fputs(actual, f);
        fclose(f);
    }
    char *want = golden_read(path);
    ck_assert_msg(want != NULL, "cannot read %s", path);
    if (strcmp(want, actual) != 0) {
        const char *a = actual, *w = want;
        int line = 1;
        while (*a && *a == *w) {
            if (*a == '\n')
                line++;
            a++, w++;
        }
        ck_abort_msg("%s differs at line %d:\nwant: %.120s\ngot:  %.120s", name, line, w, a);
    }
    free(want);
}

static void input_defaults(scrape_input *in)
{
    memset(in, 0, sizeof *in);
    in->res = default_res;
    in->vm_url = "http://127.0.0.1:9090/prometheus/";
    in->vmalert_url = "http://127.0.0.1:8880/";
    in->managed_target = "127.0.0.1:7773";
}

static char *render(const scrape_input *in)
{
    scrape_buf b = { 0 };
    char err[256] = "";
    ck_assert_msg(scrape_render(in, &b, err, sizeof err) == 0, "render: %s", err);
    return b.data;
}

/* ---- §5.9 ---------------------------------------------------------------- */

static const scrape_node generic = { .id = "cc663f36-18ca-40a1-aea9-c6310bb4738d", .name = "test-generic-node",
                                     .type = "generic", .model = "", .az = "", .distro = "",
                                     .custom_labels = "{\"_node_label\": \"foo\"}" };
static const scrape_node remote = { .id = "4e2e07dc-40a1-18ca-aea9-d943260a9653", .name = "test-remote-node",
                                    .type = "remote", .model = "", .az = "", .distro = "",
                                    .custom_labels = "{\"_node_label\": \"remote-foo\"}" };
static const scrape_service mysql = { .id = "014647c3-b2f5-44eb-94f4-d943260a968c", .name = "test-mysql",
                                      .type = "mysql", .environment = "", .cluster = "", .replication_set = "",
                                      .external_group = "", .custom_labels = "{\"_service_label\": \"bar\"}" };
static const scrape_service remote_mysql = { .id = "4f1508fd-12c4-4ecf-b0a4-7ab19c996f61",
                                             .name = "test-remote-mysql", .type = "mysql",
                                             .custom_labels = "{\"_service_label\": \"bar\"}" };
static const scrape_service mongodb = { .id = "acds89846-3cd2-47f8-a5f9-ac789513cde4", .name = "test-mongodb",
                                        .type = "mongodb", .custom_labels = "{\"_service_label\": \"bam\"}" };
static const scrape_service postgresql = { .id = "9cffbdd4-3cd2-47f8-a5f9-a749c3d5fee1",
                                           .name = "test-postgresql", .type = "postgresql",
                                           .custom_labels = "{\"_service_label\": \"bar\"}" };
static const scrape_service mongodb_nov = { .id = "1eae647b-f1e2-4e15-bc58-dfdbc3c37cbf",
                                            .name = "test-mongodb-noversion", .type = "mongodb",
                                            .custom_labels = "{\"_service_label\": \"bam\"}" };

#define PA1 "217907dc-d34d-4e2e-aa84-a1b765d49853"
#define PA2 "892b3d86-12e5-4765-aa32-e5092ecd78e1"

START_TEST(worked_example)
{
    /* As upstream inserts them (pmm-agents included: they get no job). */
    const scrape_agent agents[] = {
        { .id = PA1, .type = "pmm-agent", .pmm_agent_version = "2.26.0", .host = NULL },
        { .id = "711674c2-36e6-42d5-8e63-5d7c84c9053a", .type = "node_exporter", .pmm_agent_id = PA1,
          .pmm_agent_version = "2.26.0", .host = "1.2.3.4", .node = &generic }, /* no listen port */
        { .id = "ecd8995a-d479-4b4d-bfb7-865bac4ac2fb", .type = "mongodb_exporter", .pmm_agent_id = PA1,
          .pmm_agent_version = "2.26.0", .host = "1.2.3.4", .node = &generic, .service = &mongodb,
          .custom_labels = "{\"_agent_label\": \"mongodb-baz\"}", .listen_port = 12346,
          .mongo_all_collectors = true },
        { .id = "75bb30d3-ef4a-4147-97a8-621a996611dd", .type = "mysqld_exporter", .pmm_agent_id = PA1,
          .pmm_agent_version = "2.26.0", .host = "1.2.3.4", .node = &generic, .service = &mysql,
          .custom_labels = "{\"_agent_label\": \"baz\"}", .listen_port = 12345 },
        { .id = "f9ab9f7b-5e53-4952-a2e7-ff25fb90fe6a", .type = "mysqld_exporter", .pmm_agent_id = PA1,
          .pmm_agent_version = "2.26.0", .host = "1.2.3.4", .node = &remote, .service = &remote_mysql,
          .custom_labels = "{\"_agent_label\": \"baz\"}", .listen_port = 12345 },
        { .id = "29e14468-d479-4b4d-bfb7-4ac2fb865bac", .type = "postgres_exporter", .pmm_agent_id = PA1,
          .pmm_agent_version = "2.26.0", .host = "1.2.3.4", .node = &generic, .service = &postgresql,
          .custom_labels = "{\"_agent_label\": \"postgres-baz\"}", .listen_port = 12345 },
        { .id = "4226ddb5-8197-443c-9891-7772b38324a7", .type = "node_exporter", .pmm_agent_id = PA1,
          .pmm_agent_version = "2.26.0", .host = "1.2.3.4", .node = &generic, .disabled = true,
          .listen_port = 12345 },
        { .id = PA2, .type = "pmm-agent" },
        { .id = "386c4ce6-7cd2-4bc9-9d6f-b4691c6e7eb7", .type = "mongodb_exporter", .pmm_agent_id = PA2,
          .host = "1.2.3.4", .node = &generic, .service = &mongodb_nov,
          .custom_labels = "{\"_agent_label\": \"mongodb-baz-push\"}", .listen_port = 12346,
          .mongo_all_collectors = true, .push_metrics = true },
        { .id = "cfec996c-4fe6-41d9-83cb-e1a3b1fe10a8", .type = "mongodb_exporter", .pmm_agent_id = PA2,
          .host = "1.2.3.4", .node = &generic, .service = &mongodb_nov,
          .custom_labels = "{\"_agent_label\": \"mongodb-baz-pull\"}", .listen_port = 12346,
          .mongo_all_collectors = true },
    };
    scrape_input in;
    input_defaults(&in);
    in.nomad = true;
    in.agents = agents;
    in.n_agents = sizeof agents / sizeof *agents;
    char *out = render(&in);
    assert_golden("scrape_normal.yml", out);
    free(out);
}
END_TEST

/* upstream's TestBaseConfig: the base's global wins, its jobs come first. */
START_TEST(base_config_merged)
{
    scrape_input in;
    input_defaults(&in);
    in.base = "global:\n  scrape_interval: 9m\n  scrape_timeout: 19s\n  external_labels:\n    dc: \"east 1\"\n"
              "scrape_configs:\n"
              "  - job_name: external-service\n    honor_timestamps: true\n    scrape_interval: 5s\n"
              "    scrape_timeout: 4500ms\n    metrics_path: /metrics\n    scheme: http\n"
              "    static_configs:\n      - targets: [\"127.0.0.1:1234\"]\n        labels: {instance: pmm-server}\n"
              "    relabel_configs: []\n";
    char *out = render(&in);
    assert_golden("scrape_base.yml", out);
    free(out);
}
END_TEST

START_TEST(base_config_refused)
{
    const char *bad[] = { "scrape_configs: [\n", "- a\n- b\n", "global: 5\n", "scrape_configs: {a: b}\n",
                          "? [a]\n: b\n" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        scrape_input in;
        input_defaults(&in);
        in.base = bad[i];
        scrape_buf b = { 0 };
        char err[256] = "";
        ck_assert_msg(scrape_render(&in, &b, err, sizeof err) == -1, "accepted %s", bad[i]);
        ck_assert_msg(strncmp(err, "base configuration: ", 20) == 0, "%s", err);
        sbuf_free(&b);
    }
}
END_TEST

/* ---- every kind ---------------------------------------------------------- */

static const scrape_node n1 = { .id = "n1", .name = "db-1", .type = "generic", .machine_id = "m-1",
                                .model = "", .region = NULL, .az = "us-east-1a", .distro = "linux",
                                .custom_labels = "{\"rack\": \"r10\", \"rack2\": \"r9\", \"zone\": \"true\","
                                                 " \"empty\": \"  \", \"node_name\": \"renamed: yes\"}" };
static const scrape_node mac = { .id = "n2", .name = "mac-1", .type = "generic", .distro = "darwin" };
static const scrape_node rds_node = { .id = "n3", .name = "rds-1", .type = "remote_rds", .region = "us-east-1" };
static const scrape_service pg = { .id = "s1", .name = "pg-1", .type = "postgresql", .environment = "prod",
                                   .cluster = "c1", .replication_set = "", .custom_labels = "{\"env\": \"x\"}" };
static const scrape_service ext = { .id = "s2", .name = "ext-1", .type = "external", .external_group = "redis" };
static const scrape_service px = { .id = "s3", .name = "proxysql-1", .type = "proxysql" };
static const scrape_service az = { .id = "s4", .name = "azure-1", .type = "mysql" };
static const scrape_service my = { .id = "s5", .name = "mysql-1", .type = "mysql" };
static const scrape_service mo = { .id = "s6", .name = "mongo-1", .type = "mongodb" };

START_TEST(every_kind)
{
    const scrape_agent agents[] = {
        /* custom labels over standard ones, empty values dropped, agent labels last */
        { .id = "a-node", .type = "node_exporter", .host = "10.0.0.1", .node = &n1, .listen_port = 42000,
          .agent_password = "s3cret", .disabled_collectors = "[\"hwmon\", \"cpu\", \"os\"]",
          .custom_labels = "{\"rack\": \"agent-rack\"}" },
        { .id = "a-mac", .type = "node_exporter", .host = "10.0.0.2", .node = &mac, .listen_port = 42000 },
        /* resolutions of its own */
        { .id = "a-pg", .type = "postgres_exporter", .host = "fe80::1", .node = &n1, .service = &pg,
          .listen_port = 42001, .res = { S(1), 0, S(300) } },
        { .id = "a-ext", .type = "external-exporter", .host = "10.0.0.9", .node = &n1, .service = &ext,
          .listen_port = 9121, .scheme = "https", .metrics_path = "/custom/metrics", .username = "u",
          .password = "p" },
        { .id = "a-ext2", .type = "external-exporter", .host = "10.0.0.9", .node = &n1, .service = &ext,
          .listen_port = 9122, .scheme = "http", .metrics_path = "/metrics" },
        { .id = "a-vmagent", .type = "vmagent", .host = "10.0.0.1", .node = &n1, .listen_port = 8429,
          .scheme = "http", .metrics_path = "/metrics" },
        { .id = "a-px", .type = "proxysql_exporter", .host = "10.0.0.1", .node = &n1, .service = &px,
          .listen_port = 42004 },
        { .id = "a-az", .type = "azure_database_exporter", .host = "127.0.0.1", .node = &n1, .service = &az,
          .listen_port = 42005 },
        /* table stats off: over the limit */
        { .id = "a-my", .type = "mysqld_exporter", .host = "10.0.0.1", .node = &n1, .service = &my,
          .listen_port = 42006, .tablestats_limit = 1000, .has_table_count = true, .table_count = 2000,
          .disabled_collectors = "[\"plugins\"]" },
        { .id = "a-mongo", .type = "mongodb_exporter", .host = "10.0.0.1", .node = &n1, .service = &mo,
          .listen_port = 42007, .pmm_agent_version = "2.43.2", .mongo_all_collectors = true },
        { .id = "a-mongo-old", .type = "mongodb_exporter", .host = "10.0.0.1", .node = &n1, .service = &mo,
          .listen_port = 42008, .pmm_agent_version = "2.25.0" },
        /* one pair of jobs per host:port */
        { .id = "a-rds1", .type = "rds_exporter", .host = "10.0.0.3", .node = &rds_node, .listen_port = 42009 },
        { .id = "a-rds2", .type = "rds_exporter", .host = "10.0.0.3", .node = &rds_node, .listen_port = 42009 },
        /* no jobs: push mode, QAN, no host, a bad label name, unknown type */
        { .id = "a-push", .type = "node_exporter", .host = "10.0.0.1", .node = &n1, .listen_port = 42010,
          .push_metrics = true },
        { .id = "a-qan", .type = "qan-mysql-perfschema-agent", .host = "10.0.0.1", .node = &n1,
          .listen_port = 42011 },
        { .id = "a-nohost", .type = "node_exporter", .node = &n1, .listen_port = 42012 },
        { .id = "a-badlabel", .type = "node_exporter", .host = "10.0.0.1", .node = &n1, .listen_port = 42013,
          .custom_labels = "{\"bad-name\": \"x\"}" },
        { .id = "a-rta", .type = "rta-mongodb-agent", .host = "10.0.0.1", .node = &n1, .listen_port = 42014 },
    };
    scrape_input in;
    input_defaults(&in);
    in.res = (scrape_res){ S(2), S(15), S(120) }; /* changed in the settings */
    in.vm_url = "http://127.0.0.1:41005/prometheus/";
    in.vmalert_url = "http://127.0.0.1:41006/";
    in.managed_target = "127.0.0.1:41003";
    in.agents = agents;
    in.n_agents = sizeof agents / sizeof *agents;
    char *out = render(&in);
    assert_golden("scrape_kinds.yml", out);
    ck_assert_ptr_null(strstr(out, "a-push"));
    ck_assert_ptr_null(strstr(out, "a-qan"));
    ck_assert_ptr_null(strstr(out, "a-nohost"));
    ck_assert_ptr_null(strstr(out, "a-badlabel"));
    ck_assert_ptr_null(strstr(out, "a-rta"));
    free(out);
}
END_TEST

/* Resolutions change every interval and timeout, nothing else. */
START_TEST(resolutions_change)
{
    const scrape_agent a = { .id = "x", .type = "node_exporter", .host = "h", .node = &n1, .listen_port = 1 };
    scrape_input in;
    input_defaults(&in);
    in.agents = &a;
    in.n_agents = 1;
    char *before = render(&in);
    ck_assert_ptr_nonnull(strstr(before, "job_name: node_exporter_x_hr\n      honor_timestamps: false\n"));
    ck_assert_ptr_nonnull(strstr(before, "scrape_interval: 5s\n      scrape_timeout: 4500ms\n      metrics_path: /metrics"));
    in.res = (scrape_res){ S(1), S(30), S(3600) };
    char *after = render(&in);
    ck_assert_ptr_nonnull(strstr(after, "global:\n    scrape_interval: 1h\n    scrape_timeout: 54m\n"));
    ck_assert_ptr_nonnull(strstr(after, "scrape_interval: 1s\n      scrape_timeout: 1s\n      metrics_path: /metrics"));
    ck_assert_ptr_nonnull(strstr(after, "scrape_interval: 30s\n      scrape_timeout: 27s\n"));
    ck_assert_ptr_null(strstr(after, "scrape_interval: 5s"));
    free(before);
    free(after);
}
END_TEST

/* ---- text rules ---------------------------------------------------------- */

static char *scalar(const char *s)
{
    static char out[256];
    scrape_buf b = { 0 };
    sbuf_scalar(&b, s);
    snprintf(out, sizeof out, "%s", b.data);
    sbuf_free(&b);
    return out;
}

START_TEST(scalars)
{
    ck_assert_str_eq(scalar("plain-value_1.2"), "plain-value_1.2");
    ck_assert_str_eq(scalar("1.2.3.4:12345"), "1.2.3.4:12345");
    ck_assert_str_eq(scalar("/v1/metrics?format=prometheus"), "/v1/metrics?format=prometheus");
    ck_assert_str_eq(scalar(""), "\"\"");
    ck_assert_str_eq(scalar("true"), "\"true\"");
    ck_assert_str_eq(scalar("yes"), "\"yes\"");
    ck_assert_str_eq(scalar("null"), "\"null\"");
    ck_assert_str_eq(scalar("123"), "\"123\"");
    ck_assert_str_eq(scalar("-1.5e3"), "\"-1.5e3\"");
    ck_assert_str_eq(scalar("0x1F"), "\"0x1F\"");
    ck_assert_str_eq(scalar("2024-01-02"), "\"2024-01-02\"");
    ck_assert_str_eq(scalar("1:20"), "\"1:20\"");
    ck_assert_str_eq(scalar("a: b"), "'a: b'");
    ck_assert_str_eq(scalar("x #y"), "'x #y'");
    ck_assert_str_eq(scalar("#x"), "'#x'");
    ck_assert_str_eq(scalar("- x"), "'- x'");
    ck_assert_str_eq(scalar(" lead"), "' lead'");
    ck_assert_str_eq(scalar("it's: x"), "'it''s: x'");
    ck_assert_str_eq(scalar("two\nlines\t\"q\"\\"), "\"two\\nlines\\t\\\"q\\\"\\\\\"");
    ck_assert_str_eq(scalar("bell\a"), "\"bell\\x07\"");
    ck_assert_str_eq(scalar("*alias"), "'*alias'");
}
END_TEST

START_TEST(key_order)
{
    ck_assert_int_lt(scrape_key_cmp("_agent_label", "agent_id"), 0);
    ck_assert_int_lt(scrape_key_cmp("a9", "a10"), 0);
    ck_assert_int_lt(scrape_key_cmp("agent_id", "agent_type"), 0);
    ck_assert_int_lt(scrape_key_cmp("instance", "node_id"), 0);
    ck_assert_int_lt(scrape_key_cmp("Z", "a"), 0);
    ck_assert_int_lt(scrape_key_cmp("_x", "Ax"), 0);
    ck_assert_int_lt(scrape_key_cmp("node", "node_id"), 0);
    ck_assert_int_eq(scrape_key_cmp("same", "same"), 0);
}
END_TEST

START_TEST(durations)
{
    char s[32];
    scrape_duration(s, sizeof s, scrape_timeout_ns(S(5)));
    ck_assert_str_eq(s, "4500ms");
    scrape_duration(s, sizeof s, scrape_timeout_ns(S(60)));
    ck_assert_str_eq(s, "54s");
    scrape_duration(s, sizeof s, scrape_timeout_ns(S(2)));
    ck_assert_str_eq(s, "1s");
    scrape_duration(s, sizeof s, S(86400) * 7);
    ck_assert_str_eq(s, "1w");
    scrape_duration(s, sizeof s, 0);
    ck_assert_str_eq(s, "0s");
    scrape_go_duration(s, sizeof s, S(60));
    ck_assert_str_eq(s, "1m0s");
    scrape_go_duration(s, sizeof s, S(10));
    ck_assert_str_eq(s, "10s");
    scrape_go_duration(s, sizeof s, 1500000000LL);
    ck_assert_str_eq(s, "1.5s");
    scrape_go_duration(s, sizeof s, S(3600));
    ck_assert_str_eq(s, "1h0m0s");
    scrape_go_duration(s, sizeof s, 500000000LL);
    ck_assert_str_eq(s, "500ms");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scrape");
    TCase *tc = tcase_create("scrape");
    tcase_add_test(tc, worked_example);
    tcase_add_test(tc, base_config_merged);
    tcase_add_test(tc, base_config_refused);
    tcase_add_test(tc, every_kind);
    tcase_add_test(tc, resolutions_change);
    tcase_add_test(tc, scalars);
    tcase_add_test(tc, key_order);
    tcase_add_test(tc, durations);
    suite_add_tcase(s, tc);
    return check_run(s);
}
