/* uievents: uievents.v1.UIEventsService/Store. Upstream keeps the UI's
 * events in memory for its telemetry reports; this server sends no
 * telemetry, so it accepts them and counts them by kind, and the counts
 * reach the gateway's /debug/metrics (configd/metrics.c). */
#ifndef CONFIGD_UIEVENTS_H
#define CONFIGD_UIEVENTS_H

#include <stdio.h>

#include "bus/bus.h"

extern const rpc_method uievents_methods[];
extern const size_t uievents_methods_count;

/* The counters in Prometheus text, appended to f. */
void uievents_metrics(FILE *f);

#endif
