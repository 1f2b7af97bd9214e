/* registry: connected pmm-agents and the protocol on their streams (see
 * registry.h). Stream loop thread only. */
#include "registry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_metrics.h"
#include "dbpool.h"
#include "drift.h"
#include "inventory_events.h"
#include "jobs.h"
#include "log.h"
#include "loop.h"
#include "rpc.h"
#include "sched.h"
#include "status.h"
#include "strhash.h"
#include "stream_msg.h"
#include "uuid.h"

#define BUCKETS 16384
#define PING_EVERY_MS 10000
#define PING_TIMEOUT_MS 10000
#define PROBE_TIMEOUT_MS 2000         /* upstream staleConnectionProbeTimeout */
#define GATEWAY_SILENT_MS 5000        /* a gateway that stopped saying HELLO is gone */
#define FLOOD_WINDOW_MS 10000
#define FLOOD_MAX_MESSAGES 2000       /* per window: far above any real agent */
#define MAX_GATEWAYS 16
#define ORPHAN_MAX 4096               /* frames kept for streams not yet re-announced */
#define ORPHAN_KEEP_MS 10000

struct pending {
    uint32_t id;
    int64_t deadline_ms;
    int64_t sent_wall_us;
    registry_reply_fn cb;
    void *arg;
    struct pending *next;
};

typedef struct {
    char id[128];
    size_t len;
    int64_t last_hello_ms;
} gateway;

/* A frame that came before the OPEN of its stream (agentsd restarted). */
typedef struct orphan {
    uint64_t stream_id;
    int64_t at_ms;
    uint8_t *data;
    size_t len;
    struct orphan *next;
} orphan;

static struct {
    conn *by_stream[BUCKETS];
    conn *by_agent[BUCKETS];
    long live;
    gateway gws[MAX_GATEWAYS];
    int n_gws;
    char epoch[UUID_STR_LEN];
    bus_pub *pub;
    registry_agent_handler handlers[32];
    orphan *orphans;
    int n_orphans;
    int reconciled;
    int64_t started_ms;
} R;

static void unregister(conn *c, const char *reason);

/* ---- tables ------------------------------------------------------------------ */

static size_t hash_id(uint64_t id)
{
    return (size_t)((id ^ (id >> 29)) & (BUCKETS - 1));
}

static size_t hash_str(const char *s)
{
    return (size_t)(strhash(s) & (BUCKETS - 1));
}

static conn *find_stream(uint64_t id)
{
    for (conn *c = R.by_stream[hash_id(id)]; c; c = c->next_stream)
        if (c->stream_id == id)
            return c;
    return NULL;
}

static void remove_stream(conn *c)
{
    for (conn **p = &R.by_stream[hash_id(c->stream_id)]; *p; p = &(*p)->next_stream)
        if (*p == c) {
            *p = c->next_stream;
            return;
        }
}

conn *registry_find(const char *pmm_agent_id)
{
    for (conn *c = R.by_agent[hash_str(pmm_agent_id)]; c; c = c->next_agent)
        if (strcmp(c->agent_id, pmm_agent_id) == 0)
            return c;
    return NULL;
}

static int remove_agent(conn *c)
{
    for (conn **p = &R.by_agent[hash_str(c->agent_id)]; *p; p = &(*p)->next_agent)
        if (*p == c) {
            *p = c->next_agent;
            R.live--;
            return 1;
        }
    return 0;
}

static conn **snapshot(size_t *n);
static void snapshot_free(conn **all, size_t n);

void registry_each(void (*fn)(conn *c, void *arg), void *arg)
{
    size_t n;
    conn **all = snapshot(&n);
    for (size_t k = 0; k < n; k++)
        if (all[k]->state == CONN_LIVE)
            fn(all[k], arg);
    snapshot_free(all, n);
}

void conn_ref(conn *c)
{
    c->refs++;
}

void conn_unref(conn *c)
{
    if (--c->refs > 0)
        return;
    free(c->gw);
    free(c->agent_id);
    free(c->version);
    free(c->node_id);
    free(c->node_name);
    free(c->fingerprint);
    free(c);
}

void registry_init(bus_pub *pub)
{
    R.pub = pub;
    uuid_v4(R.epoch);
    R.started_ms = loop_mono_ms();
}

void registry_set_handler(int payload_case, registry_agent_handler fn)
{
    if (payload_case >= 0 && payload_case < 32)
        R.handlers[payload_case] = fn;
}

/* ---- to the gateway ------------------------------------------------------------ */

static void send_kind(const conn *c, Internal__V1__StreamKind kind, const void *payload, size_t len, int code,
                      const char *message)
{
    zmq_msg_t z;
    if (stream_msg_make(&z, kind, c->stream_id, payload, len, code, message) == 0)
        loop_send(c->gw, c->gw_len, &z);
}

void registry_send(conn *c, const uint8_t *data, size_t len)
{
    send_kind(c, INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME, data, len, 0, NULL);
}

static void send_server_message(conn *c, const Agent__V1__ServerMessage *m)
{
    size_t n = agent__v1__server_message__get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return;
    agent__v1__server_message__pack(m, buf);
    registry_send(c, buf, n);
    free(buf);
}

/* Ends the stream from our side (the gateway answers the agent with code). */
static void close_stream(conn *c, int code, const char *message, const char *reason)
{
    send_kind(c, INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSE, NULL, 0, code, message);
    unregister(c, reason);
}

/* ---- requests to the agent --------------------------------------------------- */

int registry_request(conn *c, Agent__V1__ServerMessage *msg, int timeout_ms, registry_reply_fn cb, void *arg)
{
    if (c->state != CONN_LIVE && !(c->state == CONN_ADMIT_PROBE && msg->payload_case == AGENT__V1__SERVER_MESSAGE__PAYLOAD_PING)) {
        cb(c, arg, RPC_UNAVAILABLE, "channel is closed", NULL);
        return -1;
    }
    pending *p = calloc(1, sizeof *p);
    if (!p) {
        cb(c, arg, RPC_RESOURCE_EXHAUSTED, "out of memory", NULL);
        return -1;
    }
    /* never reuse an id still pending (upstream would panic) */
    uint32_t id;
    for (;;) {
        id = ++c->last_req_id;
        if (id == 0)
            continue;
        pending *q = c->pendings;
        while (q && q->id != id)
            q = q->next;
        if (!q)
            break;
    }
    msg->id = id;
    p->id = id;
    p->deadline_ms = loop_mono_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
    p->sent_wall_us = loop_wall_us();
    p->cb = cb;
    p->arg = arg;
    p->next = c->pendings;
    c->pendings = p;
    conn_ref(c);
    send_server_message(c, msg);
    return 0;
}

static pending *take_pending(conn *c, uint32_t id)
{
    for (pending **p = &c->pendings; *p; p = &(*p)->next)
        if ((*p)->id == id) {
            pending *found = *p;
            *p = found->next;
            return found;
        }
    return NULL;
}

static void finish_pending(conn *c, pending *p, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    p->cb(c, p->arg, code, message, resp);
    free(p);
    conn_unref(c);
}

static void fail_all_pending(conn *c, int code, const char *message)
{
    while (c->pendings) {
        pending *p = c->pendings;
        c->pendings = p->next;
        finish_pending(c, p, code, message, NULL);
    }
}

/* ---- pings ------------------------------------------------------------------- */

static void on_pong(conn *c, void *arg, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    int64_t sent = (int64_t)(intptr_t)arg;
    (void)sent;
    if (code != RPC_OK || !resp || resp->payload_case != AGENT__V1__AGENT_MESSAGE__PAYLOAD_PONG) {
        log_debug("pmm-agent %s: ping failed: %s", c->agent_id, message ? message : "no pong");
    } else {
        int64_t agent_us = 0;
        const Google__Protobuf__Timestamp *t = resp->pong->current_time;
        if (t)
            agent_us = t->seconds * 1000000 + t->nanos / 1000;
        drift_compute(c->last_ping_wall_us, loop_wall_us(), agent_us, &c->rtt_us, &c->drift_us);
        agent_metrics_ping(c->rtt_us, c->drift_us);
        log_debug("pmm-agent %s: round-trip time %" PRId64 " us, estimated clock drift %" PRId64 " us",
                  c->agent_id, c->rtt_us, c->drift_us);
    }
    if (resp)
        agent__v1__agent_message__free_unpacked(resp, NULL);
}

static void ping(conn *c, registry_reply_fn cb, void *arg, int timeout_ms)
{
    Agent__V1__Ping p = AGENT__V1__PING__INIT;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_PING;
    m.ping = &p;
    c->last_ping_wall_us = loop_wall_us();
    registry_request(c, &m, timeout_ms, cb, arg);
}

/* ---- going live and away ------------------------------------------------------- */

/* agents.is_connected goes to PostgreSQL in batches: one statement per
 * batch and one batch at a time, so that changes land in the order they
 * happened and a fleet of 10,000 reconnecting costs a few statements, not
 * 10,000. A reconcile (every live id, after a resync) is computed when it
 * is sent and so replaces what is queued before it. */
typedef struct {
    char *id;
    int on;
    size_t seq;
} conn_change;

static struct {
    conn_change *v;
    size_t n, cap, seq;
    int busy;
    int reconcile;
} CQ;

typedef struct {
    char **on, **off, **live;
    size_t n_on, n_off, n_live;
    int reconcile;
} connected_job;

static void connected_work(db *d, void *arg)
{
    connected_job *j = arg;
    rpc_status st = { 0 };
    int code = j->reconcile ? status_reconcile(d, (const char *const *)j->live, j->n_live, &st)
                            : status_set_connected(d, (const char *const *)j->on, j->n_on,
                                                   (const char *const *)j->off, j->n_off, &st);
    if (code != RPC_OK)
        log_warn("cannot store the connection state of %zu pmm-agents: %s", j->reconcile ? j->n_live : j->n_on + j->n_off,
                 st.message);
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void connected_job_free(connected_job *j)
{
    free_strs(j->on, j->n_on);
    free_strs(j->off, j->n_off);
    free_strs(j->live, j->n_live);
    free(j);
}

static void cq_clear(void)
{
    for (size_t i = 0; i < CQ.n; i++)
        free(CQ.v[i].id);
    CQ.n = 0;
}

static void collect_live(conn *c, void *arg)
{
    connected_job *j = arg;
    j->live[j->n_live++] = strdup(c->agent_id);
}

/* by id, the latest change first */
static int change_cmp(const void *a, const void *b)
{
    const conn_change *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->seq < y->seq) - (x->seq > y->seq);
}

/* The queued changes, the latest per id, moved into j. */
static int take_changes(connected_job *j)
{
    qsort(CQ.v, CQ.n, sizeof *CQ.v, change_cmp);
    j->on = calloc(CQ.n, sizeof *j->on);
    j->off = calloc(CQ.n, sizeof *j->off);
    if (!j->on || !j->off)
        return -1;
    const char *last = NULL; /* the id taken last (sorted: its older changes follow it) */
    for (size_t i = 0; i < CQ.n; i++) {
        if (last && strcmp(CQ.v[i].id, last) == 0)
            continue;
        last = CQ.v[i].id;
        if (CQ.v[i].on)
            j->on[j->n_on++] = CQ.v[i].id;
        else
            j->off[j->n_off++] = CQ.v[i].id;
        CQ.v[i].id = NULL;
    }
    return 0;
}

static void connected_done(void *arg);

static void cq_flush(void)
{
    if (CQ.busy || (!CQ.reconcile && CQ.n == 0))
        return;
    connected_job *j = calloc(1, sizeof *j);
    if (!j)
        return;
    int rc = 0;
    if (CQ.reconcile) {
        j->reconcile = 1;
        CQ.reconcile = 0;
        j->live = calloc((size_t)R.live + 1, sizeof *j->live);
        if (j->live)
            registry_each(collect_live, j);
        else
            rc = -1;
    } else {
        rc = take_changes(j);
    }
    cq_clear();
    if (rc != 0)
        log_warn("out of memory: the connection state of the pmm-agents is not stored");
    if (rc != 0 || dbpool_submit(connected_work, connected_done, j) != 0) {
        connected_job_free(j); /* or stopping: the streams stay with the gateway */
        return;
    }
    CQ.busy = 1;
}

static void connected_done(void *arg)
{
    connected_job_free(arg);
    CQ.busy = 0;
    cq_flush();
}

static void store_connected(const char *agent_id, int connected)
{
    if (CQ.n == CQ.cap) {
        size_t cap = CQ.cap ? CQ.cap * 2 : 256;
        conn_change *v = realloc(CQ.v, cap * sizeof *v);
        if (!v)
            return;
        CQ.v = v;
        CQ.cap = cap;
    }
    char *id = strdup(agent_id);
    if (!id)
        return;
    CQ.v[CQ.n++] = (conn_change){ id, connected, CQ.seq++ };
    cq_flush();
}

/* is_connected of every pmm-agent from what is live now. */
static void reconcile(void)
{
    R.reconciled = 1;
    CQ.reconcile = 1;
    cq_flush();
}

static void go_live(conn *c, int send_accept)
{
    c->state = CONN_LIVE;
    c->next_agent = R.by_agent[hash_str(c->agent_id)];
    R.by_agent[hash_str(c->agent_id)] = c;
    R.live++;
    c->next_ping_ms = loop_mono_ms() + PING_EVERY_MS;
    c->flood_window_ms = loop_mono_ms();
    if (send_accept) {
        Internal__V1__StreamMeta meta = INTERNAL__V1__STREAM_META__INIT;
        meta.pmm_agent_id = c->agent_id;
        meta.node_id = c->node_id ? c->node_id : "";
        meta.node_name = c->node_name ? c->node_name : "";
        meta.server_version = PMM_VERSION;
        Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
        m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_ACCEPT;
        m.stream_id = c->stream_id;
        m.meta = &meta;
        zmq_msg_t z;
        if (stream_msg_pack(&m, &z) == 0)
            loop_send(c->gw, c->gw_len, &z);
    }
    log_info("pmm-agent %s connected (version %s, stream %" PRIu64 ")", c->agent_id, c->version, c->stream_id);
    agent_metrics_connected();
    store_connected(c->agent_id, 1);
    sched_request(c);
}

static void unregister(conn *c, const char *reason)
{
    if (c->state == CONN_DEAD)
        return;
    int was_live = c->state == CONN_LIVE;
    c->state = CONN_DEAD;
    remove_stream(c);
    if (was_live)
        agent_metrics_disconnected(reason);
    if (was_live && remove_agent(c)) {
        log_info("pmm-agent %s disconnected (%s)", c->agent_id, reason);
        /* a replacement may already be admitted under the same id */
        if (!registry_find(c->agent_id))
            store_connected(c->agent_id, 0);
    }
    fail_all_pending(c, RPC_UNAVAILABLE, "channel is closed");
    conn_unref(c);
}

/* ---- admission ------------------------------------------------------------------ */

typedef struct {
    conn *c;
    status_admission adm;
    int code;
    char message[RPC_MESSAGE_MAX];
} admit_job;

static void admit_work(db *d, void *arg)
{
    admit_job *j = arg;
    rpc_status st = { 0 };
    j->code = status_admit(d, j->c->agent_id, j->c->version, &j->adm, &st);
    snprintf(j->message, sizeof j->message, "%s", st.message);
}

static void reject(conn *c, int code, const char *message)
{
    log_info("pmm-agent %s refused: %s", c->agent_id, message);
    send_kind(c, INTERNAL__V1__STREAM_KIND__STREAM_KIND_REJECT, NULL, 0, code, message);
    unregister(c, "refused");
}

static void refuse_duplicate(conn *c)
{
    char q[600], msg[700];
    rpc_quote(q, sizeof q, c->agent_id);
    snprintf(msg, sizeof msg, "pmm-agent with ID %s is already connected.", q);
    reject(c, RPC_ALREADY_EXISTS, msg);
}

static void on_probe(conn *old, void *arg, int code, const char *message, Agent__V1__AgentMessage *resp)
{
    conn *c = arg;
    if (resp)
        agent__v1__agent_message__free_unpacked(resp, NULL);
    c->probing = NULL;
    if (c->state == CONN_ADMIT_PROBE) {
        if (code == RPC_OK) {
            refuse_duplicate(c);
        } else {
            log_warn("pmm-agent %s: earlier connection does not answer (%s), kicking it", c->agent_id, message);
            if (old->state == CONN_LIVE)
                close_stream(old, RPC_ABORTED, "Kicked.", "kick");
            if (registry_find(c->agent_id))
                refuse_duplicate(c);   /* another one won meanwhile */
            else
                go_live(c, 1);
        }
    }
    conn_unref(c);
}

static void admit_done(void *arg)
{
    admit_job *j = arg;
    conn *c = j->c;
    if (c->state == CONN_ADMIT_DB) {
        if (j->code != RPC_OK) {
            reject(c, j->code, j->message);
        } else {
            if (j->adm.vmagent_id)
                inventory_events_changed(R.pub, "agent", "add", j->adm.vmagent_id);
            c->node_id = j->adm.node_id;
            c->node_name = j->adm.node_name;
            j->adm.node_id = j->adm.node_name = NULL;
            conn *old = registry_find(c->agent_id);
            if (old) {
                c->state = CONN_ADMIT_PROBE;
                c->probing = old;
                conn_ref(c);
                ping(old, on_probe, c, PROBE_TIMEOUT_MS);
            } else {
                go_live(c, 1);
            }
        }
    }
    status_admission_clear(&j->adm);
    conn_unref(c);
    free(j);
}

static conn *conn_new(const void *gw, size_t gw_len, uint64_t stream_id, const Internal__V1__StreamMeta *meta)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->stream_id = stream_id;
    c->gw = malloc(gw_len ? gw_len : 1);
    if (c->gw)
        memcpy(c->gw, gw, gw_len);
    c->gw_len = gw_len;
    c->agent_id = strdup(meta && meta->pmm_agent_id ? meta->pmm_agent_id : "");
    c->version = strdup(meta && meta->agent_version ? meta->agent_version : "");
    c->metrics_port = meta ? meta->metrics_port : 0;
    c->fingerprint = NULL;
    c->refs = 1;   /* the stream table */
    if (!c->gw || !c->agent_id || !c->version) {
        conn_unref(c);
        return NULL;
    }
    c->next_stream = R.by_stream[hash_id(stream_id)];
    R.by_stream[hash_id(stream_id)] = c;
    return c;
}

static void replay_orphans(conn *c);

static void on_open(const void *gw, size_t gw_len, const Internal__V1__StreamMessage *m)
{
    if (find_stream(m->stream_id))
        return;   /* already known: a repeated OPEN */
    const Internal__V1__StreamMeta *meta = m->meta;
    conn *c = conn_new(gw, gw_len, m->stream_id, meta);
    if (!c)
        return;
    if (meta && meta->resync) {
        /* admitted by the agentsd before us: take it over as it is */
        c->node_id = strdup(meta->node_id ? meta->node_id : "");
        c->node_name = strdup(meta->node_name ? meta->node_name : "");
        conn *old = registry_find(c->agent_id);
        if (old)
            close_stream(old, RPC_ABORTED, "Kicked.", "kick");
        go_live(c, 0);
        replay_orphans(c);
        return;
    }
    c->state = CONN_ADMIT_DB;
    admit_job *j = calloc(1, sizeof *j);
    if (!j) {
        reject(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    j->c = c;
    conn_ref(c);
    if (dbpool_submit(admit_work, admit_done, j) != 0) {
        conn_unref(c);
        free(j);
        reject(c, RPC_UNAVAILABLE, "agentsd is stopping");
    }
}

/* ---- messages from the agent ------------------------------------------------------ */

static void reply(conn *c, uint32_t id, Agent__V1__ServerMessage *m)
{
    m->id = id;
    send_server_message(c, m);
}

static void reply_pong(conn *c, uint32_t id)
{
    int64_t now = loop_wall_us();
    Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    t.seconds = now / 1000000;
    t.nanos = (int32_t)(now % 1000000) * 1000;
    Agent__V1__Pong p = AGENT__V1__PONG__INIT;
    p.current_time = &t;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_PONG;
    m.pong = &p;
    reply(c, id, &m);
}

typedef struct {
    conn *c;
    Agent__V1__AgentMessage *msg;
    int code;
    bool port_changed, has_vmagent;
    int n_updated;
    registry_agent_handler handler;
} agent_req_job;

static void state_changed_work(db *d, void *arg)
{
    agent_req_job *j = arg;
    rpc_status st = { 0 };
    j->code = status_apply(d, j->c->agent_id, j->msg->state_changed, &j->port_changed, &j->has_vmagent,
                          &j->n_updated, &st);
    if (j->code != RPC_OK)
        log_warn("pmm-agent %s: cannot store the state of %s: %s", j->c->agent_id,
                 j->msg->state_changed->agent_id, st.message);
}

static void handler_work(db *d, void *arg)
{
    agent_req_job *j = arg;
    j->code = j->handler(d, j->c->agent_id, j->msg);
}

static void agent_req_done(void *arg)
{
    agent_req_job *j = arg;
    conn *c = j->c;
    Agent__V1__AgentMessage *msg = j->msg;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    Agent__V1__StateChangedResponse scr = AGENT__V1__STATE_CHANGED_RESPONSE__INIT;
    Agent__V1__ActionResultResponse arr = AGENT__V1__ACTION_RESULT_RESPONSE__INIT;
    if (msg->payload_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_STATE_CHANGED) {
        if (j->n_updated > 0)
            inventory_events_changed(R.pub, "agent", "change", msg->state_changed->agent_id);
        m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_STATE_CHANGED;
        m.state_changed = &scr;
        if (c->state == CONN_LIVE && j->port_changed && j->has_vmagent)
            sched_request(c);   /* its vmagent scrapes the new port */
    } else if (msg->payload_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_ACTION_RESULT) {
        m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_ACTION_RESULT;
        m.action_result = &arr;
    }
    if (c->state == CONN_LIVE && m.payload_case != AGENT__V1__SERVER_MESSAGE__PAYLOAD__NOT_SET)
        reply(c, msg->id, &m);
    agent__v1__agent_message__free_unpacked(msg, NULL);
    conn_unref(c);
    free(j);
}

/* Requests that need the database: answered once it is done. */
static void agent_request_async(conn *c, Agent__V1__AgentMessage *msg, dbpool_work work, registry_agent_handler h)
{
    agent_req_job *j = calloc(1, sizeof *j);
    if (!j) {
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return;
    }
    j->c = c;
    j->msg = msg;
    j->handler = h;
    conn_ref(c);
    if (dbpool_submit(work, agent_req_done, j) != 0) {
        j->n_updated = 0;
        j->port_changed = 0;
        agent_req_done(j);
    }
}

static int is_response(Agent__V1__AgentMessage__PayloadCase pc)
{
    switch (pc) {
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_PONG:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_SET_STATE:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_START_ACTION:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_STOP_ACTION:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_CHECK_CONNECTION:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_START_JOB:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_STOP_JOB:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_STATUS:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_GET_VERSIONS:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_PBM_SWITCH_PITR:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_AGENT_LOGS:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_SERVICE_INFO:
        return 1;
    default:
        return 0;
    }
}

static void on_response(conn *c, Agent__V1__AgentMessage *msg)
{
    pending *p = take_pending(c, msg->id);
    if (!p) {
        log_debug("pmm-agent %s: response %u matches no request", c->agent_id, msg->id);
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return;
    }
    if (msg->status && msg->status->code != 0) {
        finish_pending(c, p, msg->status->code, msg->status->message ? msg->status->message : "", NULL);
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return;
    }
    finish_pending(c, p, RPC_OK, "", msg);
}

/* No payload: the agent did not know our request (cancel its waiter), or
 * sent something we do not know (tell it, unless it is itself an
 * UNIMPLEMENTED answer: never bounce those back and forth). */
static void on_no_payload(conn *c, Agent__V1__AgentMessage *msg)
{
    int code = msg->status ? msg->status->code : 0;
    pending *p = take_pending(c, msg->id);
    if (p)
        finish_pending(c, p, code ? code : RPC_UNIMPLEMENTED,
                       msg->status && msg->status->message ? msg->status->message : "not implemented", NULL);
    if (code == RPC_UNIMPLEMENTED) {
        log_warn("pmm-agent %s: message %u is not implemented by the agent", c->agent_id, msg->id);
    } else if (c->state == CONN_LIVE) {
        Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
        st.code = RPC_UNIMPLEMENTED;
        st.message = "can't handle message type sent, it is not implemented";
        Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
        m.status = &st;
        reply(c, msg->id, &m);
    }
    agent__v1__agent_message__free_unpacked(msg, NULL);
}

/* A flood gets the agent cut off, not everyone else slowed down. */
static int flooding(conn *c)
{
    int64_t now = loop_mono_ms();
    if (now - c->flood_window_ms > FLOOD_WINDOW_MS) {
        c->flood_window_ms = now;
        c->flood_count = 0;
    }
    return ++c->flood_count > FLOOD_MAX_MESSAGES;
}

static void on_frame(conn *c, const uint8_t *data, size_t len)
{
    if (c->state != CONN_LIVE && c->state != CONN_ADMIT_PROBE)
        return;
    if (flooding(c)) {
        log_warn("pmm-agent %s sends too many messages, disconnecting", c->agent_id);
        close_stream(c, RPC_RESOURCE_EXHAUSTED, "too many messages", "flood");
        return;
    }
    static const uint8_t empty[1];
    Agent__V1__AgentMessage *msg = agent__v1__agent_message__unpack(NULL, len, len ? data : empty);
    if (!msg) {
        log_warn("pmm-agent %s sent a message that does not parse, disconnecting", c->agent_id);
        close_stream(c, RPC_INTERNAL, "grpc: failed to unmarshal the received message", "garbage");
        return;
    }
    if (is_response(msg->payload_case)) {
        on_response(c, msg);
        return;
    }
    if (c->state != CONN_LIVE) {
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return;
    }
    registry_agent_handler h = msg->payload_case < 32 ? R.handlers[msg->payload_case] : NULL;
    switch (msg->payload_case) {
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_PING:
        reply_pong(c, msg->id);
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return;
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_STATE_CHANGED:
        agent_request_async(c, msg, state_changed_work, NULL);
        return;
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_QAN_COLLECT: {
        /* no qan-api2 behind this server yet; upstream answers even when
         * forwarding failed */
        Agent__V1__QANCollectResponse q = AGENT__V1__QANCOLLECT_RESPONSE__INIT;
        Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
        m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_QAN_COLLECT;
        m.qan_collect = &q;
        reply(c, msg->id, &m);
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return;
    }
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_RESULT:
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_PROGRESS: {
        /* for the job's owner; never acknowledged (upstream handler.go) */
        const char *topic;
        uint8_t *buf = NULL;
        size_t len = 0;
        if (jobs_event(c->agent_id, msg, &topic, &buf, &len) != 0 || bus_pub_send(R.pub, topic, buf, len) != 0)
            log_warn("pmm-agent %s: a job report is lost (%s)", c->agent_id,
                     msg->payload_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_RESULT ? "result" : "progress");
        free(buf);
        agent__v1__agent_message__free_unpacked(msg, NULL);
        return;
    }
    case AGENT__V1__AGENT_MESSAGE__PAYLOAD_ACTION_RESULT:
        if (h) {
            agent_request_async(c, msg, handler_work, h);
        } else {
            Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
            Agent__V1__ActionResultResponse arr = AGENT__V1__ACTION_RESULT_RESPONSE__INIT;
            if (msg->payload_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_ACTION_RESULT) {
                m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_ACTION_RESULT;
                m.action_result = &arr;
                reply(c, msg->id, &m);
            }
            agent__v1__agent_message__free_unpacked(msg, NULL);
        }
        return;
    default:
        on_no_payload(c, msg);
        return;
    }
}

/* ---- frames for streams we do not know yet ------------------------------------------ */

static void keep_orphan(const void *gw, size_t gw_len, uint64_t stream_id, const uint8_t *data, size_t len)
{
    int first = 1;
    for (orphan *o = R.orphans; o; o = o->next)
        if (o->stream_id == stream_id)
            first = 0;
    if (R.n_orphans < ORPHAN_MAX) {
        orphan *o = calloc(1, sizeof *o);
        if (o && (o->data = malloc(len ? len : 1))) {
            memcpy(o->data, data, len);
            o->len = len;
            o->stream_id = stream_id;
            o->at_ms = loop_mono_ms();
            /* appended: replayed in order */
            orphan **p = &R.orphans;
            while (*p)
                p = &(*p)->next;
            *p = o;
            R.n_orphans++;
        } else {
            free(o);
        }
    }
    if (first) {
        zmq_msg_t z;
        if (stream_msg_make(&z, INTERNAL__V1__STREAM_KIND__STREAM_KIND_UNKNOWN, stream_id, NULL, 0, 0, NULL) == 0)
            loop_send(gw, gw_len, &z);
    }
}

static void replay_orphans(conn *c)
{
    for (orphan **p = &R.orphans; *p;) {
        orphan *o = *p;
        if (o->stream_id == c->stream_id) {
            *p = o->next;
            R.n_orphans--;
            if (c->state == CONN_LIVE)
                on_frame(c, o->data, o->len);
            free(o->data);
            free(o);
        } else {
            p = &o->next;
        }
    }
}

static void expire_orphans(int64_t now)
{
    for (orphan **p = &R.orphans; *p;) {
        orphan *o = *p;
        if (now - o->at_ms > ORPHAN_KEEP_MS) {
            *p = o->next;
            R.n_orphans--;
            free(o->data);
            free(o);
        } else {
            p = &o->next;
        }
    }
}

/* ---- gateways ------------------------------------------------------------------------- */

static gateway *gateway_seen(const void *gw, size_t gw_len)
{
    for (int i = 0; i < R.n_gws; i++)
        if (R.gws[i].len == gw_len && memcmp(R.gws[i].id, gw, gw_len) == 0)
            return &R.gws[i];
    if (R.n_gws >= MAX_GATEWAYS || gw_len > sizeof R.gws[0].id)
        return NULL;
    gateway *g = &R.gws[R.n_gws++];
    memcpy(g->id, gw, gw_len);
    g->len = gw_len;
    log_info("stream loop: a gateway is connected");
    return g;
}

static void hello(const void *gw, size_t gw_len)
{
    gateway *g = gateway_seen(gw, gw_len);
    if (g)
        g->last_hello_ms = loop_mono_ms();
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_HELLO;
    m.epoch = R.epoch;
    zmq_msg_t z;
    if (stream_msg_pack(&m, &z) == 0)
        loop_send(gw, gw_len, &z);
}

static int same_gw(const conn *c, const void *gw, size_t gw_len)
{
    return c->gw_len == gw_len && memcmp(c->gw, gw, gw_len) == 0;
}

/* Every stream, each with a reference: what is done to one may end
 * others, so nobody walks the table while acting. */
static conn **snapshot(size_t *n)
{
    size_t cap = 0;
    for (size_t b = 0; b < BUCKETS; b++)
        for (conn *c = R.by_stream[b]; c; c = c->next_stream)
            cap++;
    conn **all = malloc((cap ? cap : 1) * sizeof *all);
    *n = 0;
    if (!all)
        return NULL;
    for (size_t b = 0; b < BUCKETS; b++)
        for (conn *c = R.by_stream[b]; c; c = c->next_stream) {
            conn_ref(c);
            all[(*n)++] = c;
        }
    return all;
}

static void snapshot_free(conn **all, size_t n)
{
    for (size_t i = 0; i < n; i++)
        conn_unref(all[i]);
    free(all);
}

/* Drops every stream of gateway gw, except those listed. */
static void drop_streams_of(const void *gw, size_t gw_len, const uint64_t *keep, size_t n_keep, const char *reason)
{
    size_t n;
    conn **all = snapshot(&n);
    for (size_t k = 0; k < n; k++) {
        conn *c = all[k];
        if (c->state == CONN_DEAD || !same_gw(c, gw, gw_len))
            continue;
        int kept = 0;
        for (size_t i = 0; i < n_keep && !kept; i++)
            kept = keep[i] == c->stream_id;
        if (!kept)
            unregister(c, reason);
    }
    snapshot_free(all, n);
}

static void expire_gateways(int64_t now)
{
    for (int i = 0; i < R.n_gws;) {
        if (now - R.gws[i].last_hello_ms > GATEWAY_SILENT_MS) {
            log_warn("stream loop: a gateway went silent, its streams are gone");
            drop_streams_of(R.gws[i].id, R.gws[i].len, NULL, 0, "gateway gone");
            R.gws[i] = R.gws[--R.n_gws];
        } else {
            i++;
        }
    }
}

void registry_on_message(const void *gw, size_t gw_len, const Internal__V1__StreamMessage *m)
{
    conn *c;
    switch (m->kind) {
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_HELLO:
        hello(gw, gw_len);
        return;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_OPEN:
        on_open(gw, gw_len, m);
        return;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME:
        c = find_stream(m->stream_id);
        if (c)
            on_frame(c, m->payload.data, m->payload.len);
        else
            keep_orphan(gw, gw_len, m->stream_id, m->payload.data, m->payload.len);
        return;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSED:
        c = find_stream(m->stream_id);
        if (c)
            unregister(c, "done");
        return;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_SYNC:
        drop_streams_of(gw, gw_len, m->live, m->n_live, "not live after resync");
        reconcile();
        return;
    default:
        log_debug("stream loop: unexpected frame kind %d", (int)m->kind);
        return;
    }
}

/* ---- time ------------------------------------------------------------------------------- */

static void tick_conn(conn *c, int64_t now)
{
    for (pending **p = &c->pendings; *p;) {
        pending *q = *p;
        if (now >= q->deadline_ms) {
            *p = q->next;
            finish_pending(c, q, RPC_DEADLINE_EXCEEDED, "context deadline exceeded", NULL);
            if (c->state == CONN_DEAD)
                return;
        } else {
            p = &q->next;
        }
    }
    if (c->state != CONN_LIVE)
        return;
    if (now >= c->next_ping_ms) {
        c->next_ping_ms = now + PING_EVERY_MS;
        ping(c, on_pong, NULL, PING_TIMEOUT_MS);
    }
    sched_tick(c, now);
}

void registry_tick(int64_t now)
{
    size_t n;
    conn **all = snapshot(&n);
    for (size_t k = 0; k < n; k++)
        if (all[k]->state != CONN_DEAD)
            tick_conn(all[k], now);
    snapshot_free(all, n);
    expire_gateways(now);
    expire_orphans(now);
    /* no gateway re-announced anything after a start: nobody is connected */
    if (!R.reconciled && now - R.started_ms > 3000)
        reconcile();
}

void registry_free_all(void)
{
    sched_drop_queue();
    for (size_t b = 0; b < BUCKETS; b++)
        while (R.by_stream[b])
            unregister(R.by_stream[b], "stopping");
    expire_orphans(INT64_MAX);
    cq_clear();
    free(CQ.v);
    CQ.v = NULL;
    CQ.cap = 0;
}
