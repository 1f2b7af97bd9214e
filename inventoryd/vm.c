/* vm: VictoriaMetrics instant queries (Prometheus API over libcurl, the
 * answer parsed with jansson) into a label-value -> sample hash, so that
 * a list of thousands of rows costs one query and a lookup per row. */
#include "vm.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "strhash.h"

/* Answers larger than this are refused rather than buffered. */
#define VM_BODY_MAX (64u << 20)

#define QUERY_FAILED "failed to execute an instant VM query"

typedef struct {
    char *key;
    double value;
} slot;

struct vm_values {
    slot *slots; /* open addressing, power-of-two size, at most half full */
    size_t size, count;
};

static slot *find_slot(const vm_values *v, const char *key)
{
    size_t mask = v->size - 1;
    for (size_t i = strhash(key) & mask;; i = (i + 1) & mask)
        if (!v->slots[i].key || strcmp(v->slots[i].key, key) == 0)
            return &v->slots[i];
}

static vm_values *values_new(size_t expected)
{
    vm_values *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->size = 16;
    while (v->size < 2 * expected + 2)
        v->size *= 2;
    v->slots = calloc(v->size, sizeof *v->slots);
    if (!v->slots) {
        free(v);
        return NULL;
    }
    return v;
}

/* The table is sized for every series, so it never needs to grow. */
static int values_put(vm_values *v, const char *key, double value, vm_keep keep)
{
    slot *s = find_slot(v, key);
    if (s->key) {
        if (keep == VM_KEEP_LAST)
            s->value = value;
        return 0;
    }
    if (!(s->key = strdup(key)))
        return -1;
    s->value = value;
    v->count++;
    return 0;
}

bool vm_values_get(const vm_values *v, const char *key, double *value)
{
    if (!v || !key)
        return false;
    const slot *s = find_slot(v, key);
    if (!s->key)
        return false;
    *value = s->value;
    return true;
}

size_t vm_values_count(const vm_values *v)
{
    return v ? v->count : 0;
}

void vm_values_destroy(vm_values **pv)
{
    vm_values *v = *pv;
    if (!v)
        return;
    for (size_t i = 0; i < v->size; i++)
        free(v->slots[i].key);
    free(v->slots);
    free(v);
    *pv = NULL;
}

int vm_up_status(double value)
{
    if (!isfinite(value))
        return 0;
    double t = trunc(value);
    return t == 1 ? 1 : t == 0 ? 2 : 0;
}

typedef struct {
    char *data;
    size_t len, cap;
    bool too_big;
} buffer;

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
    buffer *b = ud;
    size_t add = size * n;
    if (b->len + add > VM_BODY_MAX) {
        b->too_big = true;
        return 0;
    }
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* POST query=...&time=now to url; the body in *b and the HTTP status, or
 * -1 with st set. */
static long post_query(const char *url, const char *query, buffer *b, rpc_status *st)
{
    CURL *c = curl_easy_init();
    if (!c) {
        rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": curl_easy_init failed");
        return -1;
    }
    char *q = curl_easy_escape(c, query, 0);
    size_t flen = (q ? strlen(q) : 0) + 64;
    char *form = malloc(flen);
    long status = -1;
    if (!q || !form) {
        rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": out of memory");
        goto out;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(form, flen, "query=%s&time=%lld.%03ld", q, (long long)now.tv_sec, now.tv_nsec / 1000000);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)VM_QUERY_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else if (b->too_big)
        rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": answer larger than %u bytes", VM_BODY_MAX);
    else
        rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": Post \"%s\": %s", url, curl_easy_strerror(rc));
out:
    free(form);
    curl_free(q);
    curl_easy_cleanup(c);
    return status;
}

/* One series of a vector: its label value and sample value. */
static int put_series(vm_values *v, json_t *series, const char *label, vm_keep keep)
{
    json_t *metric = json_object_get(series, "metric"), *val = json_object_get(series, "value");
    const char *s = json_string_value(json_array_get(val, 1));
    if (!json_is_object(metric) || !s)
        return -1;
    const char *key = json_string_value(json_object_get(metric, label));
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end)
        return -1;
    return values_put(v, key ? key : "", d, keep);
}

static const char *str_or(const json_t *j, const char *otherwise)
{
    const char *s = json_string_value(j);
    return s ? s : otherwise;
}

/* Prometheus API answer -> *out, or an error text as upstream's client
 * gives it ("<errorType>: <error>"). */
static int parse_answer(const buffer *b, long http, const char *label, vm_keep keep, vm_values **out,
                        rpc_status *st)
{
    json_error_t jerr;
    json_t *root = json_loadb(b->data ? b->data : "", b->len, 0, &jerr);
    const char *status = json_string_value(json_object_get(root, "status"));
    int rc = RPC_OK;
    if (status && strcmp(status, "error") == 0) {
        rc = rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": %s: %s",
                      str_or(json_object_get(root, "errorType"), "error"), str_or(json_object_get(root, "error"), ""));
        goto out;
    }
    if (http / 100 != 2 || !status || strcmp(status, "success") != 0) {
        rc = rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": bad response code %ld", http);
        goto out;
    }
    json_t *data = json_object_get(root, "data"), *result = json_object_get(data, "result");
    const char *type = json_string_value(json_object_get(data, "resultType"));
    if (!type || strcmp(type, "vector") != 0 || !json_is_array(result)) {
        rc = rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": the answer is not a vector");
        goto out;
    }
    vm_values *v = values_new(json_array_size(result));
    size_t i;
    json_t *series;
    json_array_foreach(result, i, series) {
        if (v && put_series(v, series, label, keep) != 0) {
            vm_values_destroy(&v);
            rc = rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": malformed series in the answer");
            goto out;
        }
    }
    if (!v)
        rc = rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": out of memory");
    *out = v;
out:
    json_decref(root);
    return rc;
}

int vm_query(const char *base_url, const char *query, const char *label, vm_keep keep, vm_values **out,
             rpc_status *st)
{
    *out = NULL;
    if (!base_url || !*base_url)
        return rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": no VictoriaMetrics URL");
    size_t n = strlen(base_url), len = n + 32;
    char *url = malloc(len);
    if (!url)
        return rpc_fail(st, RPC_UNKNOWN, QUERY_FAILED ": out of memory");
    snprintf(url, len, "%s%sapi/v1/query", base_url, n && base_url[n - 1] == '/' ? "" : "/");
    buffer b = { 0 };
    long http = post_query(url, query, &b, st);
    int rc = http < 0 ? st->code : parse_answer(&b, http, label, keep, out, st);
    free(b.data);
    free(url);
    return rc;
}
