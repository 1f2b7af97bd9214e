/* grpc_front: the gRPC listener (grpc core, generic calls, no stubs).
 * Every unary call is authenticated (auth.h) and relayed unchanged to the
 * owning daemon (dispatch.h); status code and message come back as the
 * daemon gave them. Max receive message 100 MiB as upstream. */
#ifndef GATEWAY_GRPC_FRONT_H
#define GATEWAY_GRPC_FRONT_H

#include <signal.h>

typedef struct grpc_front grpc_front;

/* How long grpc keeps a connection (README, "Connection limits"), in ms;
 * 0 = never. keepalive: a PING after keepalive_time without anything
 * received, on every connection, calls or not; no answer within
 * keepalive_timeout closes it (a peer that is gone, a half-open TCP
 * connection). max_idle: a connection without calls for that long gets a
 * GOAWAY and is closed (one that only ever sent invalid streams).
 * max_age (+ grace for the calls on it): the longest a connection lives
 * (grpc adds +-10% so that a fleet does not reconnect at once). */
typedef struct {
    int keepalive_time_ms, keepalive_timeout_ms;
    int max_idle_ms;
    int max_age_ms, max_age_grace_ms;
} grpc_front_limits;

/* addr "127.0.0.1:7771". workers: threads doing bus calls. NULL on error. */
grpc_front *grpc_front_start(const char *addr, int workers, const grpc_front_limits *limits);
/* Stops accepting, cancels what is pending (within ~3 s) and frees. */
void grpc_front_stop(grpc_front *f);

#endif
