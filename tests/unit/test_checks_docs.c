/* What check scripts get from query results (checksd/docs.c,
 * metrics_query.c): a pmm-agent's QueryActionResult (SQL rows as dicts,
 * MongoDB documents, every value kind), VictoriaMetrics answers (vector,
 * matrix; scalars refused), the PromQL placeholders and URLs; and how the
 * stored results are replaced (results.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/v1/agent.pb-c.h"
#include "checksd/docs.h"
#include "checksd/metrics_query.h"
#include "checksd/results.h"
#include "checksd/script.h"
#include "tests/lib/checkrun.h"

/* Runs a script returning [{"summary": repr(docs[0]), "severity": "info"}]
 * over the packed result; returns the repr (malloc'd) or the error. */
static char *repr_of(const msgpack_sbuffer *result)
{
    const msgpack_sbuffer *r[1] = { result };
    msgpack_sbuffer req, out;
    msgpack_sbuffer_init(&req);
    msgpack_sbuffer_init(&out);
    ck_assert_int_eq(script_request_pack(&req, 2, "repr",
                                         "def check_context(docs, context):\n"
                                         "    return [{'summary': repr(docs[0]), 'severity': 'info'}]\n",
                                         r, 1),
                     0);
    script_limits lim = { 0 };
    ck_assert_int_eq(script_run(req.data, req.size, &lim, &out), 0);
    script_output o;
    ck_assert_int_eq(script_output_parse(out.data, out.size, &o), 0);
    char *s = strdup(o.error ? o.error : o.results[0].summary);
    script_output_clear(&o);
    msgpack_sbuffer_destroy(&req);
    msgpack_sbuffer_destroy(&out);
    return s;
}

static Agent__V1__QueryActionValue *val(void)
{
    Agent__V1__QueryActionValue *v = malloc(sizeof *v);
    agent__v1__query_action_value__init(v);
    return v;
}

static Agent__V1__QueryActionValue *v_bytes(const char *s)
{
    Agent__V1__QueryActionValue *v = val();
    v->kind_case = AGENT__V1__QUERY_ACTION_VALUE__KIND_BYTES;
    v->bytes.data = (uint8_t *)strdup(s);
    v->bytes.len = strlen(s);
    return v;
}

static Agent__V1__QueryActionValue *v_int(int64_t i)
{
    Agent__V1__QueryActionValue *v = val();
    v->kind_case = AGENT__V1__QUERY_ACTION_VALUE__KIND_INT64;
    v->int64 = i;
    return v;
}

START_TEST(sql_rows)
{
    Agent__V1__QueryActionResult r = AGENT__V1__QUERY_ACTION_RESULT__INIT;
    char *cols[] = { "name", "n", "u", "d", "b", "x", "ts" };
    r.n_columns = 7;
    r.columns = cols;
    Agent__V1__QueryActionSlice row = AGENT__V1__QUERY_ACTION_SLICE__INIT;
    Agent__V1__QueryActionValue *vals[7];
    vals[0] = v_bytes("fsync");
    vals[1] = v_int(-5);
    vals[2] = val();
    vals[2]->kind_case = AGENT__V1__QUERY_ACTION_VALUE__KIND_UINT64;
    vals[2]->uint64 = 18446744073709551615ULL; /* beyond int64: a float */
    vals[3] = val();
    vals[3]->kind_case = AGENT__V1__QUERY_ACTION_VALUE__KIND_DOUBLE;
    vals[3]->double_ = 1.5;
    vals[4] = val();
    vals[4]->kind_case = AGENT__V1__QUERY_ACTION_VALUE__KIND_BOOL;
    vals[4]->bool_ = 1;
    vals[5] = val();
    vals[5]->kind_case = AGENT__V1__QUERY_ACTION_VALUE__KIND_NIL;
    vals[5]->nil = 1;
    vals[6] = val();
    vals[6]->kind_case = AGENT__V1__QUERY_ACTION_VALUE__KIND_TIMESTAMP;
    vals[6]->timestamp = malloc(sizeof *vals[6]->timestamp);
    google__protobuf__timestamp__init(vals[6]->timestamp);
    vals[6]->timestamp->seconds = 1700000000;
    row.n_slice = 7;
    row.slice = vals;
    Agent__V1__QueryActionSlice *rows[1] = { &row };
    r.n_rows = 1;
    r.rows = rows;
    size_t len = agent__v1__query_action_result__get_packed_size(&r);
    uint8_t *buf = malloc(len);
    agent__v1__query_action_result__pack(&r, buf);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[256];
    ck_assert_int_eq(docs_from_query_result(buf, len, &sb, err, sizeof err), 0);
    char *got = repr_of(&sb);
    ck_assert_str_eq(got, "[{\"name\": \"fsync\", \"n\": -5, \"u\": 1.8446744073709552e+19, \"d\": 1.5, \"b\": True, "
                          "\"x\": None, \"ts\": 1700000000}]");
    free(got);
    msgpack_sbuffer_destroy(&sb);
    /* not a QueryActionResult */
    msgpack_sbuffer_init(&sb);
    ck_assert_int_eq(docs_from_query_result((const uint8_t *)"\xff\xff\xff", 3, &sb, err, sizeof err), -1);
    ck_assert_str_eq(err, "failed to unmarshal the query action result");
    msgpack_sbuffer_destroy(&sb);
    free(buf);
    for (int i = 0; i < 7; i++)
        protobuf_c_message_free_unpacked(&vals[i]->base, NULL);
}
END_TEST

START_TEST(mongodb_documents)
{
    /* {"parsed": {"net": {"port": 27017}, "argv": ["mongod", "--auth"]}} */
    Agent__V1__QueryActionMap net = AGENT__V1__QUERY_ACTION_MAP__INIT, parsed = AGENT__V1__QUERY_ACTION_MAP__INIT,
                              doc = AGENT__V1__QUERY_ACTION_MAP__INIT;
    Agent__V1__QueryActionMap__MapEntry e_port = AGENT__V1__QUERY_ACTION_MAP__MAP_ENTRY__INIT,
                                        e_net = AGENT__V1__QUERY_ACTION_MAP__MAP_ENTRY__INIT,
                                        e_argv = AGENT__V1__QUERY_ACTION_MAP__MAP_ENTRY__INIT,
                                        e_parsed = AGENT__V1__QUERY_ACTION_MAP__MAP_ENTRY__INIT;
    e_port.key = "port";
    e_port.value = v_int(27017);
    Agent__V1__QueryActionMap__MapEntry *ne[] = { &e_port };
    net.n_map = 1;
    net.map = ne;
    Agent__V1__QueryActionValue netv = AGENT__V1__QUERY_ACTION_VALUE__INIT;
    netv.kind_case = AGENT__V1__QUERY_ACTION_VALUE__KIND_MAP;
    netv.map = &net;
    e_net.key = "net";
    e_net.value = &netv;
    Agent__V1__QueryActionSlice argv = AGENT__V1__QUERY_ACTION_SLICE__INIT;
    Agent__V1__QueryActionValue *av[] = { v_bytes("mongod"), v_bytes("--auth") };
    argv.n_slice = 2;
    argv.slice = av;
    Agent__V1__QueryActionValue argvv = AGENT__V1__QUERY_ACTION_VALUE__INIT;
    argvv.kind_case = AGENT__V1__QUERY_ACTION_VALUE__KIND_SLICE;
    argvv.slice = &argv;
    e_argv.key = "argv";
    e_argv.value = &argvv;
    Agent__V1__QueryActionMap__MapEntry *pe[] = { &e_net, &e_argv };
    parsed.n_map = 2;
    parsed.map = pe;
    Agent__V1__QueryActionValue parsedv = AGENT__V1__QUERY_ACTION_VALUE__INIT;
    parsedv.kind_case = AGENT__V1__QUERY_ACTION_VALUE__KIND_MAP;
    parsedv.map = &parsed;
    e_parsed.key = "parsed";
    e_parsed.value = &parsedv;
    Agent__V1__QueryActionMap__MapEntry *de[] = { &e_parsed };
    doc.n_map = 1;
    doc.map = de;
    Agent__V1__QueryActionMap *docs_[] = { &doc };
    Agent__V1__QueryActionResult r = AGENT__V1__QUERY_ACTION_RESULT__INIT;
    r.n_docs = 1;
    r.docs = docs_;
    size_t len = agent__v1__query_action_result__get_packed_size(&r);
    uint8_t *buf = malloc(len);
    agent__v1__query_action_result__pack(&r, buf);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[256];
    ck_assert_int_eq(docs_from_query_result(buf, len, &sb, err, sizeof err), 0);
    char *got = repr_of(&sb);
    ck_assert_str_eq(got, "[{\"parsed\": {\"net\": {\"port\": 27017}, \"argv\": [\"mongod\", \"--auth\"]}}]");
    free(got);
    msgpack_sbuffer_destroy(&sb);
    free(buf);
    protobuf_c_message_free_unpacked(&e_port.value->base, NULL);
    protobuf_c_message_free_unpacked(&av[0]->base, NULL);
    protobuf_c_message_free_unpacked(&av[1]->base, NULL);
}
END_TEST

START_TEST(metrics_answers)
{
    msgpack_sbuffer sb;
    char err[256];
    msgpack_sbuffer_init(&sb);
    const char *vec = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                      "[{\"metric\":{\"__name__\":\"up\",\"job\":\"x\"},\"value\":[1700000000,\"1\"]}]}}";
    ck_assert_int_eq(metrics_answer_docs(200, vec, strlen(vec), &sb, err, sizeof err), 0);
    char *got = repr_of(&sb);
    ck_assert_str_eq(got, "[{\"metric\": {\"__name__\": \"up\", \"job\": \"x\"}, \"value\": [1.7e+09, \"1\"]}]");
    free(got);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_init(&sb);
    const char *mat = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
                      "[{\"metric\":{},\"values\":[[1700000000.5,\"0.1\"],[1700000060,\"0.2\"]]}]}}";
    ck_assert_int_eq(metrics_answer_docs(200, mat, strlen(mat), &sb, err, sizeof err), 0);
    got = repr_of(&sb);
    ck_assert_str_eq(got, "[{\"metric\": {}, \"values\": [[1.7000000005e+09, \"0.1\"], [1.70000006e+09, \"0.2\"]]}]");
    free(got);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_init(&sb);
    const char *scalar = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000,\"2\"]}}";
    ck_assert_int_eq(metrics_answer_docs(200, scalar, strlen(scalar), &sb, err, sizeof err), -1);
    ck_assert_str_eq(err, "unexpected value type");
    const char *bad = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"unparsable query\"}";
    ck_assert_int_eq(metrics_answer_docs(400, bad, strlen(bad), &sb, err, sizeof err), -1);
    ck_assert_str_eq(err, "bad_data: unparsable query");
    ck_assert_int_eq(metrics_answer_docs(502, "<html>", 6, &sb, err, sizeof err), -1);
    ck_assert_str_eq(err, "server_error: server error: 502");
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(placeholders_and_urls)
{
    char err[256];
    char *q = metrics_render_query("up{service_name=\"{{.ServiceName}}\",node_name=\"{{ .NodeName }}\"} > 0",
                                   "svc1", "node1", "id1", err, sizeof err);
    ck_assert_str_eq(q, "up{service_name=\"svc1\",node_name=\"node1\"} > 0");
    free(q);
    ck_assert_ptr_null(metrics_render_query("up{x=\"{{.Nope}}\"}", "s", "n", "i", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "can't evaluate .Nope"));
    ck_assert_ptr_null(metrics_render_query("up{x=\"{{.ServiceName\"}", "s", "n", "i", err, sizeof err));
    check_query inst = { .type = Q_METRICS_INSTANT, .lookback_ns = 60000000000LL };
    char *url = metrics_query_url("http://vm:9090/prometheus/", &inst, "up{a=\"b\"}", 1700000000000LL);
    ck_assert_str_eq(url, "http://vm:9090/prometheus/api/v1/query?query=up%7Ba%3D%22b%22%7D&time=1699999940.000");
    free(url);
    check_query range = { .type = Q_METRICS_RANGE, .range_ns = 600000000000LL, .step_ns = 60000000000LL };
    url = metrics_query_url("http://vm:9090/prometheus", &range, "up", 1700000000000LL);
    ck_assert_str_eq(url, "http://vm:9090/prometheus/api/v1/query_range?query=up&start=1699999400.000"
                          "&end=1700000000.000&step=60.000");
    free(url);
}
END_TEST

/* ---- result storage ------------------------------------------------------------------- */

static void add(result_list *l, const char *check, check_interval iv, const char *service)
{
    check_result r = { 0 };
    r.check_name = strdup(check);
    r.advisor = strdup("a");
    r.service_type = strdup("mysql");
    r.service_id = strdup(service);
    r.service_name = strdup(service);
    r.interval = iv;
    r.r.summary = strdup("S");
    r.r.description = strdup("");
    r.r.read_more_url = strdup("");
    r.r.severity = 4;
    ck_assert_int_eq(result_list_take(l, &r), 0);
}

static void count(const check_result *r, void *arg)
{
    char *s = arg;
    strcat(s, r->check_name);
    strcat(s, "/");
    strcat(s, r->service_id);
    strcat(s, " ");
}

static char *stored(void)
{
    static char s[1024];
    s[0] = '\0';
    results_foreach(count, s);
    return s;
}

START_TEST(replacing)
{
    results_reset();
    result_list l = { 0 };
    add(&l, "std1", INTERVAL_STANDARD, "s1");
    add(&l, "std1", INTERVAL_STANDARD, "s2");
    add(&l, "rare1", INTERVAL_RARE, "s1");
    add(&l, "freq1", INTERVAL_FREQUENT, "s1");
    results_replace(REPLACE_ALL, INTERVAL_UNSPECIFIED, NULL, 0, &l);
    ck_assert_str_eq(stored(), "std1/s1 std1/s2 rare1/s1 freq1/s1 ");
    /* a group run replaces that interval only */
    add(&l, "std2", INTERVAL_STANDARD, "s3");
    results_replace(REPLACE_INTERVAL, INTERVAL_STANDARD, NULL, 0, &l);
    ck_assert_str_eq(stored(), "rare1/s1 freq1/s1 std2/s3 ");
    /* a run of named checks replaces those checks, found or not */
    const char *names[] = { "rare1", "std2" };
    add(&l, "rare1", INTERVAL_RARE, "s9");
    results_replace(REPLACE_CHECKS, INTERVAL_UNSPECIFIED, names, 2, &l);
    ck_assert_str_eq(stored(), "freq1/s1 rare1/s9 ");
    /* a full run with nothing to report clears everything */
    results_replace(REPLACE_ALL, INTERVAL_UNSPECIFIED, NULL, 0, &l);
    ck_assert_str_eq(stored(), "");
    result_list_clear(&l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("checks_docs");
    TCase *tc = tcase_create("docs");
    tcase_add_test(tc, sql_rows);
    tcase_add_test(tc, mongodb_documents);
    tcase_add_test(tc, metrics_answers);
    tcase_add_test(tc, placeholders_and_urls);
    tcase_add_test(tc, replacing);
    suite_add_tcase(s, tc);
    return check_run(s);
}
