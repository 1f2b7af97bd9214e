/* bus: ZeroMQ transport between the daemons.
 *
 * Each daemon binds a ROUTER at ipc://<run_dir>/<daemon>.sock and serves it
 * with a fixed pool of worker threads; callers use DEALER sockets with
 * request ids and deadlines (never lockstep REQ/REP), ZMQ_IMMEDIATE so that
 * a call to a daemon that is down fails at once with UNAVAILABLE, and the
 * daemon drops requests whose deadline has passed, so a request queued while
 * a daemon restarts can never run after its caller gave up.
 * Events: each daemon binds a PUB at ipc://<run_dir>/<daemon>.pub; a message
 * is two frames, topic ("inventory.changed") and a msgpack payload. */
#ifndef PMM_BUS_H
#define PMM_BUS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "envelope.h"
#include "rpc.h"

/* "ipc://<run_dir>/<name>.sock" / ".pub" into out. */
void bus_endpoint(char *out, size_t outlen, const char *run_dir, const char *name);
void bus_pub_endpoint(char *out, size_t outlen, const char *run_dir, const char *name);

/* ---- client: one per thread, one daemon per client --------------------- */
typedef struct bus_client bus_client;

bus_client *bus_client_new(void *zmq_ctx, const char *endpoint);
void bus_client_destroy(bus_client *c);

/* Sends req (its id is assigned here) and waits up to timeout_ms for the
 * matching reply; stale replies of earlier calls are discarded. Always
 * fills *rep: transport failures become UNAVAILABLE (daemon down or
 * unreachable) or DEADLINE_EXCEEDED (no answer in time). Returns rep->code. */
int bus_client_call(bus_client *c, bus_request *req, int timeout_ms, bus_reply *rep);

/* ---- server: ROUTER front, N worker threads --------------------------- */
typedef struct bus_server bus_server;

/* What a handler sees. worker is the per-thread state made by worker_init
 * (e.g. its own PostgreSQL connection). */
typedef struct {
    const bus_request *req;
    void *worker;
    void *app;           /* bus_server_config.app */
    rpc_status status;
} rpc_ctx;

/* Unpacked request in, response out (allocated by the handler with the
 * default protobuf-c allocator or malloc; freed by the server with
 * protobuf_c_message_free_unpacked). Return an RPC_* code; on error set
 * ctx->status with rpc_fail() and leave *resp NULL. */
typedef int (*rpc_handler)(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp);

typedef struct {
    const char *method;                        /* "/inventory.v1.NodesService/GetNode" */
    const ProtobufCMessageDescriptor *request; /* how to unpack req body */
    rpc_handler handler;
} rpc_method;

typedef struct {
    const char *endpoint;
    const rpc_method *methods;
    size_t n_methods;
    int workers;                               /* >= 1 */
    void *(*worker_init)(void *app);           /* may be NULL */
    void (*worker_fini)(void *worker);         /* may be NULL */
    void *app;
} bus_server_config;

bus_server *bus_server_new(void *zmq_ctx, const bus_server_config *cfg);
/* Serves until *stop becomes non-zero (checked at least every 200 ms).
 * Returns 0 on a clean stop, -1 if the endpoint could not be bound. */
int bus_server_run(bus_server *s, volatile sig_atomic_t *stop);
void bus_server_destroy(bus_server *s);

/* Counters for /debug/metrics style reporting. */
typedef struct {
    uint64_t requests;
    uint64_t malformed;
    uint64_t expired;
    uint64_t unknown_method;
} bus_server_stats;
void bus_server_get_stats(bus_server *s, bus_server_stats *out);

/* ---- events ------------------------------------------------------------ */
typedef struct bus_pub bus_pub;
bus_pub *bus_pub_new(void *zmq_ctx, const char *endpoint);
/* Thread-safe. payload is opaque bytes (msgpack by convention). */
int bus_pub_send(bus_pub *p, const char *topic, const void *payload, size_t len);
void bus_pub_destroy(bus_pub *p);

typedef struct bus_sub bus_sub;
bus_sub *bus_sub_new(void *zmq_ctx);
int bus_sub_connect(bus_sub *s, const char *endpoint, const char *topic_prefix);
/* Waits up to timeout_ms. Returns 1 with malloc'd *topic and *payload,
 * 0 on timeout, -1 on error. */
int bus_sub_recv(bus_sub *s, int timeout_ms, char **topic, uint8_t **payload, size_t *len);
void bus_sub_destroy(bus_sub *s);

#endif
