/* metrics: see metrics.h. */
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/metrics_rpc.h"
#include "internal/v1/metrics.pb-c.h"
#include "results.h"

/* Samples kept per check for the summary's quantiles. */
#define SAMPLES 512

typedef struct {
    char *service_type, *advisor, *check_name;
    unsigned long ok, error;
    unsigned long count;
    double sum;
    double samples[SAMPLES];
    size_t n_samples, next;
    bool available;
} series;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static series *all;
static size_t n_all;
static double script_cpu_seconds;

static series *find(const char *service_type, const char *advisor, const char *check_name)
{
    for (size_t i = 0; i < n_all; i++)
        if (strcmp(all[i].check_name, check_name) == 0 && strcmp(all[i].advisor, advisor) == 0 &&
            strcmp(all[i].service_type, service_type) == 0)
            return &all[i];
    series *grown = realloc(all, (n_all + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    all = grown;
    series *s = &all[n_all];
    memset(s, 0, sizeof *s);
    s->service_type = strdup(service_type);
    s->advisor = strdup(advisor);
    s->check_name = strdup(check_name);
    if (!s->service_type || !s->advisor || !s->check_name) {
        free(s->service_type);
        free(s->advisor);
        free(s->check_name);
        return NULL;
    }
    n_all++;
    return s;
}

void metrics_executed(const char *service_type, const char *advisor, const char *check_name, bool ok,
                      double seconds, long script_cpu_us)
{
    pthread_mutex_lock(&lock);
    series *s = find(service_type, advisor, check_name);
    if (s) {
        if (ok)
            s->ok++;
        else
            s->error++;
        s->count++;
        s->sum += seconds;
        s->samples[s->next] = seconds;
        s->next = (s->next + 1) % SAMPLES;
        if (s->n_samples < SAMPLES)
            s->n_samples++;
    }
    script_cpu_seconds += (double)script_cpu_us / 1e6;
    pthread_mutex_unlock(&lock);
}

void metrics_available(const check_set *set, const char *const *disabled, size_t n_disabled)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_all; i++)
        all[i].available = false;
    for (size_t i = 0; set && i < set->n_checks; i++) {
        const check_def *c = &set->checks[i];
        bool off = false;
        for (size_t j = 0; j < n_disabled && !off; j++)
            off = strcmp(disabled[j], c->name) == 0;
        series *s = off ? NULL : find(family_service_type(c->family), c->advisor, c->name);
        if (s)
            s->available = true;
    }
    pthread_mutex_unlock(&lock);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    char *service_type, *advisor, *check_name;
    unsigned long n;
} insight;

typedef struct {
    insight *v;
    size_t n;
} insight_list;

/* Counts stored results per check; names copied, as the store's lock is
 * released before the text is written. */
static void count_insight(const check_result *r, void *arg)
{
    insight_list *l = arg;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].check_name, r->check_name) == 0 && strcmp(l->v[i].service_type, r->service_type) == 0) {
            l->v[i].n++;
            return;
        }
    insight *grown = realloc(l->v, (l->n + 1) * sizeof *grown);
    if (!grown)
        return;
    l->v = grown;
    insight *in = &l->v[l->n];
    in->service_type = strdup(r->service_type);
    in->advisor = strdup(r->advisor);
    in->check_name = strdup(r->check_name);
    in->n = 1;
    if (in->service_type && in->advisor && in->check_name)
        l->n++;
    else {
        free(in->service_type);
        free(in->advisor);
        free(in->check_name);
    }
}

static void insights(FILE *f)
{
    insight_list l = { 0 };
    results_foreach(count_insight, &l);
    fprintf(f, "# HELP pmm_managed_advisor_check_insights Number of insights (results) of the last check runs\n"
               "# TYPE pmm_managed_advisor_check_insights gauge\n");
    for (size_t i = 0; i < l.n; i++) {
        fprintf(f, "pmm_managed_advisor_check_insights{advisor=\"%s\",check_name=\"%s\",service_type=\"%s\"} %lu\n",
                l.v[i].advisor, l.v[i].check_name, l.v[i].service_type, l.v[i].n);
        free(l.v[i].service_type);
        free(l.v[i].advisor);
        free(l.v[i].check_name);
    }
    free(l.v);
}

char *metrics_text(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    pthread_mutex_lock(&lock);
    fprintf(f, "# HELP pmm_managed_advisor_checks_executed_total Counter of executed checks\n"
               "# TYPE pmm_managed_advisor_checks_executed_total counter\n");
    for (size_t i = 0; i < n_all; i++) {
        const series *s = &all[i];
        if (!s->ok && !s->error)
            continue;
        fprintf(f,
                "pmm_managed_advisor_checks_executed_total{advisor=\"%s\",check_name=\"%s\",service_type=\"%s\","
                "status=\"error\"} %lu\n"
                "pmm_managed_advisor_checks_executed_total{advisor=\"%s\",check_name=\"%s\",service_type=\"%s\","
                "status=\"ok\"} %lu\n",
                s->advisor, s->check_name, s->service_type, s->error, s->advisor, s->check_name, s->service_type,
                s->ok);
    }
    fprintf(f, "# HELP pmm_managed_advisor_checks_available Number of available checks\n"
               "# TYPE pmm_managed_advisor_checks_available gauge\n");
    for (size_t i = 0; i < n_all; i++)
        if (all[i].available)
            fprintf(f, "pmm_managed_advisor_checks_available{advisor=\"%s\",check_name=\"%s\",service_type=\"%s\"} 1\n",
                    all[i].advisor, all[i].check_name, all[i].service_type);
    fprintf(f, "# HELP pmm_managed_advisor_check_execution_time_seconds Check execution time\n"
               "# TYPE pmm_managed_advisor_check_execution_time_seconds summary\n");
    for (size_t i = 0; i < n_all; i++) {
        const series *s = &all[i];
        if (!s->count)
            continue;
        double sorted[SAMPLES];
        memcpy(sorted, s->samples, s->n_samples * sizeof *sorted);
        qsort(sorted, s->n_samples, sizeof *sorted, cmp_double);
        static const double qs[] = { 0.5, 0.9, 0.99 };
        for (size_t q = 0; q < 3; q++) {
            size_t idx = (size_t)(qs[q] * (double)(s->n_samples - 1) + 0.5);
            fprintf(f,
                    "pmm_managed_advisor_check_execution_time_seconds{advisor=\"%s\",check_name=\"%s\","
                    "service_type=\"%s\",quantile=\"%g\"} %.6f\n",
                    s->advisor, s->check_name, s->service_type, qs[q], sorted[idx]);
        }
        fprintf(f,
                "pmm_managed_advisor_check_execution_time_seconds_sum{advisor=\"%s\",check_name=\"%s\","
                "service_type=\"%s\"} %.6f\n"
                "pmm_managed_advisor_check_execution_time_seconds_count{advisor=\"%s\",check_name=\"%s\","
                "service_type=\"%s\"} %lu\n",
                s->advisor, s->check_name, s->service_type, s->sum, s->advisor, s->check_name, s->service_type,
                s->count);
    }
    fprintf(f, "# HELP pmm_managed_advisor_script_cpu_seconds_total CPU time of the check script processes\n"
               "# TYPE pmm_managed_advisor_script_cpu_seconds_total counter\n"
               "pmm_managed_advisor_script_cpu_seconds_total %.6f\n",
            script_cpu_seconds);
    pthread_mutex_unlock(&lock);
    insights(f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static int metrics_rpc(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    return metrics_rpc_reply(&ctx->status, metrics_text(), out);
}

const rpc_method metrics_methods[] = {
    { METRICS_RPC_METHOD, &internal__v1__metrics_request__descriptor, metrics_rpc },
};
const size_t metrics_methods_count = sizeof metrics_methods / sizeof *metrics_methods;
