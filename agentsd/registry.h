/* registry: the connected pmm-agents, on the stream loop thread only.
 * Admits a stream (status_admit in the database, then upstream's
 * duplicate rule: ping the earlier connection, refuse the new one if it
 * answers, replace it if not), speaks the protocol (pings every 10 s with
 * round trip and clock drift, StateChanged, requests matched by id),
 * keeps is_connected in the database, and takes over the live streams a
 * gateway re-announces after agentsd restarted. */
#ifndef AGENTSD_REGISTRY_H
#define AGENTSD_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "agent/v1/agent.pb-c.h"
#include "bus.h"
#include "internal/v1/agentstream.pb-c.h"

typedef struct pending pending;

typedef struct conn {
    uint64_t stream_id;
    char *gw;                 /* the gateway's routing id */
    size_t gw_len;
    char *agent_id, *version;
    uint32_t metrics_port;
    char *node_id, *node_name;
    int state;                /* CONN_* */
    uint32_t last_req_id;
    pending *pendings;
    int64_t next_ping_ms;
    int64_t last_ping_wall_us, rtt_us, drift_us;
    int64_t flood_window_ms;
    int flood_count;
    int refs;                 /* jobs and probes in flight hold it */
    struct conn *probing;     /* ADMIT_PROBE: the earlier connection pinged */
    /* SetState scheduling (sched.c) */
    int ss_busy, ss_dirty, ss_failures;
    int64_t ss_retry_at;
    char *fingerprint;
    int fp_seen;
    struct conn *next_stream, *next_agent;
} conn;

enum { CONN_ADMIT_DB, CONN_ADMIT_PROBE, CONN_LIVE, CONN_DEAD };

void registry_init(bus_pub *pub);
void registry_on_message(const void *gw, size_t gw_len, const Internal__V1__StreamMessage *m);
void registry_tick(int64_t now_ms);
void registry_free_all(void);

/* The live connection of a pmm-agent, or NULL. */
conn *registry_find(const char *pmm_agent_id);
/* Calls fn for every live connection. */
void registry_each(void (*fn)(conn *c, void *arg), void *arg);

/* Sends msg (its id is assigned here) and calls cb(c, arg, code, message,
 * response) once: with the agent's response (taken by cb; NULL on error),
 * or an error when timeout_ms passes or the stream ends. */
typedef void (*registry_reply_fn)(conn *c, void *arg, int code, const char *message,
                                  Agent__V1__AgentMessage *resp);
int registry_request(conn *c, Agent__V1__ServerMessage *msg, int timeout_ms, registry_reply_fn cb, void *arg);

/* Sends an already packed ServerMessage without waiting. */
void registry_send(conn *c, const uint8_t *data, size_t len);

void conn_ref(conn *c);
void conn_unref(conn *c);

/* Agent requests answered by other modules (conn.h registers them). */
typedef int (*registry_agent_handler)(void *db, const char *pmm_agent_id, const Agent__V1__AgentMessage *msg);
void registry_set_handler(int payload_case, registry_agent_handler fn);

#endif
