/* grpc_front: the gRPC listener. One completion-queue thread accepts generic
 * calls and reads their single request message; a bounded queue hands each
 * call to a pool of worker threads that authenticate it and relay it over
 * the bus; the worker starts the reply batch and the cq thread frees the
 * call once both the reply batch and the call's close notification have
 * completed. Besides that notification, each call has exactly one owner at
 * a time: a pending grpc operation, the queue, or one worker. */
#include "grpc_front.h"

#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "clock.h"
#include "agent_stream.h"
#include "auth.h"
#include "dispatch.h"
#include "bus/envelope.h"
#include "log.h"
#include "metrics.h"
#include "rpc.h"
#include "source_addr.h"

#define GF_MAX_RECV_BYTES (100 * 1024 * 1024)   /* upstream gRPCMessageMaxSize */
#define GF_MAX_SEND_BYTES (256 * 1024 * 1024)
#define GF_PENDING_REQUESTS 16                  /* request_call kept outstanding */
#ifndef GF_QUEUE_MAX_CALLS                      /* -D for tests of the full queue */
#define GF_QUEUE_MAX_CALLS 4096
#endif
#define GF_QUEUE_MAX_BYTES ((size_t)512 * 1024 * 1024)
#define GF_METHOD_MAX 8192                      /* grpc's default metadata limit */
#define GF_AUTH_MAX 8192
#define GF_GRACE_MS 3000                        /* upstream graceful shutdown */
#define GF_MAX_RELAY_MS (5 * 60 * 1000)         /* longest client deadline honoured */

#define GF_INTERNAL_PREFIX "/internal.v1."

/* What a completion-queue tag stands for. */
typedef enum {
    GF_TAG_CALL,       /* the call's main operation, see gf_stage */
    GF_TAG_CLOSE,      /* RECV_CLOSE_ON_SERVER: the call is over */
    GF_TAG_SHUTDOWN    /* grpc_server_shutdown_and_notify */
} gf_tag_kind;

typedef struct {
    gf_tag_kind kind;
    struct gf_call *call;
} gf_tag;

/* What the call's main outstanding grpc operation is. */
typedef enum {
    GF_AWAIT_CALL,     /* grpc_server_request_call */
    GF_AWAIT_MESSAGE,  /* RECV_MESSAGE */
    GF_AWAIT_REPLY     /* SEND_INITIAL_METADATA, SEND_MESSAGE, SEND_STATUS */
} gf_stage;

typedef struct gf_call {
    struct grpc_front *f;
    gf_tag tag;                  /* main operation */
    gf_tag close_tag;            /* close notification */
    gf_stage stage;
    atomic_int pending;          /* reply + close batches not yet completed */
    atomic_int client_gone;      /* closed before we replied: skip the work */
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array request_md;
    char *method;             /* NUL-terminated copy of details.method */
    char *authorization;      /* NULL when absent */
    int bad_authorization;    /* header present but unusable */
    gpr_timespec deadline;
    struct timespec started;
    grpc_byte_buffer *request;   /* the received message */
    size_t request_bytes;        /* counted against the queue's byte limit */
    grpc_byte_buffer *response;
    grpc_slice status_details;
    int has_status_details;
    int code;
    int cancelled;               /* set by RECV_CLOSE_ON_SERVER */
    struct gf_call *next;        /* worker queue link */
} gf_call;

struct grpc_front {
    grpc_server *server;
    grpc_completion_queue *cq;
    pthread_t cq_thread;
    int cq_thread_started;
    gf_tag shutdown_tag;

    pthread_mutex_t mu;
    pthread_cond_t work_cv;      /* workers wait for calls */
    pthread_cond_t state_cv;     /* stop waits for shutdown + no live calls */
    gf_call *head, *tail;
    size_t queued_calls, queued_bytes;
    int stopping_workers;
    int shutdown_seen;
    int shutting_down;
    long live_calls;             /* accepted calls not yet freed */
    long requests_outstanding;   /* request_call tags not yet completed */

    pthread_t *workers;
    int nworkers;
};

static void call_start_reply(gf_call *c, int code, const char *message,
                             const uint8_t *body, size_t body_len);

/* Copies a slice into a NUL-terminated string; NULL when it holds a NUL or
 * is longer than max (both are attacker-controlled). */
static char *slice_to_cstr(grpc_slice s, size_t max)
{
    size_t len = GRPC_SLICE_LENGTH(s);
    const uint8_t *p = GRPC_SLICE_START_PTR(s);
    if (len > max || (len > 0 && memchr(p, 0, len) != NULL))
        return NULL;
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    if (len > 0)
        memcpy(out, p, len);
    out[len] = '\0';
    return out;
}

static gf_call *call_new(grpc_front *f)
{
    gf_call *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->f = f;
    c->tag.kind = GF_TAG_CALL;
    c->tag.call = c;
    c->close_tag.kind = GF_TAG_CLOSE;
    c->close_tag.call = c;
    c->stage = GF_AWAIT_CALL;
    grpc_call_details_init(&c->details);
    grpc_metadata_array_init(&c->request_md);
    return c;
}

static void call_free(gf_call *c)
{
    grpc_metadata_array_destroy(&c->request_md);
    grpc_call_details_destroy(&c->details);
    if (c->request != NULL)
        grpc_byte_buffer_destroy(c->request);
    if (c->response != NULL)
        grpc_byte_buffer_destroy(c->response);
    if (c->has_status_details)
        grpc_slice_unref(c->status_details);
    if (c->call != NULL)
        grpc_call_unref(c->call);
    free(c->method);
    free(c->authorization);
    free(c);
}

/* The reply batch and the close notification are both done (or could not
 * start): count the call and let go. */
static void call_finish(gf_call *c)
{
    grpc_front *f = c->f;
    int code = c->cancelled ? RPC_CANCELLED : c->code;
    metrics_observe("grpc", c->method != NULL ? c->method : "", code, clock_seconds_since(&c->started));
    call_free(c);
    pthread_mutex_lock(&f->mu);
    f->live_calls--;
    if (f->live_calls == 0 && f->shutting_down)
        pthread_cond_broadcast(&f->state_cv);
    pthread_mutex_unlock(&f->mu);
}

/* A request_call tag came back, with a call (accepted) or without. Both
 * counts change together so that stop never sees a call in neither. */
static void request_done(grpc_front *f, int accepted)
{
    pthread_mutex_lock(&f->mu);
    f->requests_outstanding--;
    if (accepted)
        f->live_calls++;
    if (f->shutting_down)
        pthread_cond_broadcast(&f->state_cv);
    pthread_mutex_unlock(&f->mu);
}

/* Keeps one more grpc_server_request_call outstanding. Only fails while
 * shutting down or out of memory; the server then simply has one fewer. */
static int request_one_call(grpc_front *f)
{
    gf_call *c = call_new(f);
    if (c == NULL) {
        log_error("grpc: out of memory for a call request");
        return -1;
    }
    pthread_mutex_lock(&f->mu);
    f->requests_outstanding++;
    pthread_mutex_unlock(&f->mu);
    grpc_call_error err = grpc_server_request_call(f->server, &c->call, &c->details,
                                                   &c->request_md, f->cq, f->cq, &c->tag);
    if (err != GRPC_CALL_OK) {
        log_error("grpc: request_call failed: %d", (int)err);
        call_free(c);
        request_done(f, 0);
        return -1;
    }
    return 0;
}

/* One of the call's two final batches completed; the last one frees it.
 * Any thread. */
static void call_release(gf_call *c)
{
    if (atomic_fetch_sub(&c->pending, 1) == 1)
        call_finish(c);
}

/* ---- replies --------------------------------------------------------- */

static int valid_code(int code)
{
    return code >= RPC_OK && code <= RPC_UNAUTHENTICATED ? code : RPC_UNKNOWN;
}

/* Starts SEND_INITIAL_METADATA, SEND_MESSAGE (OK only) and SEND_STATUS.
 * Safe from any thread: grpc_call_start_batch is thread-safe and the call
 * is owned by the caller until this returns. */

/* Status details travel in the trailers, and clients refuse trailers over
 * 8 KiB (grpc's default metadata limit): longer texts (an echoed huge id)
 * are cut at a UTF-8 boundary and marked, so the call still ends with its
 * real code. REST answers carry the whole text. */
#define GF_MAX_DETAILS 4000

static grpc_slice status_details_slice(const char *message)
{
    size_t n = strlen(message);
    if (n <= GF_MAX_DETAILS)
        return grpc_slice_from_copied_string(message);
    n = GF_MAX_DETAILS;
    while (n > 0 && ((unsigned char)message[n] & 0xC0) == 0x80)
        n--;
    char *cut = malloc(n + 4);
    if (!cut)
        return grpc_slice_from_copied_buffer(message, n);
    memcpy(cut, message, n);
    memcpy(cut + n, "...", 4);
    grpc_slice s = grpc_slice_from_copied_string(cut);
    free(cut);
    return s;
}

static void call_start_reply(gf_call *c, int code, const char *message,
                             const uint8_t *body, size_t body_len)
{
    grpc_op ops[3];
    size_t n = 0;

    c->code = valid_code(code);
    c->stage = GF_AWAIT_REPLY;
    memset(ops, 0, sizeof(ops));

    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].data.send_initial_metadata.count = 0;
    n++;

    if (c->code == RPC_OK) {
        grpc_slice s = body_len > 0 ? grpc_slice_from_copied_buffer((const char *)body, body_len)
                                    : grpc_empty_slice();
        c->response = grpc_raw_byte_buffer_create(&s, 1);
        grpc_slice_unref(s);   /* the byte buffer holds its own ref */
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = c->response;
        n++;
    }

    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)c->code;
    ops[n].data.send_status_from_server.trailing_metadata_count = 0;
    if (message != NULL && message[0] != '\0') {
        c->status_details = status_details_slice(message);
        c->has_status_details = 1;
        ops[n].data.send_status_from_server.status_details = &c->status_details;
    }
    n++;

    grpc_call_error err = grpc_call_start_batch(c->call, ops, n, &c->tag, NULL);
    if (err != GRPC_CALL_OK) {
        log_error("grpc: reply batch for %s failed to start: %d", c->method ? c->method : "?", (int)err);
        call_release(c);
    }
}

/* ---- worker pool ------------------------------------------------------- */

/* Queues a call that has its message. Returns -1 when the queue is full
 * or the pool is stopping (the caller replies instead). */
static int queue_push(grpc_front *f, gf_call *c)
{
    int rc = -1;
    pthread_mutex_lock(&f->mu);
    if (!f->stopping_workers && f->queued_calls < GF_QUEUE_MAX_CALLS &&
        f->queued_bytes + c->request_bytes <= GF_QUEUE_MAX_BYTES) {
        c->next = NULL;
        if (f->tail != NULL)
            f->tail->next = c;
        else
            f->head = c;
        f->tail = c;
        f->queued_calls++;
        f->queued_bytes += c->request_bytes;
        pthread_cond_signal(&f->work_cv);
        rc = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* Blocks for the next call; NULL once stopping and the queue is empty. */
static gf_call *queue_pop(grpc_front *f)
{
    pthread_mutex_lock(&f->mu);
    while (f->head == NULL && !f->stopping_workers)
        pthread_cond_wait(&f->work_cv, &f->mu);
    gf_call *c = f->head;
    if (c != NULL) {
        f->head = c->next;
        if (f->head == NULL)
            f->tail = NULL;
        f->queued_calls--;
        f->queued_bytes -= c->request_bytes;
        c->next = NULL;
    }
    pthread_mutex_unlock(&f->mu);
    return c;
}

/* The bus timeout for a call: the client's remaining deadline as grpc-go
 * handlers see it (capped, so that no client parks a worker for days), 0
 * (the dispatch default) when the client set none, -1 when it has passed.
 * A short deadline thus also frees the worker early when a daemon hangs. */
static int relay_timeout_ms(gpr_timespec deadline)
{
    gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
    deadline = gpr_convert_clock_type(deadline, GPR_CLOCK_MONOTONIC);
    if (gpr_time_cmp(deadline, gpr_inf_future(GPR_CLOCK_MONOTONIC)) == 0)
        return 0;
    int64_t ms = gpr_time_to_millis(gpr_time_sub(deadline, now));
    if (ms <= 0)
        return -1;
    return ms > GF_MAX_RELAY_MS ? GF_MAX_RELAY_MS : (int)ms;
}

/* The caller's address, which password checks are throttled by: the peer,
 * or the local nginx's x-forwarded-for (gateway/source_addr.h). */
static void call_source(gf_call *c, char out[SOURCE_ADDR_MAX])
{
    char *peer_text = grpc_call_get_peer(c->call);
    char peer[SOURCE_ADDR_MAX];
    source_from_grpc_peer(peer_text, peer);
    gpr_free(peer_text);
    char *xff = NULL;
    for (size_t i = 0; i < c->request_md.count && !xff; i++)
        if (grpc_slice_str_cmp(c->request_md.metadata[i].key, "x-forwarded-for") == 0)
            xff = slice_to_cstr(c->request_md.metadata[i].value, SOURCE_ADDR_MAX * 8);
    source_pick(peer, xff, out);
    free(xff);
}

/* Authenticates and relays one call, then starts its reply. */
static void worker_handle(gf_call *c)
{
    auth_identity id;
    memset(&id, 0, sizeof(id));

    /* a client that left while queued gets no bus call on its behalf */
    if (atomic_load(&c->client_gone)) {
        call_start_reply(c, RPC_CANCELLED, "context canceled", NULL, 0);
        return;
    }

    if (!auth_is_public(c->method)) {
        rpc_status st;
        memset(&st, 0, sizeof(st));
        if (c->bad_authorization) {
            call_start_reply(c, RPC_UNAUTHENTICATED, "Unauthorized", NULL, 0);
            return;
        }
        char source[SOURCE_ADDR_MAX];
        call_source(c, source);
        int code = auth_check_from(c->authorization, source, c->method, &id, &st);
        if (code != RPC_OK) {
            st.message[sizeof(st.message) - 1] = '\0';
            call_start_reply(c, code, st.message, NULL, 0);
            return;
        }
    }

    /* auth may have waited on inventoryd: look again */
    if (atomic_load(&c->client_gone)) {
        call_start_reply(c, RPC_CANCELLED, "context canceled", NULL, 0);
        return;
    }
    int timeout_ms = relay_timeout_ms(c->deadline);
    if (timeout_ms < 0) {
        call_start_reply(c, RPC_DEADLINE_EXCEEDED, "context deadline exceeded", NULL, 0);
        return;
    }

    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, c->request)) {
        call_start_reply(c, RPC_INTERNAL, "grpc: failed to decompress the received message", NULL, 0);
        return;
    }
    grpc_slice body = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    grpc_byte_buffer_destroy(c->request);   /* readall copied it; halve the peak */
    c->request = NULL;

    bus_reply rep;
    memset(&rep, 0, sizeof(rep));
    dispatch_call(c->method, id.user, id.role, GRPC_SLICE_START_PTR(body), GRPC_SLICE_LENGTH(body),
                  timeout_ms, &rep);
    grpc_slice_unref(body);
    call_start_reply(c, rep.code, rep.message, rep.body, rep.body_len);
    bus_reply_clear(&rep);
}

static void *worker_main(void *arg)
{
    grpc_front *f = arg;
    gf_call *c;
    while ((c = queue_pop(f)) != NULL)
        worker_handle(c);
    dispatch_thread_done();
    return NULL;
}

/* ---- completion-queue thread ------------------------------------------ */

static int is_stream_method(const char *m)
{
    return strcmp(m, "/agent.v1.AgentService/Connect") == 0 ||
           strcmp(m, "/agent.Agent/Connect") == 0;
}

/* grpc-go's answer to a method name it cannot split into service/method. */
static void reply_malformed(gf_call *c)
{
    char quoted[GF_METHOD_MAX * 4 + 8];
    char msg[sizeof(quoted) + 32];
    if (c->method == NULL) {
        call_start_reply(c, RPC_UNIMPLEMENTED, "malformed method name", NULL, 0);
        return;
    }
    rpc_quote(quoted, sizeof(quoted), c->method);
    snprintf(msg, sizeof(msg), "malformed method name: %s", quoted);
    call_start_reply(c, RPC_UNIMPLEMENTED, msg, NULL, 0);
}

/* internal.v1 is never served outside: answer exactly as grpc-go does for
 * a service it does not have. */
static void reply_unknown_internal(gf_call *c)
{
    char msg[GF_METHOD_MAX + 32];
    const char *sm = c->method + 1;          /* the prefix guarantees the '/' */
    const char *slash = strrchr(sm, '/');
    if (slash == NULL) {
        reply_malformed(c);
        return;
    }
    snprintf(msg, sizeof(msg), "unknown service %.*s", (int)(slash - sm), sm);
    call_start_reply(c, RPC_UNIMPLEMENTED, msg, NULL, 0);
}

/* Asks grpc to tell us when the call is over, so that a call whose client
 * left is not relayed. Returns 0, or -1 when it could not be asked. */
static int watch_close(gf_call *c)
{
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &c->cancelled;
    grpc_call_error err = grpc_call_start_batch(c->call, &op, 1, &c->close_tag, NULL);
    if (err != GRPC_CALL_OK) {
        log_error("grpc: close batch failed to start: %d", (int)err);
        return -1;
    }
    return 0;
}

/* A stream call the agent_stream module freed. */
static void stream_done(void *arg)
{
    grpc_front *f = arg;
    pthread_mutex_lock(&f->mu);
    f->live_calls--;
    if (f->live_calls == 0 && f->shutting_down)
        pthread_cond_broadcast(&f->state_cv);
    pthread_mutex_unlock(&f->mu);
}

/* pmm-agent streams belong to agent_stream, which owns the call from now
 * on; it stays counted as live until it tells stream_done. */
static void hand_over_stream(gf_call *c)
{
    grpc_call *call = c->call;
    c->call = NULL;
    agent_stream_accept(c->f->cq, call, &c->request_md, c->method, stream_done, c->f);
    call_free(c);
}

/* A new call arrived: note what it is and either answer it now or read
 * its message. */
static void on_new_call(gf_call *c)
{
    grpc_front *f = c->f;
    clock_gettime(CLOCK_MONOTONIC, &c->started);
    request_done(f, 1);
    pthread_mutex_lock(&f->mu);
    int shutting_down = f->shutting_down;
    pthread_mutex_unlock(&f->mu);
    if (!shutting_down)
        request_one_call(f);
    c->method = slice_to_cstr(c->details.method, GF_METHOD_MAX);
    if (c->method != NULL && is_stream_method(c->method)) {
        hand_over_stream(c);
        return;
    }
    /* two final events free the call: the reply batch and the close */
    atomic_store(&c->pending, 2);
    if (watch_close(c) != 0)
        atomic_store(&c->pending, 1);

    c->deadline = c->details.deadline;
    /* the first one counts, as md.Get("authorization")[0] in grpc-go */
    for (size_t i = 0; i < c->request_md.count; i++) {
        const grpc_metadata *md = &c->request_md.metadata[i];
        if (grpc_slice_str_cmp(md->key, "authorization") == 0) {
            c->authorization = slice_to_cstr(md->value, GF_AUTH_MAX);
            c->bad_authorization = c->authorization == NULL;
            break;
        }
    }

    if (c->method == NULL || c->method[0] != '/') {
        reply_malformed(c);
        return;
    }
    if (strncmp(c->method, GF_INTERNAL_PREFIX, strlen(GF_INTERNAL_PREFIX)) == 0) {
        reply_unknown_internal(c);
        return;
    }

    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &c->request;
    c->stage = GF_AWAIT_MESSAGE;
    grpc_call_error err = grpc_call_start_batch(c->call, &op, 1, &c->tag, NULL);
    if (err != GRPC_CALL_OK) {
        log_error("grpc: recv batch for %s failed to start: %d", c->method, (int)err);
        call_start_reply(c, RPC_INTERNAL, "failed to read the request", NULL, 0);
    }
}

static void on_message(gf_call *c)
{
    if (atomic_load(&c->client_gone)) {
        call_start_reply(c, RPC_CANCELLED, "context canceled", NULL, 0);
        return;
    }
    if (c->request == NULL) {
        call_start_reply(c, RPC_INVALID_ARGUMENT, "missing request message", NULL, 0);
        return;
    }
    c->request_bytes = grpc_byte_buffer_length(c->request);
    if (queue_push(c->f, c) != 0)
        call_start_reply(c, RPC_RESOURCE_EXHAUSTED, "gateway is overloaded, try again later", NULL, 0);
}

static void on_call_event(gf_call *c, int success)
{
    switch (c->stage) {
    case GF_AWAIT_CALL:
        if (!success) {   /* the server is shutting down */
            grpc_front *f = c->f;
            call_free(c);
            request_done(f, 0);
            return;
        }
        on_new_call(c);
        return;
    case GF_AWAIT_MESSAGE:
        /* !success: the call is already broken; the reply batch fails
         * quickly and the call ends on the normal path. */
        on_message(c);
        return;
    case GF_AWAIT_REPLY:
        call_release(c);
        return;
    }
}

static void on_event(grpc_front *f, gf_tag *tag, int success)
{
    if (*(const int *)(const void *)tag == AGENT_TAG_KIND) {
        const agent_tag *at = (const agent_tag *)(const void *)tag;
        at->fn(at->arg, success);
        return;
    }
    switch (tag->kind) {
    case GF_TAG_SHUTDOWN:
        pthread_mutex_lock(&f->mu);
        f->shutdown_seen = 1;
        pthread_cond_broadcast(&f->state_cv);
        pthread_mutex_unlock(&f->mu);
        return;
    case GF_TAG_CLOSE:
        /* before our status went out, a close means the client left */
        if (!success)
            tag->call->cancelled = 1;
        if (tag->call->cancelled)
            atomic_store(&tag->call->client_gone, 1);
        call_release(tag->call);
        return;
    case GF_TAG_CALL:
        on_call_event(tag->call, success);
        return;
    }
}

static void *cq_main(void *arg)
{
    grpc_front *f = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(f->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE)
            on_event(f, (gf_tag *)ev.tag, ev.success);
    }
    return NULL;
}

/* ---- start / stop --------------------------------------------------------- */

static void stop_workers(grpc_front *f)
{
    pthread_mutex_lock(&f->mu);
    f->stopping_workers = 1;
    pthread_cond_broadcast(&f->work_cv);
    pthread_mutex_unlock(&f->mu);
    for (int i = 0; i < f->nworkers; i++)
        pthread_join(f->workers[i], NULL);
    f->nworkers = 0;
}

/* Frees what start built. The server, if any, has finished shutting down
 * or was never started; the cq then only has its own shutdown to report. */
static void front_free(grpc_front *f)
{
    if (f->server != NULL)
        grpc_server_destroy(f->server);
    if (f->cq != NULL) {
        grpc_completion_queue_shutdown(f->cq);
        if (f->cq_thread_started)
            pthread_join(f->cq_thread, NULL);
        else
            while (grpc_completion_queue_next(f->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
                   GRPC_QUEUE_SHUTDOWN)
                ;
        grpc_completion_queue_destroy(f->cq);
    }
    free(f->workers);
    pthread_cond_destroy(&f->work_cv);
    pthread_cond_destroy(&f->state_cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
    grpc_shutdown();
}

static grpc_server *server_new(void)
{
    grpc_arg args[3];
    memset(args, 0, sizeof(args));
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = GF_MAX_RECV_BYTES;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
    args[1].value.integer = GF_MAX_SEND_BYTES;
    /* grpc core sets SO_REUSEPORT by default, which would let a second
     * gateway silently share the port instead of failing to start. */
    args[2].type = GRPC_ARG_INTEGER;
    args[2].key = GRPC_ARG_ALLOW_REUSEPORT;
    args[2].value.integer = 0;
    grpc_channel_args ca = { .num_args = 3, .args = args };
    return grpc_server_create(&ca, NULL);
}

/* Threads start before the server so that a failure here leaves nothing
 * listening and nothing pending on the cq. */
static int start_threads(grpc_front *f, int workers)
{
    int rc;
    f->workers = calloc((size_t)workers, sizeof(*f->workers));
    if (f->workers == NULL)
        return -1;
    for (int i = 0; i < workers; i++) {
        rc = pthread_create(&f->workers[i], NULL, worker_main, f);
        if (rc != 0) {
            log_error("grpc: cannot start worker thread: %s", strerror(rc));
            return -1;
        }
        f->nworkers++;
    }
    rc = pthread_create(&f->cq_thread, NULL, cq_main, f);
    if (rc != 0) {
        log_error("grpc: cannot start completion queue thread: %s", strerror(rc));
        return -1;
    }
    f->cq_thread_started = 1;
    return 0;
}

/* Creates the server and binds addr; 0 or -1 (f->server stays NULL). */
static int listen_on(grpc_front *f, const char *addr)
{
    grpc_server *server = server_new();
    if (server == NULL)
        return -1;
    grpc_server_register_completion_queue(server, f->cq, NULL);
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    int port = grpc_server_add_http2_port(server, addr, creds);
    grpc_server_credentials_release(creds);
    if (port == 0) {
        grpc_server_destroy(server);   /* never started, no listener: no shutdown needed */
        return -1;
    }
    f->server = server;
    return 0;
}

grpc_front *grpc_front_start(const char *addr, int workers)
{
    if (addr == NULL || workers < 1)
        return NULL;
    grpc_front *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    grpc_init();   /* balanced by grpc_shutdown in front_free */
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->work_cv, NULL);
    pthread_cond_init(&f->state_cv, NULL);
    f->shutdown_tag.kind = GF_TAG_SHUTDOWN;

    f->cq = grpc_completion_queue_create_for_next(NULL);
    if (f->cq == NULL || start_threads(f, workers) != 0) {
        stop_workers(f);
        front_free(f);
        return NULL;
    }
    if (listen_on(f, addr) != 0) {
        log_error("grpc: cannot listen on %s", addr);
        stop_workers(f);
        front_free(f);
        return NULL;
    }
    grpc_server_start(f->server);
    for (int i = 0; i < GF_PENDING_REQUESTS; i++)
        request_one_call(f);
    log_info("grpc: listening on %s with %d workers", addr, workers);
    return f;
}

/* Nothing left to answer: every call is freed and no call request can
 * still deliver one. Idle connections may remain; only they keep grpc's
 * shutdown from completing. */
static int is_quiet(const grpc_front *f)
{
    return f->shutdown_seen || (f->live_calls == 0 && f->requests_outstanding == 0);
}

static int is_drained(const grpc_front *f)
{
    return f->shutdown_seen && f->live_calls == 0;
}

/* Waits until pred holds or until deadline (CLOCK_REALTIME; NULL = no
 * limit). Returns whether it holds. */
static int wait_for(grpc_front *f, int (*pred)(const grpc_front *), const struct timespec *deadline)
{
    int rc = 0;
    pthread_mutex_lock(&f->mu);
    while (!pred(f) && rc != ETIMEDOUT)
        rc = deadline ? pthread_cond_timedwait(&f->state_cv, &f->mu, deadline)
                      : pthread_cond_wait(&f->state_cv, &f->mu);
    int ok = pred(f);
    pthread_mutex_unlock(&f->mu);
    return ok;
}

/* Upstream's order: stop accepting, let running calls finish for 3 s,
 * then cancel the rest. grpc's shutdown also waits for clients to close
 * idle connections, which they need not do: once no call is running,
 * cancelling closes those at once. Workers and the cq thread go last,
 * once no call can produce more work for them. */
void grpc_front_stop(grpc_front *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->mu);
    f->shutting_down = 1;
    pthread_mutex_unlock(&f->mu);
    grpc_server_shutdown_and_notify(f->server, f->cq, &f->shutdown_tag);

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += GF_GRACE_MS / 1000;
    if (!wait_for(f, is_quiet, &deadline))
        log_warn("grpc: calls still running after %d ms, cancelling them", GF_GRACE_MS);
    grpc_server_cancel_all_calls(f->server);
    /* cancelled calls end at once; a worker still waiting on the bus ends
     * by its dispatch deadline */
    wait_for(f, is_drained, NULL);
    stop_workers(f);
    front_free(f);
}
