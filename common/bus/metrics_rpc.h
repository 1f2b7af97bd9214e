/* metrics_rpc: a daemon's side of internal.v1.MetricsService/Metrics, its
 * counters in Prometheus text for the gateway's /debug/metrics (see
 * proto/internal/v1/metrics.proto). */
#ifndef PMM_METRICS_RPC_H
#define PMM_METRICS_RPC_H

#include <protobuf-c/protobuf-c.h>

#include "rpc.h"

#define METRICS_RPC_METHOD "/internal.v1.MetricsService/Metrics"

/* A handler's ending: takes text (malloc'd, may be NULL on ENOMEM) into a
 * MetricsResponse in *out. RPC_OK, or INTERNAL in st. */
int metrics_rpc_reply(rpc_status *st, char *text, ProtobufCMessage **out);

#endif
