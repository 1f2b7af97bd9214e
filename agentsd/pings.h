/* pings: the server's Ping every 10 s to each live pmm-agent, with the
 * round trip and clock drift of the answer (upstream's registry, agent-
 * protocol.md §10); the Ping a duplicate connection's admission sends to
 * the earlier one; and the Pong to the agent's own Ping. Stream loop
 * thread only. */
#ifndef AGENTSD_PINGS_H
#define AGENTSD_PINGS_H

#include <stdint.h>

#include "requests.h"
#include "streams.h"

/* A conn that just went live: its first ping in 10 s. */
void pings_start(conn *c, int64_t now_ms);
/* Pings c when it is due. */
void pings_tick(conn *c, int64_t now_ms);
/* Pings c now; cb gets the answer within timeout_ms. */
void pings_send(conn *c, requests_reply_fn cb, void *arg, int timeout_ms);
/* Answers the agent's Ping id with our time. */
void pings_answer(conn *c, uint32_t id);

#endif
