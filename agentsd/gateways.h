/* gateways: the gateways that relay pmm-agent streams to agentsd. Each
 * says HELLO every second and gets agentsd's epoch back: a new epoch
 * tells a gateway agentsd restarted, so it re-announces its live streams
 * (OPEN with resync) and then sends SYNC with the list. A gateway silent
 * for 5 s is gone with its streams. Stream loop thread only. */
#ifndef AGENTSD_GATEWAYS_H
#define AGENTSD_GATEWAYS_H

#include <stddef.h>
#include <stdint.h>

void gateways_init(void);
void gateways_hello(const void *gw, size_t gw_len);
/* SYNC: the gateway's streams not in live[] are gone; is_connected of
 * every pmm-agent is then made true to what is live. */
void gateways_sync(const void *gw, size_t gw_len, const uint64_t *live, size_t n_live);
void gateways_tick(int64_t now_ms);

#endif
