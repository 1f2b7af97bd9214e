/* metrics_query: see metrics_query.h. */
#include "metrics_query.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <curl/curl.h>

#include "docs.h"
#include "http/bytebuf.h"

char *metrics_render_query(const char *query, const char *service_name, const char *node_name,
                           const char *service_id, char *err, size_t errlen)
{
    bytebuf out = { 0 };
    const char *p = query;
    while (*p) {
        const char *open = strstr(p, "{{");
        size_t lit = open ? (size_t)(open - p) : strlen(p);
        const char *val = NULL;
        const char *next = p + lit;
        if (open) {
            const char *close = strstr(open + 2, "}}");
            if (!close) {
                snprintf(err, errlen, "template: query:1: unclosed action");
                bytebuf_free(&out);
                return NULL;
            }
            const char *a = open + 2, *b = close;
            if (*a == '-' && a[1] == ' ')
                a += 2;
            while (a < b && *a == ' ')
                a++;
            while (b > a && b[-1] == ' ')
                b--;
            size_t n = (size_t)(b - a);
            if (n == 12 && strncmp(a, ".ServiceName", n) == 0)
                val = service_name;
            else if (n == 9 && strncmp(a, ".NodeName", n) == 0)
                val = node_name;
            else if (n == 10 && strncmp(a, ".ServiceID", n) == 0)
                val = service_id;
            else {
                snprintf(err, errlen, "template: query:1: can't evaluate %.*s in the query's data", (int)n, a);
                bytebuf_free(&out);
                return NULL;
            }
            next = close + 2;
        }
        if (bytebuf_append(&out, p, lit, SIZE_MAX / 2) != 0 ||
            (val && bytebuf_append(&out, val, strlen(val), SIZE_MAX / 2) != 0)) {
            bytebuf_free(&out);
            return NULL;
        }
        p = next;
    }
    if (!out.data && bytebuf_append(&out, "", 0, 1) != 0)
        snprintf(err, errlen, "out of memory");
    return out.data;
}

char *metrics_query_url(const char *base, const check_query *q, const char *promql, int64_t now_ms)
{
    char *enc = curl_easy_escape(NULL, promql, 0);
    if (!enc)
        return NULL;
    double end = (double)(now_ms - q->lookback_ns / 1000000) / 1000.0;
    const char *slash = base[0] && base[strlen(base) - 1] == '/' ? "" : "/";
    char *url = NULL;
    int n;
    if (q->type == Q_METRICS_RANGE)
        n = asprintf(&url, "%s%sapi/v1/query_range?query=%s&start=%.3f&end=%.3f&step=%.3f", base, slash, enc,
                     end - (double)q->range_ns / 1e9, end, (double)q->step_ns / 1e9);
    else
        n = asprintf(&url, "%s%sapi/v1/query?query=%s&time=%.3f", base, slash, enc, end);
    curl_free(enc);
    return n < 0 ? NULL : url;
}

int metrics_answer_docs(long status, const char *body, size_t len, msgpack_sbuffer *out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    const char *st = json_string_value(json_object_get(j, "status"));
    int rc = -1;
    if (!j || !st) {
        snprintf(err, errlen, "server_error: server error: %ld", status);
    } else if (strcmp(st, "success") != 0) {
        const char *et = json_string_value(json_object_get(j, "errorType"));
        const char *e = json_string_value(json_object_get(j, "error"));
        snprintf(err, errlen, "%s: %s", et ? et : "error", e ? e : "unknown error");
    } else {
        json_t *data = json_object_get(j, "data");
        const char *type = json_string_value(json_object_get(data, "resultType"));
        json_t *result = json_object_get(data, "result");
        if (!type || (strcmp(type, "vector") != 0 && strcmp(type, "matrix") != 0) || !json_is_array(result))
            snprintf(err, errlen, "unexpected value type");
        else
            rc = docs_from_json(result, true, out);
    }
    json_decref(j);
    return rc;
}
