/* watchdog: lost jobs (see watchdog.h). */
#include "watchdog.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "job_events.h"
#include "jobs_client.h"
#include "log.h"
#include "store/store.h"

/* The last sign of life of a job (wall ms), by id; small: one per running job. */
typedef struct seen {
    char job_id[64];
    int64_t alive_ms;
    bool mark;
    struct seen *next;
} seen;

static struct {
    pthread_t thread;
    bool running;
    volatile int stop;
    app *a;
    db *d;
    seen *seen;
} wd;

static seen *seen_get(const char *id, int64_t initial)
{
    for (seen *s = wd.seen; s; s = s->next)
        if (strcmp(s->job_id, id) == 0)
            return s;
    seen *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    snprintf(s->job_id, sizeof s->job_id, "%s", id);
    s->alive_ms = initial;
    s->next = wd.seen;
    wd.seen = s;
    return s;
}

/* Drops the entries of jobs no longer running. */
static void seen_sweep(void)
{
    for (seen **p = &wd.seen; *p;) {
        if (!(*p)->mark) {
            seen *gone = *p;
            *p = gone->next;
            free(gone);
        } else {
            (*p)->mark = false;
            p = &(*p)->next;
        }
    }
}

static void check_once(void)
{
    job *jobs = NULL;
    size_t n = 0;
    rpc_status st = { 0 };
    if (store_job_list_running(wd.d, &jobs, &n, &st)) {
        log_warn("watchdog: %s", st.message);
        return;
    }
    int64_t now = clock_wall_ms(), lost_ms = wd.a->job_lost_after_s * 1000LL;
    for (size_t i = 0; i < n && !wd.stop; i++) {
        if (job_events_retry_pending(jobs[i].id))
            continue;
        seen *s = seen_get(jobs[i].id, jobs[i].updated_at);
        if (!s)
            continue;
        s->mark = true;
        if (jobs[i].updated_at > s->alive_ms)
            s->alive_ms = jobs[i].updated_at; /* restarted meanwhile */
        bool alive = false;
        rpc_status js = { 0 };
        char why[RPC_MESSAGE_MAX + 128];
        if (jc_job_status(jobs[i].pmm_agent_id, jobs[i].id, &alive, &js) == RPC_OK && alive) {
            s->alive_ms = now;
            continue;
        }
        if (now - s->alive_ms < lost_ms)
            continue;
        if (js.code != RPC_OK)
            snprintf(why, sizeof why, "job lost: %s", js.message);
        else
            snprintf(why, sizeof why, "job lost: pmm-agent %s no longer runs it and its result never arrived",
                     jobs[i].pmm_agent_id);
        rpc_status fst = { 0 };
        if (job_events_fail(wd.d, jobs[i].id, why, &fst))
            log_warn("watchdog: job %s: %s", jobs[i].id, fst.message);
        s->alive_ms = now; /* a retry gets a fresh allowance */
    }
    jobs_free(jobs, n);
    seen_sweep();
}

static void *run(void *arg)
{
    (void)arg;
    /* checks a few times per allowance, at most every 5 s */
    int period_ms = wd.a->job_lost_after_s * 1000 / 3;
    if (period_ms > 5000)
        period_ms = 5000;
    if (period_ms < 500)
        period_ms = 500;
    while (!wd.stop) {
        check_once();
        for (int slept = 0; slept < period_ms && !wd.stop; slept += 100)
            usleep(100 * 1000);
    }
    return NULL;
}

int watchdog_start(app *a)
{
    wd.a = a;
    wd.stop = 0;
    wd.d = db_new(&a->db);
    if (!wd.d || pthread_create(&wd.thread, NULL, run, NULL) != 0) {
        db_destroy(wd.d);
        wd.d = NULL;
        return -1;
    }
    wd.running = true;
    return 0;
}

void watchdog_stop(void)
{
    if (!wd.running)
        return;
    wd.stop = 1;
    pthread_join(wd.thread, NULL);
    wd.running = false;
    db_destroy(wd.d);
    wd.d = NULL;
    while (wd.seen) {
        seen *s = wd.seen;
        wd.seen = s->next;
        free(s);
    }
}
