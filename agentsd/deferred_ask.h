/* deferred_ask: a bus request that a pmm-agent answers (GetVersions,
 * StartJob), answered when the agent's reply arrives instead of holding a
 * bus worker for the round trip. A worker only sends the request; the
 * stream loop thread relays the reply (bus_defer), so the number of
 * requests in flight to agents is not bounded by --workers: a burst of
 * scheduled backups (1,000 agents asked at once) needs no more threads
 * nor PostgreSQL connections. Without a bus route (handlers called
 * directly, as the unit tests do) or without an asynchronous sender, it
 * waits on the worker as before. */
#ifndef AGENTSD_DEFERRED_ASK_H
#define AGENTSD_DEFERRED_ASK_H

#include "agent/v1/agent.pb-c.h"
#include "bus/bus.h"
#include "conn.h"

/* Makes the bus response out of the agent's reply (of the wanted kind;
 * the converter may take parts of it, which is freed after). RPC_OK with
 * *out, or st. */
typedef int (*dask_convert)(Agent__V1__AgentMessage *reply, ProtobufCMessage **out, rpc_status *st);

typedef struct {
    conn_sender send;             /* waits for the reply (tests: a fake agent) */
    conn_async_sender send_async; /* NULL: always send */
    Agent__V1__AgentMessage__PayloadCase want;
    const char *wrong;            /* the error text of a reply of another kind */
    dask_convert convert;
} dask_spec;

/* Sends m to pmm_agent_id. Returns what a handler returns: RPC_DEFERRED
 * when the reply will answer the caller later, otherwise the code with
 * *out or ctx->status. m is only read during the call. */
int dask_ask(rpc_ctx *ctx, const dask_spec *spec, const char *pmm_agent_id, Agent__V1__ServerMessage *m,
             int timeout_ms, ProtobufCMessage **out);

#endif
