/* versions: the software versions of a service's pmm-agent (GetVersions,
 * through agentsd), kept in service_software_versions, and the section 9
 * check of a service before a backup or restore. */
#ifndef BACKUPD_VERSIONS_H
#define BACKUPD_VERSIONS_H

#include <stddef.h>

#include "db/db.h"
#include "dbhold.h"
#include "rpc.h"
#include "store/store.h"

/* Asks pmm_agent_id (of version agent_version) for svc's software, stores
 * the answer, and checks it (compat.h). RPC_OK with the database's version
 * in db_version ("" when the agent is too old to tell, as upstream skips
 * the check for MongoDB agents before 2.35.0-0); otherwise st and *code
 * (backup.v1.ErrorCode, 0 for none). A pooled connection of h is given
 * back while the agent answers. */
int versions_check(dbhold *h, const store_service_rec *svc, const char *pmm_agent_id, const char *agent_version,
                   char *db_version, size_t len, int *code, rpc_status *st);

/* From the cache only (ListArtifactCompatibleServices): RPC_OK when svc's
 * stored versions pass the checks, db_version filled; NOT_FOUND when
 * nothing is stored. */
int versions_cached(db *d, const store_service_rec *svc, char *db_version, size_t len, rpc_status *st);

#endif
