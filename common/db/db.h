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
    char *addr;      /* host:port ("127.0.0.1:5432", "[::1]:5432"), or a unix
                        socket directory, optionally with ":port" ("/run/pg:5433") */
    char *dbname;    /* "pmm-managed"; empty -> "postgres" as upstream */
    char *user;
    char *password;
    char *password_file; /* when set, its first line is the password (read at
                            each connection, so it may be rotated) */
    char *sslmode;   /* disable | require | verify-ca | verify-full */
    char *sslrootcert, *sslcert, *sslkey;
    char *dsn;       /* when set (libpq conninfo/URI), used instead of all the above */
} db_params;

/* Frees every field and zeroes *p. */
void db_params_clear(db_params *p);

/* The password to use: the first line of p->password_file when that is
 * set (0, or -1 with errno when it cannot be read or is empty), else
 * p->password ("" when none). Wipe out after use. */
int db_params_password(const db_params *p, char *out, size_t outlen);

typedef struct db db;

/* Does not connect yet; never fails except on ENOMEM. Copies params.
 * A db is one connection: use it from one thread at a time. */
db *db_new(const db_params *p);
void db_destroy(db *d);

/* The live connection, (re)connecting when needed; NULL when PostgreSQL
 * cannot be reached right now (the reason is logged, without passwords). */
PGconn *db_conn(db *d);

/* Runs a parameterised statement. Returns the result (PGRES_COMMAND_OK or
 * PGRES_TUPLES_OK) or NULL with st filled: connection trouble (also SQLSTATE
 * class 08, 57P01-57P03, 53300) -> UNAVAILABLE, unique violation (23505) ->
 * ALREADY_EXISTS, FK violation (23503) -> FAILED_PRECONDITION, check
 * (23514) / not-null (23502) violation and data exceptions (class 22, e.g.
 * 22P02 invalid text) -> INVALID_ARGUMENT, serialization failure / deadlock
 * (40001, 40P01) -> ABORTED, anything else -> INTERNAL. st->message is
 * PostgreSQL's primary message, which names the violated constraint.
 * A broken connection is dropped so the next call reconnects; if it broke
 * inside db_begin/db_commit, every call fails with UNAVAILABLE until
 * db_rollback, so the rest of a transaction never runs in autocommit.
 * Caller PQclear()s the result. */
PGresult *db_exec(db *d, rpc_status *st, const char *sql, int nparams, const char *const *params);
/* Runs a parameterless script that may hold several statements (simple
 * query protocol); returns the last statement's result like db_exec
 * (PGRES_EMPTY_QUERY for a script of comments only). For migrations and
 * tests; never build its text from input. */
PGresult *db_exec_script(db *d, rpc_status *st, const char *sql);

/* Transactions: BEGIN / COMMIT / ROLLBACK. Return 0 or an RPC code (st set).
 * COMMIT of a transaction that failed earlier returns ABORTED. */
int db_begin(db *d, rpc_status *st);
/* A read-only REPEATABLE READ transaction: reads that see one snapshot,
 * begun in one round trip. End it with db_rollback (or db_commit). */
int db_begin_snapshot(db *d, rpc_status *st);
int db_commit(db *d, rpc_status *st);
void db_rollback(db *d);

/* Applies every built-in migration newer than schema_migrations' top, in
 * one transaction, under pg_advisory_xact_lock so that daemons starting
 * together apply them once. Refuses PostgreSQL < 14 with upstream's error
 * text. Returns 0, or -1 (logged); a failure leaves the schema untouched.
 * Daemons retry it (upstream: every 1 s for up to 5 min). */
int db_migrate(db *d);
/* 1 when connected and at the latest migration, 0 when behind, -1 when
 * PostgreSQL is unreachable. reason gets a short human text when not 1. */
int db_ready(db *d, char *reason, size_t reason_len);
/* Highest migration built into this binary. */
int db_latest_migration(void);
/* Sets libpq's application_name for connections made from now on
 * (default: the program's name); shows in pg_stat_activity. */
void db_set_application_name(db *d, const char *name);

/* Built from common/migrations/NNNN_name.sql by tools/embed_sql.sh. */
typedef struct {
    int version;
    const char *name;
    const char *sql;
} db_migration;
extern const db_migration db_migrations[];
extern const int db_migrations_count;
/* db_migrate with another migration set (versions strictly increasing,
 * from 1); db_migrate uses the built-in one. For tests. */
int db_migrate_with(db *d, const db_migration *migrations, int count);

/* Standard flags/env for a daemon: --postgres-addr PMM_POSTGRES_ADDR ...
 * Expands to cfg_option initialisers targeting the fields of p. */
#define DB_CFG_OPTIONS(p) \
    { "postgres-addr", "PMM_POSTGRES_ADDR", CFG_STRING, "127.0.0.1:5432", "PostgreSQL host:port or unix socket directory", &(p)->addr }, \
    { "postgres-name", "PMM_POSTGRES_DBNAME", CFG_STRING, "pmm-managed", "PostgreSQL database name", &(p)->dbname }, \
    { "postgres-username", "PMM_POSTGRES_USERNAME", CFG_STRING, "pmm-managed", "PostgreSQL user", &(p)->user }, \
    { "postgres-password", "PMM_POSTGRES_DBPASSWORD", CFG_STRING, "pmm-managed", "PostgreSQL password", &(p)->password }, \
    { "postgres-password-file", "PMM_POSTGRES_DBPASSWORD_FILE", CFG_STRING, "", "file whose first line is the PostgreSQL password; overrides postgres-password", &(p)->password_file }, \
    { "postgres-ssl-mode", "PMM_POSTGRES_SSL_MODE", CFG_STRING, "disable", "disable, require, verify-ca or verify-full", &(p)->sslmode }, \
    { "postgres-ssl-ca-path", "PMM_POSTGRES_SSL_CA_PATH", CFG_STRING, "", "CA certificate path", &(p)->sslrootcert }, \
    { "postgres-ssl-cert-path", "PMM_POSTGRES_SSL_CERT_PATH", CFG_STRING, "", "client certificate path", &(p)->sslcert }, \
    { "postgres-ssl-key-path", "PMM_POSTGRES_SSL_KEY_PATH", CFG_STRING, "", "client key path", &(p)->sslkey }, \
    { "postgres-dsn", "PMM_POSTGRES_DSN", CFG_STRING, "", "libpq connection string; overrides the postgres-* settings", &(p)->dsn }

#endif
