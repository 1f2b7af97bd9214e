/* metrics: qanfwd's counters, pmm_managed_qan_* on the gateway's
 * /debug/metrics (internal.v1.MetricsService/Metrics). */
#ifndef QANFWD_METRICS_H
#define QANFWD_METRICS_H

#include <stddef.h>

#include "bus/bus.h"

typedef enum {
    QM_BATCHES_RECEIVED, /* QANCollect batches from agentsd */
    QM_BUCKETS_SENT,     /* buckets qan-api2 took */
    QM_REQUESTS_SENT,    /* Collect calls qan-api2 took */
    QM_SEND_ERRORS,      /* Collect calls that failed (and were kept to retry) */
    QM_BUCKETS_UNKNOWN,  /* buckets of agents the inventory does not know (upstream drops them too) */
    QM_DROPPED_MEMORY,   /* batches dropped from memory to keep its bound */
    QM_DROPPED_SPOOL,    /* requests deleted from the spool to keep its bound */
    QM_SPOOL_ERRORS,     /* requests that could not be written to or read from the spool */
    QM_N
} qmetric;

void metrics_add(qmetric m, long n);

/* Gauges, read when asked. */
typedef void (*metrics_gauges_fn)(size_t *mem_batches, size_t *mem_bytes, size_t *spool_requests,
                                  size_t *spool_bytes);
void metrics_set_gauges(metrics_gauges_fn fn);

char *metrics_text(void);

extern const rpc_method metrics_methods[];
extern const size_t metrics_methods_count;

#endif
