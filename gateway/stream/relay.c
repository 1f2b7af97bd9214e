/* relay: the relay thread and the socket to agentsd (see relay.h). */
#include "relay.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus/sock.h"
#include "clock.h"
#include "log.h"
#include "mailbox.h"
#include "bus/stream_msg.h"
#include "uuid.h"

#define HELLO_MS 1000
#define MAX_FRAME ((int64_t)120 << 20)

static struct {
    void *sock; /* relay thread only */
    char endpoint[512];
    mailbox *mb;
    const relay_handler *h;
    pthread_t thread;
    int started;
    atomic_int stop;
    char epoch[UUID_STR_LEN];
} R;

typedef struct {
    zmq_msg_t msg;
} outmsg;

static void send_now(void *arg)
{
    outmsg *o = arg;
    if (R.sock && zmq_msg_send(&o->msg, R.sock, ZMQ_DONTWAIT) < 0)
        log_debug("agent relay: dropped a frame for agentsd: %s", zmq_strerror(zmq_errno()));
    zmq_msg_close(&o->msg);
    free(o);
}

static void drop(mailbox_fn fn, void *arg)
{
    if (fn == send_now) {
        outmsg *o = arg;
        zmq_msg_close(&o->msg);
        free(o);
    }
}

void relay_post(zmq_msg_t *msg)
{
    outmsg *o = malloc(sizeof *o);
    if (!o) {
        zmq_msg_close(msg);
        return;
    }
    zmq_msg_init(&o->msg);
    zmq_msg_move(&o->msg, msg);
    zmq_msg_close(msg);
    if (!R.mb || mailbox_post(R.mb, send_now, o) != 0)
        drop(send_now, o);
}

void relay_simple(Internal__V1__StreamKind kind, uint64_t id, const void *payload, size_t len, int code,
                  const char *message)
{
    zmq_msg_t m;
    if (stream_msg_make(&m, kind, id, payload, len, code, message) == 0)
        relay_post(&m);
}

static void drain_socket(void)
{
    for (int i = 0; i < 4096; i++) {
        zmq_msg_t z;
        zmq_msg_init(&z);
        if (zmq_msg_recv(&z, R.sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&z);
            return;
        }
        Internal__V1__StreamMessage *m = stream_msg_unpack(zmq_msg_data(&z), zmq_msg_size(&z));
        zmq_msg_close(&z);
        if (!m) {
            log_warn("agent relay: malformed frame from agentsd");
            continue;
        }
        R.h->on_message(m);
        stream_msg_free(m);
    }
}

static void send_hello(void)
{
    Internal__V1__StreamMessage m = INTERNAL__V1__STREAM_MESSAGE__INIT;
    m.kind = INTERNAL__V1__STREAM_KIND__STREAM_KIND_HELLO;
    m.epoch = R.epoch;
    zmq_msg_t z;
    if (stream_msg_pack(&m, &z) == 0) {
        if (zmq_msg_send(&z, R.sock, ZMQ_DONTWAIT) < 0)
            log_trace("agent relay: agentsd is not reachable");
        zmq_msg_close(&z);
    }
}

static void *relay_main(void *arg)
{
    (void)arg;
    int64_t next_hello = 0, next_tick = clock_mono_ms() + HELLO_MS;
    while (!atomic_load(&R.stop)) {
        zmq_pollitem_t items[2] = { { R.sock, 0, ZMQ_POLLIN, 0 }, { NULL, mailbox_fd(R.mb), ZMQ_POLLIN, 0 } };
        int64_t now = clock_mono_ms();
        long wait = next_hello > now ? (long)(next_hello - now) : 0;
        if (zmq_poll(items, 2, wait) < 0 && zmq_errno() != EINTR) {
            log_error("agent relay: poll failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            mailbox_run(R.mb);
        if (items[0].revents & ZMQ_POLLIN)
            drain_socket();
        now = clock_mono_ms();
        if (now >= next_hello) {
            send_hello();
            next_hello = now + HELLO_MS;
        }
        if (now >= next_tick) {
            R.h->on_tick(now);
            next_tick = now + HELLO_MS;
        }
    }
    mailbox_run(R.mb);
    return NULL;
}

int relay_start(void *zmq_ctx, const char *run_dir, const relay_handler *h)
{
    R.h = h;
    stream_msg_endpoint(R.endpoint, sizeof R.endpoint, run_dir);
    uuid_v4(R.epoch);
    R.mb = mailbox_new();
    R.sock = zmq_socket(zmq_ctx, ZMQ_DEALER);
    if (!R.mb || !R.sock)
        return -1;
    char rid[64];
    int rid_len = snprintf(rid, sizeof rid, "gw-%s", R.epoch);
    int64_t maxsize = MAX_FRAME;
    /* high-water marks count messages: flow.h keeps the frames in flight
     * under FLOW_GLOBAL_WINDOW / STREAM_MSG_FRAME_OVERHEAD (131072) */
    if (zmq_setsockopt(R.sock, ZMQ_ROUTING_ID, rid, (size_t)rid_len) != 0 || bus_sockopt(R.sock, ZMQ_LINGER, 0) != 0 ||
        bus_sockopt(R.sock, ZMQ_SNDHWM, 200000) != 0 || bus_sockopt(R.sock, ZMQ_RCVHWM, 200000) != 0 ||
        zmq_setsockopt(R.sock, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize) != 0 ||
        zmq_connect(R.sock, R.endpoint) != 0) {
        log_error("agent relay: cannot connect %s: %s", R.endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    if (pthread_create(&R.thread, NULL, relay_main, NULL) != 0)
        return -1;
    R.started = 1;
    log_info("agent relay: streams go to %s", R.endpoint);
    return 0;
}

static void wake(void *arg)
{
    (void)arg;
}

void relay_stop(void)
{
    if (R.started) {
        atomic_store(&R.stop, 1);
        mailbox_post(R.mb, wake, NULL);
        pthread_join(R.thread, NULL);
        R.started = 0;
    }
    if (R.sock)
        zmq_close(R.sock);
    R.sock = NULL;
    mailbox_destroy(R.mb, drop);
    R.mb = NULL;
}
