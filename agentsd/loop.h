/* loop: agentsd's stream loop, one thread that owns the ROUTER socket at
 * ipc://<run_dir>/agentsd.stream to which the gateways relay pmm-agent
 * streams, and every piece of connection state (registry.h). Other
 * threads never touch that state: they post closures (loop_post). A tick
 * every 100 ms drives pings, timeouts and retries. */
#ifndef AGENTSD_LOOP_H
#define AGENTSD_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "mailbox.h"

int loop_start(void *zmq_ctx, const char *run_dir);
/* Stops the thread; closures posted later still run in loop_finish. */
void loop_stop(void);
/* After every producer stopped: runs what is left and frees the loop. */
void loop_finish(void);

/* Any thread: runs fn(arg) on the loop thread. 0, or -1 (fn never runs). */
int loop_post(mailbox_fn fn, void *arg);

/* Loop thread: sends msg (taken) to the gateway with routing id gw. */
int loop_send(const void *gw, size_t gw_len, zmq_msg_t *msg);

/* CLOCK_MONOTONIC and CLOCK_REALTIME, in ms and µs. */
int64_t loop_mono_ms(void);
int64_t loop_wall_us(void);

#endif
