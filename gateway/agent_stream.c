/* agent_stream: pmm-agent streams terminated in the gateway and relayed to
 * agentsd (see agent_stream.h).
 *
 * Each stream has at most three grpc operations outstanding, each with its
 * own tag: the close notification (for its whole life), one RECV_MESSAGE
 * (re-armed after each message is handed to the relay) and one send
 * (initial metadata, a message, or the final status; grpc allows one send
 * at a time, so the rest waits in a bounded per-stream queue). A stream is
 * freed when none is outstanding. One mutex guards every stream; the
 * completion-queue thread, the relay thread and the admission threads take
 * it for short, non-blocking work only (grpc_call_start_batch never runs a
 * completion inline).
 *
 * The relay thread owns the DEALER socket to agentsd. Others hand it
 * frames through a mailbox. Every second it says HELLO with this
 * gateway's epoch; agentsd answers with its own. A new agentsd epoch means
 * agentsd restarted: every admitted stream is re-opened with resync = true
 * and the list of live streams follows (SYNC), so agentsd re-sends state
 * and no agent notices. */
#include "agent_stream.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <zmq.h>

#include "auth.h"
#include "log.h"
#include "mailbox.h"
#include "metrics.h"
#include "rpc.h"
#include "stream_msg.h"
#include "uuid.h"

#define AS_BUCKETS 16384                       /* power of two */
#define AS_SENDQ_MAX_MSGS 256                  /* to one agent, not yet taken by grpc */
#define AS_SENDQ_MAX_BYTES ((size_t)128 << 20)
#define AS_OUT_MAX_BYTES ((size_t)256 << 20)   /* to agentsd, while it is slow or away */
#define AS_OPEN_TIMEOUT_MS 20000               /* agentsd never answered an OPEN */
#define AS_HELLO_MS 1000
#define AS_ADMIT_THREADS 2
#define AS_MD_MAX 4096

enum { ST_ADMIT, ST_OPENING, ST_OPEN, ST_ENDING };

typedef struct sendbuf {
    grpc_byte_buffer *bb;
    size_t len;
    struct sendbuf *next;
} sendbuf;

typedef struct astream {
    uint64_t id;
    grpc_call *call;
    agent_tag t_close, t_recv, t_send;
    int refs;               /* outstanding operations + admission queue */
    int state;
    int gone;               /* the close notification came */
    int cancelled;
    int in_table;
    int told_agentsd;       /* agentsd was sent OPEN */
    char *method;
    char *authorization;
    int bad_authorization;
    char *agent_id, *version, *metrics_port;
    int loopback;
    char *node_id, *node_name, *server_version;
    grpc_metadata hdr[3];
    int hdr_set, md_sent;
    grpc_byte_buffer *recv_buf;
    sendbuf *sq_head, *sq_tail;
    size_t sq_n, sq_bytes;
    grpc_byte_buffer *inflight;
    int send_inflight;
    int end_pending, end_code, status_sent;
    char *end_msg;
    grpc_slice details;
    int has_details;
    struct timespec started;
    int64_t open_sent_ms;
    void (*done)(void *);
    void *done_arg;
    struct astream *hnext, *qnext;
} astream;

static struct {
    pthread_mutex_t mu;
    astream *buckets[AS_BUCKETS];
    long n_streams;
    uint64_t next_id;
    char server_version[64];

    pthread_cond_t admit_cv;
    astream *aq_head, *aq_tail;
    int admit_stop;
    pthread_t admit_threads[AS_ADMIT_THREADS];
    int n_admit;

    void *zctx;
    void *sock;                 /* relay thread only */
    char endpoint[512];
    mailbox *mb;
    pthread_t relay_thread;
    int relay_started;
    atomic_int relay_stop;
    atomic_size_t out_bytes;
    char epoch[40];
    char agentsd_epoch[64];     /* relay thread only */
} g = { .mu = PTHREAD_MUTEX_INITIALIZER, .admit_cv = PTHREAD_COND_INITIALIZER };

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- to agentsd (any thread) ------------------------------------------------ */

typedef struct {
    zmq_msg_t msg;
    size_t len;
} outmsg;

static void relay_send_now(void *arg)
{
    outmsg *o = arg;
    atomic_fetch_sub(&g.out_bytes, o->len);
    if (g.sock && zmq_msg_send(&o->msg, g.sock, ZMQ_DONTWAIT) < 0)
        log_debug("agent relay: dropped a frame for agentsd: %s", zmq_strerror(zmq_errno()));
    zmq_msg_close(&o->msg);
    free(o);
}

static void relay_drop(mailbox_fn fn, void *arg)
{
    if (fn == relay_send_now) {
        outmsg *o = arg;
        zmq_msg_close(&o->msg);
        free(o);
    }
}

/* Queues msg (taken) for agentsd. Frames are dropped beyond the byte
 * bound: agentsd re-syncs from what is live, not from history. */
static void relay_post(zmq_msg_t *msg, int control)
{
    size_t len = zmq_msg_size(msg);
    if (!control && atomic_load(&g.out_bytes) + len > AS_OUT_MAX_BYTES) {
        log_warn("agent relay: agentsd is not keeping up, dropping a frame");
        zmq_msg_close(msg);
        return;
    }
    outmsg *o = malloc(sizeof *o);
    if (!o) {
        zmq_msg_close(msg);
        return;
    }
    zmq_msg_init(&o->msg);
    zmq_msg_move(&o->msg, msg);
    zmq_msg_close(msg);
    o->len = len;
    atomic_fetch_add(&g.out_bytes, len);
    if (mailbox_post(g.mb, relay_send_now, o) != 0) {
        atomic_fetch_sub(&g.out_bytes, len);
        relay_drop(relay_send_now, o);
    }
}

static void relay_simple(Internal__V1__StreamKind kind, uint64_t id, const void *payload, size_t len,
                         int code, const char *message)
{
    zmq_msg_t m;
    if (stream_msg_make(&m, kind, id, payload, len, code, message) == 0)
        relay_post(&m, kind != INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME);
}

/* OPEN, with resync and the headers for a stream agentsd admitted before. */
static void relay_open(const astream *s, int resync)
{
    Internal__V1__StreamMeta meta = INTERNAL__V1__STREAM_META__INIT;
    meta.pmm_agent_id = s->agent_id;
    meta.agent_version = s->version;
    meta.metrics_port = s->metrics_port ? (uint32_t)strtoul(s->metrics_port, NULL, 10) : 0;
    meta.resync = resync;
    if (resync) {
        meta.node_id = s->node_id ? s->node_id : "";
        meta.node_name = s->node_name ? s->node_name : "";
        meta.server_version = s->server_version ? s->server_version : "";
    }
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_OPEN;
    m.stream_id = s->id;
    m.meta = &meta;
    zmq_msg_t z;
    if (stream_msg_pack(&m, &z) == 0)
        relay_post(&z, 1);
}

/* ---- the stream table (g.mu held) ------------------------------------------ */

static astream **bucket(uint64_t id)
{
    return &g.buckets[(id ^ (id >> 32)) & (AS_BUCKETS - 1)];
}

static void table_add(astream *s)
{
    astream **b = bucket(s->id);
    s->hnext = *b;
    *b = s;
    s->in_table = 1;
    g.n_streams++;
}

static void table_remove(astream *s)
{
    if (!s->in_table)
        return;
    for (astream **p = bucket(s->id); *p; p = &(*p)->hnext)
        if (*p == s) {
            *p = s->hnext;
            break;
        }
    s->in_table = 0;
    g.n_streams--;
}

static astream *table_find(uint64_t id)
{
    for (astream *s = *bucket(id); s; s = s->hnext)
        if (s->id == id)
            return s;
    return NULL;
}

long agent_streams_count(void)
{
    pthread_mutex_lock(&g.mu);
    long n = g.n_streams;
    pthread_mutex_unlock(&g.mu);
    return n;
}

/* ---- stream lifetime (g.mu held) ------------------------------------------- */

static void sendq_clear(astream *s)
{
    for (sendbuf *b = s->sq_head, *next; b; b = next) {
        next = b->next;
        grpc_byte_buffer_destroy(b->bb);
        free(b);
    }
    s->sq_head = s->sq_tail = NULL;
    s->sq_n = s->sq_bytes = 0;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void stream_free(astream *s)
{
    int code = s->status_sent ? s->end_code : RPC_CANCELLED;
    metrics_observe("grpc", s->method ? s->method : "", code, seconds_since(&s->started));
    sendq_clear(s);
    if (s->recv_buf)
        grpc_byte_buffer_destroy(s->recv_buf);
    if (s->inflight)
        grpc_byte_buffer_destroy(s->inflight);
    if (s->hdr_set)
        for (int i = 0; i < 3; i++)
            grpc_slice_unref(s->hdr[i].value);
    if (s->has_details)
        grpc_slice_unref(s->details);
    grpc_call_unref(s->call);
    void (*done)(void *) = s->done;
    void *done_arg = s->done_arg;
    free(s->method);
    free(s->authorization);
    free(s->agent_id);
    free(s->version);
    free(s->metrics_port);
    free(s->node_id);
    free(s->node_name);
    free(s->server_version);
    free(s->end_msg);
    free(s);
    done(done_arg);
}

/* Drops a reference; the last one frees. Returns 1 when freed. */
static int stream_unref(astream *s)
{
    if (--s->refs > 0)
        return 0;
    stream_free(s);
    return 1;
}

static void start_status(astream *s)
{
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (!s->md_sent) {
        ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
        n++;
        s->md_sent = 1;
    }
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)s->end_code;
    if (s->end_msg && s->end_msg[0]) {
        s->details = grpc_slice_from_copied_string(s->end_msg);
        s->has_details = 1;
        ops[n].data.send_status_from_server.status_details = &s->details;
    }
    n++;
    s->status_sent = 1;
    s->send_inflight = 1;
    s->refs++;
    if (grpc_call_start_batch(s->call, ops, n, &s->t_send, NULL) != GRPC_CALL_OK) {
        s->send_inflight = 0;
        s->refs--;
    }
}

/* Ends the call with code and message once the send in flight is done.
 * tell: let agentsd know (it did not ask for this end itself). */
static void stream_end(astream *s, int code, const char *message, int tell)
{
    if (s->end_pending || s->gone)
        return;
    if (tell && s->told_agentsd)
        relay_simple(INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSED, s->id, NULL, 0, code, message);
    s->end_pending = 1;
    s->end_code = code >= RPC_OK && code <= RPC_UNAUTHENTICATED ? code : RPC_UNKNOWN;
    s->end_msg = strdup(message ? message : "");
    s->state = ST_ENDING;
    sendq_clear(s);
    table_remove(s);
    if (!s->send_inflight)
        start_status(s);
}

static void start_send(astream *s)
{
    sendbuf *b = s->sq_head;
    if (!b || s->send_inflight || s->end_pending)
        return;
    s->sq_head = b->next;
    if (!s->sq_head)
        s->sq_tail = NULL;
    s->sq_n--;
    s->sq_bytes -= b->len;
    s->inflight = b->bb;
    free(b);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = s->inflight;
    s->send_inflight = 1;
    s->refs++;
    if (grpc_call_start_batch(s->call, &op, 1, &s->t_send, NULL) != GRPC_CALL_OK) {
        s->send_inflight = 0;
        s->refs--;
        grpc_byte_buffer_destroy(s->inflight);
        s->inflight = NULL;
    }
}

static void start_recv(astream *s)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &s->recv_buf;
    s->refs++;
    if (grpc_call_start_batch(s->call, &op, 1, &s->t_recv, NULL) != GRPC_CALL_OK)
        s->refs--;
}

/* A ServerMessage for the agent. An agent that does not read gets cut off
 * rather than letting its queue grow. */
static void stream_deliver(astream *s, const uint8_t *data, size_t len)
{
    if (s->state != ST_OPEN || s->end_pending)
        return;
    if (s->sq_n >= AS_SENDQ_MAX_MSGS || s->sq_bytes + len > AS_SENDQ_MAX_BYTES) {
        log_warn("agent stream %" PRIu64 " (%s): the agent does not read its messages, disconnecting",
                 s->id, s->agent_id);
        stream_end(s, RPC_RESOURCE_EXHAUSTED, "too many messages queued for this agent", 1);
        return;
    }
    sendbuf *b = malloc(sizeof *b);
    if (!b)
        return;
    grpc_slice sl = grpc_slice_from_copied_buffer((const char *)data, len);
    b->bb = grpc_raw_byte_buffer_create(&sl, 1);
    grpc_slice_unref(sl);
    b->len = len;
    b->next = NULL;
    if (s->sq_tail)
        s->sq_tail->next = b;
    else
        s->sq_head = b;
    s->sq_tail = b;
    s->sq_n++;
    s->sq_bytes += len;
    start_send(s);
}

/* agentsd admitted the stream: headers out, messages in. */
static void stream_accepted(astream *s, const Internal__V1__StreamMeta *meta)
{
    if (s->state != ST_OPENING)
        return;
    s->node_id = strdup(meta && meta->node_id ? meta->node_id : "");
    s->node_name = strdup(meta && meta->node_name ? meta->node_name : "");
    s->server_version = strdup(meta && meta->server_version && meta->server_version[0] ? meta->server_version
                                                                                         : g.server_version);
    s->hdr[0].key = grpc_slice_from_static_string("pmm-agent-node-id");
    s->hdr[0].value = grpc_slice_from_copied_string(s->node_id);
    s->hdr[1].key = grpc_slice_from_static_string("pmm-node-name");
    s->hdr[1].value = grpc_slice_from_copied_string(s->node_name);
    s->hdr[2].key = grpc_slice_from_static_string("pmm-server-version");
    s->hdr[2].value = grpc_slice_from_copied_string(s->server_version);
    s->hdr_set = 1;
    s->state = ST_OPEN;

    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_INITIAL_METADATA;
    op.data.send_initial_metadata.count = 3;
    op.data.send_initial_metadata.metadata = s->hdr;
    s->md_sent = 1;
    s->send_inflight = 1;
    s->refs++;
    if (grpc_call_start_batch(s->call, &op, 1, &s->t_send, NULL) != GRPC_CALL_OK) {
        s->send_inflight = 0;
        s->refs--;
    }
    start_recv(s);
}

/* ---- completion-queue events ----------------------------------------------- */

static void on_close(void *arg, int ok)
{
    astream *s = arg;
    (void)ok;
    pthread_mutex_lock(&g.mu);
    s->gone = 1;
    if (!s->status_sent && s->told_agentsd)
        relay_simple(INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSED, s->id, NULL, 0, RPC_CANCELLED,
                     "the agent went away");
    table_remove(s);
    sendq_clear(s);
    s->state = ST_ENDING;
    grpc_call_cancel(s->call, NULL);   /* completes a pending receive */
    stream_unref(s);
    pthread_mutex_unlock(&g.mu);
}

static void on_recv(void *arg, int ok)
{
    astream *s = arg;
    pthread_mutex_lock(&g.mu);
    grpc_byte_buffer *bb = s->recv_buf;
    s->recv_buf = NULL;
    if (ok && bb && s->state == ST_OPEN && !s->end_pending) {
        grpc_byte_buffer_reader r;
        if (grpc_byte_buffer_reader_init(&r, bb)) {
            grpc_slice all = grpc_byte_buffer_reader_readall(&r);
            grpc_byte_buffer_reader_destroy(&r);
            relay_simple(INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME, s->id, GRPC_SLICE_START_PTR(all),
                         GRPC_SLICE_LENGTH(all), 0, NULL);
            grpc_slice_unref(all);
            start_recv(s);
        } else {
            stream_end(s, RPC_INTERNAL, "grpc: failed to decompress the received message", 1);
        }
    } else if (ok && !bb && s->state == ST_OPEN) {
        /* the agent closed its side: the stream is over, as upstream's
         * handler ends on io.EOF */
        stream_end(s, RPC_OK, NULL, 1);
    }
    if (bb)
        grpc_byte_buffer_destroy(bb);
    stream_unref(s);
    pthread_mutex_unlock(&g.mu);
}

static void on_send(void *arg, int ok)
{
    astream *s = arg;
    pthread_mutex_lock(&g.mu);
    s->send_inflight = 0;
    if (s->inflight) {
        grpc_byte_buffer_destroy(s->inflight);
        s->inflight = NULL;
    }
    if (ok && !s->status_sent) {
        if (s->end_pending)
            start_status(s);
        else
            start_send(s);
    }
    stream_unref(s);
    pthread_mutex_unlock(&g.mu);
}

/* ---- admission ---------------------------------------------------------- */

static int is_loopback_peer(const char *peer)
{
    return peer && (strncmp(peer, "ipv4:127.", 9) == 0 || strncmp(peer, "ipv6:[::1]:", 11) == 0 ||
                    strncmp(peer, "ipv6:%5B::1%5D:", 15) == 0);
}

/* Go's strconv.ParseUint(s, 10, 16) error text, "" when s parses. */
static void parse_port_error(const char *s, char *err, size_t errlen)
{
    err[0] = '\0';
    char q[AS_MD_MAX * 4 + 8];
    rpc_quote(q, sizeof q, s);
    if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s)) {
        snprintf(err, errlen, "strconv.ParseUint: parsing %s: invalid syntax", q);
        return;
    }
    unsigned long long v = 0;
    for (const char *p = s; *p; p++) {
        v = v * 10 + (unsigned)(*p - '0');
        if (v > 65535) {
            snprintf(err, errlen, "strconv.ParseUint: parsing %s: value out of range", q);
            return;
        }
    }
}

/* Credentials as for any gRPC call; the pmm-agent inside the server (id
 * pmm-server, from loopback) needs none, as upstream's auth server says. */
static void admit(astream *s)
{
    rpc_status st;
    memset(&st, 0, sizeof st);
    int code = RPC_OK;
    int local = s->loopback && s->agent_id && strcmp(s->agent_id, "pmm-server") == 0 &&
                strcmp(s->method, "/agent.v1.AgentService/Connect") == 0;
    if (!local) {
        if (s->bad_authorization)
            code = rpc_fail(&st, RPC_UNAUTHENTICATED, "Unauthorized");
        else {
            auth_identity id;
            memset(&id, 0, sizeof id);
            code = auth_check(s->authorization, s->method, &id, &st);
        }
    }
    char err[AS_MD_MAX * 4 + 128];
    if (code == RPC_OK && s->metrics_port) {
        parse_port_error(s->metrics_port, err, sizeof err);
        if (err[0])
            code = rpc_fail(&st, RPC_DATA_LOSS, "ReceiveAgentConnectMetadata: pmm-agent-metrics-port: %s", err);
    }
    pthread_mutex_lock(&g.mu);
    if (code != RPC_OK) {
        st.message[sizeof st.message - 1] = '\0';
        stream_end(s, code, st.message, 0);
    } else if (s->state == ST_ADMIT && !s->gone) {
        s->state = ST_OPENING;
        s->told_agentsd = 1;
        s->open_sent_ms = mono_ms();
        relay_open(s, 0);
    }
    stream_unref(s);
    pthread_mutex_unlock(&g.mu);
}

static void *admit_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&g.mu);
        while (!g.aq_head && !g.admit_stop)
            pthread_cond_wait(&g.admit_cv, &g.mu);
        astream *s = g.aq_head;
        if (s) {
            g.aq_head = s->qnext;
            if (!g.aq_head)
                g.aq_tail = NULL;
        }
        pthread_mutex_unlock(&g.mu);
        if (!s)
            return NULL;
        admit(s);
    }
}

/* grpc-go's md.Get(key) when it has exactly one value, as upstream's
 * getValue; NULL otherwise. */
static char *md_value(const grpc_metadata_array *md, const char *key, int *bad)
{
    char *out = NULL;
    int count = 0;
    for (size_t i = 0; i < md->count; i++) {
        if (grpc_slice_str_cmp(md->metadata[i].key, key) != 0)
            continue;
        count++;
        free(out);
        out = NULL;
        grpc_slice v = md->metadata[i].value;
        size_t len = GRPC_SLICE_LENGTH(v);
        if (len > AS_MD_MAX || memchr(GRPC_SLICE_START_PTR(v), 0, len)) {
            if (bad)
                *bad = 1;
            continue;
        }
        out = malloc(len + 1);
        if (out) {
            memcpy(out, GRPC_SLICE_START_PTR(v), len);
            out[len] = '\0';
        }
    }
    if (count != 1) {
        free(out);
        return NULL;
    }
    return out;
}

void agent_stream_accept(grpc_completion_queue *cq, grpc_call *call, const grpc_metadata_array *md,
                         const char *method, void (*done)(void *), void *done_arg)
{
    (void)cq;
    astream *s = calloc(1, sizeof *s);
    if (!s) {
        grpc_call_cancel_with_status(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory", NULL);
        grpc_call_unref(call);
        done(done_arg);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &s->started);
    s->call = call;
    s->done = done;
    s->done_arg = done_arg;
    s->t_close = (agent_tag){ AGENT_TAG_KIND, on_close, s };
    s->t_recv = (agent_tag){ AGENT_TAG_KIND, on_recv, s };
    s->t_send = (agent_tag){ AGENT_TAG_KIND, on_send, s };
    s->method = strdup(method);
    /* the first authorization value counts, as for unary calls */
    for (size_t i = 0; i < md->count; i++)
        if (grpc_slice_str_cmp(md->metadata[i].key, "authorization") == 0) {
            grpc_slice v = md->metadata[i].value;
            size_t len = GRPC_SLICE_LENGTH(v);
            if (len <= 8192 && !memchr(GRPC_SLICE_START_PTR(v), 0, len)) {
                s->authorization = malloc(len + 1);
                if (s->authorization) {
                    memcpy(s->authorization, GRPC_SLICE_START_PTR(v), len);
                    s->authorization[len] = '\0';
                }
            }
            s->bad_authorization = s->authorization == NULL;
            break;
        }
    int bad = 0;
    char *id = md_value(md, "pmm-agent-id", &bad);
    /* v2 ids carried a /agent_id/ prefix */
    if (id && strncmp(id, "/agent_id/", 10) == 0)
        memmove(id, id + 10, strlen(id + 10) + 1);
    s->agent_id = id ? id : strdup("");
    char *ver = md_value(md, "pmm-agent-version", &bad);
    s->version = ver ? ver : strdup("");
    s->metrics_port = md_value(md, "pmm-agent-metrics-port", &bad);
    if (s->metrics_port && s->metrics_port[0] == '\0') {
        free(s->metrics_port);
        s->metrics_port = NULL;
    }
    char *peer = grpc_call_get_peer(call);
    s->loopback = is_loopback_peer(peer);
    gpr_free(peer);

    pthread_mutex_lock(&g.mu);
    s->id = ++g.next_id;
    s->state = ST_ADMIT;
    s->refs = 2;   /* the close notification and the admission queue */
    table_add(s);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &s->cancelled;
    if (grpc_call_start_batch(call, &op, 1, &s->t_close, NULL) != GRPC_CALL_OK) {
        s->refs--;
        log_error("agent stream: close batch failed to start");
    }
    if (!s->agent_id || !s->version || bad) {
        stream_end(s, RPC_DATA_LOSS, "ReceiveAgentConnectMetadata: failed to get metadata", 0);
        stream_unref(s);
    } else {
        s->qnext = NULL;
        if (g.aq_tail)
            g.aq_tail->qnext = s;
        else
            g.aq_head = s;
        g.aq_tail = s;
        pthread_cond_signal(&g.admit_cv);
    }
    pthread_mutex_unlock(&g.mu);
}

/* ---- relay thread: frames from agentsd -------------------------------------- */

/* agentsd restarted: every admitted stream is taken over as it is, every
 * stream still waiting is asked for again, then the complete list. */
static void resync_all(void)
{
    pthread_mutex_lock(&g.mu);
    size_t cap = (size_t)g.n_streams + 1, n = 0;
    uint64_t *live = malloc(cap * sizeof *live);
    for (size_t b = 0; b < AS_BUCKETS; b++)
        for (astream *s = g.buckets[b]; s; s = s->hnext) {
            if (s->state == ST_OPEN) {
                relay_open(s, 1);
                if (live && n < cap)
                    live[n++] = s->id;
            } else if (s->state == ST_OPENING) {
                relay_open(s, 0);
                s->open_sent_ms = mono_ms();
            }
        }
    pthread_mutex_unlock(&g.mu);
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_SYNC;
    m.live = live;
    m.n_live = live ? n : 0;
    zmq_msg_t z;
    if (stream_msg_pack(&m, &z) == 0)
        relay_post(&z, 1);
    log_info("agent relay: agentsd epoch %s, re-synced %zu streams", g.agentsd_epoch, n);
    free(live);
}

static void on_agentsd_message(const Internal__V1__StreamMessage *m)
{
    if (m->kind == INTERNAL__V1__STREAM_KIND__STREAM_KIND_HELLO) {
        if (m->epoch && m->epoch[0] && strcmp(m->epoch, g.agentsd_epoch) != 0) {
            snprintf(g.agentsd_epoch, sizeof g.agentsd_epoch, "%s", m->epoch);
            resync_all();
        }
        return;
    }
    pthread_mutex_lock(&g.mu);
    astream *s = table_find(m->stream_id);
    if (!s) {
        pthread_mutex_unlock(&g.mu);
        /* a stream that already ended: agentsd hears CLOSED for it (or
         * forgets it at the next SYNC) */
        return;
    }
    switch (m->kind) {
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_ACCEPT:
        stream_accepted(s, m->meta);
        break;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_REJECT:
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSE:
        stream_end(s, m->code, m->message, 0);
        break;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME:
        stream_deliver(s, m->payload.data, m->payload.len);
        break;
    case INTERNAL__V1__STREAM_KIND__STREAM_KIND_UNKNOWN:
        if (s->state == ST_OPEN)
            relay_open(s, 1);
        else if (s->state == ST_OPENING)
            relay_open(s, 0);
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&g.mu);
}

static void drain_socket(void)
{
    for (int i = 0; i < 4096; i++) {
        zmq_msg_t z;
        zmq_msg_init(&z);
        if (zmq_msg_recv(&z, g.sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&z);
            return;
        }
        Internal__V1__StreamMessage *m = stream_msg_unpack(zmq_msg_data(&z), zmq_msg_size(&z));
        zmq_msg_close(&z);
        if (!m) {
            log_warn("agent relay: malformed frame from agentsd");
            continue;
        }
        on_agentsd_message(m);
        stream_msg_free(m);
    }
}

/* Streams agentsd never answered (it is down, or lost the OPEN) end with
 * UNAVAILABLE; the agent dials again. */
static void expire_opening(int64_t now)
{
    pthread_mutex_lock(&g.mu);
    for (size_t b = 0; b < AS_BUCKETS; b++)
        for (astream *s = g.buckets[b], *next; s; s = next) {
            next = s->hnext;
            if (s->state == ST_OPENING && now - s->open_sent_ms > AS_OPEN_TIMEOUT_MS)
                stream_end(s, RPC_UNAVAILABLE, "agentsd is unavailable", 1);
        }
    pthread_mutex_unlock(&g.mu);
}

static void send_hello(void)
{
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_HELLO;
    m.epoch = g.epoch;
    zmq_msg_t z;
    if (stream_msg_pack(&m, &z) == 0) {
        if (zmq_msg_send(&z, g.sock, ZMQ_DONTWAIT) < 0)
            log_trace("agent relay: agentsd is not reachable");
        zmq_msg_close(&z);
    }
}

static void *relay_main(void *arg)
{
    (void)arg;
    int64_t next_hello = 0, next_expire = mono_ms() + AS_HELLO_MS;
    while (!atomic_load(&g.relay_stop)) {
        zmq_pollitem_t items[2] = { { g.sock, 0, ZMQ_POLLIN, 0 }, { NULL, mailbox_fd(g.mb), ZMQ_POLLIN, 0 } };
        int64_t now = mono_ms();
        long wait = next_hello > now ? (long)(next_hello - now) : 0;
        if (zmq_poll(items, 2, wait) < 0 && zmq_errno() != EINTR) {
            log_error("agent relay: poll failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            mailbox_run(g.mb);
        if (items[0].revents & ZMQ_POLLIN)
            drain_socket();
        now = mono_ms();
        if (now >= next_hello) {
            send_hello();
            next_hello = now + AS_HELLO_MS;
        }
        if (now >= next_expire) {
            expire_opening(now);
            next_expire = now + AS_HELLO_MS;
        }
    }
    mailbox_run(g.mb);
    return NULL;
}

static void wake_noop(void *arg)
{
    (void)arg;
}

static int sockopt(void *s, int opt, int v)
{
    return zmq_setsockopt(s, opt, &v, sizeof v);
}

int agent_streams_init(void *zmq_ctx, const char *run_dir, const char *server_version)
{
    g.zctx = zmq_ctx;
    snprintf(g.server_version, sizeof g.server_version, "%s", server_version);
    stream_msg_endpoint(g.endpoint, sizeof g.endpoint, run_dir);
    uuid_v4(g.epoch);
    /* stream ids of a restarted gateway must not collide with the old
     * ones agentsd may still hold for a moment */
    g.next_id = (uint64_t)time(NULL) << 24;
    g.mb = mailbox_new();
    g.sock = zmq_socket(zmq_ctx, ZMQ_DEALER);
    if (!g.mb || !g.sock)
        return -1;
    char rid[64];
    int rid_len = snprintf(rid, sizeof rid, "gw-%s", g.epoch);
    int64_t maxsize = (int64_t)120 << 20;
    if (zmq_setsockopt(g.sock, ZMQ_ROUTING_ID, rid, (size_t)rid_len) != 0 || sockopt(g.sock, ZMQ_LINGER, 0) != 0 ||
        sockopt(g.sock, ZMQ_SNDHWM, 200000) != 0 || sockopt(g.sock, ZMQ_RCVHWM, 200000) != 0 ||
        zmq_setsockopt(g.sock, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize) != 0 ||
        zmq_connect(g.sock, g.endpoint) != 0) {
        log_error("agent relay: cannot connect %s: %s", g.endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    if (pthread_create(&g.relay_thread, NULL, relay_main, NULL) != 0)
        return -1;
    g.relay_started = 1;
    for (int i = 0; i < AS_ADMIT_THREADS; i++) {
        if (pthread_create(&g.admit_threads[i], NULL, admit_main, NULL) != 0)
            return -1;
        g.n_admit++;
    }
    log_info("agent relay: streams go to %s", g.endpoint);
    return 0;
}

void agent_streams_stop(void)
{
    pthread_mutex_lock(&g.mu);
    g.admit_stop = 1;
    pthread_cond_broadcast(&g.admit_cv);
    pthread_mutex_unlock(&g.mu);
    for (int i = 0; i < g.n_admit; i++)
        pthread_join(g.admit_threads[i], NULL);
    g.n_admit = 0;
    if (g.relay_started) {
        atomic_store(&g.relay_stop, 1);
        mailbox_post(g.mb, wake_noop, NULL);   /* wakes it */
        pthread_join(g.relay_thread, NULL);
        g.relay_started = 0;
    }
    if (g.sock)
        zmq_close(g.sock);
    g.sock = NULL;
    mailbox_destroy(g.mb, relay_drop);
    g.mb = NULL;
}
