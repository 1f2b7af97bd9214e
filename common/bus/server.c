/* server: serving a daemon's methods on the bus with a fixed worker pool.
 *
 * The frontend ROUTER (the daemon's endpoint) receives [client, "", request]
 * from callers. The backend is a ROUTER on a private inproc:// endpoint to
 * which every worker connects a DEALER with routing id "W"+index. A worker
 * announces it is free with a one-frame message [""] at start and by each
 * reply [client, "", reply] it sends. The run loop hands the next request to
 * a free worker only ([W, client, "", request]) and forwards replies to the
 * frontend, so requests wait in the frontend queue, never behind a busy
 * worker's slow handler (a round-robin DEALER backend would queue them
 * there), and a request that waited past its deadline is dropped by the
 * worker that finally picks it up. A handler may also defer its answer
 * (bus_defer): the worker is free at once, and another thread later sends
 * [client, "", reply] through an inproc PUSH to the run loop's PULL, which
 * forwards it to the frontend like a worker's reply. */
#include "clock.h"
#include "bus/bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus/sock.h"
#include "log.h"

#define POLL_MS          100
#define WORKER_RCVTIMEO  100
#define WORKER_SNDTIMEO  1000
#define MAX_WORKERS      1024

struct worker {
    bus_server *server;
    int index;
    pthread_t thread;
};

struct bus_server {
    void *ctx;
    bus_server_config cfg; /* cfg.methods is borrowed: it must outlive the server */
    char *endpoint;
    char backend_ep[64];
    char deferred_ep[64];
    void *frontend, *backend, *deferred;
    struct worker *workers;
    int *free_workers; /* stack of indexes of idle workers */
    int n_free;
    atomic_int stopping;
    atomic_int alive; /* workers not yet finished */
    atomic_uint_fast64_t requests, malformed, expired, unknown_method, deferred_count;
};

/* The client frame of the request a worker is handling. */
struct bus_route {
    bus_server *server;
    zmq_msg_t *client;
};

struct bus_deferred {
    void *ctx;
    char endpoint[64];
    uint64_t id;
    size_t client_len;
    uint8_t client[];
};

/* ---- worker side ---------------------------------------------------------- */

static const rpc_method *find_method(const bus_server *s, const char *name)
{
    for (size_t i = 0; i < s->cfg.n_methods; i++)
        if (strcmp(s->cfg.methods[i].method, name) == 0)
            return &s->cfg.methods[i];
    return NULL;
}

/* grpc-go's answer to a method its server does not have: "unknown service
 * S" when no method of S is served here, else "unknown method M for
 * service S" (method "/S/M"). */
static void unknown_method(const bus_server *s, const char *method, rpc_status *st)
{
    const char *sm = method[0] == '/' ? method + 1 : method;
    const char *slash = strrchr(sm, '/');
    if (!slash) {
        rpc_fail(st, RPC_UNIMPLEMENTED, "unknown service %s", sm);
        return;
    }
    int svc_len = (int)(slash - sm);
    for (size_t i = 0; i < s->cfg.n_methods; i++) {
        const char *known = s->cfg.methods[i].method;
        known += known[0] == '/';
        if (strncmp(known, sm, (size_t)svc_len) == 0 && known[svc_len] == '/') {
            rpc_fail(st, RPC_UNIMPLEMENTED, "unknown method %s for service %.*s", slash + 1, svc_len, sm);
            return;
        }
    }
    rpc_fail(st, RPC_UNIMPLEMENTED, "unknown service %.*s", svc_len, sm);
}

/* Packs an OK response into *body; errors go to st. */
static void pack_response(const ProtobufCMessage *resp, rpc_status *st, uint8_t **body,
                          size_t *body_len)
{
    size_t n = protobuf_c_message_get_packed_size(resp);
    if (n > ENVELOPE_MAX_BODY) {
        rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "response of %zu bytes is larger than the bus limit", n);
        return;
    }
    uint8_t *b = malloc(n ? n : 1);
    if (!b) {
        rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory packing the response");
        return;
    }
    protobuf_c_message_pack(resp, b);
    *body = b;
    *body_len = n;
}

bus_deferred *bus_defer(rpc_ctx *ctx)
{
    if (!ctx || !ctx->route || !ctx->req)
        return NULL;
    const struct bus_route *r = ctx->route;
    size_t n = zmq_msg_size(r->client);
    bus_deferred *d = malloc(sizeof *d + n);
    if (!d)
        return NULL;
    d->ctx = r->server->ctx;
    memcpy(d->endpoint, r->server->deferred_ep, sizeof d->endpoint);
    d->id = ctx->req->id;
    d->client_len = n;
    memcpy(d->client, zmq_msg_data(r->client), n);
    atomic_fetch_add(&r->server->deferred_count, 1);
    return d;
}

void bus_deferred_reply(bus_deferred *d, int code, const char *message, const ProtobufCMessage *resp)
{
    if (!d)
        return;
    rpc_status st = {.code = code};
    snprintf(st.message, sizeof st.message, "%s", message ? message : "");
    bus_reply rep = {.id = d->id};
    if (code == RPC_OK && resp)
        pack_response(resp, &st, &rep.body, &rep.body_len);
    else if (code == RPC_OK)
        rpc_fail(&st, RPC_INTERNAL, "deferred answer without a response");
    rep.code = st.code;
    rep.message = st.message;
    uint8_t *buf = NULL;
    size_t len = 0;
    /* A socket per answer: deferred answers are few (slow work) and come
     * from any thread. Some linger, so that closing it at once does not
     * drop the answer on its way through the inproc pipe. */
    void *sock = zmq_socket(d->ctx, ZMQ_PUSH);
    if (!sock || bus_sockopt(sock, ZMQ_LINGER, 1000) != 0 || zmq_connect(sock, d->endpoint) != 0 ||
        bus_reply_encode(&rep, &buf, &len) != 0 ||
        zmq_send(sock, d->client, d->client_len, ZMQ_SNDMORE) < 0 || zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, buf, len, 0) < 0)
        log_warn("bus: deferred reply %llu not sent: %s", (unsigned long long)d->id, zmq_strerror(zmq_errno()));
    if (sock)
        zmq_close(sock);
    free(buf);
    free(rep.body);
    free(d);
}

/* Runs the handler of a decoded, in-time request. Returns 1 when the
 * handler deferred its answer (nothing to send now). */
static int run_handler(bus_server *s, void *state, const bus_request *req, const struct bus_route *route,
                       rpc_status *st, uint8_t **body, size_t *body_len)
{
    const rpc_method *m = find_method(s, req->method);
    if (!m || !m->request || !m->handler) {
        atomic_fetch_add(&s->unknown_method, 1);
        unknown_method(s, req->method, st);
        return 0;
    }
    static const uint8_t no_body[1];
    ProtobufCMessage *in = protobuf_c_message_unpack(m->request, NULL, req->body_len,
                                                     req->body ? req->body : no_body);
    if (!in) {
        rpc_fail(st, RPC_INVALID_ARGUMENT, "failed to parse request body as %s", m->request->name);
        return 0;
    }
    rpc_ctx ctx = {.req = req, .worker = state, .app = s->cfg.app, .route = route};
    ProtobufCMessage *out = NULL;
    int code = m->handler(&ctx, in, &out);
    protobuf_c_message_free_unpacked(in, NULL);
    if (code == RPC_DEFERRED) {
        if (out)
            protobuf_c_message_free_unpacked(out, NULL);
        return 1;
    }
    if (code == RPC_OK && out)
        pack_response(out, st, body, body_len);
    else if (code == RPC_OK)
        rpc_fail(st, RPC_INTERNAL, "%s: handler returned no response", req->method);
    else if (code < 0 || code > RPC_UNAUTHENTICATED)
        rpc_fail(st, RPC_INTERNAL, "%s: handler returned invalid code %d", req->method, code);
    else
        rpc_fail(st, code, "%s", ctx.status.message);
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    return 0;
}

/* Turns the frames of one request into a reply (id, status, body).
 * Returns 1 when the handler deferred it. */
static int serve(bus_server *s, void *state, zmq_msg_t *f, int total, bus_reply *rep,
                 rpc_status *st)
{
    bus_request req;
    int deferred = 0;
    atomic_fetch_add(&s->requests, 1);
    if (total != 3 || zmq_msg_size(&f[1]) != 0 ||
        bus_request_decode(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), &req) != 0) {
        atomic_fetch_add(&s->malformed, 1);
        rpc_fail(st, RPC_INVALID_ARGUMENT, "malformed bus envelope");
        return 0;
    }
    rep->id = req.id;
    if (req.deadline_ms != 0 && clock_wall_ms() >= req.deadline_ms) {
        atomic_fetch_add(&s->expired, 1);
        rpc_fail(st, RPC_DEADLINE_EXCEEDED, "%s: deadline exceeded before the request was handled",
                 req.method);
    } else {
        struct bus_route route = {.server = s, .client = &f[0]};
        deferred = run_handler(s, state, &req, &route, st, &rep->body, &rep->body_len);
    }
    bus_request_clear(&req);
    return deferred;
}

static void free_buf(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* Sends [client, "", encoded rep]; if nothing can be encoded, [""] so the
 * run loop still learns this worker is free. */
static void send_reply(void *sock, zmq_msg_t *client, bus_reply *rep)
{
    uint8_t *buf;
    size_t len;
    bus_reply fallback = {.id = rep->id, .code = RPC_INTERNAL, .message = "bus: cannot encode reply"};
    if (bus_reply_encode(rep, &buf, &len) != 0 && bus_reply_encode(&fallback, &buf, &len) != 0) {
        log_error("bus: cannot encode reply %llu", (unsigned long long)rep->id);
        zmq_send(sock, "", 0, 0);
        return;
    }
    zmq_msg_t m;
    if (zmq_msg_init_data(&m, buf, len, free_buf, NULL) != 0) {
        free(buf);
        zmq_send(sock, "", 0, 0);
        return;
    }
    if (zmq_msg_send(client, sock, ZMQ_SNDMORE) < 0 || zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0 ||
        zmq_msg_send(&m, sock, 0) < 0)
        log_error("bus: cannot send reply: %s", zmq_strerror(zmq_errno()));
    zmq_msg_close(&m);
}

static void *worker_socket(bus_server *s, int index)
{
    void *sock = zmq_socket(s->ctx, ZMQ_DEALER);
    if (!sock)
        return NULL;
    unsigned char id[3] = {'W', (unsigned char)(index >> 8), (unsigned char)index};
    if (zmq_setsockopt(sock, ZMQ_ROUTING_ID, id, sizeof id) != 0 ||
        bus_sockopt(sock, ZMQ_LINGER, 0) != 0 || bus_sockopt(sock, ZMQ_RCVTIMEO, WORKER_RCVTIMEO) != 0 ||
        bus_sockopt(sock, ZMQ_SNDTIMEO, WORKER_SNDTIMEO) != 0 ||
        zmq_connect(sock, s->backend_ep) != 0 || zmq_send(sock, "", 0, 0) < 0) {
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    bus_server *s = w->server;
    void *state = s->cfg.worker_init ? s->cfg.worker_init(s->cfg.app) : NULL;
    void *sock = worker_socket(s, w->index);
    if (!sock)
        log_error("bus: worker %d of %s has no socket: %s", w->index, s->endpoint,
                  zmq_strerror(zmq_errno()));
    while (sock && !atomic_load(&s->stopping)) {
        zmq_msg_t f[3];
        int count, total;
        if (bus_recv_frames(sock, f, 3, &count, &total, 0) != 0) {
            if (zmq_errno() == ETERM)
                break;
            continue; /* RCVTIMEO: look at the stop flag */
        }
        bus_reply rep = {0};
        rpc_status st = {0};
        if (serve(s, state, f, total, &rep, &st)) {
            zmq_send(sock, "", 0, 0); /* free for the next one; the answer comes later */
        } else {
            rep.code = st.code;
            rep.message = st.message;
            send_reply(sock, &f[0], &rep);
        }
        free(rep.body);
        bus_close_frames(f, count);
    }
    if (sock)
        zmq_close(sock); /* a reply already sent stays readable by the backend */
    if (s->cfg.worker_fini)
        s->cfg.worker_fini(state);
    atomic_fetch_sub(&s->alive, 1);
    return NULL;
}

/* ---- run loop side --------------------------------------------------------- */

/* Forwards the rest of a multi-part message from src to dst, or drops it
 * (dst NULL). Never blocks on dst: ROUTERs drop what they cannot deliver. */
static void relay(void *src, void *dst)
{
    for (int more = 1; more;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, src, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        more = zmq_msg_more(&m);
        if (dst && zmq_msg_send(&m, dst, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
            dst = NULL;
        zmq_msg_close(&m);
    }
}

/* A worker message: [W] + nothing (free at start) or a reply to forward.
 * Returns 1 when it handled one, 0 when none was waiting. */
static int from_worker(bus_server *s)
{
    zmq_msg_t id;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, s->backend, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        return 0;
    }
    const unsigned char *p = zmq_msg_data(&id);
    int index = zmq_msg_size(&id) == 3 && p[0] == 'W' ? (p[1] << 8 | p[2]) : -1;
    int more = zmq_msg_more(&id);
    zmq_msg_close(&id);
    if (more) {
        /* the worker's [""] start message has one frame after the id */
        zmq_msg_t first;
        zmq_msg_init(&first);
        if (zmq_msg_recv(&first, s->backend, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&first);
            return 1;
        }
        int rest = zmq_msg_more(&first);
        if (rest && zmq_msg_send(&first, s->frontend, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
            relay(s->backend, s->frontend);
        else if (rest)
            relay(s->backend, NULL);
        zmq_msg_close(&first);
    }
    if (index >= 0 && index < s->cfg.workers && s->n_free < s->cfg.workers)
        s->free_workers[s->n_free++] = index;
    return 1;
}

/* A deferred answer [client, "", reply] to the frontend. Returns 1 when it
 * forwarded (or dropped) one, 0 when none was waiting. */
static int from_deferred(bus_server *s)
{
    zmq_msg_t first;
    zmq_msg_init(&first);
    if (zmq_msg_recv(&first, s->deferred, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&first);
        return 0;
    }
    int more = zmq_msg_more(&first);
    int sent = more ? zmq_msg_send(&first, s->frontend, ZMQ_SNDMORE | ZMQ_DONTWAIT) : -1;
    zmq_msg_close(&first);
    if (more)
        relay(s->deferred, sent < 0 ? NULL : s->frontend);
    return 1;
}

/* Hands the next request to a free worker. The first frame is read before
 * anything is sent, so a failed read never leaves half a message behind.
 * Returns 1 when a request was taken, 0 when none was waiting. */
static int to_worker(bus_server *s)
{
    zmq_msg_t first;
    zmq_msg_init(&first);
    if (zmq_msg_recv(&first, s->frontend, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&first);
        return 0;
    }
    int more = zmq_msg_more(&first);
    int index = s->free_workers[--s->n_free];
    unsigned char id[3] = {'W', (unsigned char)(index >> 8), (unsigned char)index};
    if (zmq_send(s->backend, id, sizeof id, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        log_error("bus: worker %d of %s is gone: %s", index, s->endpoint, zmq_strerror(zmq_errno()));
        zmq_msg_close(&first);
        if (more)
            relay(s->frontend, NULL);
        return 1;
    }
    int sent = zmq_msg_send(&first, s->backend, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT);
    zmq_msg_close(&first);
    if (more)
        relay(s->frontend, sent < 0 ? NULL : s->backend);
    return 1;
}

/* Stops the workers and joins them, still forwarding the replies of
 * requests that were in flight, so a clean stop answers every request it
 * took (requests never handed to a worker end at their callers' deadline). */
static void stop_workers(bus_server *s, int started)
{
    atomic_store(&s->stopping, 1);
    for (int last = 0; !last;) {
        last = atomic_load(&s->alive) == 0; /* one more round after the last exit */
        zmq_pollitem_t it = {s->backend, 0, ZMQ_POLLIN, 0};
        while (zmq_poll(&it, 1, last ? 0 : POLL_MS / 2) > 0 && (it.revents & ZMQ_POLLIN))
            from_worker(s);
    }
    for (int i = 0; i < started; i++)
        pthread_join(s->workers[i].thread, NULL);
    s->n_free = 0;
}

int bus_server_run(bus_server *s, volatile sig_atomic_t *stop)
{
    if (!s || !stop)
        return -1;
    atomic_store(&s->stopping, 0);
    s->n_free = 0;
    for (int i = 0; i < s->cfg.workers; i++) {
        s->workers[i] = (struct worker){.server = s, .index = i};
        atomic_fetch_add(&s->alive, 1);
        if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]) != 0) {
            atomic_fetch_sub(&s->alive, 1);
            log_error("bus: cannot start worker %d of %s", i, s->endpoint);
            stop_workers(s, i);
            return -1;
        }
    }
    log_info("bus: serving %s with %d workers", s->endpoint, s->cfg.workers);
    int rc = 0;
    while (!*stop) {
        zmq_pollitem_t items[3] = {{s->backend, 0, ZMQ_POLLIN, 0}, {s->deferred, 0, ZMQ_POLLIN, 0},
                                   {s->frontend, 0, ZMQ_POLLIN, 0}};
        /* No free worker: leave requests queued in the frontend. */
        int n = zmq_poll(items, s->n_free > 0 ? 3 : 2, POLL_MS);
        if (n < 0 && zmq_errno() == EINTR)
            continue;
        if (n < 0) {
            log_error("bus: poll on %s failed: %s", s->endpoint, zmq_strerror(zmq_errno()));
            rc = -1;
            break;
        }
        /* Under load several messages wait: take them all per wakeup. */
        if (items[0].revents & ZMQ_POLLIN)
            while (from_worker(s))
                ;
        if (items[1].revents & ZMQ_POLLIN)
            while (from_deferred(s))
                ;
        if (items[0].revents & ZMQ_POLLIN || items[2].revents & ZMQ_POLLIN)
            while (s->n_free > 0 && to_worker(s))
                ;
    }
    stop_workers(s, s->cfg.workers);
    log_info("bus: stopped serving %s", s->endpoint);
    return rc;
}

/* ---- lifetime -------------------------------------------------------------- */

static void *router(void *ctx, int mandatory)
{
    void *sock = zmq_socket(ctx, ZMQ_ROUTER);
    int64_t maxsize = BUS_MAX_FRAME;
    if (sock && (bus_sockopt(sock, ZMQ_LINGER, 0) != 0 ||
                 bus_sockopt(sock, ZMQ_ROUTER_MANDATORY, mandatory) != 0 ||
                 zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize) != 0)) {
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

static int config_ok(const bus_server_config *cfg)
{
    if (!cfg || !cfg->endpoint || (cfg->n_methods && !cfg->methods))
        return 0;
    for (size_t i = 0; i < cfg->n_methods; i++)
        if (!cfg->methods[i].method)
            return 0;
    return 1;
}

bus_server *bus_server_new(void *zmq_ctx, const bus_server_config *cfg)
{
    static atomic_uint serial;
    if (!zmq_ctx || !config_ok(cfg))
        return NULL;
    bus_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ctx = zmq_ctx;
    s->cfg = *cfg;
    if (s->cfg.workers < 1)
        s->cfg.workers = 1;
    if (s->cfg.workers > MAX_WORKERS)
        s->cfg.workers = MAX_WORKERS;
    s->endpoint = strdup(cfg->endpoint);
    s->cfg.endpoint = s->endpoint;
    s->workers = calloc((size_t)s->cfg.workers, sizeof *s->workers);
    s->free_workers = calloc((size_t)s->cfg.workers, sizeof *s->free_workers);
    unsigned n = atomic_fetch_add(&serial, 1);
    snprintf(s->backend_ep, sizeof s->backend_ep, "inproc://bus-workers-%u-%p", n, (void *)s);
    snprintf(s->deferred_ep, sizeof s->deferred_ep, "inproc://bus-deferred-%u-%p", n, (void *)s);
    s->backend = router(zmq_ctx, 1);
    s->frontend = router(zmq_ctx, 0);
    s->deferred = zmq_socket(zmq_ctx, ZMQ_PULL);
    if (!s->endpoint || !s->workers || !s->free_workers || !s->backend || !s->frontend || !s->deferred ||
        bus_sockopt(s->deferred, ZMQ_LINGER, 0) != 0 || zmq_bind(s->deferred, s->deferred_ep) != 0 ||
        zmq_bind(s->backend, s->backend_ep) != 0 || bus_bind(s->frontend, s->endpoint) != 0) {
        if (s->frontend)
            zmq_close(s->frontend);
        s->frontend = NULL; /* never bound: nothing to wait for in destroy */
        bus_server_destroy(s);
        return NULL;
    }
    return s;
}

void bus_server_destroy(bus_server *s)
{
    if (!s)
        return;
    if (s->backend)
        zmq_close(s->backend);
    if (s->deferred)
        zmq_close(s->deferred);
    if (s->frontend) {
        zmq_close(s->frontend);
        bus_unbind_file(s->endpoint);
    }
    free(s->workers);
    free(s->free_workers);
    free(s->endpoint);
    free(s);
}

void bus_server_get_stats(bus_server *s, bus_server_stats *out)
{
    if (!s || !out)
        return;
    out->requests = atomic_load(&s->requests);
    out->malformed = atomic_load(&s->malformed);
    out->expired = atomic_load(&s->expired);
    out->unknown_method = atomic_load(&s->unknown_method);
    out->deferred = atomic_load(&s->deferred_count);
}
