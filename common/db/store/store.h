/* store: where SQL lives. Every statement on a table is in that table's
 * store file: common/db/store/<table>.c for the tables several daemons
 * read or write (nodes, services, agents), <daemon>/store/<table>.c for a
 * table one daemon owns. A statement is filed under the table it is
 * about (its FROM, or the table it writes); a read may join the tables it
 * needs, a write touches only its own table, and no handler holds SQL of
 * its own (tools/check_layers.sh checks both). Which daemon may write
 * which table is in docs/ARCHITECTURE.md.
 *
 * Reads return rows as JSON records (column names as keys, JSONB columns
 * nested, agents' secrets decrypted: db/agent_row.h) or, for the few
 * statements whose columns are not a table's own, a PGresult whose
 * columns the function's comment lists. Writes return an RPC code. Every
 * function runs on the caller's connection, inside the caller's
 * transaction if one is open. */
#ifndef PMM_STORE_H
#define PMM_STORE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "db/db.h"
#include "rpc.h"

/* The first row of sql ($1 = id) as a record; NULL when there is none
 * (st untouched) or on error (st set). Store files only. */
json_t *store_row(db *d, const char *sql, const char *id, rpc_status *st);
/* Every row of sql as records; NULL with st set on error. Store files
 * only. */
json_t *store_rows(db *d, const char *sql, int n, const char *const *params, rpc_status *st);
/* Runs a write; RPC_OK, or st's code. *changed (may be NULL): rows it
 * touched. Store files only. */
int store_write(db *d, const char *sql, int n, const char *const *params, long *changed, rpc_status *st);

/* A PostgreSQL text[] literal of ids, for "= ANY($1::text[])" (malloc'd;
 * NULL on ENOMEM). */
char *store_text_array(const char *const *ids, size_t n);

#endif
