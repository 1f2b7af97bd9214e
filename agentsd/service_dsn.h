/* service_dsn: a service's connection as a pmm-agent gets it (upstream's
 * models.FindDSNByServiceIDandPMMAgentID): the DSN and TLS files of the
 * service's agent on a given pmm-agent, for actions (actions_start.c)
 * and the jobs and PBM requests backupd asks for (backup_requests.c,
 * jobs.c). The DSN carries the password: never log it. */
#ifndef AGENTSD_SERVICE_DSN_H
#define AGENTSD_SERVICE_DSN_H

#include <jansson.h>

#include "agentsd/state/dsn.h"
#include "db/db.h"
#include "rpc.h"

typedef struct {
    char pmm_agent_id[128];
    json_t *service, *agent; /* the rows, secrets decrypted */
    agent_ver ver;
    char *dsn;
    json_t *files;
    delims d;
} sdsn_target;

void sdsn_clear(sdsn_target *t);

/* The service row; NOT_FOUND `Service with ID "<id>" not found.` */
json_t *sdsn_find_service(db *d, const char *id, rpc_status *st);

/* With t->service and t->pmm_agent_id set: the service's agent on that
 * pmm-agent, its DSN (database, or the service's) and TLS files. */
int sdsn_resolve(db *d, sdsn_target *t, const char *database, rpc_status *st);
/* service_id on pmm_agent_id in one call (t zeroed first). */
int sdsn_for_service(db *d, const char *service_id, const char *pmm_agent_id, sdsn_target *t, rpc_status *st);

/* TextFiles {files, delimiters} of t; NULL on ENOMEM. */
ProtobufCMessage *sdsn_text_files(const sdsn_target *t);

#endif
