/* sched: SetState scheduling (see sched.h). */
#include "sched.h"

#include <stdlib.h>
#include <string.h>

#include "dbpool.h"
#include "log.h"
#include "loop.h"
#include "rpc.h"
#include "state.h"
#include "status.h"

#define SETSTATE_TIMEOUT_MS 5000     /* upstream stateChangeTimeout */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000

typedef struct {
    conn *c;
    char *version;
    Agent__V1__SetStateRequest *req;
    char *fingerprint;
    int code;
    char message[RPC_MESSAGE_MAX];
} build_job;

static void build_work(db *d, void *arg)
{
    build_job *j = arg;
    rpc_status st = { 0 };
    if (!d) {
        j->code = rpc_fail(&st, RPC_UNAVAILABLE, "no database connection");
    } else {
        /* the digest first: a change racing with the build is seen again */
        j->fingerprint = status_fingerprint(d, j->c->agent_id, &st);
        j->code = j->fingerprint ? state_build(d, j->c->agent_id, j->version, &j->req, &st) : st.code;
    }
    if (j->code != RPC_OK)
        snprintf(j->message, sizeof j->message, "%s", st.message);
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
    c->ss_failures++;
    int64_t backoff = RETRY_MIN_MS;
    for (int i = 1; i < c->ss_failures && backoff < RETRY_MAX_MS; i++)
        backoff *= 2;
    if (backoff > RETRY_MAX_MS)
        backoff = RETRY_MAX_MS;
    c->ss_retry_at = loop_mono_ms() + backoff;
    log_warn("pmm-agent %s: SetState %s: %s (retry in %lld ms)", c->agent_id, what, message, (long long)backoff);
}

static void on_ack(conn *c, void *arg, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    build_job *j = arg;
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    c->ss_busy = 0;
    if (code == RPC_OK) {
        c->ss_failures = 0;
        free(c->fingerprint);
        c->fingerprint = j->fingerprint;
        j->fingerprint = NULL;
        log_debug("pmm-agent %s: SetState acknowledged", c->agent_id);
    } else if (c->state == CONN_LIVE) {
        failed(c, "failed", message);
    }
    job_free(j);
    if (c->state == CONN_LIVE && c->ss_dirty && !c->ss_retry_at) {
        c->ss_dirty = 0;
        sched_request(c);
    }
}

static void build_done(void *arg)
{
    build_job *j = arg;
    conn *c = j->c;
    if (c->state != CONN_LIVE) {
        c->ss_busy = 0;
        job_free(j);
        conn_unref(c);
        return;
    }
    if (j->code != RPC_OK) {
        c->ss_busy = 0;
        failed(c, "cannot be built", j->message);
        job_free(j);
        conn_unref(c);
        return;
    }
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_SET_STATE;
    m.set_state = j->req;
    registry_request(c, &m, SETSTATE_TIMEOUT_MS, on_ack, j);
    conn_unref(c);
}

void sched_request(conn *c)
{
    if (c->state != CONN_LIVE)
        return;
    if (c->ss_busy || c->ss_retry_at) {
        c->ss_dirty = 1;
        return;
    }
    build_job *j = calloc(1, sizeof *j);
    if (!j)
        return;
    j->c = c;
    j->version = strdup(c->version);
    c->ss_busy = 1;
    c->ss_dirty = 0;
    conn_ref(c);
    if (dbpool_submit_kind(DBPOOL_BULK, build_work, build_done, j) != 0) {
        c->ss_busy = 0;
        conn_unref(c);
        job_free(j);
    }
}

void sched_tick(conn *c, int64_t now)
{
    if (c->ss_retry_at && now >= c->ss_retry_at && !c->ss_busy) {
        c->ss_retry_at = 0;
        sched_request(c);
    }
}

static void request_one(conn *c, void *arg)
{
    (void)arg;
    sched_request(c);
}

void sched_all(void)
{
    registry_each(request_one, NULL);
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
    j->code = d ? status_fingerprints(d, add_digest, j, &st) : RPC_UNAVAILABLE;
    if (j->code != RPC_OK)
        log_warn("cannot read the inventory digests: %s", st.message);
}

static void compare_one(conn *c, void *arg)
{
    (void)arg;
    if (c->fp_seen != (int)F.generation && c->fingerprint && c->fingerprint[0])
        sched_request(c);   /* every child of it is gone */
}

static void digests_done(void *arg)
{
    digests_job *j = arg;
    F.generation++;
    for (digest *d = j->list, *next; d; d = next) {
        next = d->next;
        conn *c = d->id ? registry_find(d->id) : NULL;
        if (c && j->code == RPC_OK) {
            c->fp_seen = (int)F.generation;
            if (!c->fingerprint || !d->value || strcmp(c->fingerprint, d->value) != 0)
                sched_request(c);
        }
        free(d->id);
        free(d->value);
        free(d);
    }
    if (j->code == RPC_OK)
        registry_each(compare_one, NULL);
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
