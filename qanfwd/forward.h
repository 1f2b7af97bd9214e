/* forward: the forwarder thread. Takes the agents' batches from memory,
 * labels and converts them (convert.h, labels.h) into Collect requests of
 * up to 25,000 buckets (upstream's slice) and sends them to qan-api2 one
 * at a time, in arrival order. A request qan-api2 does not take goes to
 * the spool, and while the spool holds anything every newer batch goes
 * behind it, so each agent's batches reach qan-api2 in order; the spool
 * is retried with a growing pause (100 ms doubling to 5 s) and emptied
 * oldest first. */
#ifndef QANFWD_FORWARD_H
#define QANFWD_FORWARD_H

#include "db/db.h"
#include "queue.h"
#include "spool.h"

typedef struct {
    qqueue *queue;
    spool *spool;
    const db_params *db;
    int send_timeout_ms;
    size_t max_request_bytes;   /* batches merged into one request, by their size from the agents */
    size_t max_request_batches; /* and by their number */
} forward_config;

int forward_start(const forward_config *cfg);
void forward_stop(void);

/* Spool gauges for the metrics (thread-safe snapshot). */
void forward_spool_stats(size_t *requests, size_t *bytes);

#endif
