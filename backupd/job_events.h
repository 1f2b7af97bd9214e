/* job_events: what the agents report of their jobs, as agentsd publishes
 * it (job.result, job.progress: internal.v1.JobEvent), stored by one
 * thread with its own PostgreSQL connection (upstream's handleJobResult
 * and handleJobProgress):
 *   - progress logs -> job_logs (done -> last_chunk);
 *   - a result -> in one transaction the job done and its artifact
 *     (success with its metadata) or restore (success, finished_at); a
 *     MongoDB physical restore first restarts mongod and pbm-agent on the
 *     cluster's members (restores.c); a scheduled artifact's success then
 *     applies the schedule's retention (retention.c);
 *   - an error -> the artifact or restore in error; a job with retries
 *     left is restarted after its interval instead (retries - 1).
 * A job lost by its agent (watchdog.c) goes through the same error path.
 * Events are hints: the watchdog settles jobs whose result never came. */
#ifndef BACKUPD_JOB_EVENTS_H
#define BACKUPD_JOB_EVENTS_H

#include <stdbool.h>

#include "app.h"
#include "db/db.h"
#include "rpc.h"

/* Starts the thread: subscribes to <run_dir>/agentsd.pub. 0 or -1. */
int job_events_start(void *zmq_ctx, const char *run_dir, app *a);
void job_events_stop(void);

/* The job failed with reason (its agent's error, or lost): retried after
 * its interval when it has retries left, else the job done with the error
 * and its artifact or restore in error. Any thread, its own connection. */
int job_events_fail(db *d, const char *job_id, const char *reason, rpc_status *st);

/* Whether a restart of the job is waiting for its interval. */
bool job_events_retry_pending(const char *job_id);

#endif
