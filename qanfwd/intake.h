/* intake: the pmm-agents' QANCollect batches from agentsd, on a ZeroMQ
 * PULL socket (ipc://<run-dir>/qanfwd.collect.sock, two frames: the
 * pmm-agent id and the agent.v1.QANCollectRequest bytes) into the
 * in-memory queue. agentsd PUSHes without waiting; while qanfwd restarts
 * ZeroMQ keeps up to its high-water mark on agentsd's side. */
#ifndef QANFWD_INTAKE_H
#define QANFWD_INTAKE_H

#include "queue.h"

#define INTAKE_SOCKET "qanfwd.collect.sock"

int intake_start(void *zmq_ctx, const char *run_dir, qqueue *q);
void intake_stop(void);

#endif
