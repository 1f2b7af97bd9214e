/* dumps: dump.v1beta1.DumpService (StartDump, ListDumps, DeleteDump,
 * GetDumpLogs, UploadDump) over the native dumps of dumper.c; uploads go
 * over SFTP (sftp.c). */
#ifndef BACKUPD_DUMPS_H
#define BACKUPD_DUMPS_H

#include <stddef.h>

#include "bus/bus.h"

extern const rpc_method dumps_methods[];
extern const size_t dumps_methods_count;

#endif
