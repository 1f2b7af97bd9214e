/* loop: the stream loop thread (see loop.h). */
#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "bus/sock.h"
#include "clock.h"
#include "log.h"
#include "bus/stream_msg.h"

#define LOOP_TICK_MS 100
#define LOOP_MAX_FRAME ((int64_t)120 << 20)

static struct {
    void *sock;
    char endpoint[512];
    mailbox *mb;
    const loop_handler *h;
    pthread_t thread;
    int started;
    atomic_int stop;
} L;

int loop_post(mailbox_fn fn, void *arg)
{
    return L.mb ? mailbox_post(L.mb, fn, arg) : -1;
}

int loop_send(const void *gw, size_t gw_len, zmq_msg_t *msg)
{
    int rc = -1;
    if (zmq_send(L.sock, gw, gw_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 && zmq_msg_send(msg, L.sock, ZMQ_DONTWAIT) >= 0)
        rc = 0;
    else
        log_debug("stream loop: cannot send to a gateway: %s", zmq_strerror(zmq_errno()));
    zmq_msg_close(msg);
    return rc;
}

/* [gateway id, StreamMessage] */
static void drain_socket(void)
{
    for (int i = 0; i < 4096; i++) {
        zmq_msg_t f[2];
        int count, total;
        if (bus_recv_frames(L.sock, f, 2, &count, &total, ZMQ_DONTWAIT) != 0)
            return;
        if (total == 2) {
            Internal__V1__StreamMessage *m = stream_msg_unpack(zmq_msg_data(&f[1]), zmq_msg_size(&f[1]));
            if (m)
                L.h->on_message(zmq_msg_data(&f[0]), zmq_msg_size(&f[0]), m);
            else
                log_warn("stream loop: malformed frame from a gateway");
            stream_msg_free(m);
        }
        bus_close_frames(f, count);
    }
}

static void *loop_main(void *arg)
{
    (void)arg;
    int64_t next_tick = clock_mono_ms() + LOOP_TICK_MS;
    while (!atomic_load(&L.stop)) {
        zmq_pollitem_t items[2] = { { L.sock, 0, ZMQ_POLLIN, 0 }, { NULL, mailbox_fd(L.mb), ZMQ_POLLIN, 0 } };
        int64_t now = clock_mono_ms();
        if (zmq_poll(items, 2, next_tick > now ? (long)(next_tick - now) : 0) < 0 && zmq_errno() != EINTR) {
            log_error("stream loop: poll failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            mailbox_run(L.mb);
        if (items[0].revents & ZMQ_POLLIN)
            drain_socket();
        now = clock_mono_ms();
        if (now >= next_tick) {
            L.h->on_tick(now);
            next_tick = now + LOOP_TICK_MS;
        }
    }
    return NULL;
}

int loop_start(void *zmq_ctx, const char *run_dir, const loop_handler *h)
{
    L.h = h;
    stream_msg_endpoint(L.endpoint, sizeof L.endpoint, run_dir);
    L.mb = mailbox_new();
    L.sock = zmq_socket(zmq_ctx, ZMQ_ROUTER);
    int64_t maxsize = LOOP_MAX_FRAME;
    if (!L.mb || !L.sock || bus_sockopt(L.sock, ZMQ_LINGER, 0) != 0 || bus_sockopt(L.sock, ZMQ_SNDHWM, 200000) != 0 ||
        bus_sockopt(L.sock, ZMQ_RCVHWM, 200000) != 0 ||
        zmq_setsockopt(L.sock, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize) != 0 || bus_bind(L.sock, L.endpoint) != 0) {
        log_error("stream loop: cannot serve %s", L.endpoint);
        return -1;
    }
    if (pthread_create(&L.thread, NULL, loop_main, NULL) != 0)
        return -1;
    L.started = 1;
    log_info("stream loop: serving pmm-agent streams on %s", L.endpoint);
    return 0;
}

static void wake(void *arg)
{
    (void)arg;
}

void loop_stop(void)
{
    if (!L.started)
        return;
    atomic_store(&L.stop, 1);
    loop_post(wake, NULL);
    pthread_join(L.thread, NULL);
    L.started = 0;
}

void loop_finish(void)
{
    if (L.mb)
        while (mailbox_run(L.mb) > 0)
            ;
    if (L.h)
        L.h->on_stop();
    if (L.sock) {
        zmq_close(L.sock);
        bus_unbind_file(L.endpoint);
    }
    L.sock = NULL;
    mailbox_destroy(L.mb, NULL);
    L.mb = NULL;
}
