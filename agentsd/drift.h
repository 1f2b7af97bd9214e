/* drift: round trip and clock drift of a ping, as upstream's registry
 * computes them (agent-protocol.md §10), and the version check of the
 * connect metadata. Pure functions. */
#ifndef AGENTSD_DRIFT_H
#define AGENTSD_DRIFT_H

#include <stdbool.h>
#include <stdint.h>

/* All in microseconds: sent = wall clock when the Ping left, received =
 * wall clock when the Pong came, agent = Pong.current_time. Drift is
 * |agent - sent - rtt/2|. */
void drift_compute(int64_t sent_us, int64_t received_us, int64_t agent_us, int64_t *rtt_us,
                   int64_t *drift_us);

/* Whether v parses as upstream's version.Parse accepts it:
 * MAJOR.MINOR.PATCH with an optional "-" suffix (rc, build, commit). */
bool agent_version_valid(const char *v);

#endif
