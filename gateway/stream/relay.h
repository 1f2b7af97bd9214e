/* relay: the gateway's side of the bus socket to agentsd
 * (ipc://<run_dir>/agentsd.stream, a DEALER with this gateway's routing
 * id). One thread owns the socket: other threads hand it frames through a
 * mailbox (relay_post and the helpers below, any thread). Every second it
 * says HELLO with this gateway's epoch; whatever agentsd sends comes to
 * the handler's on_message on the relay thread, and on_tick runs every
 * second there too. */
#ifndef GATEWAY_STREAM_RELAY_H
#define GATEWAY_STREAM_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "internal/v1/agentstream.pb-c.h"

typedef struct {
    void (*on_message)(const Internal__V1__StreamMessage *m);
    void (*on_tick)(int64_t now_ms);
} relay_handler;

int relay_start(void *zmq_ctx, const char *run_dir, const relay_handler *h);
void relay_stop(void);

/* Queues msg (taken) for agentsd. Nothing is dropped here: what agents
 * send is bounded by flow.h, which reads no further while agentsd is slow
 * or away (its frames stay in grpc, not here). */
void relay_post(zmq_msg_t *msg);
/* A StreamMessage of kind for stream id. */
void relay_simple(Internal__V1__StreamKind kind, uint64_t id, const void *payload, size_t len, int code,
                  const char *message);

#endif
