/* intake: agentsd's batches into the queue (see intake.h). */
#include "intake.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"

static struct {
    void *sock;
    char endpoint[600];
    qqueue *q;
    pthread_t thread;
    int started;
    atomic_int stop;
} I;

/* One message: [agent id][batch]; anything else is dropped. */
static void receive_one(void)
{
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    int more = 0;
    size_t ml = sizeof more;
    if (zmq_msg_recv(&id, I.sock, ZMQ_DONTWAIT) < 0)
        goto out;
    zmq_getsockopt(I.sock, ZMQ_RCVMORE, &more, &ml);
    if (!more || zmq_msg_recv(&body, I.sock, 0) < 0)
        goto out;
    zmq_getsockopt(I.sock, ZMQ_RCVMORE, &more, &ml);
    while (more) { /* a message of another shape: drain it */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        zmq_msg_recv(&extra, I.sock, 0);
        zmq_msg_close(&extra);
        zmq_getsockopt(I.sock, ZMQ_RCVMORE, &more, &ml);
    }
    size_t idl = zmq_msg_size(&id), len = zmq_msg_size(&body);
    char agent[256];
    if (idl == 0 || idl >= sizeof agent)
        goto out;
    memcpy(agent, zmq_msg_data(&id), idl);
    agent[idl] = '\0';
    uint8_t *data = malloc(len ? len : 1);
    if (!data)
        goto out;
    memcpy(data, zmq_msg_data(&body), len);
    metrics_add(QM_BATCHES_RECEIVED, 1);
    size_t dropped = qqueue_put(I.q, agent, data, len);
    if (dropped) {
        metrics_add(QM_DROPPED_MEMORY, (long)dropped);
        log_debug("QAN queue full: dropped %zu oldest batches", dropped);
    }
out:
    zmq_msg_close(&id);
    zmq_msg_close(&body);
}

static void *intake_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&I.stop)) {
        zmq_pollitem_t pi = { I.sock, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&pi, 1, 200) > 0)
            for (int i = 0; i < 1000 && !atomic_load(&I.stop); i++) {
                int events = 0;
                size_t el = sizeof events;
                if (zmq_getsockopt(I.sock, ZMQ_EVENTS, &events, &el) != 0 || !(events & ZMQ_POLLIN))
                    break;
                receive_one();
            }
    }
    return NULL;
}

int intake_start(void *zmq_ctx, const char *run_dir, qqueue *q)
{
    char *ep = I.endpoint;
    snprintf(ep, sizeof I.endpoint, "ipc://%s/%s", run_dir, INTAKE_SOCKET);
    I.q = q;
    I.sock = zmq_socket(zmq_ctx, ZMQ_PULL);
    int linger = 0, hwm = 10000;
    if (!I.sock)
        return -1;
    zmq_setsockopt(I.sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(I.sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind(I.sock, ep) != 0) {
        log_error("cannot bind %s: %s", ep, zmq_strerror(zmq_errno()));
        zmq_close(I.sock);
        I.sock = NULL;
        return -1;
    }
    if (pthread_create(&I.thread, NULL, intake_main, NULL) != 0)
        return -1;
    I.started = 1;
    return 0;
}

/* What ZeroMQ already holds for us, until quiet_ms pass without a
 * message (at most max_ms): closing the socket would drop it. */
static void drain(int quiet_ms, int max_ms)
{
    int64_t end = clock_mono_ms() + max_ms;
    while (clock_mono_ms() < end) {
        zmq_pollitem_t pi = { I.sock, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&pi, 1, quiet_ms) <= 0)
            break;
        receive_one();
    }
}

void intake_stop(void)
{
    atomic_store(&I.stop, 1);
    if (I.started)
        pthread_join(I.thread, NULL);
    I.started = 0;
    if (!I.sock)
        return;
    /* agentsd keeps what it could not hand over while we are away; take
     * what is already on its way, then stop taking, then the rest */
    drain(50, 1000);
    zmq_unbind(I.sock, I.endpoint);
    drain(20, 200);
    zmq_close(I.sock);
    I.sock = NULL;
}
