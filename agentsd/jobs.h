/* jobs: internal.v1.JobsService, the jobs API other daemons (backupd) use:
 * StartJob, StopJob and JobStatus carried to the pmm-agent as upstream's
 * managed/services/agents/jobs.go does, and the agent's own JobResult and
 * JobProgress published on agentsd's bus ("job.result", "job.progress",
 * payload internal.v1.JobEvent) for the job's owner. The jobs rows belong
 * to the owner: agentsd keeps no job state. */
#ifndef AGENTSD_JOBS_H
#define AGENTSD_JOBS_H

#include <stddef.h>

#include "agent/v1/agent.pb-c.h"
#include "bus/bus.h"
#include "conn.h"
#include "rpc.h"

extern const rpc_method jobs_methods[];
extern const size_t jobs_methods_count;

/* How requests reach the agent (conn_request; tests put a fake here). */
extern conn_sender jobs_send;
/* Its reply relayed without a waiting worker (tests: NULL, then jobs_send waits). */
extern conn_async_sender jobs_send_async;

/* A JobResult or JobProgress of pmm_agent_id as its bus event: *topic and
 * the packed JobEvent (*buf, malloc'd, *len). 0, or -1 for another
 * message or out of memory. */
int jobs_event(const char *pmm_agent_id, const Agent__V1__AgentMessage *msg, const char **topic, uint8_t **buf,
               size_t *len);

#endif
