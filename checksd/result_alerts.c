/* result_alerts: see result_alerts.h. */
#include "result_alerts.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "http/httpc.h"
#include "leader.h"
#include "log.h"
#include "results.h"
#include "script.h"
#include "strhash.h"

#define RESEND_MS 30000
#define LIFETIME_MS 90000 /* three resends: a missed one does not resolve the alert */
#define POST_TIMEOUT_MS 5000

struct result_alerts {
    char *url;
    pthread_t thread;
    volatile sig_atomic_t stop;
};

static void rfc3339(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%03dZ", base, (int)(ms % 1000));
}

typedef struct {
    json_t *arr;
    const char *starts, *ends;
} body_ctx;

static void add_alert(const check_result *r, void *arg)
{
    body_ctx *b = arg;
    json_t *labels = json_object(), *ann = json_object();
    for (size_t i = 0; i < r->r.n_labels; i++)
        json_object_set_new(labels, r->r.label_keys[i], json_string(r->r.label_values[i]));
    for (size_t i = 0; i < r->n_labels; i++)
        json_object_set_new(labels, r->label_keys[i], json_string(r->label_values[i]));
    json_object_set_new(labels, "alertname", json_string(r->check_name));
    json_object_set_new(labels, "severity", json_string(severity_name(r->r.severity)));
    json_object_set_new(labels, "stt_check", json_string("1"));
    json_object_set_new(labels, "interval_group", json_string(interval_name(r->interval)));
    /* one alert per check, service and finding */
    char id[64];
    char key[4096];
    snprintf(key, sizeof key, "%s\n%s\n%s", r->check_name, r->service_id ? r->service_id : "",
             r->r.summary ? r->r.summary : "");
    snprintf(id, sizeof id, "/stt/%016" PRIx64, strhash(key));
    json_object_set_new(labels, "alert_id", json_string(id));
    json_object_set_new(ann, "summary", json_string(r->r.summary ? r->r.summary : ""));
    json_object_set_new(ann, "description", json_string(r->r.description ? r->r.description : ""));
    json_object_set_new(ann, "read_more_url", json_string(r->r.read_more_url ? r->r.read_more_url : ""));
    json_array_append_new(b->arr, json_pack("{s:o, s:o, s:s, s:s}", "labels", labels, "annotations", ann, "startsAt",
                                            b->starts, "endsAt", b->ends));
}

char *result_alerts_body(int64_t now_ms, int64_t ends_ms)
{
    char starts[40], ends[40];
    rfc3339(now_ms, starts, sizeof starts);
    rfc3339(ends_ms, ends, sizeof ends);
    body_ctx b = { json_array(), starts, ends };
    if (!b.arr)
        return NULL;
    results_foreach(add_alert, &b);
    char *s = json_dumps(b.arr, JSON_COMPACT);
    json_decref(b.arr);
    return s;
}

static void post(const result_alerts *a)
{
    int64_t now = clock_wall_ms();
    char *body = result_alerts_body(now, now + LIFETIME_MS);
    if (!body)
        return;
    char url[2048];
    snprintf(url, sizeof url, "%s%sapi/v2/alerts", a->url, a->url[strlen(a->url) - 1] == '/' ? "" : "/");
    static const char *const headers[] = { "Content-Type: application/json", NULL };
    httpc_request req = { .method = "POST", .url = url, .headers = headers, .body = body, .body_len = strlen(body),
                          .timeout_ms = POST_TIMEOUT_MS };
    httpc_call *c = httpc_call_new(&req);
    if (c) {
        httpc_state s = httpc_call_run(c);
        if (s != HTTPC_DONE || httpc_status(c) != 200)
            log_warn("Failed to send advisor results to Alertmanager: %s",
                     s == HTTPC_DONE ? httpc_status_text(c) : httpc_error(c));
        httpc_call_free(c);
    }
    free(body);
}

static void *run(void *arg)
{
    result_alerts *a = arg;
    unsigned long seen = results_generation();
    int64_t next = 0;
    while (!a->stop) {
        unsigned long g = results_generation();
        int64_t now = clock_mono_ms();
        if (g != seen || now >= next) {
            seen = g;
            next = now + RESEND_MS;
            if (leader_is())
                post(a);
        }
        struct timespec ts = { 0, 200 * 1000000L };
        nanosleep(&ts, NULL);
    }
    return NULL;
}

result_alerts *result_alerts_start(const char *url)
{
    result_alerts *a = calloc(1, sizeof *a);
    if (!a || !(a->url = strdup(url))) {
        free(a);
        return NULL;
    }
    if (pthread_create(&a->thread, NULL, run, a) != 0) {
        free(a->url);
        free(a);
        return NULL;
    }
    return a;
}

void result_alerts_stop(result_alerts *a)
{
    if (!a)
        return;
    a->stop = 1;
    pthread_join(a->thread, NULL);
    free(a->url);
    free(a);
}
