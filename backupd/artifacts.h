/* artifacts: BackupService's ListArtifacts, DeleteArtifact and
 * ListPitrTimeranges handlers (upstream's artifacts_service.go). */
#ifndef BACKUPD_ARTIFACTS_H
#define BACKUPD_ARTIFACTS_H

#include <stddef.h>

#include "bus/bus.h"

extern const rpc_method artifacts_methods[];
extern const size_t artifacts_methods_count;

#endif
