/* naming: upstream's checks of artifact names and folders (StartBackup,
 * ScheduleBackup) with their texts, and Go's path.Clean they rely on. */
#ifndef BACKUPD_NAMING_H
#define BACKUPD_NAMING_H

#include <stddef.h>

#include "rpc.h"

/* Go's path.Clean into out (truncated to len). */
void naming_clean(const char *path, char *out, size_t len);
/* INVALID_ARGUMENT for a folder that is not canonical, absolute, a parent
 * or has other characters than dots, colons, slashes, word characters and
 * dashes; "" is fine. */
int naming_check_folder(const char *folder, rpc_status *st);
/* INVALID_ARGUMENT for a name with other characters than dots, colons,
 * word characters and dashes. */
int naming_check_name(const char *name, rpc_status *st);

#endif
