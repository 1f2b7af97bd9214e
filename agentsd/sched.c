/* sched: SetState scheduling (see sched.h). */
#include "sched.h"

#include <stdlib.h>
#include <string.h>

#include "agent_metrics.h"
#include "clock.h"
#include "db/store/store.h"
#include "dbpool.h"
#include "log.h"
#include "requests.h"
#include "rpc.h"
#include "agentsd/state/state.h"
#include "status.h"

#define SETSTATE_TIMEOUT_MS 5000     /* upstream stateChangeTimeout */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000

/* SetStates are built in batches: a conn that wants one joins the queue,
 * and while fewer than BATCHES_MAX builds run the queue leaves as one
 * build of up to BATCH_MAX pmm-agents (state_build_many: one snapshot,
 * a few statements for all). A lone change leaves at once in a batch of
 * one; a reconnecting fleet fills batches while earlier ones run. */
#define BATCH_MAX 64
#define BATCHES_MAX 3

/* A live conn's scheduling state. */
struct sched_slot {
    int busy;          /* a SetState is queued, being built or waiting for its ack */
    int dirty;         /* something changed meanwhile: one more after it */
    int failures;      /* in a row, for the backoff */
    int64_t retry_at;  /* monotonic ms; 0 = no retry pending */
    char *fingerprint; /* digest of the children the last acknowledged SetState had */
    unsigned fp_seen;  /* the digests generation that last saw this pmm-agent */
};

typedef struct {
    conn *c;
    char *version;
    Agent__V1__SetStateRequest *req;
    char *fingerprint;
    int code;
    char message[RPC_MESSAGE_MAX];
} build_job;

typedef struct {
    build_job *jobs[BATCH_MAX];
    size_t n;
} build_batch;

static struct {
    conn **q;
    size_t n, cap;
    int running;
} B;

static void set_fingerprint(const char *id, const char *digest, void *arg)
{
    build_batch *b = arg;
    for (size_t i = 0; i < b->n; i++)
        if (!b->jobs[i]->fingerprint && strcmp(b->jobs[i]->c->agent_id, id) == 0)
            b->jobs[i]->fingerprint = strdup(digest);
}

static void batch_work(db *d, void *arg)
{
    build_batch *b = arg;
    rpc_status st = { 0 };
    state_job *sj = calloc(b->n, sizeof *sj);
    const char **ids = calloc(b->n, sizeof *ids);
    char *arr = NULL;
    int code = RPC_OK;
    if (!d)
        code = rpc_fail(&st, RPC_UNAVAILABLE, "no database connection");
    else if (!sj || !ids)
        code = rpc_fail(&st, RPC_INTERNAL, "out of memory");
    for (size_t i = 0; code == RPC_OK && i < b->n; i++) {
        ids[i] = b->jobs[i]->c->agent_id;
        sj[i] = (state_job){ .pmm_agent_id = ids[i], .agent_version = b->jobs[i]->version };
    }
    if (code == RPC_OK && !(arr = store_text_array(ids, b->n)))
        code = rpc_fail(&st, RPC_INTERNAL, "out of memory");
    /* the digests first: a change racing with the build is seen again */
    if (code == RPC_OK)
        code = status_fingerprints(d, arr, set_fingerprint, b, &st);
    if (code == RPC_OK)
        state_build_many(d, sj, b->n);
    for (size_t i = 0; i < b->n; i++) {
        build_job *j = b->jobs[i];
        if (code == RPC_OK && !j->fingerprint && !(j->fingerprint = strdup("")))
            code = rpc_fail(&st, RPC_INTERNAL, "out of memory");
        j->code = code == RPC_OK ? sj[i].code : code;
        j->req = code == RPC_OK ? sj[i].req : NULL;
        if (code != RPC_OK && sj && sj[i].req)
            protobuf_c_message_free_unpacked(&sj[i].req->base, NULL);
        if (j->code != RPC_OK)
            snprintf(j->message, sizeof j->message, "%s", code == RPC_OK ? sj[i].message : st.message);
    }
    free(arr);
    free(ids);
    free(sj);
}

static void job_free(build_job *j)
{
    if (j->req)
        protobuf_c_message_free_unpacked(&j->req->base, NULL);
    free(j->version);
    free(j->fingerprint);
    free(j);
}

static void failed(conn *c, const char *what, const char *message)
{
    struct sched_slot *s = c->sched;
    if (!s)
        return;
    s->failures++;
    int64_t backoff = RETRY_MIN_MS;
    for (int i = 1; i < s->failures && backoff < RETRY_MAX_MS; i++)
        backoff *= 2;
    if (backoff > RETRY_MAX_MS)
        backoff = RETRY_MAX_MS;
    s->retry_at = clock_mono_ms() + backoff;
    log_warn("pmm-agent %s: SetState %s: %s (retry in %lld ms)", c->agent_id, what, message, (long long)backoff);
}

static void on_ack(conn *c, void *arg, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    build_job *j = arg;
    struct sched_slot *s = c->sched;
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (!s) { /* the stream ended meanwhile */
        job_free(j);
        return;
    }
    s->busy = 0;
    if (code == RPC_OK) {
        s->failures = 0;
        free(s->fingerprint);
        s->fingerprint = j->fingerprint;
        j->fingerprint = NULL;
        log_debug("pmm-agent %s: SetState acknowledged", c->agent_id);
    } else {
        failed(c, "failed", message);
    }
    job_free(j);
    if (s->dirty && !s->retry_at) {
        s->dirty = 0;
        sched_request(c);
    }
}

static void build_done(build_job *j)
{
    conn *c = j->c;
    if (!c->sched) { /* the stream ended meanwhile */
        job_free(j);
        conn_unref(c);
        return;
    }
    if (j->code != RPC_OK) {
        c->sched->busy = 0;
        failed(c, "cannot be built", j->message);
        job_free(j);
        conn_unref(c);
        return;
    }
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_SET_STATE;
    m.set_state = j->req;
    agent_metrics_setstate();
    requests_send(c, &m, SETSTATE_TIMEOUT_MS, on_ack, j);
    conn_unref(c);
}

static void pump(void);

static void batch_done(void *arg)
{
    build_batch *b = arg;
    for (size_t i = 0; i < b->n; i++)
        build_done(b->jobs[i]);
    free(b);
    B.running--;
    pump();
}

/* Gives up c's busy mark and the queue's reference. */
static void let_go(conn *c)
{
    if (c->sched)
        c->sched->busy = 0;
    conn_unref(c);
}

/* A job for c, which gives up its busy mark and reference on failure or
 * when c is dead by now. */
static build_job *job_new(conn *c)
{
    build_job *j = c->sched ? calloc(1, sizeof *j) : NULL;
    if (j && !(j->version = strdup(c->version))) {
        free(j);
        j = NULL;
    }
    if (!j) {
        let_go(c);
        return NULL;
    }
    j->c = c;
    return j;
}

/* Sends queued conns off in batches while fewer than BATCHES_MAX run. */
static void pump(void)
{
    while (B.n > 0 && B.running < BATCHES_MAX) {
        build_batch *b = calloc(1, sizeof *b);
        if (!b)
            return; /* retried at the next request or batch end */
        size_t take = B.n < BATCH_MAX ? B.n : BATCH_MAX;
        for (size_t i = 0; i < take; i++) {
            build_job *j = job_new(B.q[i]);
            if (j)
                b->jobs[b->n++] = j;
        }
        memmove(B.q, B.q + take, (B.n - take) * sizeof *B.q);
        B.n -= take;
        if (b->n == 0) {
            free(b);
            continue;
        }
        if (dbpool_submit_kind(DBPOOL_BULK, batch_work, batch_done, b) != 0) {
            for (size_t i = 0; i < b->n; i++) {
                let_go(b->jobs[i]->c);
                job_free(b->jobs[i]);
            }
            free(b);
            continue;
        }
        B.running++;
    }
}

void sched_request(conn *c)
{
    if (c->state != CONN_LIVE)
        return;
    if (!c->sched && !(c->sched = calloc(1, sizeof *c->sched)))
        return;
    struct sched_slot *s = c->sched;
    if (s->busy || s->retry_at) {
        s->dirty = 1;
        return;
    }
    if (B.n == B.cap) {
        size_t cap = B.cap ? B.cap * 2 : 256;
        conn **q = realloc(B.q, cap * sizeof *q);
        if (!q)
            return;
        B.q = q;
        B.cap = cap;
    }
    s->busy = 1;
    s->dirty = 0;
    conn_ref(c);
    B.q[B.n++] = c;
    pump();
}

void sched_drop_queue(void)
{
    for (size_t i = 0; i < B.n; i++)
        let_go(B.q[i]);
    free(B.q);
    B.q = NULL;
    B.n = B.cap = 0;
}

void sched_tick(conn *c, int64_t now)
{
    struct sched_slot *s = c->sched;
    if (s && s->retry_at && now >= s->retry_at && !s->busy) {
        s->retry_at = 0;
        sched_request(c);
    }
}

void sched_forget(conn *c)
{
    if (!c->sched)
        return;
    free(c->sched->fingerprint);
    free(c->sched);
    c->sched = NULL;
}

static void request_one(conn *c, void *arg)
{
    (void)arg;
    sched_request(c);
}

void sched_all(void)
{
    streams_each(request_one, NULL);
}

/* ---- inventory changes: whose children changed? ---------------------------------- */

typedef struct digest {
    char *id, *value;
    struct digest *next;
} digest;

typedef struct {
    digest *list;
    int code;
} digests_job;

static struct {
    int running, again;
    unsigned generation;
} F;

static void add_digest(const char *id, const char *value, void *arg)
{
    digests_job *j = arg;
    digest *d = malloc(sizeof *d);
    if (!d)
        return;
    d->id = strdup(id);
    d->value = strdup(value);
    d->next = j->list;
    j->list = d;
}

static void digests_work(db *d, void *arg)
{
    digests_job *j = arg;
    rpc_status st = { 0 };
    j->code = d ? status_fingerprints(d, NULL, add_digest, j, &st) : RPC_UNAVAILABLE;
    if (j->code != RPC_OK)
        log_warn("cannot read the inventory digests: %s", st.message);
}

static void compare_one(conn *c, void *arg)
{
    (void)arg;
    struct sched_slot *s = c->sched;
    if (s && s->fp_seen != F.generation && s->fingerprint && s->fingerprint[0])
        sched_request(c);   /* every child of it is gone */
}

static void digests_done(void *arg)
{
    digests_job *j = arg;
    F.generation++;
    for (digest *d = j->list, *next; d; d = next) {
        next = d->next;
        conn *c = d->id ? streams_find_agent(d->id) : NULL;
        if (c && j->code == RPC_OK) {
            struct sched_slot *s = c->sched;
            if (s)
                s->fp_seen = F.generation;
            if (!s || !s->fingerprint || !d->value || strcmp(s->fingerprint, d->value) != 0)
                sched_request(c);
        }
        free(d->id);
        free(d->value);
        free(d);
    }
    if (j->code == RPC_OK)
        streams_each(compare_one, NULL);
    else
        sched_all();   /* cannot tell who changed: everybody */
    free(j);
    F.running = 0;
    if (F.again) {
        F.again = 0;
        sched_inventory_changed();
    }
}

void sched_inventory_changed(void)
{
    if (F.running) {
        F.again = 1;
        return;
    }
    digests_job *j = calloc(1, sizeof *j);
    if (!j)
        return;
    F.running = 1;
    if (dbpool_submit_kind(DBPOOL_BULK, digests_work, digests_done, j) != 0) {
        F.running = 0;
        free(j);
    }
}
