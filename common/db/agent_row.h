/* agent_row: one agents row as a JSON object (column names as keys, JSONB
 * option columns nested, as row_to_json renders it) with the stored
 * secrets decrypted (common/secret.h). Shared by inventoryd, which edits
 * agents, and agentsd, which builds their SetState from them; the secret
 * list is upstream's DefaultAgentEncryptionColumnsV3 plus the private keys
 * inside the JSON columns. */
#ifndef PMM_AGENT_ROW_H
#define PMM_AGENT_ROW_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "db/db.h"
#include "rpc.h"

/* Row `row` of r as a record, secrets as stored; columns whose name starts
 * with '_' (values joined in by the query) are left out when NULL. NULL on
 * ENOMEM or a damaged JSON column. */
json_t *agent_rec_from_row(PGresult *r, int row);

/* The record of row `row` with its secrets decrypted; NULL with st set
 * (INTERNAL, logged without key material) when it cannot be. */
json_t *agent_rec_parse(PGresult *r, int row, rpc_status *st);

/* Every row of sql (n params) as an array of records, secrets decrypted;
 * NULL with st set on failure. */
json_t *agent_rec_query(db *d, const char *sql, int n, const char *const *params, rpc_status *st);

/* A column (key NULL) or a key of a JSONB column; borrowed, may be NULL. */
json_t *agent_rec_get(json_t *rec, const char *col, const char *key);
/* A string column, "" when absent or not a string. */
const char *agent_rec_str(json_t *rec, const char *col);

/* Applies f (secret_encrypt / secret_decrypt) to every stored secret. */
int agent_rec_transform_secrets(json_t *rec, char *(*f)(const char *));
/* Whether a column (key NULL) or a key of a JSONB column holds a secret. */
bool agent_rec_is_secret(const char *col, const char *key);
/* Whether some secret is stored without the "enc:" prefix. */
bool agent_rec_has_plaintext(json_t *rec);

#endif
