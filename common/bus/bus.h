/* bus: ZeroMQ transport between the daemons.
 *
 * Each daemon binds a ROUTER at ipc://<run_dir>/<daemon>.sock and serves it
 * with a fixed pool of worker threads; callers use DEALER sockets with
 * request ids and deadlines (never lockstep REQ/REP), ZMQ_IMMEDIATE so that
 * a call to a daemon that is down fails at once with UNAVAILABLE, and the
 * daemon drops requests whose deadline has passed, so a request queued while
 * a daemon restarts can never run after its caller gave up.
 * Frames: a call is ["", request envelope], its answer ["", reply envelope]
 * (REQ-compatible framing, so a ROUTER can route it back).
 * Events: each daemon binds a PUB at ipc://<run_dir>/<daemon>.pub; a message
 * is two frames, topic ("inventory.changed") and a msgpack payload. */
#ifndef PMM_BUS_H
#define PMM_BUS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "bus/envelope.h"
#include "rpc.h"

/* "ipc://<run_dir>/<name>.sock" / ".pub" into out. */
void bus_endpoint(char *out, size_t outlen, const char *run_dir, const char *name);
void bus_pub_endpoint(char *out, size_t outlen, const char *run_dir, const char *name);

/* ---- client: one per thread, one daemon per client --------------------- */
typedef struct bus_client bus_client;

bus_client *bus_client_new(void *zmq_ctx, const char *endpoint);
void bus_client_destroy(bus_client *c);

/* Sends req (its id is assigned here, and deadline_ms = now + timeout_ms
 * when it is 0) and waits for the matching reply until timeout_ms or
 * req->deadline_ms, whichever comes first (timeout_ms <= 0: the deadline
 * alone, or 30 s without one); stale replies of earlier calls are discarded.
 * Always fills *rep (free with bus_reply_clear); returns rep->code.
 * Transport failures:
 *   UNAVAILABLE "<endpoint> is unavailable": no connection to the daemon;
 *   UNAVAILABLE "<method>: no reply from daemon within N ms": no answer and
 *     the connection is gone by the deadline (the daemon died or restarted);
 *   DEADLINE_EXCEEDED: no answer while the daemon is still connected (slow);
 *   INTERNAL: the reply did not decode. */
int bus_client_call(bus_client *c, bus_request *req, int timeout_ms, bus_reply *rep);

/* ---- server: ROUTER front, N worker threads --------------------------- */
typedef struct bus_server bus_server;

struct bus_route; /* where the answer of the request being handled goes */

/* What a handler sees. worker is the per-thread state made by worker_init
 * (e.g. its own PostgreSQL connection). */
typedef struct {
    const bus_request *req;
    void *worker;
    void *app;           /* bus_server_config.app */
    rpc_status status;
    const struct bus_route *route; /* for bus_defer */
} rpc_ctx;

/* Unpacked request in, response out (allocated by the handler with the
 * default protobuf-c allocator or malloc; freed by the server with
 * protobuf_c_message_free_unpacked). Return an RPC_* code; on error set
 * ctx->status with rpc_fail() and leave *resp NULL; or RPC_DEFERRED after
 * bus_defer, when another thread answers later. */
typedef int (*rpc_handler)(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp);

/* Answering later, off the worker: a handler whose work is slow and needs
 * no worker state (e.g. a password hash) takes the request over with
 * bus_defer, hands the bus_deferred to its own threads and returns
 * RPC_DEFERRED; the worker is then free for the next request at once. Some
 * thread later calls bus_deferred_reply exactly once (thread-safe; the
 * answer is relayed by the server's run loop; after the server stopped it
 * is dropped and the caller ends at its deadline, as for a daemon that
 * died). The zmq context must outlive every pending bus_deferred. */
#define RPC_DEFERRED 100
typedef struct bus_deferred bus_deferred;
/* NULL on ENOMEM (answer at once instead). */
bus_deferred *bus_defer(rpc_ctx *ctx);
/* resp (borrowed) when code is RPC_OK, else message. Frees d. */
void bus_deferred_reply(bus_deferred *d, int code, const char *message, const ProtobufCMessage *resp);

typedef struct {
    const char *method;                        /* "/inventory.v1.NodesService/GetNode" */
    const ProtobufCMessageDescriptor *request; /* how to unpack req body */
    rpc_handler handler;
} rpc_method;

typedef struct {
    const char *endpoint;
    const rpc_method *methods;                 /* borrowed: must outlive the server */
    size_t n_methods;
    int workers;                               /* >= 1 */
    void *(*worker_init)(void *app);           /* may be NULL */
    void (*worker_fini)(void *worker);         /* may be NULL */
    void *app;
} bus_server_config;

/* Binds cfg->endpoint (removing a stale ipc socket file); NULL when it
 * cannot, e.g. another live process serves it. */
bus_server *bus_server_new(void *zmq_ctx, const bus_server_config *cfg);
/* Serves until *stop becomes non-zero (checked at least every 200 ms), then
 * lets the workers finish and answers the requests they had taken.
 * Returns 0 on a clean stop, -1 if the workers could not start or polling
 * failed. */
int bus_server_run(bus_server *s, volatile sig_atomic_t *stop);
/* Closes the sockets and removes the ipc socket file. Not while running. */
void bus_server_destroy(bus_server *s);

/* Counters for /debug/metrics style reporting. */
typedef struct {
    uint64_t requests;
    uint64_t malformed;
    uint64_t expired;
    uint64_t unknown_method;
    uint64_t deferred;   /* requests answered later by bus_deferred_reply */
} bus_server_stats;
void bus_server_get_stats(bus_server *s, bus_server_stats *out);

/* ---- events ------------------------------------------------------------ */
typedef struct bus_pub bus_pub;
bus_pub *bus_pub_new(void *zmq_ctx, const char *endpoint);
/* Thread-safe. payload is opaque bytes (msgpack by convention). */
int bus_pub_send(bus_pub *p, const char *topic, const void *payload, size_t len);
/* The common case: a msgpack map of n strings, keys[i] -> values[i].
 * Logs when it cannot be sent. p may be NULL (nothing is sent). */
int bus_pub_send_strings(bus_pub *p, const char *topic, size_t n, const char *const *keys,
                         const char *const *values);
void bus_pub_destroy(bus_pub *p);

typedef struct bus_sub bus_sub;
bus_sub *bus_sub_new(void *zmq_ctx);
/* Connects (reconnecting by itself while the publisher is away) and adds a
 * topic prefix subscription (NULL or "": everything). As with any ZeroMQ
 * SUB socket, a subscription applies to every endpoint it is connected to. */
int bus_sub_connect(bus_sub *s, const char *endpoint, const char *topic_prefix);
/* Waits up to timeout_ms. Returns 1 with malloc'd *topic and *payload,
 * 0 on timeout, -1 on error. */
int bus_sub_recv(bus_sub *s, int timeout_ms, char **topic, uint8_t **payload, size_t *len);
void bus_sub_destroy(bus_sub *s);

#endif
