/* grpc_front: the gRPC listener (grpc core, generic calls, no stubs).
 * Every unary call is authenticated (auth.h) and relayed unchanged to the
 * owning daemon (dispatch.h); status code and message come back as the
 * daemon gave them. Max receive message 100 MiB as upstream. */
#ifndef GATEWAY_GRPC_FRONT_H
#define GATEWAY_GRPC_FRONT_H

#include <signal.h>

typedef struct grpc_front grpc_front;

/* addr "127.0.0.1:7771". workers: threads doing bus calls. NULL on error. */
grpc_front *grpc_front_start(const char *addr, int workers);
/* Stops accepting, cancels what is pending (within ~3 s) and frees. */
void grpc_front_stop(grpc_front *f);

#endif
