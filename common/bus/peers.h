/* peers: the calling thread's bus clients, one per daemon, made on
 * first use and closed when the thread ends. Lets any thread call any
 * daemon by name without sharing a ZeroMQ socket between threads. */
#ifndef PMM_BUS_PEERS_H
#define PMM_BUS_PEERS_H

#include "bus/bus.h"

/* Once per process, before any thread calls bus_peers_get. */
int bus_peers_init(void *zmq_ctx, const char *run_dir);

/* The calling thread's client for daemon ("inventoryd"); NULL on error.
 * daemon must be a string that outlives the thread (a literal). */
bus_client *bus_peers_get(const char *daemon);

/* Closes the calling thread's clients now (also done at thread exit).
 * Call it before zmq_ctx_term from the main thread. */
void bus_peers_thread_done(void);

/* Calls method of daemon with the protobuf message in and waits up to
 * timeout_ms; on RPC_OK *out is the answer unpacked as out_desc (free with
 * protobuf_c_message_free_unpacked), otherwise st carries the daemon's (or
 * the bus's) code and message. */
int bus_peers_call(const char *daemon, const char *method, const ProtobufCMessage *in,
                   const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out, int timeout_ms,
                   rpc_status *st);

/* Pings daemon's internal.v1.HealthService. RPC_OK when it serves;
 * otherwise the code, with the reason in st. */
int bus_peers_ping(const char *daemon, int timeout_ms, rpc_status *st);

#endif
