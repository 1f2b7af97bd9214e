/* agent_metrics: agentsd's registry counters under upstream's names
 * (pmm_managed_agents_*, agent-protocol.md §10), served to the gateway's
 * /debug/metrics through internal.v1.MetricsService/Metrics. Updated on the
 * stream loop, read by a worker: atomics, no locks. */
#ifndef AGENTSD_AGENT_METRICS_H
#define AGENTSD_AGENT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"

void agent_metrics_connected(void);
/* reason: "kick", "done", or why else the stream went away */
void agent_metrics_disconnected(const char *reason);
void agent_metrics_ping(int64_t rtt_us, int64_t drift_us);
void agent_metrics_setstate(void);

/* The Prometheus text of the counters above, malloc'd. */
char *agent_metrics_text(void);

extern const rpc_method agent_metrics_methods[];
extern const size_t agent_metrics_methods_count;

#endif
