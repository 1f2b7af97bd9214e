/* schedules: BackupService's ScheduleBackup, ListScheduledBackups,
 * ChangeScheduledBackup and RemoveScheduledBackup (upstream's
 * management/backup/backup_service.go and scheduler/), with section 6's
 * validation and texts; every change re-times the scheduler. */
#ifndef BACKUPD_SCHEDULES_H
#define BACKUPD_SCHEDULES_H

#include <stddef.h>

#include "bus/bus.h"

extern const rpc_method schedules_methods[];
extern const size_t schedules_methods_count;

#endif
