/* enums: the stored strings of backups (artifact_model.go) and their
 * backup.v1 enum values. */
#ifndef BACKUPD_ENUMS_H
#define BACKUPD_ENUMS_H

#include <stdint.h>

#include "google/protobuf/timestamp.pb-c.h"

/* "physical" | "logical" <-> DataModel; NULL / 0 for anything else. */
int enum_data_model(const char *s);
const char *str_data_model(int v);
/* "snapshot" | "incremental" | "pitr" <-> BackupMode. */
int enum_backup_mode(const char *s);
const char *str_backup_mode(int v);
/* artifacts.status -> BackupStatus. */
int enum_backup_status(const char *s);
/* restore_history.status -> RestoreStatus. */
int enum_restore_status(const char *s);

/* A malloc'd Timestamp of Unix milliseconds (NULL for 0 or ENOMEM). */
Google__Protobuf__Timestamp *ts_from_ms(int64_t ms);
/* Unix milliseconds of a Timestamp (0 for NULL). */
int64_t ts_to_ms(const Google__Protobuf__Timestamp *t);

#endif
