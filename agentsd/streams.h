/* streams: the table of pmm-agent streams the gateways relay to agentsd,
 * on the stream loop thread only. A conn is one stream: found by its
 * stream id from the moment the gateway opens it, and by its pmm-agent id
 * once it is live (admission.h decides when). The table holds one
 * reference; work in flight (a database job, a request to the agent)
 * holds its own, so a conn outlives its stream until the last one lets
 * go. Per-connection state of other roles hangs off the conn as opaque
 * pointers those roles own (requests.h, sched.h). */
#ifndef AGENTSD_STREAMS_H
#define AGENTSD_STREAMS_H

#include <stddef.h>
#include <stdint.h>

#include "internal/v1/agentstream.pb-c.h"

struct pending;    /* requests.c */
struct sched_slot; /* sched.c */

typedef struct conn {
    uint64_t stream_id;
    char *gw;                 /* the gateway's routing id */
    size_t gw_len;
    char *agent_id, *version;
    uint32_t metrics_port;
    char *node_id, *node_name;
    int state;                /* CONN_* */
    int refs;
    /* requests to the agent waiting for their answer (requests.c) */
    struct pending *pendings;
    uint32_t last_req_id;
    /* pings (pings.c) */
    int64_t next_ping_ms, last_ping_wall_us, rtt_us, drift_us;
    /* flow control (credit.c): frames held, credit not yet sent */
    uint64_t held, credit_due;
    /* flood control (protocol.c) */
    int64_t flood_window_ms;
    int flood_count;
    struct sched_slot *sched; /* SetState scheduling (sched.c); NULL once dead */
    struct conn *next_stream, *next_agent;
} conn;

/* A stream is admitted (ADMIT_DB, then ADMIT_PROBE when an earlier
 * connection of the same pmm-agent must answer a ping first), then LIVE,
 * then DEAD for good. */
enum { CONN_ADMIT_DB, CONN_ADMIT_PROBE, CONN_LIVE, CONN_DEAD };

/* A new conn in the stream table (not live), or NULL out of memory. */
conn *streams_add(const void *gw, size_t gw_len, uint64_t stream_id, const Internal__V1__StreamMeta *meta);
conn *streams_find(uint64_t stream_id);
/* The live conn of a pmm-agent, or NULL. */
conn *streams_find_agent(const char *pmm_agent_id);
/* Makes c the live conn of its pmm-agent (none may be live already). */
void streams_set_live(conn *c);
/* Takes c out of both tables; 1 when it was its pmm-agent's live conn. */
int streams_remove(conn *c);
/* Live conns. */
long streams_live(void);

/* Every conn in the table (live or not), each with a reference: what is
 * done to one may end others, so nobody walks the table while acting.
 * NULL with *n = 0 when there are none or out of memory. */
conn **streams_snapshot(size_t *n);
void streams_snapshot_free(conn **all, size_t n);
/* Calls fn for every live conn (on a snapshot). */
void streams_each(void (*fn)(conn *c, void *arg), void *arg);

void conn_ref(conn *c);
void conn_unref(conn *c);

/* To the gateway of c: a StreamMessage of kind with payload and status. */
void streams_send(const conn *c, Internal__V1__StreamKind kind, const void *payload, size_t len, int code,
                  const char *message);
/* A packed agent.v1.ServerMessage as a FRAME. */
void streams_send_frame(const conn *c, const uint8_t *data, size_t len);

#endif
