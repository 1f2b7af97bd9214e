/* agent_web_hashes: the statements on agent_web_hashes, the exporters'
 * bcrypt web-config hashes agentsd keeps (see webcfg.h and
 * common/db/store/store.h). */
#ifndef AGENTSD_STORE_AGENT_WEB_HASHES_H
#define AGENTSD_STORE_AGENT_WEB_HASHES_H

#include "db/store/store.h"

/* Every row: columns (agent_id, digest as hex, hash). */
PGresult *store_agent_web_hashes_all(db *d, rpc_status *st);
/* Keeps the hash of agent_id (digest_bytea: "\\x<hex>") unless the agent
 * is gone meanwhile. */
int store_agent_web_hashes_put(db *d, const char *agent_id, const char *digest_bytea, const char *hash, rpc_status *st);

#endif
