/* dispatch: forwards one call to the daemon that owns its gRPC service,
 * over thread-local bus clients (one DEALER per daemon per thread, made on
 * first use), and counts calls in flight per daemon. Safe from any thread. */
#ifndef GATEWAY_DISPATCH_H
#define GATEWAY_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

/* Once, before any thread calls dispatch_call. */
int dispatch_init(void *zmq_ctx, const char *run_dir, int default_timeout_ms);
/* Closes the calling thread's clients (threads call it before exiting;
 * a pthread key destructor does it too). */
void dispatch_thread_done(void);

/* Routes by the service part of method ("/inventory.v1.NodesService/X").
 * Unknown services -> UNIMPLEMENTED "unknown service <name>". timeout_ms <= 0
 * means the default. Always fills *rep (bus_reply_clear it). Returns rep->code. */
int dispatch_call(const char *method, const char *user, const char *role,
                  const uint8_t *body, size_t body_len, int timeout_ms, bus_reply *rep);

#endif
