/* backup_api: BackupService's StartBackup, GetLogs and
 * ListArtifactCompatibleServices handlers (upstream's
 * management/backup/backup_service.go and compatibility_service.go). */
#ifndef BACKUPD_BACKUP_API_H
#define BACKUPD_BACKUP_API_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"
#include "google/protobuf/duration.pb-c.h"
#include "store/store.h"

extern const rpc_method backup_api_methods[];
extern const size_t backup_api_methods_count;

/* Upstream's limits of retries (10) and retry interval (8h), with their texts. */
int backup_check_retries(uint32_t retries, const Google__Protobuf__Duration *interval, rpc_status *st);

/* The GetLogs answer shape: chunks before the last one, end = the last
 * chunk was reached. Used by the restore and dump logs too. */
typedef struct {
    log_chunk *c;
    size_t n;
    int end;
} logs_page;
void logs_page_of(log_chunk *c, size_t n, logs_page *p);

#endif
