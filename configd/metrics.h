/* metrics: configd's counters for the gateway's /debug/metrics, served as
 * internal.v1.MetricsService/Metrics (see proto/internal/v1/metrics.proto). */
#ifndef CONFIGD_METRICS_H
#define CONFIGD_METRICS_H

#include "bus/bus.h"

extern const rpc_method configd_metrics_methods[];
extern const size_t configd_metrics_methods_count;

#endif
