/* agent_web_hashes: statements on agent_web_hashes (see
 * agent_web_hashes.h). */
#include "agent_web_hashes.h"

PGresult *store_agent_web_hashes_all(db *d, rpc_status *st)
{
    return db_exec(d, st, "SELECT agent_id, encode(digest, 'hex'), hash FROM agent_web_hashes", 0, NULL);
}

int store_agent_web_hashes_put(db *d, const char *agent_id, const char *digest_bytea, const char *hash, rpc_status *st)
{
    return store_write(d,
                       "INSERT INTO agent_web_hashes (agent_id, digest, hash) "
                       "SELECT $1::varchar, $2::bytea, $3 WHERE EXISTS (SELECT 1 FROM agents WHERE agent_id = $1) "
                       "ON CONFLICT (agent_id) DO UPDATE SET digest = EXCLUDED.digest, hash = EXCLUDED.hash",
                       3, (const char *[]){ agent_id, digest_bytea, hash }, NULL, st);
}
