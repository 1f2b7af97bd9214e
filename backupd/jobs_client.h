/* jobs_client: backupd's calls to agentsd, which carries them to the
 * pmm-agent over its stream (backupd never speaks to an agent itself):
 * jobs (internal.v1.JobsService) and the other requests backups make
 * (internal.v1.AgentsService: GetVersions, PBMSwitchPITR,
 * RestartSystemService). Any thread may call these (bus clients are per
 * thread, common/bus/peers.h). */
#ifndef BACKUPD_JOBS_CLIENT_H
#define BACKUPD_JOBS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/v1/agent.pb-c.h"
#include "rpc.h"

/* Sends req to pmm_agent_id; service_id (may be NULL) asks agentsd to fill
 * in the service's connection. A non-empty StartJobResponse.error fails
 * with INTERNAL and that text, as upstream's errors.New(resp.Error). */
int jc_start_job(const char *pmm_agent_id, const char *service_id, Agent__V1__StartJobRequest *req, rpc_status *st);
int jc_stop_job(const char *pmm_agent_id, const char *job_id, rpc_status *st);
int jc_job_status(const char *pmm_agent_id, const char *job_id, bool *alive, rpc_status *st);

/* Software kinds of GetVersionsRequest. */
typedef enum { SW_MYSQLD, SW_XTRABACKUP, SW_XBCLOUD, SW_QPRESS, SW_MONGOD, SW_PBM } sw_kind;
/* "mysqld", "xtrabackup", "xbcloud", "qpress", "mongodb", "pbm": the names
 * upstream stores in service_software_versions. */
const char *sw_name(sw_kind k);

typedef struct {
    char version[128];
    char error[512];
} sw_version;

/* The agent's versions of n kinds, in order. */
int jc_get_versions(const char *pmm_agent_id, const sw_kind *kinds, size_t n, sw_version *out, rpc_status *st);
int jc_pbm_switch_pitr(const char *pmm_agent_id, const char *service_id, bool enabled, rpc_status *st);
/* system_service: agent.v1 RestartSystemServiceParams.SystemService. */
int jc_restart_service(const char *pmm_agent_id, int system_service, rpc_status *st);

#endif
