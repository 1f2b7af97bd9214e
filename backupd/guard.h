/* guard: upstream's UnaryServiceEnabledInterceptor for the backup
 * services: with backup_management disabled in the settings every call of
 * BackupService, LocationsService and RestoreService is refused with
 * FailedPrecondition "Service <name> is disabled." before its handler. */
#ifndef BACKUPD_GUARD_H
#define BACKUPD_GUARD_H

#include "bus/bus.h"

/* RPC_OK to go on; otherwise ctx->status is set. */
int guard_enabled(rpc_ctx *ctx);

#endif
