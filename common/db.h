/* db: one PostgreSQL connection (libpq) that reconnects by itself, the
 * statement helpers every daemon uses, SQLSTATE -> gRPC code mapping, and
 * the numbered migrations built into the binaries. A daemon holds a small
 * fixed number of these (one per bus worker), whatever the fleet size. */
#ifndef PMM_DB_H
#define PMM_DB_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "rpc.h"

typedef struct {
    char *addr;      /* host:port, or a directory for a unix socket; "127.0.0.1:5432" */
    char *dbname;    /* "pmm-managed" */
    char *user;
    char *password;
    char *sslmode;   /* disable | require | verify-ca | verify-full */
    char *sslrootcert, *sslcert, *sslkey;
    char *dsn;       /* when set (libpq conninfo/URI), used instead of all the above */
} db_params;

typedef struct db db;

/* Does not connect yet; never fails except on ENOMEM. Copies params. */
db *db_new(const db_params *p);
void db_destroy(db *d);

/* The live connection, (re)connecting when needed; NULL when PostgreSQL
 * cannot be reached right now (the reason is logged, without passwords). */
PGconn *db_conn(db *d);

/* Runs a parameterised statement. Returns the result (PGRES_COMMAND_OK or
 * PGRES_TUPLES_OK) or NULL with st filled: connection trouble -> UNAVAILABLE,
 * unique violation (23505) -> ALREADY_EXISTS, FK violation (23503) ->
 * FAILED_PRECONDITION, check violation (23514) / invalid text (22P02) ->
 * INVALID_ARGUMENT, anything else -> INTERNAL. A broken connection is reset
 * so the next call reconnects. Caller PQclear()s the result. */
PGresult *db_exec(db *d, rpc_status *st, const char *sql, int nparams, const char *const *params);

/* Transactions: BEGIN / COMMIT / ROLLBACK. Return 0 or an RPC code (st set). */
int db_begin(db *d, rpc_status *st);
int db_commit(db *d, rpc_status *st);
void db_rollback(db *d);

/* Applies every built-in migration newer than schema_migrations' top, in
 * one transaction, under pg_advisory_xact_lock so that daemons starting
 * together apply them once. Returns 0, or -1 (logged). */
int db_migrate(db *d);
/* 1 when connected and at the latest migration, 0 when behind, -1 when
 * PostgreSQL is unreachable. reason gets a short human text when not 1. */
int db_ready(db *d, char *reason, size_t reason_len);
/* Highest migration built into this binary. */
int db_latest_migration(void);

/* Built from common/migrations/NNNN_name.sql by tools/embed_sql.sh. */
typedef struct {
    int version;
    const char *name;
    const char *sql;
} db_migration;
extern const db_migration db_migrations[];
extern const int db_migrations_count;

/* Standard flags/env for a daemon: --postgres-addr PMM_POSTGRES_ADDR ...
 * Expands to cfg_option initialisers targeting the fields of p. */
#define DB_CFG_OPTIONS(p) \
    { "postgres-addr", "PMM_POSTGRES_ADDR", CFG_STRING, "127.0.0.1:5432", "PostgreSQL host:port or unix socket directory", &(p)->addr }, \
    { "postgres-name", "PMM_POSTGRES_DBNAME", CFG_STRING, "pmm-managed", "PostgreSQL database name", &(p)->dbname }, \
    { "postgres-username", "PMM_POSTGRES_USERNAME", CFG_STRING, "pmm-managed", "PostgreSQL user", &(p)->user }, \
    { "postgres-password", "PMM_POSTGRES_DBPASSWORD", CFG_STRING, "pmm-managed", "PostgreSQL password", &(p)->password }, \
    { "postgres-ssl-mode", "PMM_POSTGRES_SSL_MODE", CFG_STRING, "disable", "disable, require, verify-ca or verify-full", &(p)->sslmode }, \
    { "postgres-ssl-ca-path", "PMM_POSTGRES_SSL_CA_PATH", CFG_STRING, "", "CA certificate path", &(p)->sslrootcert }, \
    { "postgres-ssl-cert-path", "PMM_POSTGRES_SSL_CERT_PATH", CFG_STRING, "", "client certificate path", &(p)->sslcert }, \
    { "postgres-ssl-key-path", "PMM_POSTGRES_SSL_KEY_PATH", CFG_STRING, "", "client key path", &(p)->sslkey }, \
    { "postgres-dsn", "PMM_POSTGRES_DSN", CFG_STRING, "", "libpq connection string; overrides the postgres-* settings", &(p)->dsn }

#endif
