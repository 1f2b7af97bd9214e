/* test_route: the REST route matcher (common/route.c) against a hand-built
 * table and against the route table generated from proto/ by routegen. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/route.h"
#include "tests/lib/checkrun.h"

/* ---- hand-built table ------------------------------------------------------ */

static const route_entry hand_table[] = {
    {"GET", "/v1/inventory/nodes", "", "/inventory.v1.NodesService/ListNodes", NULL, NULL},
    {"POST", "/v1/inventory/nodes", "*", "/inventory.v1.NodesService/AddNode", NULL, NULL},
    {"GET", "/v1/inventory/nodes/{node_id}", "", "/inventory.v1.NodesService/GetNode", NULL, NULL},
    {"DELETE", "/v1/inventory/nodes/{node_id}", "", "/inventory.v1.NodesService/RemoveNode", NULL, NULL},
    {"GET", "/v1/inventory/services/{service_id}", "", "/inventory.v1.ServicesService/GetService", NULL, NULL},
    {"GET", "/v1/inventory/services/types", "", "/t/Types", NULL, NULL},
    {"PUT", "/v1/inventory/services/{service_id}", "*", "/inventory.v1.ServicesService/ChangeService", NULL, NULL},
    {"POST", "/v1/inventory/services:getTypes", "*", "/inventory.v1.ServicesService/ListActiveServiceTypes", NULL, NULL},
    {"POST", "/v1/things/{id}", "*", "/t/Thing", NULL, NULL},
    {"POST", "/v1/things/{id}:cancel", "*", "/t/CancelThing", NULL, NULL},
    {"GET", "/v1/{a}/x", "", "/t/ParamFirst", NULL, NULL},
    {"GET", "/v1/x/{b}", "", "/t/LiteralFirst", NULL, NULL},
    {"GET", "/v1/deep/{inner.id}/{name=*}/logs", "", "/t/Deep", NULL, NULL},
    {"POST", "/v1/actions:start", "*", "/t/Start", NULL, NULL},
};
static const size_t hand_len = sizeof hand_table / sizeof hand_table[0];

/* Finds in the hand table; returns the matched method or NULL. */
static const char *hand_find(const char *verb, const char *path, route_match *m)
{
    if (route_find(hand_table, hand_len, verb, path, m) != 0)
        return NULL;
    return m->route->method;
}

static const char *param(const route_match *m, const char *name)
{
    for (int i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return m->params[i].value;
    return NULL;
}

START_TEST(literal_and_param_routes)
{
    route_match m;
    ck_assert_str_eq(hand_find("GET", "/v1/inventory/nodes", &m), "/inventory.v1.NodesService/ListNodes");
    ck_assert_int_eq(m.n_params, 0);
    route_match_clear(&m);

    ck_assert_str_eq(hand_find("POST", "/v1/inventory/nodes", &m), "/inventory.v1.NodesService/AddNode");
    ck_assert_str_eq(m.route->body, "*");
    route_match_clear(&m);

    ck_assert_str_eq(hand_find("GET", "/v1/inventory/nodes/abc", &m), "/inventory.v1.NodesService/GetNode");
    ck_assert_int_eq(m.n_params, 1);
    ck_assert_str_eq(param(&m, "node_id"), "abc");
    route_match_clear(&m);
    ck_assert_int_eq(m.n_params, 0);
    ck_assert_ptr_null(m.route);
    route_match_clear(&m); /* twice is harmless */
}
END_TEST

START_TEST(verbs_must_match)
{
    route_match m;
    ck_assert_ptr_null(hand_find("PUT", "/v1/inventory/nodes", &m));
    ck_assert_ptr_null(hand_find("get", "/v1/inventory/nodes", &m));
    ck_assert_ptr_null(hand_find("", "/v1/inventory/nodes", &m));
    ck_assert_str_eq(hand_find("DELETE", "/v1/inventory/nodes/n1", &m), "/inventory.v1.NodesService/RemoveNode");
    route_match_clear(&m);
}
END_TEST

START_TEST(literal_beats_param)
{
    route_match m;
    ck_assert_str_eq(hand_find("GET", "/v1/inventory/services/types", &m), "/t/Types");
    ck_assert_int_eq(m.n_params, 0);
    route_match_clear(&m);
    ck_assert_str_eq(hand_find("GET", "/v1/inventory/services/typesX", &m), "/inventory.v1.ServicesService/GetService");
    ck_assert_str_eq(param(&m, "service_id"), "typesX");
    route_match_clear(&m);
    /* equal literal counts: the route whose first param comes later wins */
    ck_assert_str_eq(hand_find("GET", "/v1/x/x", &m), "/t/LiteralFirst");
    ck_assert_str_eq(param(&m, "b"), "x");
    route_match_clear(&m);
    ck_assert_str_eq(hand_find("GET", "/v1/y/x", &m), "/t/ParamFirst");
    ck_assert_str_eq(param(&m, "a"), "y");
    route_match_clear(&m);
}
END_TEST

START_TEST(custom_verbs)
{
    route_match m;
    ck_assert_str_eq(hand_find("POST", "/v1/inventory/services:getTypes", &m),
                     "/inventory.v1.ServicesService/ListActiveServiceTypes");
    route_match_clear(&m);
    /* ":verb" routes never match without the verb, and vice versa */
    ck_assert_ptr_null(hand_find("POST", "/v1/inventory/services", &m));
    ck_assert_ptr_null(hand_find("POST", "/v1/inventory/services:getTypesX", &m));
    ck_assert_ptr_null(hand_find("POST", "/v1/inventory/services:gettypes", &m));
    ck_assert_ptr_null(hand_find("POST", "/v1/actions", &m));
    ck_assert_ptr_null(hand_find("POST", "/v1/actions:", &m));
    ck_assert_ptr_null(hand_find("POST", "/v1/:start", &m));
    ck_assert_str_eq(hand_find("POST", "/v1/actions:start", &m), "/t/Start");
    route_match_clear(&m);

    /* a {param}:verb route takes the verb, the bare {param} does not */
    ck_assert_str_eq(hand_find("POST", "/v1/things/abc:cancel", &m), "/t/CancelThing");
    ck_assert_int_eq(m.n_params, 1);
    ck_assert_str_eq(param(&m, "id"), "abc");
    route_match_clear(&m);
    ck_assert_str_eq(hand_find("POST", "/v1/things/abc", &m), "/t/Thing");
    ck_assert_str_eq(param(&m, "id"), "abc");
    route_match_clear(&m);
    /* other colons stay in the value */
    ck_assert_str_eq(hand_find("POST", "/v1/things/a:b", &m), "/t/Thing");
    ck_assert_str_eq(param(&m, "id"), "a:b");
    route_match_clear(&m);
    ck_assert_str_eq(hand_find("POST", "/v1/things/a:b:cancel", &m), "/t/CancelThing");
    ck_assert_str_eq(param(&m, "id"), "a:b");
    route_match_clear(&m);
    /* an empty value before ":cancel" is not a cancel */
    const char *r = hand_find("POST", "/v1/things/:cancel", &m);
    ck_assert(r == NULL || strcmp(r, "/t/CancelThing") != 0);
    route_match_clear(&m);
}
END_TEST

START_TEST(param_names)
{
    route_match m;
    ck_assert_str_eq(hand_find("GET", "/v1/deep/i1/n1/logs", &m), "/t/Deep");
    ck_assert_int_eq(m.n_params, 2);
    ck_assert_str_eq(m.params[0].name, "inner.id");
    ck_assert_str_eq(m.params[0].value, "i1");
    ck_assert_str_eq(m.params[1].name, "name");
    ck_assert_str_eq(m.params[1].value, "n1");
    route_match_clear(&m);
}
END_TEST

/* Legacy unescaping: the whole path is decoded first (as Go's r.URL.Path),
 * so an escaped '/' splits segments and nothing is decoded twice. */
static char *unescaped_find(const char *raw, route_match *m, const char **method)
{
    char *path = route_unescape_path(raw);
    *method = NULL;
    memset(m, 0, sizeof *m);
    if (path && route_find(hand_table, hand_len, "GET", path, m) == 0)
        *method = m->route->method;
    return path;
}

START_TEST(percent_decoding)
{
    static const struct {
        const char *raw, *want; /* want NULL: no GetNode match */
    } cases[] = {
        {"/v1/inventory/nodes/%41%62c", "Abc"},
        {"/v1/inventory/nodes/%e2%9c%93", "\xe2\x9c\x93"},
        {"/v1/inventory/nodes/a%20b+c", "a b+c"},
        {"/v1/inventory/nodes/%252F", "%2F"},
        {"/v1/inventory/nodes/x%2Fy", NULL},  /* "/v1/inventory/nodes/x/y": five segments */
        {"/v1/inventory/nod%65s/abc", "abc"}, /* literals compare after decoding */
        {"/v1/inventory/nodes/x'%20OR%20'1'='1", "x' OR '1'='1"},
        {"/v1/inventory/nodes/';DROP%20TABLE%20nodes;--", "';DROP TABLE nodes;--"},
        {"/v1/inventory/nodes/%22%5C%25_*", "\"\\%_*"},
        {"/v1/inventory/nodes/$1", "$1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        route_match m;
        const char *method;
        char *path = unescaped_find(cases[i].raw, &m, &method);
        ck_assert_ptr_nonnull(path);
        if (cases[i].want) {
            ck_assert_msg(method && strcmp(method, "/inventory.v1.NodesService/GetNode") == 0, "%s", cases[i].raw);
            ck_assert_str_eq(param(&m, "node_id"), cases[i].want);
        } else {
            ck_assert_msg(!method || strcmp(method, "/inventory.v1.NodesService/GetNode") != 0, "%s", cases[i].raw);
        }
        route_match_clear(&m);
        free(path);
    }
    /* malformed escapes are Go's "400 Bad Request"; NUL cannot be carried */
    const char *bad[] = {"/v1/inventory/nodes/%zz", "/v1/inventory/nodes/a%4", "/v1/inventory/nodes/%",
                         "/v1/inventory/nodes/%%41", "/v1/inventory/nodes/a%00b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_ptr_null(route_unescape_path(bad[i]));
}
END_TEST

START_TEST(clean_paths)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"/", "/"},
        {"", "/"},
        {"/v1/inventory/nodes", "/v1/inventory/nodes"},
        {"/v1/inventory/nodes/", "/v1/inventory/nodes/"},
        {"//v1//inventory/nodes", "/v1/inventory/nodes"},
        {"/v1/./inventory/nodes/", "/v1/inventory/nodes/"},
        {"/v1/inventory/x/../nodes", "/v1/inventory/nodes"},
        {"/../v1", "/v1"},
        {"/v1/..", "/"},
        {"/v1/../", "/"},
        {"/a/b/../../..//c/", "/c/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *c = route_clean_path(cases[i].in);
        ck_assert_msg(strcmp(c, cases[i].want) == 0, "%s -> %s, want %s", cases[i].in, c, cases[i].want);
        free(c);
    }
    char *e = route_escape_path("/v1/a b/\xc3\xa9!$&+,;=:@~");
    ck_assert_str_eq(e, "/v1/a%20b/%C3%A9%21$&+,;=:@~");
    free(e);
}
END_TEST

START_TEST(empty_segments)
{
    /* a variable takes the empty segment: the request reaches validation */
    route_match m;
    ck_assert_str_eq(hand_find("GET", "/v1/inventory/nodes/", &m), "/inventory.v1.NodesService/GetNode");
    ck_assert_str_eq(param(&m, "node_id"), "");
    route_match_clear(&m);
    ck_assert_str_eq(hand_find("GET", "/v1/deep//x/logs", &m), "/t/Deep");
    ck_assert_str_eq(param(&m, "inner.id"), "");
    route_match_clear(&m);
    /* a last segment that is only a route's ":verb" is answered 404 at once */
    ck_assert_ptr_null(hand_find("POST", "/v1/things/:cancel", &m));
    ck_assert_int_eq(m.bare_verb, 1);
    route_match_clear(&m);
}
END_TEST

START_TEST(malformed_paths)
{
    route_match m;
    const char *bad[] = {
        "", "/", "//", "///", "v1/inventory/nodes",
        "/v1/inventory/nodes//", "//v1/inventory/nodes", "/v1//inventory/nodes",
        "/v1/inventory//nodes/abc", "/v1/inventory/nodes/abc/", "/v1/inventory/nodes/abc/extra",
        "/v1/inventory", "/v2/inventory/nodes",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(route_find(hand_table, hand_len, "GET", bad[i], &m) == -1, "matched \"%s\"", bad[i]);
        ck_assert_ptr_null(m.route);
        ck_assert_int_eq(m.n_params, 0);
        route_match_clear(&m);
    }
    ck_assert_int_eq(route_find(hand_table, hand_len, NULL, "/v1/inventory/nodes", &m), -1);
    ck_assert_int_eq(route_find(hand_table, hand_len, "GET", NULL, &m), -1);
    ck_assert_int_eq(route_find(NULL, 0, "GET", "/v1/inventory/nodes", &m), -1);
    ck_assert_int_eq(route_find(hand_table, 0, "GET", "/v1/inventory/nodes", &m), -1);
    ck_assert_int_eq(route_find(hand_table, hand_len, "GET", "/v1/inventory/nodes", NULL), -1);
    route_match_clear(NULL);
}
END_TEST

START_TEST(huge_paths)
{
    route_match m;
    size_t n = 64 * 1024;
    char *p = malloc(n + 1);
    ck_assert_ptr_nonnull(p);

    /* one 64 KiB param value */
    strcpy(p, "/v1/inventory/nodes/");
    size_t l = strlen(p);
    memset(p + l, 'a', n - l);
    p[n] = '\0';
    ck_assert_int_eq(route_find(hand_table, hand_len, "GET", p, &m), -1);

    /* 64 KiB of "/" */
    memset(p, '/', n);
    ck_assert_int_eq(route_find(hand_table, hand_len, "GET", p, &m), -1);

    /* hundreds of segments, short enough to pass the length limit */
    size_t o = 0;
    for (int i = 0; i < 500; i++)
        o += (size_t)snprintf(p + o, n + 1 - o, "/s");
    ck_assert_int_eq(route_find(hand_table, hand_len, "GET", p, &m), -1);

    /* a path ending in many segments after a real prefix */
    strcpy(p, "/v1/inventory/nodes/abc");
    o = strlen(p);
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(p + o, n + 1 - o, "/x");
    ck_assert_int_eq(route_find(hand_table, hand_len, "GET", p, &m), -1);

    /* a long but sane value still matches */
    strcpy(p, "/v1/inventory/nodes/");
    l = strlen(p);
    memset(p + l, 'b', 1000);
    p[l + 1000] = '\0';
    ck_assert_int_eq(route_find(hand_table, hand_len, "GET", p, &m), 0);
    ck_assert_uint_eq(strlen(param(&m, "node_id")), 1000);
    route_match_clear(&m);
    free(p);
}
END_TEST

START_TEST(daemon_for_method)
{
    struct { const char *method, *daemon; } cases[] = {
        {"/inventory.v1.NodesService/GetNode", "inventoryd"},
        {"/management.v1.ManagementService/AddService", "inventoryd"},
        {"/user.v1.UserService/GetUser", "inventoryd"},
        {"/accesscontrol.v1beta1.AccessControlService/ListRoles", "inventoryd"},
        {"/internal.v1.AuthService/Authenticate", "inventoryd"},
        {"/internal.v1.AgentsService/Metrics", "agentsd"},
        {"/internal.v1.JobsService/StartJob", "agentsd"},
        {"/server.v1.ServerService/Readiness", "configd"},
        {"/platform.v1.PlatformService/Connect", "configd"},
        {"/uievents.v1.UIEventsService/Store", "configd"},
        {"/agent.v1.AgentService/Connect", "agentsd"},
        {"/agent.Agent/Connect", "agentsd"},
        {"/actions.v1.ActionsService/GetAction", "agentsd"},
        {"/inventory.v1.AgentsService/GetAgentLogs", "agentsd"},
        {"/inventory.v1.AgentsService/GetAgent", "inventoryd"},
        {"/inventory.v1.AgentsService/GetAgentLogsX", "inventoryd"},
        {"/backup.v1.BackupService/StartBackup", "backupd"},
        {"/dump.v1beta1.DumpService/StartDump", "backupd"},
        {"/advisors.v1.AdvisorService/ListAdvisors", "checksd"},
        {"/alerting.v1.AlertingService/ListTemplates", "checksd"},
        {"inventory.v1.NodesService/GetNode", "inventoryd"},
        {"/internal.v1.OtherService/X", NULL},
        {"/internal.v1.AuthServiceX/X", NULL},
        {"/agent.AgentX/Connect", NULL},
        {"/qan.v1.QANService/GetReport", NULL},
        {"/inventory.v1.sub.Service/X", NULL},
        {"/inventory.v1./X", NULL},
        {"/inventory.v1.NodesService", NULL},
        {"/inventory.v1.NodesService/", NULL},
        {"/inventory.v1.NodesService/a/b", NULL},
        {"//GetNode", NULL},
        {"/inventory.v2.NodesService/GetNode", NULL},
        {"", NULL},
        {"/", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = route_daemon_for_method(cases[i].method);
        if (cases[i].daemon)
            ck_assert_msg(got && strcmp(got, cases[i].daemon) == 0, "%s -> %s", cases[i].method,
                          got ? got : "NULL");
        else
            ck_assert_msg(got == NULL, "%s -> %s", cases[i].method ? cases[i].method : "NULL", got);
    }
}
END_TEST

/* ---- the generated table ----------------------------------------------------- */

/* Finds in the generated table and checks the method and request type. */
static void expect_real(const char *verb, const char *path, const char *method,
                        const char *request_type, route_match *m)
{
    int rc = route_find(route_table, route_table_len, verb, path, m);
    ck_assert_msg(rc == 0, "%s %s: no route", verb, path);
    ck_assert_str_eq(m->route->method, method);
    ck_assert_ptr_nonnull(m->route->request);
    ck_assert_ptr_nonnull(m->route->response);
    ck_assert_str_eq(m->route->request->short_name, request_type);
}

START_TEST(real_inventory_routes)
{
    route_match m;
    expect_real("GET", "/v1/inventory/nodes/abc", "/inventory.v1.NodesService/GetNode", "GetNodeRequest", &m);
    ck_assert_int_eq(m.n_params, 1);
    ck_assert_str_eq(param(&m, "node_id"), "abc");
    ck_assert_str_eq(m.route->response->name, "inventory.v1.GetNodeResponse");
    ck_assert_str_eq(m.route->request->package_name, "inventory.v1");
    route_match_clear(&m);

    expect_real("GET", "/v1/inventory/nodes", "/inventory.v1.NodesService/ListNodes", "ListNodesRequest", &m);
    ck_assert_int_eq(m.n_params, 0);
    route_match_clear(&m);

    expect_real("POST", "/v1/inventory/nodes", "/inventory.v1.NodesService/AddNode", "AddNodeRequest", &m);
    ck_assert_str_eq(m.route->body, "*");
    route_match_clear(&m);

    expect_real("DELETE", "/v1/inventory/nodes/", "/inventory.v1.NodesService/RemoveNode", "RemoveNodeRequest", &m);
    ck_assert_str_eq(param(&m, "node_id"), "");
    route_match_clear(&m);

    expect_real("POST", "/v1/inventory/services:getTypes", "/inventory.v1.ServicesService/ListActiveServiceTypes",
                "ListActiveServiceTypesRequest", &m);
    route_match_clear(&m);

    expect_real("PUT", "/v1/inventory/services/s1", "/inventory.v1.ServicesService/ChangeService",
                "ChangeServiceRequest", &m);
    ck_assert_str_eq(param(&m, "service_id"), "s1");
    route_match_clear(&m);

    ck_assert_int_eq(route_find(route_table, route_table_len, "GET", "/v1/inventory/nothing/here", &m), -1);
    ck_assert_int_eq(route_find(route_table, route_table_len, "GET", "/v1/unknown", &m), -1);
    ck_assert_int_eq(route_find(route_table, route_table_len, "PATCH", "/v1/inventory/nodes", &m), -1);
    ck_assert_int_eq(route_find(route_table, route_table_len, "PUT", "/v1/inventory/nodes/abc", &m), -1);
    ck_assert_int_eq(route_find(route_table, route_table_len, "GET", "/v1/server/version/", &m), -1);
    ck_assert_int_eq(route_find(route_table, route_table_len, "PUT", "/v1/inventory/services:getTypes", &m), -1);
    /* every route whose last segment is a variable takes the empty value */
    const char *empty_ok[][2] = {
        {"GET", "/v1/inventory/nodes/"},       {"DELETE", "/v1/inventory/nodes/"},
        {"GET", "/v1/inventory/services/"},    {"DELETE", "/v1/management/services/"},
        {"GET", "/v1/inventory/agents/"},      {"PUT", "/v1/inventory/agents/"},
        {"GET", "/v1/management/nodes/"},      {"GET", "/v1/actions/"},
        {"GET", "/v1/inventory/agents//logs"},
    };
    for (size_t i = 0; i < sizeof empty_ok / sizeof empty_ok[0]; i++) {
        ck_assert_msg(route_find(route_table, route_table_len, empty_ok[i][0], empty_ok[i][1], &m) == 0, "%s %s",
                      empty_ok[i][0], empty_ok[i][1]);
        ck_assert_str_eq(m.params[0].value, "");
        route_match_clear(&m);
    }
}
END_TEST

START_TEST(real_server_routes)
{
    route_match m;
    expect_real("GET", "/v1/server/readyz", "/server.v1.ServerService/Readiness", "ReadinessRequest", &m);
    route_match_clear(&m);
    expect_real("GET", "/v1/server/version", "/server.v1.ServerService/Version", "VersionRequest", &m);
    route_match_clear(&m);
    expect_real("PUT", "/v1/server/settings", "/server.v1.ServerService/ChangeSettings", "ChangeSettingsRequest", &m);
    route_match_clear(&m);
    ck_assert_int_eq(route_find(route_table, route_table_len, "POST", "/v1/server/readyz", &m), -1);
}
END_TEST

/* Builds a concrete request path from a pattern: every {param} becomes
 * "p-<n>", the ":verb" is kept. */
static void concrete_path(const char *pattern, char *out, size_t cap)
{
    size_t o = 0;
    int n = 0;
    for (const char *p = pattern; *p && o + 8 < cap; p++) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            ck_assert_ptr_nonnull(close);
            o += (size_t)snprintf(out + o, cap - o, "p-%d", n++);
            p = close;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

START_TEST(real_table_consistent)
{
    ck_assert_uint_gt(route_table_len, 0);
    for (size_t i = 0; i < route_table_len; i++) {
        const route_entry *r = &route_table[i];
        ck_assert_ptr_nonnull(r->request);
        ck_assert_ptr_nonnull(r->response);
        ck_assert_int_eq(r->request->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
        ck_assert_int_eq(r->response->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
        ck_assert_msg(route_daemon_for_method(r->method) != NULL, "%s has no daemon", r->method);
        if (i > 0) { /* sorted by pattern, then verb */
            int c = strcmp(route_table[i - 1].pattern, r->pattern);
            ck_assert(c < 0 || (c == 0 && strcmp(route_table[i - 1].verb, r->verb) < 0));
        }

        /* each route is reachable: its own concrete path finds it */
        char path[512];
        concrete_path(r->pattern, path, sizeof path);
        route_match m;
        ck_assert_msg(route_find(route_table, route_table_len, r->verb, path, &m) == 0,
                      "%s %s unreachable", r->verb, path);
        ck_assert_msg(m.route == r, "%s %s -> %s, want %s", r->verb, path, m.route->method, r->method);
        route_match_clear(&m);
    }
}
END_TEST

static Suite *route_suite(void)
{
    Suite *s = suite_create("route");
    TCase *tc = tcase_create("hand");
    tcase_add_test(tc, literal_and_param_routes);
    tcase_add_test(tc, verbs_must_match);
    tcase_add_test(tc, literal_beats_param);
    tcase_add_test(tc, custom_verbs);
    tcase_add_test(tc, param_names);
    tcase_add_test(tc, percent_decoding);
    tcase_add_test(tc, clean_paths);
    tcase_add_test(tc, empty_segments);
    tcase_add_test(tc, malformed_paths);
    tcase_add_test(tc, huge_paths);
    tcase_add_test(tc, daemon_for_method);
    suite_add_tcase(s, tc);

    TCase *real = tcase_create("generated");
    tcase_add_test(real, real_inventory_routes);
    tcase_add_test(real, real_server_routes);
    tcase_add_test(real, real_table_consistent);
    suite_add_tcase(s, real);
    return s;
}

int main(void)
{
    return check_run(route_suite());
}
