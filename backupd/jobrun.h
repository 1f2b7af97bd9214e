/* jobrun: a jobs row carried out on its pmm-agent: the StartJobRequest
 * rebuilt from the row (its artifact or restore, the location) and sent
 * through agentsd, and what a job's end does to the artifact or restore
 * it is for. Used by StartBackup and RestoreBackup, the scheduler, the
 * retries of job_events.c and the watchdog. */
#ifndef BACKUPD_JOBRUN_H
#define BACKUPD_JOBRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"
#include "rpc.h"
#include "store/store.h"

/* What a job's data says (the one member of {"<type>": {...}}). */
typedef struct {
    char service_id[128], artifact_id[64], restore_id[64], mode[32], data_model[32];
} job_target;

/* Reads j->data; 0 or -1 for a row it cannot read. */
int jobrun_target(const job *j, job_target *t);
/* {"<type>": {service_id, artifact_id | restore_id, mode, data_model}} as
 * text (malloc'd); empty strings are left out. */
char *jobrun_data(const char *type, const job_target *t);

/* Builds the job's StartJobRequest and sends it. RPC_OK when the agent
 * accepted it; the caller decides what a refusal does (jobrun_fail). */
int jobrun_start(db *d, const job *j, rpc_status *st);

/* jobrun_start for a backup job whose artifact and location the caller
 * has just written and read (PerformBackup): nothing is read again. */
int jobrun_start_with(const job *j, const artifact *a, const location *l, rpc_status *st);

/* The job failed with reason: the job done with that error, its artifact
 * (backups) or restore set to error, in one transaction. */
int jobrun_fail(db *d, const char *job_id, const char *reason, rpc_status *st);

/* Sets the job's artifact (backups) to status; restores are left alone. */
int jobrun_set_artifact_status(db *d, const job *j, const char *status, rpc_status *st);

#endif
