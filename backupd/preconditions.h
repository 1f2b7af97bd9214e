/* preconditions: upstream's checks that span artifacts and scheduled
 * tasks, run inside the caller's (serializable) transaction:
 * CheckArtifactOverlapping (section 6.4) and
 * CheckMongoDBBackupPreconditions (section 6.3). */
#ifndef BACKUPD_PRECONDITIONS_H
#define BACKUPD_PRECONDITIONS_H

#include "db/db.h"
#include "rpc.h"
#include "store/store.h"

/* FAILED_PRECONDITION when location + folder hold artifacts or tasks of
 * another service (unless both are MySQL, or MongoDB of one cluster). */
int pre_check_overlap(db *d, const service_rec *svc, const char *location_id, const char *folder, rpc_status *st);

/* mode: "snapshot" | "pitr" | "incremental"; cluster may be ""; the task
 * schedule_id (may be NULL or "") is not counted against itself. */
int pre_check_mongodb(db *d, const char *mode, const char *cluster, const char *service_id,
                      const char *schedule_id, rpc_status *st);

#endif
