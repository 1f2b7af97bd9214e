/* metrics: the gateway's counters for /debug/metrics (Prometheus text) and
 * /debug/vars (JSON): requests by method and code, a latency histogram,
 * calls in flight per daemon. All functions are thread-safe. */
#ifndef GATEWAY_METRICS_H
#define GATEWAY_METRICS_H

#include <stddef.h>

void metrics_init(void);
/* transport: "grpc" or "rest". */
void metrics_observe(const char *transport, const char *method, int code, double seconds);
void metrics_inflight(const char *daemon, int delta);
/* malloc'd text. */
char *metrics_render_prometheus(void);
char *metrics_render_vars(void);

#endif
