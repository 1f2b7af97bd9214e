/* scheduler: cron runs of scheduled backups (see scheduler.h). */
#include "scheduler.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backups.h"
#include "bus/peers.h"
#include "clock.h"
#include "cron.h"
#include "dbhold.h"
#include "leader.h"
#include "log.h"
#include "store/store.h"
#include "taskdata.h"

typedef struct {
    char id[64];
    cron_expr cron;
    int64_t start_at_s; /* not before this (0: none) */
    int64_t next_s;     /* next due time, Unix seconds (0: never) */
    int64_t missed_s;   /* a due time passed while following (0: none) */
    bool running;
} entry;

typedef struct {
    char id[64];
    int64_t due_s;
    int64_t term;       /* the raft term the run was decided under (leader.h) */
} run_item;

/* A new leader still makes a run the old one may have missed (it died
 * just before the due time) if it is at most this late; the claim on the
 * task (store_task_claim_due) keeps it from running twice. */
#define CATCH_UP_S 30
/* With HA on, tasks change through any node's API: every node re-reads
 * them this often, so a follower's timetable is current when it takes
 * over (and knows which due time it just missed). */
#define HA_RELOAD_MS 5000

struct scheduler {
    app *a;
    pthread_t thread;
    pthread_t *runners;
    int n_runners;
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* the timetable thread: reload or stop */
    pthread_cond_t work;   /* runners: queue not empty or stop */
    bool stop, dirty;
    entry *e;
    size_t n;
    run_item *q;           /* ring of due runs */
    size_t q_cap, q_head, q_len;
    uint64_t runs;
    int64_t worst_delay_ms;
    db *d;                 /* the timetable thread's connection */
    dbhold_pool *pool;     /* the runners' few connections (dbhold.h) */
    bool ha;               /* leader_ha_enabled() at start */
    int64_t loaded_ms;     /* clock_mono_ms of the last reload */
    int64_t retry_ms;      /* a failed reload is not tried again before this (clock_mono_ms) */
    bool reload_failing;   /* logged once per streak of failed reloads */
};

static int64_t now_s(void)
{
    return clock_wall_ms() / 1000;
}

static int64_t next_after(const entry *x, int64_t t)
{
    int64_t from = t;
    if (x->start_at_s && x->start_at_s - 1 > from)
        from = x->start_at_s - 1;
    return cron_next(&x->cron, from);
}

/* Re-reads the enabled tasks, keeping the running flags (lock held). */
static void reload(scheduler *s)
{
    sched_task *t = NULL;
    size_t n = 0;
    rpc_status st = { 0 };
    if (store_task_list(s->d, &t, &n, &st)) {
        if (!s->reload_failing)
            log_warn("scheduler: cannot read the scheduled tasks: %s (trying every second)", st.message);
        s->reload_failing = true;
        s->dirty = true; /* try again, but not before a second: PostgreSQL may be down for long */
        s->retry_ms = clock_mono_ms() + 1000;
        return;
    }
    if (s->reload_failing)
        log_info("scheduler: the scheduled tasks are readable again");
    s->reload_failing = false;
    entry *e = calloc(n ? n : 1, sizeof *e);
    size_t m = 0;
    int64_t now = now_s();
    for (size_t i = 0; e && i < n; i++) {
        char err[512];
        if (t[i].disabled)
            continue;
        if (cron_parse(t[i].cron_expression, &e[m].cron, err, sizeof err) != 0) {
            log_warn("scheduler: task %s: %s", t[i].id, err);
            continue;
        }
        snprintf(e[m].id, sizeof e[m].id, "%s", t[i].id);
        e[m].start_at_s = t[i].start_at / 1000;
        e[m].next_s = next_after(&e[m], now);
        for (size_t k = 0; k < s->n; k++)
            if (strcmp(s->e[k].id, e[m].id) == 0) {
                e[m].running = s->e[k].running;
                e[m].missed_s = s->e[k].missed_s;
                /* a task already timed keeps its due time unless its timetable changed */
                if (memcmp(&s->e[k].cron, &e[m].cron, sizeof e[m].cron) == 0 && s->e[k].start_at_s == e[m].start_at_s &&
                    s->e[k].next_s > now)
                    e[m].next_s = s->e[k].next_s;
            }
        m++;
    }
    sched_tasks_free(t, n);
    s->loaded_ms = clock_mono_ms();
    if (!e)
        return;
    free(s->e);
    s->e = e;
    s->n = m;
    s->dirty = false;
}

static void enqueue(scheduler *s, const char *id, int64_t due, int64_t term)
{
    if (s->q_len == s->q_cap) {
        size_t cap = s->q_cap ? s->q_cap * 2 : 256;
        run_item *q = malloc(cap * sizeof *q);
        if (!q)
            return;
        for (size_t i = 0; i < s->q_len; i++)
            q[i] = s->q[(s->q_head + i) % s->q_cap];
        free(s->q);
        s->q = q;
        s->q_cap = cap;
        s->q_head = 0;
    }
    run_item *r = &s->q[(s->q_head + s->q_len++) % s->q_cap];
    snprintf(r->id, sizeof r->id, "%s", id);
    r->due_s = due;
    r->term = term;
    pthread_cond_signal(&s->work);
}

static entry *find(scheduler *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->e[i].id, id) == 0)
            return &s->e[i];
    return NULL;
}

static void *timetable(void *arg)
{
    scheduler *s = arg;
    /* the runners' connections made now: a password handshake each, which
     * the first burst of due runs should not wait for */
    dbhold_pool_warm(s->pool);
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        int64_t mono = clock_mono_ms();
        if ((s->dirty && mono >= s->retry_ms) || (s->ha && mono - s->loaded_ms >= HA_RELOAD_MS))
            reload(s);
        int64_t now_ms = clock_wall_ms(), now = now_ms / 1000, soonest = 0;
        int64_t term = 0;
        bool lead = leader_current(&term);
        for (size_t i = 0; i < s->n; i++) {
            entry *x = &s->e[i];
            if (lead && x->missed_s && !x->running && now - x->missed_s <= CATCH_UP_S) {
                x->running = true;
                enqueue(s, x->id, x->missed_s, term);
            }
            if (lead)
                x->missed_s = 0;
            if (!x->next_s)
                continue;
            if (x->next_s <= now) {
                /* singleton: a run still going skips this one; a follower skips them all,
                 * remembering the last in case it becomes the leader soon after */
                if (lead && !x->running) {
                    x->running = true;
                    enqueue(s, x->id, x->next_s, term);
                } else if (!lead) {
                    x->missed_s = x->next_s;
                }
                x->next_s = next_after(x, now);
            }
            if (x->next_s && (!soonest || x->next_s < soonest))
                soonest = x->next_s;
        }
        /* sleep until the next due second, a reload or the stop (at most 1 s: leadership may change) */
        int64_t wait_ms = soonest ? soonest * 1000 - clock_wall_ms() : 1000;
        if (wait_ms > 1000)
            wait_ms = 1000;
        if (wait_ms > 0 && (!s->dirty || clock_mono_ms() < s->retry_ms) && !s->stop) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += wait_ms / 1000;
            until.tv_nsec += (wait_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L)
                until.tv_sec++, until.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&s->cv, &s->mu, &until);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* One run of a task (runner thread): a pooled connection for its database
 * steps only, none while the agent answers. */
static void run_task(scheduler *s, const run_item *it)
{
    dbhold h = { .pool = s->pool, .d = NULL };
    db *d = dbhold_db(&h);
    rpc_status st = { 0 };
    sched_task t = { 0 };
    task_data td;
    char err[RPC_MESSAGE_MAX] = "";
    if (store_task_get(d, it->id, &t, &st) || taskdata_parse(&t, &td) != 0) {
        if (st.code == RPC_OK)
            log_warn("scheduler: task %s has no readable data", it->id);
        sched_task_free(&t);
        dbhold_release(&h);
        return;
    }
    bool skipped = false;
    backup_params p = {
        .service_id = td.service_id,
        .location_id = td.location_id,
        .name = td.name,
        .description = td.description,
        .folder = td.folder,
        .data_model = td.data_model,
        .mode = td.mode,
        .schedule_id = it->id,
        .retries = td.retries,
        .retry_interval_ns = td.retry_interval_ns,
        .term = it->term,
        .due_ms = it->due_s * 1000,
        .skipped = &skipped,
    };
    char artifact_id[UUID_STR_LEN];
    int code;
    int64_t started_ms = clock_wall_ms();
    st.code = RPC_OK;
    if (backup_perform(&h, &p, artifact_id, &code, &st) && skipped) {
        /* fenced (a newer leader) or made already: nothing of this run is written */
        log_info("scheduler: task %s due at %lld not run: %s", it->id, (long long)it->due_s, st.message);
        dbhold_release(&h);
        sched_task_free(&t);
        return;
    }
    if (st.code != RPC_OK) {
        snprintf(err, sizeof err, "%s", st.message);
        log_warn("scheduler: task %s: %s", it->id, err);
    }
    pthread_mutex_lock(&s->mu);
    int64_t delay = started_ms - it->due_s * 1000;
    s->runs++;
    if (delay > s->worst_delay_ms)
        s->worst_delay_ms = delay;
    entry *x = find(s, it->id);
    int64_t next = x ? x->next_s : 0;
    pthread_mutex_unlock(&s->mu);
    rpc_status fst = { 0 };
    store_task_finish_run(dbhold_db(&h), it->id, err, it->due_s * 1000, next * 1000, &fst);
    dbhold_release(&h);
    sched_task_free(&t);
}

static void *runner(void *arg)
{
    scheduler *s = arg;
    /* this thread's bus client made now, not in the burst of the first due minute */
    bus_peers_get("agentsd");
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        if (!s->q_len) {
            pthread_cond_wait(&s->work, &s->mu);
            continue;
        }
        run_item it = s->q[s->q_head];
        s->q_head = (s->q_head + 1) % s->q_cap;
        s->q_len--;
        pthread_mutex_unlock(&s->mu);
        run_task(s, &it);
        pthread_mutex_lock(&s->mu);
        entry *x = find(s, it.id);
        if (x)
            x->running = false;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int scheduler_start(app *a)
{
    scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->a = a;
    s->dirty = true;
    s->ha = leader_ha_enabled();
    s->n_runners = a->runners;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->work, NULL);
    s->d = db_new(&a->db);
    s->pool = dbhold_pool_new(&a->db, a->runner_connections);
    s->runners = calloc((size_t)s->n_runners, sizeof *s->runners);
    if (!s->d || !s->pool || !s->runners) {
        db_destroy(s->d);
        dbhold_pool_free(s->pool);
        free(s->runners);
        free(s);
        return -1;
    }
    int started = 0;
    for (; started < s->n_runners; started++)
        if (pthread_create(&s->runners[started], NULL, runner, s) != 0)
            break;
    s->n_runners = started;
    if (!started || pthread_create(&s->thread, NULL, timetable, s) != 0) {
        a->sched = s;
        scheduler_stop(a);
        return -1;
    }
    a->sched = s;
    return 0;
}

void scheduler_stop(app *a)
{
    scheduler *s = a->sched;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_broadcast(&s->cv);
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    if (s->thread)
        pthread_join(s->thread, NULL);
    for (int i = 0; i < s->n_runners; i++)
        pthread_join(s->runners[i], NULL);
    db_destroy(s->d);
    dbhold_pool_free(s->pool);
    free(s->runners);
    free(s->e);
    free(s->q);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->work);
    pthread_mutex_destroy(&s->mu);
    free(s);
    a->sched = NULL;
}

void scheduler_reload(app *a)
{
    scheduler *s = a->sched;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->dirty = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void scheduler_stats(app *a, uint64_t *runs, int64_t *worst_delay_ms)
{
    scheduler *s = a->sched;
    *runs = 0;
    *worst_delay_ms = 0;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    *runs = s->runs;
    *worst_delay_ms = s->worst_delay_ms;
    pthread_mutex_unlock(&s->mu);
}
