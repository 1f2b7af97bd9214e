/* job_events: the agents' job results and logs (see job_events.h). */
#include "job_events.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "clock.h"
#include "internal/v1/jobs.pb-c.h"
#include "jobrun.h"
#include "log.h"
#include "metadata.h"
#include "restores.h"
#include "retention.h"
#include "store/store.h"

/* upstream caps a restart's context at 8 h: a longer interval is cut to it */
#define MAX_RETRY_INTERVAL_MS (8LL * 3600 * 1000)

typedef struct retry {
    char job_id[64];
    int64_t due_ms; /* monotonic */
    struct retry *next;
} retry;

static struct {
    pthread_t thread;
    bool running;
    volatile int stop;
    app *a;
    bus_sub *sub;
    db *d;
    pthread_mutex_t mu; /* guards retries */
    retry *retries;
} ev = { .mu = PTHREAD_MUTEX_INITIALIZER };

bool job_events_retry_pending(const char *job_id)
{
    pthread_mutex_lock(&ev.mu);
    bool found = false;
    for (retry *r = ev.retries; r && !found; r = r->next)
        found = strcmp(r->job_id, job_id) == 0;
    pthread_mutex_unlock(&ev.mu);
    return found;
}

static void queue_retry(const char *job_id, int64_t interval_ns)
{
    retry *r = calloc(1, sizeof *r);
    if (!r)
        return;
    int64_t ms = interval_ns / 1000000;
    snprintf(r->job_id, sizeof r->job_id, "%s", job_id);
    r->due_ms = clock_mono_ms() + (ms > MAX_RETRY_INTERVAL_MS ? MAX_RETRY_INTERVAL_MS : ms);
    pthread_mutex_lock(&ev.mu);
    r->next = ev.retries;
    ev.retries = r;
    pthread_mutex_unlock(&ev.mu);
}

int job_events_fail(db *d, const char *job_id, const char *reason, rpc_status *st)
{
    job j = { 0 };
    if (db_begin(d, st))
        return st->code;
    bool retry_it = false;
    if (store_job_get_for_update(d, job_id, &j, st) == RPC_OK && !j.done) {
        if (j.retries > 0) {
            /* upstream marks the artifact as failed, then restarts the job */
            retry_it = store_job_retry(d, job_id, st) == RPC_OK &&
                       jobrun_set_artifact_status(d, &j, "error", st) == RPC_OK;
        } else {
            job_target t;
            if (store_job_finish(d, job_id, reason, st) == RPC_OK && jobrun_target(&j, &t) == 0) {
                if (*t.artifact_id)
                    store_artifact_set_status(d, t.artifact_id, "error", st);
                else if (*t.restore_id)
                    store_restore_set_status(d, t.restore_id, "error", st);
            }
        }
    }
    if (st->code != RPC_OK || db_commit(d, st) != RPC_OK) {
        db_rollback(d);
        job_free(&j);
        return st->code;
    }
    if (retry_it) {
        log_warn("job %s failed (%s); restarting it in %lld ms, %d retries left", job_id, reason,
                 (long long)(j.interval_ns / 1000000), j.retries - 1);
        queue_retry(job_id, j.interval_ns);
    } else if (!j.done) {
        log_warn("job %s failed: %s", job_id, reason);
    }
    job_free(&j);
    return RPC_OK;
}

/* Restarts the jobs whose interval has passed (events thread). */
static void run_due_retries(void)
{
    for (;;) {
        retry *due = NULL;
        pthread_mutex_lock(&ev.mu);
        for (retry **p = &ev.retries; *p; p = &(*p)->next)
            if ((*p)->due_ms <= clock_mono_ms()) {
                due = *p;
                *p = due->next;
                break;
            }
        pthread_mutex_unlock(&ev.mu);
        if (!due)
            return;
        rpc_status st = { 0 };
        job j = { 0 };
        if (store_job_get(ev.d, due->job_id, &j, &st) == RPC_OK && !j.done) {
            if (jobrun_set_artifact_status(ev.d, &j, "pending", &st) == RPC_OK && jobrun_start(ev.d, &j, &st) == RPC_OK) {
                bool changed;
                job_target t;
                if (jobrun_target(&j, &t) == 0 && *t.artifact_id)
                    store_artifact_set_status_if(ev.d, t.artifact_id, "pending", "in_progress", &changed, &st);
                log_info("job %s restarted on %s", j.id, j.pmm_agent_id);
            } else {
                rpc_status fst = { 0 };
                char reason[RPC_MESSAGE_MAX];
                snprintf(reason, sizeof reason, "%s", st.message);
                job_events_fail(ev.d, due->job_id, reason, &fst);
            }
        }
        job_free(&j);
        free(due);
    }
}

static void on_progress(const char *pmm_agent_id, const Agent__V1__JobProgress *p)
{
    (void)pmm_agent_id;
    if (p->result_case != AGENT__V1__JOB_PROGRESS__RESULT_LOGS || !p->logs) {
        log_debug("job %s: progress of another kind ignored", p->job_id);
        return;
    }
    rpc_status st = { 0 };
    if (store_job_log_add(ev.d, p->job_id, p->logs->chunk_id, p->logs->data, p->logs->done, &st) == RPC_OK)
        return;
    /* a job this server never started (its row is the key): nothing to keep */
    if (st.code == RPC_FAILED_PRECONDITION)
        log_debug("job %s: log chunk of an unknown job dropped", p->job_id);
    else
        log_warn("job %s: log chunk %u not stored: %s", p->job_id, p->logs->chunk_id, st.message);
}

/* The metadata of a backup result as stored JSON (NULL when none). */
static char *result_metadata(const Agent__V1__JobResult *r, bool *sharded)
{
    const Backup__V1__Metadata *m = NULL;
    *sharded = false;
    if (r->result_case == AGENT__V1__JOB_RESULT__RESULT_MYSQL_BACKUP && r->mysql_backup)
        m = r->mysql_backup->metadata;
    else if (r->result_case == AGENT__V1__JOB_RESULT__RESULT_MONGODB_BACKUP && r->mongodb_backup) {
        m = r->mongodb_backup->metadata;
        *sharded = r->mongodb_backup->is_sharded_cluster;
    }
    return m ? metadata_to_json(m) : NULL;
}

static const char *result_type(const Agent__V1__JobResult *r)
{
    switch (r->result_case) {
    case AGENT__V1__JOB_RESULT__RESULT_MYSQL_BACKUP: return "mysql_backup";
    case AGENT__V1__JOB_RESULT__RESULT_MONGODB_BACKUP: return "mongodb_backup";
    case AGENT__V1__JOB_RESULT__RESULT_MYSQL_RESTORE_BACKUP: return "mysql_restore_backup";
    case AGENT__V1__JOB_RESULT__RESULT_MONGODB_RESTORE_BACKUP: return "mongodb_restore_backup";
    default: return "";
    }
}

/* A successful result: the rows in one transaction. *scheduled gets the
 * artifact's schedule for retention. */
static int store_success(const job *j, const Agent__V1__JobResult *r, char *schedule_id, size_t len, rpc_status *st)
{
    job_target t;
    *schedule_id = '\0';
    if (jobrun_target(j, &t) != 0)
        return rpc_fail(st, RPC_INTERNAL, "job %s has no readable data", j->id);
    if (strcmp(result_type(r), j->type) != 0)
        return rpc_fail(st, RPC_INTERNAL, "result type %s does not match job type %s", result_type(r), j->type);
    if (*t.artifact_id) {
        bool sharded;
        char *meta = result_metadata(r, &sharded);
        artifact a = { 0 };
        if (store_artifact_set_success(ev.d, t.artifact_id, sharded, meta, st) == RPC_OK &&
            store_artifact_get(ev.d, t.artifact_id, &a, st) == RPC_OK)
            snprintf(schedule_id, len, "%s", a.schedule_id);
        artifact_free(&a);
        free(meta);
    } else if (*t.restore_id) {
        store_restore_set_status(ev.d, t.restore_id, "success", st);
    }
    if (st->code == RPC_OK)
        store_job_finish(ev.d, j->id, "", st);
    return st->code;
}

static void on_result(const char *pmm_agent_id, const Agent__V1__JobResult *r)
{
    rpc_status st = { 0 };
    if (r->result_case == AGENT__V1__JOB_RESULT__RESULT_ERROR) {
        const char *msg = r->error && r->error->message ? r->error->message : "";
        if (job_events_fail(ev.d, r->job_id, msg, &st) && st.code != RPC_NOT_FOUND)
            log_warn("job %s: error result not stored: %s", r->job_id, st.message);
        return;
    }
    job j = { 0 };
    if (store_job_get(ev.d, r->job_id, &j, &st)) {
        if (st.code != RPC_NOT_FOUND)
            log_warn("job %s of %s: result not stored: %s", r->job_id, pmm_agent_id, st.message);
        return;
    }
    if (j.done) {
        job_free(&j);
        return; /* a result sent twice */
    }
    /* a MongoDB physical restore restarts the cluster's database first */
    if (strcmp(j.type, "mongodb_restore_backup") == 0 && restores_after_mongodb(ev.d, &j, &st) != RPC_OK) {
        char reason[RPC_MESSAGE_MAX];
        snprintf(reason, sizeof reason, "%s", st.message);
        rpc_status fst = { 0 };
        jobrun_fail(ev.d, j.id, reason, &fst);
        job_free(&j);
        return;
    }
    char schedule_id[128];
    st.code = RPC_OK;
    if (db_begin(ev.d, &st) == RPC_OK &&
        (store_success(&j, r, schedule_id, sizeof schedule_id, &st) != RPC_OK || db_commit(ev.d, &st) != RPC_OK))
        db_rollback(ev.d);
    if (st.code != RPC_OK)
        log_warn("job %s: result not stored: %s", j.id, st.message);
    else if (*schedule_id)
        retention_apply(ev.d, schedule_id);
    job_free(&j);
}

static void handle(const char *topic, const uint8_t *payload, size_t len)
{
    Internal__V1__JobEvent *e = internal__v1__job_event__unpack(NULL, len, payload);
    if (!e) {
        log_warn("%s: an event that does not decode was dropped", topic);
        return;
    }
    if (e->event_case == INTERNAL__V1__JOB_EVENT__EVENT_RESULT && e->result)
        on_result(e->pmm_agent_id, e->result);
    else if (e->event_case == INTERNAL__V1__JOB_EVENT__EVENT_PROGRESS && e->progress)
        on_progress(e->pmm_agent_id, e->progress);
    internal__v1__job_event__free_unpacked(e, NULL);
}

static void *run(void *arg)
{
    (void)arg;
    while (!ev.stop) {
        char *topic = NULL;
        uint8_t *payload = NULL;
        size_t len = 0;
        if (bus_sub_recv(ev.sub, 200, &topic, &payload, &len) == 1)
            handle(topic, payload, len);
        free(topic);
        free(payload);
        run_due_retries();
    }
    return NULL;
}

int job_events_start(void *zmq_ctx, const char *run_dir, app *a)
{
    char ep[600];
    bus_pub_endpoint(ep, sizeof ep, run_dir, "agentsd");
    ev.a = a;
    ev.stop = 0;
    ev.sub = bus_sub_new(zmq_ctx);
    ev.d = db_new(&a->db);
    if (!ev.sub || !ev.d || bus_sub_connect(ev.sub, ep, "job.") != 0 ||
        pthread_create(&ev.thread, NULL, run, NULL) != 0) {
        log_error("job events: cannot subscribe to %s", ep);
        bus_sub_destroy(ev.sub);
        db_destroy(ev.d);
        ev.sub = NULL;
        ev.d = NULL;
        return -1;
    }
    ev.running = true;
    return 0;
}

void job_events_stop(void)
{
    if (!ev.running)
        return;
    ev.stop = 1;
    pthread_join(ev.thread, NULL);
    ev.running = false;
    bus_sub_destroy(ev.sub);
    db_destroy(ev.d);
    ev.sub = NULL;
    ev.d = NULL;
    pthread_mutex_lock(&ev.mu);
    while (ev.retries) {
        retry *r = ev.retries;
        ev.retries = r->next;
        free(r);
    }
    pthread_mutex_unlock(&ev.mu);
}
