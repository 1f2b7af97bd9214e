/* runner: see runner.h. */
#include "runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "bus/peers.h"
#include "catalog.h"
#include "clock.h"
#include "db/settings.h"
#include "docs.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "results.h"
#include "script.h"
#include "store/check_settings.h"
#include "targets.h"

/* upstream's checkExecutionTimeout: one check on one target */
#define CHECK_TIMEOUT_MS (5 * 60 * 1000)
/* settings are re-read this often even without a settings.changed */
#define SETTINGS_POLL_MS 60000

typedef struct request {
    char **names;
    size_t n;
    struct request *next;
} request;

struct runner {
    runner_config cfg;
    pthread_t thread;
    volatile sig_atomic_t stop;
    pthread_mutex_t lock;
    request *queue, *tail;
};

/* ---- one run ------------------------------------------------------------------------------ */

typedef struct {
    const check_def *c;
    const check_target *t;
    check_interval interval;
} job;

typedef struct {
    const runner_config *cfg;
    job *jobs;
    size_t n_jobs;
    atomic_size_t next;
    atomic_long failed;
    pthread_mutex_t lock;
    result_list results;
} run_ctx;

static char **dup_labels(char *const *v, size_t n)
{
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = strdup(v[i]))) {
            for (size_t j = 0; j < i; j++)
                free(out[j]);
            free(out);
            return NULL;
        }
    return out;
}

/* The script's results as stored results of j's check and target. */
static int keep_results(run_ctx *rc, const job *j, script_output *o)
{
    result_list mine = { 0 };
    int ok = 0;
    for (size_t i = 0; i < o->n && ok == 0; i++) {
        check_result r = { 0 };
        r.check_name = strdup(j->c->name);
        r.advisor = strdup(j->c->advisor);
        r.service_type = strdup(j->t->service_type);
        r.interval = j->interval;
        r.service_id = strdup(j->t->service_id);
        r.service_name = strdup(j->t->service_name);
        r.label_keys = dup_labels(j->t->label_keys, j->t->n_labels);
        r.label_values = dup_labels(j->t->label_values, j->t->n_labels);
        r.n_labels = j->t->n_labels;
        r.r = o->results[i];
        memset(&o->results[i], 0, sizeof o->results[i]);
        if (!r.check_name || !r.advisor || !r.service_type || !r.service_id || !r.service_name || !r.label_keys ||
            !r.label_values) {
            if (!r.label_keys || !r.label_values)
                r.n_labels = 0;
            check_result_clear(&r);
            ok = -1;
        } else {
            ok = result_list_take(&mine, &r);
        }
    }
    pthread_mutex_lock(&rc->lock);
    for (size_t i = 0; i < mine.n; i++)
        result_list_take(&rc->results, &mine.v[i]);
    pthread_mutex_unlock(&rc->lock);
    mine.n = 0;
    result_list_clear(&mine);
    return ok;
}

static void run_job(run_ctx *rc, const job *j)
{
    int64_t t0 = clock_mono_ms();
    const check_def *c = j->c;
    msgpack_sbuffer *docs = calloc(c->n_queries, sizeof *docs);
    char err[1024] = "";
    bool ok = false;
    long cpu_us = 0;
    for (size_t i = 0; docs && i < c->n_queries; i++)
        msgpack_sbuffer_init(&docs[i]);
    if (!docs) {
        snprintf(err, sizeof err, "out of memory");
    } else if (queries_run(rc->cfg->queries, c, j->t, docs, err, sizeof err) == 0) {
        msgpack_sbuffer req, answer;
        msgpack_sbuffer_init(&req);
        msgpack_sbuffer_init(&answer);
        const msgpack_sbuffer **ptrs = calloc(c->n_queries, sizeof *ptrs);
        for (size_t i = 0; ptrs && i < c->n_queries; i++)
            ptrs[i] = &docs[i];
        script_output o = { 0 };
        if (!ptrs || script_request_pack(&req, c->version, c->name, c->script, ptrs, c->n_queries) != 0)
            snprintf(err, sizeof err, "out of memory");
        else if (clock_mono_ms() - t0 > CHECK_TIMEOUT_MS)
            snprintf(err, sizeof err, "context deadline exceeded");
        else if (child_run(req.data, req.size, &rc->cfg->limits, CHILD_RUN_SCRIPT, &answer, err, sizeof err) == 0) {
            cpu_us = child_last_cpu_us();
            script_output_parse(answer.data, answer.size, &o);
            if (o.error)
                snprintf(err, sizeof err, "%s", o.error);
            else
                ok = keep_results(rc, j, &o) == 0;
            if (o.print && *o.print)
                log_debug("Check %s on service %s printed: %s", c->name, j->t->service_id, o.print);
        }
        script_output_clear(&o);
        free(ptrs);
        msgpack_sbuffer_destroy(&req);
        msgpack_sbuffer_destroy(&answer);
    }
    for (size_t i = 0; docs && i < c->n_queries; i++)
        msgpack_sbuffer_destroy(&docs[i]);
    free(docs);
    if (!ok) {
        atomic_fetch_add(&rc->failed, 1);
        log_warn("Failed to execute check %s of type %s on target %s (%s): %s", c->name, family_name(c->family),
                 j->t->service_name, j->t->service_id, err);
    }
    metrics_executed(j->t->service_type, c->advisor, c->name, ok, (double)(clock_mono_ms() - t0) / 1000.0, cpu_us);
}

static void *worker(void *arg)
{
    run_ctx *rc = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&rc->next, 1);
        if (i >= rc->n_jobs)
            break;
        run_job(rc, &rc->jobs[i]);
    }
    bus_peers_thread_done();
    return NULL;
}

static bool listed(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* The check's interval with the override of check_settings applied. */
static check_interval effective_interval(const check_def *c, json_t *overrides)
{
    size_t i;
    json_t *o;
    json_array_foreach(overrides, i, o) {
        const char *name = json_string_value(json_object_get(o, "name"));
        if (name && strcmp(name, c->name) == 0) {
            int v = interval_parse(json_string_value(json_object_get(o, "interval")) ?: "");
            if (v > 0)
                return (check_interval)v;
        }
    }
    return c->interval;
}

typedef enum { RUN_ALL, RUN_GROUP, RUN_NAMED } run_kind;

/* One run over the current catalog. Returns pairs run, or -1. */
static long run_checks(const runner_config *cfg, db *d, run_kind kind, check_interval group,
                       const char *const *names, size_t n_names, const settings *s, long *failed)
{
    rpc_status st = { 0 };
    json_t *overrides = store_check_settings_list(d, &st);
    if (!overrides) {
        log_error("Failed to read the check intervals: %s", st.message);
        return -1;
    }
    const check_set *set = catalog_acquire();
    metrics_available(set, (const char *const *)s->disabled_advisors.v, s->disabled_advisors.n);
    target_list targets[4] = { { 0 } };
    bool found[4] = { false };
    job *jobs = NULL;
    size_t n_jobs = 0;
    long rc = 0;
    for (size_t i = 0; i < set->n_checks && rc == 0; i++) {
        const check_def *c = &set->checks[i];
        check_interval iv = effective_interval(c, overrides);
        if (listed(c->name, (const char *const *)s->disabled_advisors.v, s->disabled_advisors.n))
            continue;
        if ((kind == RUN_GROUP && iv != group) || (kind == RUN_NAMED && !listed(c->name, names, n_names)))
            continue;
        if (c->family < FAMILY_MYSQL || c->family > FAMILY_MONGODB)
            continue;
        if (!found[c->family]) {
            if (targets_find(d, c->family, &targets[c->family], &st) != RPC_OK) {
                log_error("Failed to find targets of %s checks: %s", family_name(c->family), st.message);
                rc = -1;
                break;
            }
            found[c->family] = true;
        }
        const target_list *tl = &targets[c->family];
        job *grown = tl->n ? realloc(jobs, (n_jobs + tl->n) * sizeof *grown) : jobs;
        if (tl->n && !grown) {
            rc = -1;
            break;
        }
        jobs = grown;
        for (size_t k = 0; k < tl->n; k++)
            jobs[n_jobs++] = (job){ c, &tl->v[k], iv };
    }
    run_ctx ctx = { .cfg = cfg, .jobs = jobs, .n_jobs = n_jobs };
    pthread_mutex_init(&ctx.lock, NULL);
    if (rc == 0) {
        int w = cfg->workers < 1 ? 1 : cfg->workers;
        if ((size_t)w > n_jobs)
            w = (int)n_jobs;
        pthread_t *th = calloc((size_t)w + 1, sizeof *th);
        int started = 0;
        for (int i = 0; th && i < w; i++)
            if (pthread_create(&th[i], NULL, worker, &ctx) == 0)
                started++;
        if (!started && n_jobs)
            worker(&ctx); /* no thread: run them here */
        for (int i = 0; i < started; i++)
            pthread_join(th[i], NULL);
        free(th);
        /* the runs replace what they ran, as upstream's registry does */
        results_replace(kind == RUN_ALL ? REPLACE_ALL : kind == RUN_GROUP ? REPLACE_INTERVAL : REPLACE_CHECKS, group,
                        names, n_names, &ctx.results);
        rc = (long)n_jobs;
        if (failed)
            *failed = atomic_load(&ctx.failed);
    }
    result_list_clear(&ctx.results);
    pthread_mutex_destroy(&ctx.lock);
    free(jobs);
    for (int f = 0; f < 4; f++)
        target_list_clear(&targets[f]);
    catalog_release(set);
    json_decref(overrides);
    return rc;
}

/* Loads the settings and reloads the files, then runs; logs what it did. */
static long run(const runner_config *cfg, db *d, run_kind kind, check_interval group, const char *const *names,
                size_t n_names, long *failed)
{
    if (!leader_is()) {
        log_debug("Not the leader: advisor checks are not run here.");
        return 0;
    }
    settings s;
    rpc_status st = { 0 };
    if (settings_load(d, &s, &st) != RPC_OK) {
        log_error("Failed to read the settings: %s", st.message);
        return -1;
    }
    long rc = 0;
    if (!s.advisors_enabled) {
        log_info("Advisor checks are disabled: nothing runs.");
    } else {
        catalog_install(files_load(cfg->dirs)); /* upstream's CollectAdvisors */
        int64_t t0 = clock_mono_ms();
        long f = 0;
        rc = run_checks(cfg, d, kind, group, names, n_names, &s, &f);
        if (failed)
            *failed = f;
        if (rc >= 0)
            log_info("Advisor checks run (%s): %ld executions, %ld failed, in %.3f s.",
                     kind == RUN_ALL ? "all" : kind == RUN_GROUP ? interval_name(group) : "requested", rc, f,
                     (double)(clock_mono_ms() - t0) / 1000.0);
    }
    settings_free(&s);
    return rc;
}

long runner_run_once(const runner_config *cfg, db *d, const char *const *names, size_t n_names, long *failed)
{
    return run(cfg, d, names ? RUN_NAMED : RUN_ALL, INTERVAL_UNSPECIFIED, names, n_names, failed);
}

/* ---- the thread -------------------------------------------------------------------------- */

static request *pop(runner *r)
{
    pthread_mutex_lock(&r->lock);
    request *q = r->queue;
    if (q) {
        r->queue = q->next;
        if (!r->queue)
            r->tail = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    return q;
}

static void free_request(request *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->names[i]);
    free(q->names);
    free(q);
}

int runner_request(runner *r, const char *const *names, size_t n)
{
    request *q = calloc(1, sizeof *q);
    if (!q)
        return -1;
    if (n && !(q->names = calloc(n, sizeof *q->names))) {
        free(q);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(q->names[i] = strdup(names[i]))) {
            q->n = i;
            free_request(q);
            return -1;
        }
    }
    q->n = n;
    pthread_mutex_lock(&r->lock);
    if (r->tail)
        r->tail->next = q;
    else
        r->queue = q;
    r->tail = q;
    pthread_mutex_unlock(&r->lock);
    return 0;
}

static int64_t interval_ms(const settings_advisor_intervals *iv, check_interval i)
{
    int64_t ns = i == INTERVAL_FREQUENT ? iv->frequent_interval
                 : i == INTERVAL_RARE   ? iv->rare_interval
                                        : iv->standard_interval;
    return ns / 1000000;
}

/* Waits up to ms for stop, a request or a settings.changed hint. */
static bool wait_event(runner *r, bus_sub *sub, int64_t ms)
{
    int64_t until = clock_mono_ms() + ms;
    while (!r->stop) {
        int64_t left = until - clock_mono_ms();
        if (left <= 0)
            return false;
        pthread_mutex_lock(&r->lock);
        bool queued = r->queue != NULL;
        pthread_mutex_unlock(&r->lock);
        if (queued)
            return true;
        int slice = left > 200 ? 200 : (int)left;
        if (sub) {
            char *topic = NULL;
            uint8_t *payload = NULL;
            size_t len;
            int got = bus_sub_recv(sub, slice, &topic, &payload, &len);
            free(topic);
            free(payload);
            if (got == 1)
                return true;
        } else {
            struct timespec ts = { 0, (long)slice * 1000000L };
            nanosleep(&ts, NULL);
        }
    }
    return true;
}

static void *runner_main(void *arg)
{
    runner *r = arg;
    db *d = db_new(r->cfg.db);
    bus_sub *sub = NULL;
    if (r->cfg.zmq_ctx) {
        char ep[512];
        bus_pub_endpoint(ep, sizeof ep, r->cfg.run_dir, "configd");
        sub = bus_sub_new(r->cfg.zmq_ctx);
        /* leadership comes from main.c's leader_follow_start (common/bus/leader_events.h):
         * hactl announces every 300 ms, which must not wake this loop */
        if (sub && bus_sub_connect(sub, ep, "settings.changed") != 0) {
            bus_sub_destroy(sub);
            sub = NULL;
        }
    }
    if (r->cfg.start_delay_ms > 0) {
        log_info("Advisor checks start in %d s.", r->cfg.start_delay_ms / 1000);
        int64_t until = clock_mono_ms() + r->cfg.start_delay_ms;
        /* requests wait for the first full run, as upstream's do */
        while (!r->stop && clock_mono_ms() < until) {
            struct timespec ts = { 0, 100 * 1000000L };
            nanosleep(&ts, NULL);
        }
    }
    settings_advisor_intervals iv = { 0 };
    int64_t next[N_INTERVALS] = { 0 };
    int64_t settings_at = 0;
    bool first = true;
    while (!r->stop) {
        int64_t now = clock_mono_ms();
        if (now >= settings_at) {
            settings s;
            rpc_status st = { 0 };
            if (settings_load(d, &s, &st) == RPC_OK) {
                /* changed intervals reset the tickers */
                if (memcmp(&s.advisor_run_intervals, &iv, sizeof iv) != 0) {
                    iv = s.advisor_run_intervals;
                    for (int i = INTERVAL_STANDARD; i < N_INTERVALS; i++)
                        next[i] = now + interval_ms(&iv, (check_interval)i);
                }
                settings_free(&s);
                settings_at = now + SETTINGS_POLL_MS;
            } else {
                log_warn("Failed to read the settings: %s", st.message);
                settings_at = now + 5000;
            }
        }
        if (first && iv.standard_interval) {
            run(&r->cfg, d, RUN_ALL, INTERVAL_UNSPECIFIED, NULL, 0, NULL);
            first = false;
            continue;
        }
        request *q = pop(r);
        if (q) {
            run(&r->cfg, d, q->n ? RUN_NAMED : RUN_ALL, INTERVAL_UNSPECIFIED, (const char *const *)q->names, q->n,
                NULL);
            free_request(q);
            continue;
        }
        int64_t soonest = settings_at;
        for (int i = INTERVAL_STANDARD; i < N_INTERVALS; i++) {
            if (next[i] && now >= next[i]) {
                run(&r->cfg, d, RUN_GROUP, (check_interval)i, NULL, 0, NULL);
                next[i] = clock_mono_ms() + interval_ms(&iv, (check_interval)i);
            }
            if (next[i] && next[i] < soonest)
                soonest = next[i];
        }
        if (wait_event(r, sub, soonest - clock_mono_ms()))
            settings_at = 0; /* a hint (or a request): re-read the settings */
    }
    bus_sub_destroy(sub);
    db_destroy(d);
    bus_peers_thread_done();
    return NULL;
}

runner *runner_start(const runner_config *cfg)
{
    runner *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *cfg;
    pthread_mutex_init(&r->lock, NULL);
    if (pthread_create(&r->thread, NULL, runner_main, r) != 0) {
        pthread_mutex_destroy(&r->lock);
        free(r);
        return NULL;
    }
    return r;
}

void runner_stop(runner *r)
{
    if (!r)
        return;
    r->stop = 1;
    pthread_join(r->thread, NULL);
    request *q;
    while ((q = pop(r)))
        free_request(q);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
