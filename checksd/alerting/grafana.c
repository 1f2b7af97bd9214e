/* grafana: see grafana.h. */
#include "grafana.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http/httpc.h"

void grafana_go_duration(int64_t ns, char *out, size_t outlen)
{
    if (ns == 0) {
        snprintf(out, outlen, "0s");
        return;
    }
    int64_t h = ns / (3600 * INT64_C(1000000000)), rest = ns % (3600 * INT64_C(1000000000));
    int64_t m = rest / (60 * INT64_C(1000000000));
    rest %= 60 * INT64_C(1000000000);
    char sec[48];
    if (rest % 1000000000 == 0)
        snprintf(sec, sizeof sec, "%" PRId64 "s", rest / 1000000000);
    else {
        snprintf(sec, sizeof sec, "%" PRId64 ".%09" PRId64, rest / 1000000000, rest % 1000000000);
        size_t l = strlen(sec);
        while (sec[l - 1] == '0')
            sec[--l] = '\0';
        snprintf(sec + l, sizeof sec - l, "s");
    }
    if (h)
        snprintf(out, outlen, "%" PRId64 "h%" PRId64 "m%s", h, m, sec);
    else if (m)
        snprintf(out, outlen, "%" PRId64 "m%s", m, sec);
    else
        snprintf(out, outlen, "%s", sec);
}

/* One call; *status the HTTP status (0: none), the body into *body. */
static int call(const grafana_params *g, const char *method, const char *path, const char *req_body, long *status,
                char **body, rpc_status *st)
{
    char url[4096];
    size_t bl = strlen(g->url);
    snprintf(url, sizeof url, "%.*s%s", (int)(bl && g->url[bl - 1] == '/' ? bl - 1 : bl), g->url, path);
    const char *headers[3] = { "Content-Type: application/json", NULL, NULL };
    if (g->auth_header && *g->auth_header)
        headers[1] = g->auth_header;
    httpc_request req = { .method = method, .url = url, .headers = headers, .body = req_body,
                          .body_len = req_body ? strlen(req_body) : 0, .timeout_ms = g->timeout_ms };
    httpc_call *c = httpc_call_new(&req);
    if (!c)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    int rc = RPC_OK;
    if (httpc_call_run(c) != HTTPC_DONE)
        rc = rpc_fail(st, RPC_UNKNOWN, "%s", httpc_error(c));
    else {
        *status = httpc_status(c);
        *body = strdup(httpc_body(c));
        if (*status != 200 && *status != 202 && !(*status == 404 && strcmp(method, "GET") == 0))
            rc = rpc_fail(st, RPC_UNKNOWN, "clientError: %s %s -> %ld %s", method, url, *status, httpc_body(c));
    }
    httpc_call_free(c);
    return rc;
}

static char *escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *out = e ? strdup(e) : NULL;
    curl_free(e);
    return out;
}

int grafana_create_rule(const grafana_params *g, const grafana_rule *r, rpc_status *st)
{
    long status = 0;
    char *body = NULL, path[4096];
    /* 1 is PMM's Metrics datasource */
    if (call(g, "GET", "/api/datasources/1", NULL, &status, &body, st) != RPC_OK) {
        free(body);
        return st->code;
    }
    json_t *ds = status == 200 ? json_loads(body, 0, NULL) : NULL;
    free(body);
    body = NULL;
    const char *uid = json_string_value(json_object_get(ds, "uid"));
    if (!uid) {
        json_decref(ds);
        return rpc_fail(st, RPC_UNKNOWN, "clientError: GET /api/datasources/1 -> %ld no datasource uid", status);
    }
    char *folder = escape(r->folder_uid), *group = escape(r->group);
    int rc = folder && group ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
    json_t *g_json = NULL;
    if (rc == RPC_OK) {
        snprintf(path, sizeof path, "/api/ruler/grafana/api/v1/rules/%s/%s", folder, group);
        rc = call(g, "GET", path, NULL, &status, &body, st);
    }
    if (rc == RPC_OK && status == 200)
        g_json = json_loads(body, 0, NULL);
    if (rc == RPC_OK && !json_is_object(g_json)) {
        json_decref(g_json);
        g_json = json_object();
    }
    if (rc == RPC_OK) {
        char dur[64];
        grafana_go_duration(r->for_ns, dur, sizeof dur);
        json_t *data = json_pack("[{s:s, s:s, s:{s:i, s:i}, s:{s:s, s:s, s:b}}]", "refId", "A", "datasourceUid", uid,
                                 "relativeTimeRange", "from", 600, "to", 0, "model", "expr", r->expr, "refId", "A",
                                 "instant", 1);
        json_t *rule = json_pack("{s:{s:s, s:s, s:s, s:s, s:o}, s:s, s:O, s:O}", "grafana_alert", "title", r->title,
                                 "condition", "A", "no_data_state", "OK", "exec_err_state", "Alerting", "data", data,
                                 "for", dur, "annotations", r->annotations, "labels", r->labels);
        json_object_set_new(g_json, "name", json_string(r->group));
        if (!json_string_value(json_object_get(g_json, "interval")) ||
            !*json_string_value(json_object_get(g_json, "interval")))
            json_object_set_new(g_json, "interval", json_string(r->interval));
        json_t *rules = json_object_get(g_json, "rules");
        if (!json_is_array(rules)) {
            rules = json_array();
            json_object_set_new(g_json, "rules", rules);
        }
        json_array_append_new(rules, rule);
        char *out = json_dumps(g_json, JSON_COMPACT);
        free(body);
        body = NULL;
        snprintf(path, sizeof path, "/api/ruler/grafana/api/v1/rules/%s", folder);
        rc = out ? call(g, "POST", path, out, &status, &body, st) : rpc_fail(st, RPC_INTERNAL, "out of memory");
        free(out);
    }
    free(body);
    free(folder);
    free(group);
    json_decref(g_json);
    json_decref(ds);
    return rc;
}
