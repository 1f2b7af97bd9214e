/* client: calling a daemon over the bus (DEALER, request ids, deadlines).
 *
 * Frames: the client sends ["", request envelope] (the empty delimiter makes
 * the message look like one from a REQ socket, so any ROUTER-based server can
 * route it back) and expects ["", reply envelope].
 *
 * ZMQ_IMMEDIATE keeps messages off connections that are not established, so
 * with the daemon down a send fails at once and the call ends UNAVAILABLE.
 * A send that finds no connection while the daemon's ipc socket does accept
 * connections waits for ours to come up (see wait_connected).
 *
 * When no reply arrives by the deadline the socket is closed and made anew:
 * a late reply then has nowhere to land and the next call starts clean. The
 * code is DEADLINE_EXCEEDED while a connection to the daemon is still up
 * (it is alive but slow) and UNAVAILABLE when it is gone.
 *
 * A socket monitor reports the connection dropping while a call waits: the
 * daemon died or was restarted under the call, so its answer will never
 * come, and the call ends UNAVAILABLE at once rather than at its deadline
 * (when a restarted daemon would make it look merely slow). */
#include "clock.h"
#include "bus/bus.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bus/sock.h"
#include "log.h"

#define CONNECT_GRACE_MS   50
#define DEFAULT_TIMEOUT_MS 30000
#define CLIENT_SNDHWM      64

struct bus_client {
    void *ctx;
    char *endpoint;
    void *sock;
    void *monitor;        /* PAIR receiving sock's DISCONNECTED events */
    int64_t sock_born_ms; /* monotonic; for the connect grace */
    uint64_t next_id;
};

/* Without a monitor the client still works; it only learns of a lost
 * daemon at the deadline. */
static void monitor_open(bus_client *c)
{
    static _Atomic unsigned long seq;
    char name[96];
    snprintf(name, sizeof name, "inproc://bus-monitor-%d-%lu", (int)getpid(), ++seq);
    if (zmq_socket_monitor(c->sock, name, ZMQ_EVENT_DISCONNECTED) != 0)
        return;
    void *m = zmq_socket(c->ctx, ZMQ_PAIR);
    if (!m || bus_sockopt(m, ZMQ_LINGER, 0) != 0 || zmq_connect(m, name) != 0) {
        if (m)
            zmq_close(m);
        zmq_socket_monitor(c->sock, NULL, 0);
        return;
    }
    c->monitor = m;
}

/* Reads one pending monitor event. 1 when it says the peer disconnected,
 * 0 when there is none (or another kind), -1 on error. */
static int monitor_disconnected(bus_client *c)
{
    if (!c->monitor)
        return 0;
    zmq_msg_t f[2];
    int count, total;
    if (bus_recv_frames(c->monitor, f, 2, &count, &total, ZMQ_DONTWAIT) != 0)
        return 0;
    int rc = 0;
    if (count >= 1 && zmq_msg_size(&f[0]) >= 2) {
        uint16_t event;
        memcpy(&event, zmq_msg_data(&f[0]), sizeof event);
        rc = event == ZMQ_EVENT_DISCONNECTED;
    }
    bus_close_frames(f, count);
    return rc;
}

static void monitor_drain(bus_client *c)
{
    while (c->monitor) {
        zmq_pollitem_t it = { c->monitor, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, 0) <= 0)
            return;
        monitor_disconnected(c);
    }
}

static int client_open(bus_client *c)
{
    void *s = zmq_socket(c->ctx, ZMQ_DEALER);
    if (!s)
        return -1;
    int64_t maxsize = BUS_MAX_FRAME;
    if (bus_sockopt(s, ZMQ_IMMEDIATE, 1) != 0 || bus_sockopt(s, ZMQ_LINGER, 0) != 0 ||
        bus_sockopt(s, ZMQ_SNDHWM, CLIENT_SNDHWM) != 0 ||
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize) != 0 ||
        zmq_connect(s, c->endpoint) != 0) {
        log_error("bus: cannot connect to %s: %s", c->endpoint, zmq_strerror(zmq_errno()));
        zmq_close(s);
        return -1;
    }
    c->sock = s;
    c->sock_born_ms = clock_mono_ms();
    monitor_open(c);
    return 0;
}

static void client_close(bus_client *c)
{
    if (c->monitor) {
        zmq_socket_monitor(c->sock, NULL, 0);
        zmq_close(c->monitor);
        c->monitor = NULL;
    }
    if (c->sock)
        zmq_close(c->sock);
    c->sock = NULL;
}

static uint64_t random_u64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 16);
    }
    return v;
}

bus_client *bus_client_new(void *zmq_ctx, const char *endpoint)
{
    if (!zmq_ctx || !endpoint)
        return NULL;
    bus_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ctx = zmq_ctx;
    c->endpoint = strdup(endpoint);
    c->next_id = random_u64();
    if (!c->endpoint || client_open(c) != 0) {
        bus_client_destroy(c);
        return NULL;
    }
    return c;
}

void bus_client_destroy(bus_client *c)
{
    if (!c)
        return;
    client_close(c);
    free(c->endpoint);
    free(c);
}

/* Fills *rep with a locally made error; returns the code. */
static int fail(bus_reply *rep, uint64_t id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(bus_reply *rep, uint64_t id, int code, const char *fmt, ...)
{
    char msg[RPC_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memset(rep, 0, sizeof *rep);
    rep->id = id;
    rep->code = code;
    rep->message = strdup(msg);
    return code;
}

/* ZMQ_EVENTS says POLLOUT only while an established connection can take a
 * message (ZMQ_IMMEDIATE). */
static int client_writable(bus_client *c)
{
    int events = 0;
    size_t sz = sizeof events;
    return zmq_getsockopt(c->sock, ZMQ_EVENTS, &events, &sz) == 0 && (events & ZMQ_POLLOUT);
}

/* The send found no established connection. For ipc://, look at the
 * daemon's socket: nobody listening means it is down, fail at once;
 * somebody listening means our connection is still being set up (a new
 * socket, a busy machine) or re-established (ZeroMQ retries every 100 ms
 * after a daemon restart), so wait for it until the deadline. For other
 * transports only a young socket gets a short grace. 1 when writable. */
static int wait_connected(bus_client *c, int64_t end)
{
    int64_t until = end;
    int live = bus_ipc_live(c->endpoint);
    if (live == 0)
        return 0;
    if (live < 0 && c->sock_born_ms + CONNECT_GRACE_MS < until)
        until = c->sock_born_ms + CONNECT_GRACE_MS;
    for (int64_t left; (left = until - clock_mono_ms()) > 0;) {
        zmq_pollitem_t it = {c->sock, 0, ZMQ_POLLOUT, 0};
        int n = zmq_poll(&it, 1, (long)left);
        if (n > 0)
            return 1;
        if (n < 0 && zmq_errno() != EINTR)
            return 0;
    }
    return 0;
}

static void free_buf(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* Sends ["", buf] without blocking, taking ownership of buf. 0 or -1. */
static int send_request(bus_client *c, uint8_t *buf, size_t len, int64_t end)
{
    zmq_msg_t m;
    if (zmq_msg_init_data(&m, buf, len, free_buf, NULL) != 0) {
        free(buf);
        return -1;
    }
    while (zmq_send(c->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        if (zmq_errno() != EAGAIN || !wait_connected(c, end)) {
            zmq_msg_close(&m);
            return -1;
        }
    }
    if (zmq_msg_send(&m, c->sock, ZMQ_DONTWAIT) < 0) {
        /* half a message is queued: this socket is spoilt */
        zmq_msg_close(&m);
        client_close(c);
        return -1;
    }
    return 0;
}

/* Reads one message. 1: the reply to id is in *rep; 0: a stale or
 * foreign message was dropped; -1: the reply did not decode. A reply with
 * id 0 is the server saying it could not read our envelope: ours too. */
static int recv_reply(bus_client *c, uint64_t id, bus_reply *rep)
{
    zmq_msg_t f[2];
    int count, total;
    if (bus_recv_frames(c->sock, f, 2, &count, &total, ZMQ_DONTWAIT) != 0)
        return 0;
    int rc = 0;
    if (total == 2 && zmq_msg_size(&f[0]) == 0) {
        if (bus_reply_decode(zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), rep) != 0)
            rc = -1;
        else if (rep->id == id || rep->id == 0)
            rc = 1;
        else
            bus_reply_clear(rep);
    }
    bus_close_frames(f, count);
    return rc;
}

/* Waits for the reply until end (monotonic ms). */
static int await_reply(bus_client *c, const bus_request *req, int64_t end, int64_t wait_ms,
                       bus_reply *rep)
{
    for (int64_t left; (left = end - clock_mono_ms()) > 0;) {
        zmq_pollitem_t it[2] = { { c->sock, 0, ZMQ_POLLIN, 0 }, { c->monitor, 0, ZMQ_POLLIN, 0 } };
        int n = zmq_poll(it, c->monitor ? 2 : 1, (long)left);
        if (n < 0 && zmq_errno() != EINTR)
            break;
        if (n <= 0)
            continue;
        if (c->monitor && (it[1].revents & ZMQ_POLLIN) && monitor_disconnected(c) == 1 &&
            !(it[0].revents & ZMQ_POLLIN)) {
            client_close(c);
            return fail(rep, req->id, RPC_UNAVAILABLE, "%s: %s went away during the call", req->method,
                        c->endpoint);
        }
        if (!(it[0].revents & ZMQ_POLLIN))
            continue;
        int got = recv_reply(c, req->id, rep);
        if (got > 0)
            return rep->code;
        if (got < 0)
            return fail(rep, req->id, RPC_INTERNAL, "%s: malformed reply from %s", req->method,
                        c->endpoint);
    }
    int alive = client_writable(c);
    client_close(c);
    if (alive)
        return fail(rep, req->id, RPC_DEADLINE_EXCEEDED, "%s: deadline exceeded after %lld ms",
                    req->method, (long long)wait_ms);
    return fail(rep, req->id, RPC_UNAVAILABLE, "%s: no reply from daemon within %lld ms",
                req->method, (long long)wait_ms);
}

int bus_client_call(bus_client *c, bus_request *req, int timeout_ms, bus_reply *rep)
{
    if (!rep)
        return RPC_INTERNAL;
    if (!c || !req || !req->method)
        return fail(rep, 0, RPC_INTERNAL, "bus: call without client or method");
    if (++c->next_id == 0)
        c->next_id = 1; /* 0 is the id of replies to unreadable requests */
    req->id = c->next_id;

    int64_t now = clock_wall_ms();
    int64_t wait = timeout_ms > 0 ? timeout_ms : req->deadline_ms ? INT64_MAX : DEFAULT_TIMEOUT_MS;
    if (req->deadline_ms == 0)
        req->deadline_ms = now + wait;
    else if (req->deadline_ms - now < wait)
        wait = req->deadline_ms - now;
    if (wait <= 0)
        return fail(rep, req->id, RPC_DEADLINE_EXCEEDED, "%s: deadline exceeded before sending",
                    req->method);
    if (req->body_len > ENVELOPE_MAX_BODY)
        return fail(rep, req->id, RPC_RESOURCE_EXHAUSTED,
                    "%s: request of %zu bytes is larger than the bus limit of %zu bytes",
                    req->method, req->body_len, ENVELOPE_MAX_BODY);

    uint8_t *buf;
    size_t len;
    if (bus_request_encode(req, &buf, &len) != 0)
        return fail(rep, req->id, RPC_INTERNAL, "%s: cannot encode bus request", req->method);
    int64_t end = clock_mono_ms() + wait;
    if (!c->sock && client_open(c) != 0) {
        free(buf);
        return fail(rep, req->id, RPC_UNAVAILABLE, "%s is unavailable", c->endpoint);
    }
    monitor_drain(c); /* a disconnect between calls is not this call's */
    if (send_request(c, buf, len, end) != 0)
        return fail(rep, req->id, RPC_UNAVAILABLE, "%s is unavailable", c->endpoint);
    return await_reply(c, req, end, wait, rep);
}
