/* credit: agentsd's half of the relay's flow control (the gateway's half
 * is gateway/stream/flow.h). A gateway reads an agent's next message only
 * while agentsd has not yet credited more than a window of the stream's
 * frames; agentsd credits each frame (its charge, stream_msg_charge) once
 * it is done with it: answered, handed to the database and stored, or
 * dropped. So the frames agentsd holds, in its socket, loop and database
 * queue, are bounded in bytes by what the gateways let through, and an
 * agent that sends faster than PostgreSQL stores is held back by HTTP/2
 * flow control instead of growing those queues. Credits are sent per
 * stream once CREDIT_FLUSH bytes are due, else at the next tick.
 * A conn holding more than CREDIT_CONN_MAX has a gateway that does not
 * wait for credit: its stream is closed with RESOURCE_EXHAUSTED.
 * Stream loop thread only. */
#ifndef AGENTSD_CREDIT_H
#define AGENTSD_CREDIT_H

#include <stddef.h>
#include <stdint.h>

#include "streams.h"

/* The gateway's window (4 MiB) and a message over it (grpc: 100 MiB), twice
 * (a resync may re-send what an old agentsd held), with room to spare. */
#define CREDIT_CONN_MAX ((uint64_t)256 << 20)
#define CREDIT_FLUSH ((uint64_t)64 << 10)

/* A frame of len payload bytes came for c. -1 when c now holds more than
 * CREDIT_CONN_MAX (the frame is c's all the same: release it). */
int credit_hold(conn *c, size_t len);
/* Done with such a frame. */
void credit_release(conn *c, size_t len);
/* Sends what is due for c (each tick, and when its stream ends). */
void credit_flush(conn *c);
/* For a frame of a stream agentsd does not know (orphans.h). */
void credit_send(const void *gw, size_t gw_len, uint64_t stream_id, size_t len);

#endif
