/* backup_requests: the requests backupd makes of a pmm-agent besides its
 * jobs, carried over the agent's stream as upstream's agents service does
 * them: GetVersions (versioner.go; backup compatibility), PBMSwitchPITR
 * (agents.go; with the service's DSN filled in here, so that backupd never
 * holds database credentials) and the restart_sys_service_params action
 * MongoDB physical restores use (actions.go
 * StartRestartSystemServiceAction). internal.v1.AgentsService methods. */
#ifndef AGENTSD_BACKUP_REQUESTS_H
#define AGENTSD_BACKUP_REQUESTS_H

#include <stddef.h>

#include "bus/bus.h"
#include "conn.h"

extern const rpc_method backup_requests_methods[];
extern const size_t backup_requests_methods_count;

/* How requests reach the agent (conn_request; tests put a fake here). */
extern conn_sender backup_requests_send;
/* Its reply relayed without a waiting worker (tests: NULL, then backup_requests_send waits). */
extern conn_async_sender backup_requests_send_async;

#endif
