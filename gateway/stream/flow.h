/* flow: how far the gateway reads a pmm-agent's stream ahead of agentsd.
 * Every FRAME relayed to agentsd is charged (stream_msg_charge) until
 * agentsd credits it back (STREAM_KIND_CREDIT) once it is done with it:
 * answered, stored in PostgreSQL or dropped. The next message of a stream
 * is read (RECV_MESSAGE re-armed) only while the stream's uncredited bytes
 * are under FLOW_STREAM_WINDOW and the gateway's under FLOW_GLOBAL_WINDOW;
 * otherwise the stream waits, grpc stops reading it and HTTP/2 flow
 * control holds the agent back, so no queue between the agent and
 * PostgreSQL (grpc, the relay, the bus socket, agentsd's loop and database
 * queue) grows with what it sends. One message may cross a bound: a large
 * action output (up to grpc's 100 MiB) passes, on its own.
 *
 * Flow control keeps memory bounded, not an agent from keeping the server
 * (PostgreSQL above all) busy with its messages: an agent that sends more
 * than FLOW_FLOOD_BYTES within FLOW_FLOOD_SECONDS, not counting the
 * largest of those messages (an action's large output passes), is
 * flooding, far beyond any real pmm-agent (QAN sends one batch a minute
 * per agent), and flow_flooding says so: its stream is ended with
 * RESOURCE_EXHAUSTED. Other agents only ever wait behind a window of its
 * messages.
 *
 * No grpc here: the owner resumes a stream through the callback given to
 * flow_init. Table lock held for all (one caller at a time). */
#ifndef GATEWAY_STREAM_FLOW_H
#define GATEWAY_STREAM_FLOW_H

#include <stddef.h>
#include <stdint.h>

#define FLOW_STREAM_WINDOW ((uint64_t)4 << 20)
#define FLOW_GLOBAL_WINDOW ((uint64_t)64 << 20)
#define FLOW_FLOOD_BYTES ((uint64_t)16 << 20)
#define FLOW_FLOOD_SECONDS 10

typedef struct flow_state {
    void *owner;               /* for the resume callback */
    uint64_t unacked;          /* charged, not yet credited */
    /* payload received in each of the last FLOW_FLOOD_SECONDS seconds
     * (slot = second % FLOW_FLOOD_SECONDS), and the largest message */
    uint64_t sec_bytes[FLOW_FLOOD_SECONDS], sec_largest[FLOW_FLOOD_SECONDS];
    int64_t last_sec;
    int paused;                /* waits for credit before its next read */
    int forgotten;             /* the stream ended */
    struct flow_state *next_paused, **pprev_paused;
} flow_state;

/* resume(f): f may read again (it was paused and is taken off the list). */
void flow_init(void (*resume)(flow_state *f));
void flow_start(flow_state *f, void *owner);

/* A message of len payload bytes was relayed to agentsd at now_ms
 * (monotonic). */
void flow_charge(flow_state *f, size_t len, int64_t now_ms);
/* Whether the stream may read its next message now. */
int flow_may_read(const flow_state *f);
/* Whether the agent sends more than the server takes (see above). */
int flow_flooding(const flow_state *f);
/* The stream waits for credit (flow_may_read said no). */
void flow_pause(flow_state *f);

/* agentsd's CREDIT for a stream (NULL: one that ended meanwhile). May
 * resume f and, when the gateway's total falls under its bound, every
 * paused stream. */
void flow_credit(flow_state *f, uint64_t bytes);
/* The stream ended: it reads no more, and what agentsd still holds of it
 * counts until credited. */
void flow_forget(flow_state *f);
/* A new agentsd: what the old one held is gone and credits nothing.
 * flow_reset per live stream, then flow_reset_ended. */
void flow_reset(flow_state *f);
void flow_reset_ended(void);

/* The gateway's uncredited bytes (for metrics and tests). */
uint64_t flow_in_flight(void);

#endif
