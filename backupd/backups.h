/* backups: upstream's PerformBackup (managed/services/backup/
 * backup_service.go): the compatibility check, the artifact and job rows
 * in one transaction holding advisory locks on what its checks read (the
 * location folder, the name, the MongoDB cluster) where upstream uses a
 * serializable one, then the job
 * sent to the service's pmm-agent. StartBackup and the scheduler both
 * run it. */
#ifndef BACKUPD_BACKUPS_H
#define BACKUPD_BACKUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "dbhold.h"
#include "rpc.h"
#include "store/store.h"
#include "uuid.h"

typedef struct {
    const char *service_id, *location_id, *name, *description, *folder;
    const char *data_model;  /* "physical" | "logical" */
    const char *mode;        /* "snapshot" | "pitr" | "incremental" */
    const char *schedule_id; /* NULL or "" for an on-demand backup */
    uint32_t retries;
    int64_t retry_interval_ns;
    /* A scheduled run (HA fencing, leader.h): the raft term it was decided
     * under and its due time. The transaction creating its rows first
     * passes the fence at that term, then claims the due time on the task
     * (once, whichever node gets there); either refusal sets *skipped and
     * writes nothing. due_ms 0: an on-demand backup, no fence or claim. */
    int64_t term;
    int64_t due_ms;
    bool *skipped;
} backup_params;

/* The advisory locks (store_lock_keys) a change of artifacts or tasks at
 * a location's folder, of an artifact name, or of a MongoDB cluster's
 * tasks takes in its transaction: the location folder, the name, and for
 * MongoDB the cluster (the service without one). */
int backup_lock_keys(db *d, const char *location_id, const char *folder, const char *name,
                     const store_service_rec *svc, rpc_status *st);

/* RPC_OK with the artifact's id; otherwise st, and *err_code the
 * backup.v1.ErrorCode for the status details (0 for none). A pooled
 * connection of h is given back during the agent round trips (dbhold.h);
 * on return h may hold one or none. */
int backup_perform(dbhold *h, const backup_params *p, char artifact_id[UUID_STR_LEN], int *err_code, rpc_status *st);

#endif
