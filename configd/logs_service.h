/* logs_service: internal.v1.LogsService/Zip, the archive behind the
 * gateway's GET /v1/server/logs.zip, built from configd's flags. */
#ifndef CONFIGD_LOGS_SERVICE_H
#define CONFIGD_LOGS_SERVICE_H

#include <stddef.h>

#include "bus/bus.h"

extern const rpc_method logs_methods[];
extern const size_t logs_methods_count;

#endif
