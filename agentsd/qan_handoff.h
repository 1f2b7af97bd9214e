/* qan_handoff: the pmm-agents' QANCollect batches to qanfwd, the QAN
 * forwarder (ipc://<run-dir>/qanfwd.collect.sock, ZeroMQ PUSH; frames:
 * pmm-agent id, agent.v1.QANCollectRequest). The loop never waits: while
 * qanfwd is away ZeroMQ keeps up to QAN_HANDOFF_HWM batches, and beyond
 * that a batch is dropped and counted (pmm_managed_qan_handoff_dropped_total).
 * Upstream answers the agent whatever happens to the data; so do we. */
#ifndef AGENTSD_QAN_HANDOFF_H
#define AGENTSD_QAN_HANDOFF_H

#include <stdio.h>

#include "agent/v1/agent.pb-c.h"

#define QAN_HANDOFF_HWM 10000

/* Before the loop starts (the socket then belongs to the loop thread). */
int qan_handoff_init(void *zmq_ctx, const char *run_dir);
/* Loop thread only. */
void qan_handoff(const char *agent_id, const Agent__V1__QANCollectRequest *req);
/* After the loop stopped. */
void qan_handoff_close(void);

/* Its counters in Prometheus text. */
void qan_handoff_metrics(FILE *f);

#endif
