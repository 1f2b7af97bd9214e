/* restores: backup.v1.RestoreService (ListRestores, GetLogs,
 * RestoreBackup) as upstream's backup_service.go RestoreBackup: the
 * artifact's preconditions (section 8), the target's compatibility
 * (section 9), restore_history and the job in one transaction, the job
 * sent to the target's pmm-agent; and what a MongoDB physical restore
 * needs when its job ends (the cluster's mongod and pbm-agent restarted
 * through actions). */
#ifndef BACKUPD_RESTORES_H
#define BACKUPD_RESTORES_H

#include <stddef.h>

#include "bus/bus.h"
#include "db/db.h"
#include "store/store.h"

extern const rpc_method restores_methods[];
extern const size_t restores_methods_count;

/* After a mongodb_restore_backup job's success: for a physical restore,
 * restarts mongod then pbm-agent on the pmm-agents of every member of the
 * service's cluster. RPC_OK, or the first failure. */
int restores_after_mongodb(db *d, const job *j, rpc_status *st);

#endif
