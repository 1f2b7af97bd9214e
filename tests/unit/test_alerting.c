/* Percona Alerting pieces of checksd: template files (checksd/alerting/
 * templates.c) with percona/saas's validation and the source rules, the
 * [[ .param ]] rendering with Go text/template's errors (render.c), and
 * the vmalert rules file of the rules made from templates (rules.c). Every
 * shipped built-in template passes the built-in rules. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksd/alerting/grafana.h"
#include "checksd/alerting/render.h"
#include "checksd/alerting/rules.h"
#include "checksd/alerting/templates.h"
#include "checksd/files.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/httpstub.h"

#define DIR_BUILTIN "checksd/data/alerting-templates"

static const char *const good =
    "---\n"
    "templates:\n"
    "  - name: my_connections\n"
    "    version: 1\n"
    "    summary: Connections\n"
    "    expr: conns > [[ .threshold ]]\n"
    "    params:\n"
    "      - name: threshold\n"
    "        summary: a share\n"
    "        unit: '%'\n"
    "        type: float\n"
    "        range: [0, 100]\n"
    "        value: 80\n"
    "    for: 5m\n"
    "    severity: warning\n"
    "    labels:\n"
    "      team: db\n"
    "    annotations:\n"
    "      summary: '{{ $labels.service_name }} over [[ .threshold ]]'\n";

START_TEST(parse_good)
{
    alert_template *v;
    size_t n;
    char err[512];
    ck_assert_int_eq(templates_parse(good, strlen(good), &v, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(v[0].name, "my_connections");
    ck_assert_int_eq(v[0].severity, 5);
    ck_assert(v[0].for_ns == 300LL * 1000000000);
    ck_assert_uint_eq(v[0].n_params, 1);
    ck_assert_int_eq(v[0].params[0].type, PARAM_FLOAT);
    ck_assert(v[0].params[0].has_min && v[0].params[0].has_max && v[0].params[0].has_default);
    ck_assert(v[0].params[0].def == 80 && v[0].params[0].max == 100);
    ck_assert_str_eq(v[0].params[0].unit, "%");
    ck_assert_uint_eq(v[0].n_labels, 1);
    ck_assert_str_eq(v[0].label_values[0], "db");
    ck_assert_int_eq(templates_validate_user(&v[0], err, sizeof err), 0);
    templates_free(v, n);
}
END_TEST

/* text with one line replaced: the error it gives */
static void expect_error(const char *from, const char *to, const char *want)
{
    char text[2048];
    const char *at = strstr(good, from);
    ck_assert_ptr_nonnull(at);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
    alert_template *v = NULL;
    size_t n = 0;
    char err[512] = "";
    ck_assert_int_eq(templates_parse(text, strlen(text), &v, &n, err, sizeof err), -1);
    ck_assert_msg(strstr(err, want), "%s: got '%s', want '%s'", to, err, want);
}

START_TEST(parse_errors)
{
    expect_error("    version: 1\n", "    version: 2\n", "unexpected version 2");
    expect_error("    summary: Connections\n", "    summary: ''\n", "template summary is empty");
    expect_error("    severity: warning\n", "    severity: loud\n", "unhandled severity loud");
    expect_error("    severity: warning\n", "    severity: warning\n    colour: red\n", "colour");
    expect_error("    for: 5m\n", "    for: soon\n", "soon");
    expect_error("  - name: my_connections\n", "  - name: ''\n", "template name is empty");
    expect_error("    expr: conns > [[ .threshold ]]\n", "    expr: ''\n", "template expression is empty");
}
END_TEST

START_TEST(user_rules)
{
    alert_template t = { .name = "pmm_mine", .expr = "up" };
    char err[512];
    ck_assert_int_eq(templates_validate_user(&t, err, sizeof err), -1);
    ck_assert_str_eq(err, "pmm_mine: template name should not start with 'pmm_' or 'saas_' prefix");
    t.name = "saas_x";
    ck_assert_int_eq(templates_validate_user(&t, err, sizeof err), -1);
    t.name = "mine";
    t.expr = "up > [[ .limit ]]";
    ck_assert_int_eq(templates_validate_user(&t, err, sizeof err), -1);
    ck_assert_str_eq(err, "failed to fill expression placeholders: template: :1:8: executing \"\" at <.limit>: map has "
                          "no entry for key \"limit\"");
    t.expr = "up > [[ .limit ";
    ck_assert_int_eq(templates_validate_user(&t, err, sizeof err), -1);
    ck_assert_str_eq(err, "failed to parse expression: template: :1: unclosed action");
}
END_TEST

static size_t count_yml(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d));)
        n += strstr(e->d_name, ".yml") != NULL;
    closedir(d);
    return n;
}

START_TEST(builtin_files)
{
    size_t np;
    char **paths = files_list_yaml(DIR_BUILTIN, &np);
    ck_assert_uint_ge(np, 5);
    ck_assert_uint_eq(np, count_yml(DIR_BUILTIN));
    static const char *const named[] = { "pmm_mysql_down", "pmm_postgresql_down", "pmm_mongodb_down",
                                         "pmm_node_high_cpu_load", "pmm_mongodb_pbm_backup_failed",
                                         "pmm_mysql_too_many_connections" };
    size_t seen = 0;
    for (size_t i = 0; i < np; i++) {
        size_t len, n;
        char err[1024];
        char *text = files_read_text(paths[i], &len, err, sizeof err);
        ck_assert_ptr_nonnull(text);
        alert_template *v;
        ck_assert_msg(templates_parse(text, len, &v, &n, err, sizeof err) == 0, "%s: %s", paths[i], err);
        ck_assert_msg(templates_validate_builtin(paths[i], v, n, err, sizeof err) == 0, "%s: %s", paths[i], err);
        for (size_t k = 0; k < sizeof named / sizeof *named; k++)
            seen += strcmp(v[0].name, named[k]) == 0;
        /* the expression renders with its parameters' defaults */
        const char *keys[8], *vals[8];
        char texts[8][64];
        for (size_t p = 0; p < v[0].n_params && p < 8; p++) {
            keys[p] = v[0].params[p].name;
            render_float(v[0].params[p].def, texts[p], sizeof texts[p]);
            vals[p] = texts[p];
        }
        char *e = render_params(v[0].expr, keys, vals, v[0].n_params, err, sizeof err);
        ck_assert_msg(e != NULL, "%s: %s", paths[i], err);
        free(e);
        templates_free(v, n);
        free(text);
    }
    ck_assert_uint_eq(seen, sizeof named / sizeof *named);
    files_free_list(paths, np);
}
END_TEST

START_TEST(builtin_rules)
{
    alert_template *v;
    size_t n;
    char err[512];
    const char *two = "templates:\n"
                      "  - {name: pmm_a, version: 1, summary: s, expr: up, severity: info,"
                      " annotations: {summary: x, description: y}}\n"
                      "  - {name: pmm_b, version: 1, summary: s, expr: up, severity: info}\n";
    ck_assert_int_eq(templates_parse(two, strlen(two), &v, &n, err, sizeof err), 0);
    ck_assert_int_eq(templates_validate_builtin("d/a.yml", v, n, err, sizeof err), -1);
    ck_assert_str_eq(err, "\"d/a.yml\" should contain exactly one template, got 2");
    ck_assert_int_eq(templates_validate_builtin("d/b.yml", v, 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "template file name \"b.yml\" should be \"a.yml\"");
    ck_assert_int_eq(templates_validate_builtin("d/pmm_a.yml", v, 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "\"d/pmm_a.yml\" file name should not start with 'pmm_' prefix");
    ck_assert_int_eq(templates_validate_builtin("d/b.yml", v + 1, 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "d/b.yml \"pmm_b\": template should contain exactly two annotations: summary and description");
    ck_assert_int_eq(templates_validate_builtin("d/a.yml", v, 1, err, sizeof err), 0);
    templates_free(v, n);
}
END_TEST

START_TEST(rendering)
{
    const char *keys[] = { "threshold", "on" }, *vals[] = { "80", "true" };
    char err[512];
    char *s = render_params("x > [[ .threshold ]] and [[.on]] {{ $labels.a }}", keys, vals, 2, err, sizeof err);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "x > 80 and true {{ $labels.a }}");
    free(s);
    ck_assert_ptr_null(render_params("a\n[[ .nope ]]", keys, vals, 2, err, sizeof err));
    ck_assert_str_eq(err, "template: :2:3: executing \"\" at <.nope>: map has no entry for key \"nope\"");
    char f[64];
    render_float(80, f, sizeof f);
    ck_assert_str_eq(f, "80");
    render_float(0.5, f, sizeof f);
    ck_assert_str_eq(f, "0.5");
    render_float(1e21, f, sizeof f);
    ck_assert_str_eq(f, "1e+21");
    render_float(-2.25, f, sizeof f);
    ck_assert_str_eq(f, "-2.25");
}
END_TEST

START_TEST(rules_file)
{
    json_t *l1 = json_pack("{s:s, s:s}", "severity", "warning", "b", "x\"y"), *a1 = json_pack("{s:s}", "summary",
                                                                                            "{{ $labels.n }}");
    rule_spec v[] = {
        { .name = "r1", .group = "g1", .expr = "up == 0", .for_ns = 60LL * 1000000000, .labels = l1, .annotations = a1 },
        { .name = "r2", .group = "g2", .expr = "x > 1", .for_ns = 1500000000 },
        { .name = "r3", .group = "g1", .expr = "y", .for_ns = 0 },
    };
    char *s = rules_render_file(v, 3, "1m");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "# Generated by checksd from alerting.v1 rules; edits are overwritten.\n"
                        "groups:\n"
                        "  - name: \"g1\"\n"
                        "    interval: 1m\n"
                        "    rules:\n"
                        "      - alert: \"r1\"\n"
                        "        expr: \"up == 0\"\n"
                        "        for: 60s\n"
                        "        labels:\n"
                        "          \"b\": \"x\\\"y\"\n"
                        "          \"severity\": \"warning\"\n"
                        "        annotations:\n"
                        "          \"summary\": \"{{ $labels.n }}\"\n"
                        "      - alert: \"r3\"\n"
                        "        expr: \"y\"\n"
                        "        for: 0s\n"
                        "  - name: \"g2\"\n"
                        "    interval: 1m\n"
                        "    rules:\n"
                        "      - alert: \"r2\"\n"
                        "        expr: \"x > 1\"\n"
                        "        for: 1500ms\n");
    free(s);
    s = rules_render_file(NULL, 0, "1m");
    ck_assert_str_eq(s, "");
    free(s);
    json_decref(l1);
    json_decref(a1);
}
END_TEST

/* ---- the Grafana-managed rule ------------------------------------------------------------ */

typedef struct {
    const char *existing_group; /* the GET's answer (NULL: 404) */
    int post_status;
    char auth[256];
    char post_target[4096];
    json_t *posted;
} grafana_stub;

static void grafana_answer(void *ud, const httpstub_req *req, httpstub_answer *out)
{
    grafana_stub *g = ud;
    httpstub_header(req, "Authorization", g->auth, sizeof g->auth);
    if (strcmp(req->method, "GET") == 0 && strcmp(req->target, "/graph/api/datasources/1") == 0) {
        out->body = "{\"id\":1,\"uid\":\"vm-uid\",\"name\":\"Metrics\"}";
    } else if (strcmp(req->method, "GET") == 0 && strcmp(req->target, "/graph/api/ruler/grafana/api/v1/rules/f%201/my%20group") == 0) {
        if (g->existing_group)
            out->body = g->existing_group;
        else {
            out->status = 404;
            out->body = "{\"message\":\"rule group does not exist\"}";
        }
    } else if (strcmp(req->method, "POST") == 0) {
        snprintf(g->post_target, sizeof g->post_target, "%s", req->target);
        json_decref(g->posted);
        g->posted = json_loads(req->body, 0, NULL);
        out->status = g->post_status ? g->post_status : 202;
        out->body = out->status == 202 ? "{\"message\":\"rule group updated successfully\"}" : "{\"message\":\"bad\"}";
    } else {
        out->status = 500;
    }
}

START_TEST(grafana_managed_rule)
{
    grafana_stub g = { 0 };
    httpstub *h = httpstub_start(grafana_answer, &g);
    ck_assert_ptr_nonnull(h);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/graph/", httpstub_port(h));
    grafana_params p = { .url = url, .auth_header = "Authorization: Bearer sa-token", .timeout_ms = 5000 };
    json_t *labels = json_pack("{s:s}", "severity", "warning"), *ann = json_pack("{s:s}", "summary", "s");
    grafana_rule r = { .folder_uid = "f 1", .group = "my group", .interval = "1m", .title = "High", .expr = "up > 1",
                       .for_ns = 300LL * 1000000000, .labels = labels, .annotations = ann };
    rpc_status st = { 0 };
    ck_assert_int_eq(grafana_create_rule(&p, &r, &st), RPC_OK);
    ck_assert_str_eq(g.auth, "Bearer sa-token");
    ck_assert_str_eq(g.post_target, "/graph/api/ruler/grafana/api/v1/rules/f%201");
    ck_assert_ptr_nonnull(g.posted);
    ck_assert_str_eq(json_string_value(json_object_get(g.posted, "name")), "my group");
    ck_assert_str_eq(json_string_value(json_object_get(g.posted, "interval")), "1m");
    json_t *rule = json_array_get(json_object_get(g.posted, "rules"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(rule, "for")), "5m0s");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rule, "labels"), "severity")), "warning");
    json_t *ga = json_object_get(rule, "grafana_alert");
    ck_assert_str_eq(json_string_value(json_object_get(ga, "title")), "High");
    ck_assert_str_eq(json_string_value(json_object_get(ga, "condition")), "A");
    ck_assert_str_eq(json_string_value(json_object_get(ga, "no_data_state")), "OK");
    ck_assert_str_eq(json_string_value(json_object_get(ga, "exec_err_state")), "Alerting");
    json_t *q = json_array_get(json_object_get(ga, "data"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(q, "datasourceUid")), "vm-uid");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(q, "relativeTimeRange"), "from")), 600);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(q, "model"), "expr")), "up > 1");
    ck_assert(json_is_true(json_object_get(json_object_get(q, "model"), "instant")));
    /* an existing group keeps its rules and interval */
    g.existing_group = "{\"name\":\"my group\",\"interval\":\"2m\",\"rules\":[{\"grafana_alert\":{\"title\":\"Old\"}}]}";
    ck_assert_int_eq(grafana_create_rule(&p, &r, &st), RPC_OK);
    ck_assert_str_eq(json_string_value(json_object_get(g.posted, "interval")), "2m");
    ck_assert_uint_eq(json_array_size(json_object_get(g.posted, "rules")), 2);
    /* Grafana's refusal is upstream's clientError */
    g.post_status = 400;
    ck_assert_int_eq(grafana_create_rule(&p, &r, &st), RPC_UNKNOWN);
    char want[512];
    snprintf(want, sizeof want,
             "clientError: POST http://127.0.0.1:%d/graph/api/ruler/grafana/api/v1/rules/f%%201 -> 400 "
             "{\"message\":\"bad\"}",
             httpstub_port(h));
    ck_assert_str_eq(st.message, want);
    httpstub_stop(h);
    json_decref(g.posted);
    json_decref(labels);
    json_decref(ann);
}
END_TEST

START_TEST(go_durations)
{
    char d[64];
    static const struct {
        long long ns;
        const char *s;
    } cases[] = { { 0, "0s" }, { 300000000000LL, "5m0s" }, { 3600000000000LL, "1h0m0s" }, { 1500000000LL, "1.5s" },
                  { 90000000000LL, "1m30s" }, { 3661000000000LL, "1h1m1s" } };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        grafana_go_duration(cases[i].ns, d, sizeof d);
        ck_assert_str_eq(d, cases[i].s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("alerting");
    TCase *tc = tcase_create("alerting");
    tcase_add_test(tc, parse_good);
    tcase_add_test(tc, parse_errors);
    tcase_add_test(tc, user_rules);
    tcase_add_test(tc, builtin_files);
    tcase_add_test(tc, builtin_rules);
    tcase_add_test(tc, rendering);
    tcase_add_test(tc, rules_file);
    tcase_add_test(tc, grafana_managed_rule);
    tcase_add_test(tc, go_durations);
    suite_add_tcase(s, tc);
    return check_run(s);
}
