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

#include <stdbool.h>
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

/* Whether sql returns a row into *found; RPC_OK, or st's code. Store
 * files only. */
int store_exists(db *d, const char *sql, int n, const char *const *params, bool *found, rpc_status *st);

/* The first row's columns 0 and 1 (when out1) of sql into out0 and out1,
 * "" when there is no row; *found (may be NULL): whether there is one.
 * RPC_OK, or st's code. Store files only. */
int store_first(db *d, const char *sql, int n, const char *const *params, char *out0, size_t len0, char *out1,
                size_t len1, bool *found, rpc_status *st);

/* pg_advisory_xact_lock(key): waits for the lock, held until the caller's
 * transaction ends. key is a bigint in decimal. */
int store_xact_lock(db *d, const char *key, rpc_status *st);

/* Runs a statement that reads no table ("SELECT 1"): on a connection that
 * broke, db notices and drops it. RPC_OK, or st's code. */
int store_ping(db *d, rpc_status *st);
/* NOTIFY channel with payload (PostgreSQL delivers it at commit, or at once outside a transaction). */
int store_notify(db *d, const char *channel, const char *payload, rpc_status *st);

/* A PostgreSQL text[] literal of ids, for "= ANY($1::text[])" (malloc'd;
 * NULL on ENOMEM). */
char *store_text_array(const char *const *ids, size_t n);

#endif
