/* orphans: frames for streams agentsd does not know yet. After agentsd
 * restarts, a gateway may relay an agent's frame before it re-announces
 * the stream (OPEN with resync): such frames are kept, in order, for a
 * while, and replayed once the stream is known; the gateway is told the
 * stream is unknown the first time, so that it re-announces it. Stream
 * loop thread only. */
#ifndef AGENTSD_ORPHANS_H
#define AGENTSD_ORPHANS_H

#include <stddef.h>
#include <stdint.h>

#include "streams.h"

void orphans_keep(const void *gw, size_t gw_len, uint64_t stream_id, const uint8_t *data, size_t len);
/* Replays the frames kept for c's stream into the protocol. */
void orphans_replay(conn *c);
/* Drops frames older than their keep time (all: now_ms = INT64_MAX). */
void orphans_expire(int64_t now_ms);

#endif
