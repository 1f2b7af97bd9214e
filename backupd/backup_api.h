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

/* The answer of the three GetLogs methods (backups, restores, dumps):
 * resp (a message with "logs" and "end") holding a chunk_desc {chunk_id,
 * data} for every chunk before the last one, end = the last chunk was
 * reached, as upstream. Takes c (freed). */
int logs_respond(rpc_status *st, const ProtobufCMessageDescriptor *resp, const ProtobufCMessageDescriptor *chunk_desc,
                 log_chunk *c, size_t n, ProtobufCMessage **out);

#endif
