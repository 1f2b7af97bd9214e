/* dispatch: forwards one call to the daemon that owns its gRPC service,
 * over thread-local bus clients (one DEALER per daemon per thread, made on
 * first use), and counts calls in flight per daemon. Safe from any thread.
 * The gateway is told which daemons the suite runs (--daemons): a service
 * whose daemon is not one of them is answered at once as grpc-go answers a
 * service it does not have, while a daemon of the suite that is down or
 * restarting is still UNAVAILABLE. */
#ifndef GATEWAY_DISPATCH_H
#define GATEWAY_DISPATCH_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus/envelope.h"

/* Once, before any thread calls dispatch_call. daemons: the names of the
 * daemons the suite runs, separated by commas or blanks ("inventoryd,
 * configd agentsd"); copied. Returns -1 on a bad list or bus setup. */
int dispatch_init(void *zmq_ctx, const char *run_dir, int default_timeout_ms, const char *daemons);
/* Closes the calling thread's clients (threads call it before exiting;
 * a pthread key destructor does it too). */
void dispatch_thread_done(void);

/* Routes by the service part of method ("/inventory.v1.NodesService/X").
 * A service no daemon of the suite owns -> UNIMPLEMENTED "unknown service
 * <name>" at once. timeout_ms <= 0 means the default. Always fills *rep
 * (bus_reply_clear it). Returns rep->code. */
int dispatch_call(const char *method, const char *user, const char *role,
                  const uint8_t *body, size_t body_len, int timeout_ms, bus_reply *rep);
/* Who a relayed call is made for, as the envelope's caller carries it
 * (bus/envelope.h): user and role, the numeric user id that user.v1 and
 * access control key on (0 for none), the Authorization to pass on to
 * Grafana (NULL unless the gateway runs next to one) and whether Grafana
 * admitted the caller. */
typedef struct {
    const char *user, *role;
    uint32_t user_id;
    const char *authz;
    bool grafana;
} dispatch_caller;

/* dispatch_call for this caller. */
int dispatch_call_as(const char *method, const dispatch_caller *who, const uint8_t *body, size_t body_len,
                     int timeout_ms, bus_reply *rep);

/* The same, to one named daemon of the suite whatever the service (the
 * methods every daemon serves, such as internal.v1.MetricsService). */
int dispatch_call_daemon(const char *daemon, const char *method, const uint8_t *body, size_t body_len,
                         int timeout_ms, bus_reply *rep);

/* The daemons of the suite, in the order given; NULL past the end. */
const char *dispatch_daemon(size_t i);

#endif
