/* metrics: request counters, latency histogram and in-flight gauges for
 * /debug/metrics and /debug/vars. One mutex: updates are a few integer
 * adds, far cheaper than the bus round trip they measure. */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rpc.h"

/* Caps label cardinality: random method names from clients must not grow
 * memory without bound; the overflow is counted under method="other". */
#define MAX_SERIES 512
#define MAX_DAEMONS 16

static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BUCKETS (sizeof buckets / sizeof *buckets)

typedef struct {
    char transport[8];
    char method[160];
    int code;
    uint64_t count;
} counter;

typedef struct {
    char transport[8];
    char method[160];
    uint64_t bucket[N_BUCKETS];
    uint64_t count;
    double sum;
} histogram;

typedef struct {
    char name[32];
    long inflight;
} gauge;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static counter counters[MAX_SERIES];
static int n_counters;
static histogram hists[MAX_SERIES];
static int n_hists;
static gauge gauges[MAX_DAEMONS];
static int n_gauges;

void metrics_init(void)
{
    pthread_mutex_lock(&lock);
    n_counters = n_hists = n_gauges = 0;
    pthread_mutex_unlock(&lock);
}

static counter *find_counter(const char *transport, const char *method, int code)
{
    for (int i = 0; i < n_counters; i++)
        if (counters[i].code == code && strcmp(counters[i].method, method) == 0 &&
            strcmp(counters[i].transport, transport) == 0)
            return &counters[i];
    if (n_counters == MAX_SERIES)
        return NULL;
    counter *c = &counters[n_counters++];
    snprintf(c->transport, sizeof c->transport, "%s", transport);
    snprintf(c->method, sizeof c->method, "%s", method);
    c->code = code;
    c->count = 0;
    return c;
}

static histogram *find_hist(const char *transport, const char *method)
{
    for (int i = 0; i < n_hists; i++)
        if (strcmp(hists[i].method, method) == 0 && strcmp(hists[i].transport, transport) == 0)
            return &hists[i];
    if (n_hists == MAX_SERIES)
        return NULL;
    histogram *h = &hists[n_hists++];
    memset(h, 0, sizeof *h);
    snprintf(h->transport, sizeof h->transport, "%s", transport);
    snprintf(h->method, sizeof h->method, "%s", method);
    return h;
}

void metrics_observe(const char *transport, const char *method, int code, double seconds)
{
    pthread_mutex_lock(&lock);
    counter *c = find_counter(transport, method, code);
    if (!c)
        c = find_counter(transport, "other", code);
    if (c)
        c->count++;
    histogram *h = find_hist(transport, method);
    if (!h)
        h = find_hist(transport, "other");
    if (h) {
        for (size_t i = 0; i < N_BUCKETS; i++)
            if (seconds <= buckets[i])
                h->bucket[i]++;
        h->count++;
        h->sum += seconds;
    }
    pthread_mutex_unlock(&lock);
}

void metrics_inflight(const char *daemon, int delta)
{
    pthread_mutex_lock(&lock);
    int i;
    for (i = 0; i < n_gauges; i++)
        if (strcmp(gauges[i].name, daemon) == 0)
            break;
    if (i == n_gauges && n_gauges < MAX_DAEMONS) {
        snprintf(gauges[i].name, sizeof gauges[i].name, "%s", daemon);
        gauges[i].inflight = 0;
        n_gauges++;
    }
    if (i < n_gauges)
        gauges[i].inflight += delta;
    pthread_mutex_unlock(&lock);
}

typedef struct {
    char *buf;
    size_t len, cap;
} strbuf;

static void sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *sb, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = sb->cap - sb->len;
        int n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL, sb->buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (sb->buf && (size_t)n < room) {
            sb->len += (size_t)n;
            return;
        }
        size_t cap = sb->cap ? sb->cap * 2 : 4096;
        while (cap < sb->len + (size_t)n + 1)
            cap *= 2;
        char *nb = realloc(sb->buf, cap);
        if (!nb)
            return;
        sb->buf = nb;
        sb->cap = cap;
    }
}

char *metrics_render_prometheus(void)
{
    strbuf sb = { 0 };
    sb_printf(&sb, "# HELP pmm_gateway_requests_total Requests handled, by transport, gRPC method and gRPC code.\n"
                   "# TYPE pmm_gateway_requests_total counter\n");
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n_counters; i++)
        sb_printf(&sb, "pmm_gateway_requests_total{transport=\"%s\",method=\"%s\",code=\"%s\"} %llu\n",
                  counters[i].transport, counters[i].method, rpc_code_name(counters[i].code),
                  (unsigned long long)counters[i].count);
    sb_printf(&sb, "# HELP pmm_gateway_request_duration_seconds Request latency, by transport and gRPC method.\n"
                   "# TYPE pmm_gateway_request_duration_seconds histogram\n");
    for (int i = 0; i < n_hists; i++) {
        histogram *h = &hists[i];
        for (size_t b = 0; b < N_BUCKETS; b++)
            sb_printf(&sb, "pmm_gateway_request_duration_seconds_bucket{transport=\"%s\",method=\"%s\",le=\"%g\"} %llu\n",
                      h->transport, h->method, buckets[b], (unsigned long long)h->bucket[b]);
        sb_printf(&sb, "pmm_gateway_request_duration_seconds_bucket{transport=\"%s\",method=\"%s\",le=\"+Inf\"} %llu\n",
                  h->transport, h->method, (unsigned long long)h->count);
        sb_printf(&sb, "pmm_gateway_request_duration_seconds_sum{transport=\"%s\",method=\"%s\"} %.6f\n",
                  h->transport, h->method, h->sum);
        sb_printf(&sb, "pmm_gateway_request_duration_seconds_count{transport=\"%s\",method=\"%s\"} %llu\n",
                  h->transport, h->method, (unsigned long long)h->count);
    }
    sb_printf(&sb, "# HELP pmm_gateway_inflight_calls Calls waiting for a daemon's answer.\n"
                   "# TYPE pmm_gateway_inflight_calls gauge\n");
    for (int i = 0; i < n_gauges; i++)
        sb_printf(&sb, "pmm_gateway_inflight_calls{daemon=\"%s\"} %ld\n", gauges[i].name, gauges[i].inflight);
    pthread_mutex_unlock(&lock);
    return sb.buf;
}

char *metrics_render_vars(void)
{
    json_t *root = json_object();
    json_t *reqs = json_object();
    json_t *inflight = json_object();
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n_counters; i++) {
        char key[200];
        snprintf(key, sizeof key, "%.8s %.160s %.24s", counters[i].transport, counters[i].method,
                 rpc_code_name(counters[i].code));
        json_object_set_new(reqs, key, json_integer((json_int_t)counters[i].count));
    }
    for (int i = 0; i < n_gauges; i++)
        json_object_set_new(inflight, gauges[i].name, json_integer(gauges[i].inflight));
    pthread_mutex_unlock(&lock);
    json_object_set_new(root, "requests", reqs);
    json_object_set_new(root, "inflight", inflight);
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);
    return s;
}
