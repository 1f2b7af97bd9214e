/* loop: agentsd's stream loop, one thread that owns the ROUTER socket at
 * ipc://<run_dir>/agentsd.stream to which the gateways relay pmm-agent
 * streams. It knows nothing of agents: each StreamMessage goes to the
 * handler's on_message, and a tick every 100 ms to on_tick; on_stop runs
 * once at the end, on the thread that calls loop_finish. The handler's
 * state is touched only there, so it needs no locks: other threads post
 * closures (loop_post) instead of touching it. */
#ifndef AGENTSD_LOOP_H
#define AGENTSD_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "internal/v1/agentstream.pb-c.h"
#include "mailbox.h"

typedef struct {
    /* a message of gateway gw (its routing id) */
    void (*on_message)(const void *gw, size_t gw_len, const Internal__V1__StreamMessage *m);
    void (*on_tick)(int64_t now_ms);
    void (*on_stop)(void);
} loop_handler;

int loop_start(void *zmq_ctx, const char *run_dir, const loop_handler *h);
/* Stops the thread; closures posted later still run in loop_finish. */
void loop_stop(void);
/* After every producer stopped: runs what is left, then on_stop, and
 * frees the loop. */
void loop_finish(void);

/* Any thread: runs fn(arg) on the loop thread. 0, or -1 (fn never runs). */
int loop_post(mailbox_fn fn, void *arg);

/* Loop thread: sends msg (taken) to the gateway with routing id gw. */
int loop_send(const void *gw, size_t gw_len, zmq_msg_t *msg);

#endif
