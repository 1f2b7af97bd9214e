/* checks_run [SERVICES] [WORKERS]: one full advisor run of every shipped
 * check over SERVICES services (default 1000, split evenly over MySQL,
 * PostgreSQL and MongoDB; each check runs on the services of its family),
 * through checksd's own code: the shipped files loaded as checksd loads
 * them, each script in its sandboxed child (the zygote, seccomp, rlimits)
 * on WORKERS threads (default 8, checksd's --check-workers), and the
 * results stored as a full run replaces them. The query answers are the
 * recorded ones of tests/checks/NAME.json (the first case that reports
 * something, the costlier path): the agents' and VictoriaMetrics' round
 * trips are not part of this figure. Prints the wall time, the CPU time of
 * each script process (mean, p50, p99, max), the failures and the peak RSS
 * of this process, which runs what checksd runs in a full run. */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checksd/child.h"
#include "checksd/docs.h"
#include "checksd/files.h"
#include "checksd/results.h"
#include "checksd/script.h"

typedef struct {
    const check_def *c;
    msgpack_sbuffer req; /* the packed request, the same for each service */
    int services;
} job;

static job *jobs;
static size_t n_jobs;
static atomic_size_t next_run;
static size_t total_runs;
static long *cpu_us;
static atomic_long failures;
static pthread_mutex_t res_lock = PTHREAD_MUTEX_INITIALIZER;
static result_list fresh;

/* run index -> (job, service) */
static int locate(size_t k, size_t *j, int *svc)
{
    for (size_t i = 0; i < n_jobs; i++) {
        if (k < (size_t)jobs[i].services) {
            *j = i;
            *svc = (int)k;
            return 0;
        }
        k -= (size_t)jobs[i].services;
    }
    return -1;
}

static void *worker(void *arg)
{
    (void)arg;
    child_limits lim = CHILD_LIMITS_DEFAULT;
    for (;;) {
        size_t k = atomic_fetch_add(&next_run, 1), j;
        int svc;
        if (k >= total_runs || locate(k, &j, &svc) != 0)
            break;
        msgpack_sbuffer out;
        msgpack_sbuffer_init(&out);
        char err[256];
        script_output o = { 0 };
        if (child_run(jobs[j].req.data, jobs[j].req.size, &lim, CHILD_RUN_SCRIPT, &out, err, sizeof err) != 0 ||
            script_output_parse(out.data, out.size, &o) != 0 || o.error) {
            atomic_fetch_add(&failures, 1);
        } else {
            pthread_mutex_lock(&res_lock);
            for (size_t i = 0; i < o.n; i++) {
                check_result r = { .check_name = strdup(jobs[j].c->name), .advisor = strdup(jobs[j].c->advisor),
                                   .service_type = strdup(family_name(jobs[j].c->family)),
                                   .interval = jobs[j].c->interval };
                char id[32];
                snprintf(id, sizeof id, "svc-%d", svc);
                r.service_id = strdup(id);
                r.service_name = strdup(id);
                r.r = o.results[i];
                memset(&o.results[i], 0, sizeof o.results[i]);
                result_list_take(&fresh, &r);
            }
            pthread_mutex_unlock(&res_lock);
        }
        cpu_us[k] = child_last_cpu_us();
        script_output_clear(&o);
        msgpack_sbuffer_destroy(&out);
    }
    return NULL;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

/* The first recorded case of the check that reports something. */
static int pack_request(job *jb)
{
    char path[512];
    snprintf(path, sizeof path, "tests/checks/%s.json", jb->c->name);
    json_error_t je;
    json_t *f = json_load_file(path, 0, &je);
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, je.text);
        return -1;
    }
    json_t *cases = json_object_get(f, "cases"), *pick = json_array_get(cases, 0), *cs;
    size_t i;
    json_array_foreach(cases, i, cs) if (json_array_size(json_object_get(cs, "results")) > 0)
    {
        pick = cs;
        break;
    }
    json_t *docs = json_object_get(pick, "docs");
    size_t n = json_array_size(docs);
    msgpack_sbuffer *bufs = calloc(n + 1, sizeof *bufs);
    const msgpack_sbuffer **ptrs = calloc(n + 1, sizeof *ptrs);
    int rc = 0;
    for (i = 0; i < n && rc == 0; i++) {
        msgpack_sbuffer_init(&bufs[i]);
        rc = docs_from_json(json_array_get(docs, i), false, &bufs[i]);
        ptrs[i] = &bufs[i];
    }
    msgpack_sbuffer_init(&jb->req);
    if (rc == 0)
        rc = script_request_pack(&jb->req, jb->c->version, jb->c->name, jb->c->script, ptrs, n);
    for (i = 0; i < n; i++)
        msgpack_sbuffer_destroy(&bufs[i]);
    free(bufs);
    free(ptrs);
    json_decref(f);
    return rc;
}

int main(int argc, char **argv)
{
    int services = argc > 1 ? atoi(argv[1]) : 1000, workers = argc > 2 ? atoi(argv[2]) : 8;
    if (services < 3 || workers < 1) {
        fprintf(stderr, "usage: %s [SERVICES>=3] [WORKERS>=1]\n", argv[0]);
        return 2;
    }
    if (child_init() != 0) {
        fprintf(stderr, "cannot start the script runner\n");
        return 1;
    }
    files_dirs dirs = { .advisors_dir = "checksd/data/advisors", .checks_dir = "checksd/data/checks" };
    check_set *set = files_load(&dirs);
    if (!set || !set->n_checks) {
        fprintf(stderr, "no checks loaded (run from the source tree)\n");
        return 1;
    }
    int per_family[4] = { 0 };
    per_family[FAMILY_MYSQL] = services / 3 + (services % 3 > 0);
    per_family[FAMILY_POSTGRESQL] = services / 3 + (services % 3 > 1);
    per_family[FAMILY_MONGODB] = services / 3;
    jobs = calloc(set->n_checks, sizeof *jobs);
    for (size_t i = 0; i < set->n_checks; i++) {
        job *jb = &jobs[n_jobs];
        jb->c = &set->checks[i];
        jb->services = per_family[jb->c->family];
        if (!jb->services)
            continue;
        if (pack_request(jb) != 0)
            return 1;
        total_runs += (size_t)jb->services;
        n_jobs++;
    }
    cpu_us = calloc(total_runs + 1, sizeof *cpu_us);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t *th = calloc((size_t)workers, sizeof *th);
    for (int i = 0; i < workers; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < workers; i++)
        pthread_join(th[i], NULL);
    size_t n_results = fresh.n;
    results_replace(REPLACE_ALL, INTERVAL_UNSPECIFIED, NULL, 0, &fresh);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    qsort(cpu_us, total_runs, sizeof *cpu_us, cmp_long);
    double sum = 0;
    for (size_t i = 0; i < total_runs; i++)
        sum += (double)cpu_us[i];
    printf("services: %d (MySQL %d, PostgreSQL %d, MongoDB %d), checks: %zu, script runs: %zu, workers: %d\n",
           services, per_family[FAMILY_MYSQL], per_family[FAMILY_POSTGRESQL], per_family[FAMILY_MONGODB], n_jobs,
           total_runs, workers);
    printf("full run wall time: %.2f s (%.0f scripts/s)\n", wall, (double)total_runs / wall);
    printf("CPU per script process: mean %.2f ms, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           sum / (double)total_runs / 1000.0, (double)cpu_us[total_runs / 2] / 1000.0,
           (double)cpu_us[total_runs * 99 / 100] / 1000.0, (double)cpu_us[total_runs - 1] / 1000.0);
    printf("results stored: %zu, failed scripts: %ld\n", n_results, atomic_load(&failures));
    printf("peak RSS: %ld KiB\n", peak_rss_kb());
    results_reset();
    for (size_t i = 0; i < n_jobs; i++)
        msgpack_sbuffer_destroy(&jobs[i].req);
    free(jobs);
    free(cpu_us);
    free(th);
    check_set_free(set);
    child_shutdown();
    return atomic_load(&failures) ? 1 : 0;
}
