/* migrate: the numbered schema migrations built into the binaries,
 * applied once under an advisory lock by whichever daemon gets there
 * first, and the readiness check built on them (db.h). */
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* pg_advisory_xact_lock key every daemon agrees on: "PMMMIGR1" as a
 * big-endian int8, unlikely to clash with anyone else's lock. */
#define MIGRATION_LOCK_KEY "5786366090578186801"
#define MIN_PG_VERSION 14

int db_latest_migration(void)
{
    return db_migrations_count > 0 ? db_migrations[db_migrations_count - 1].version : 0;
}

/* Same rule and text as pmm-managed's checkVersion. */
static int check_server_version(PGconn *c)
{
    if (PQserverVersion(c) >= MIN_PG_VERSION * 10000)
        return 0;
    /* "13.4 (Debian 13.4-1)" -> "13.4" */
    const char *full = PQparameterStatus(c, "server_version");
    char shown[64];
    snprintf(shown, sizeof shown, "%s", full ? full : "unknown");
    shown[strcspn(shown, " ")] = '\0';
    log_error("unsupported PMM Server PostgreSQL server version: %s. Please upgrade to version %.1f or newer",
              shown, (double)MIN_PG_VERSION);
    return -1;
}

static int check_migration_set(const db_migration *m, int count)
{
    int prev = 0;
    for (int i = 0; i < count; i++) {
        if (m[i].version <= prev || !m[i].sql) {
            log_error("migration table is broken at entry %d (version %d after %d)", i, m[i].version, prev);
            return -1;
        }
        prev = m[i].version;
    }
    return 0;
}

/* Top of schema_migrations (0 when empty); -1 on error (st set). */
static int current_version(db *d, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT id FROM schema_migrations ORDER BY id DESC LIMIT 1", 0, NULL);
    if (!r)
        return -1;
    int v = PQntuples(r) > 0 ? atoi(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return v;
}

static int exec_step(const char *what, PGresult *r, const rpc_status *st)
{
    if (!r) {
        log_error("failed to execute statement:\n%s: %s", what, st->message);
        return -1;
    }
    PQclear(r);
    return 0;
}

static int apply_one(db *d, const db_migration *m)
{
    rpc_status st;
    log_info("Migrating database to schema version %d ...", m->version);
    if (exec_step(m->sql, db_exec_script(d, &st, m->sql), &st) != 0)
        return -1;
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *params[] = { version };
    const char *insert = "INSERT INTO schema_migrations (id) VALUES ($1)";
    return exec_step(insert, db_exec(d, &st, insert, 1, params), &st);
}

/* Everything after BEGIN; the caller commits or rolls back. */
static int migrate_locked(db *d, const db_migration *m, int count)
{
    rpc_status st;
    /* Daemons starting together queue here; the later ones then find
     * the work done. The lock ends with the transaction. */
    const char *lock = "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_KEY ")";
    if (exec_step(lock, db_exec(d, &st, lock, 0, NULL), &st) != 0)
        return -1;
    const char *create = "CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER NOT NULL, PRIMARY KEY (id))";
    if (exec_step(create, db_exec(d, &st, create, 0, NULL), &st) != 0)
        return -1;
    int current = current_version(d, &st);
    if (current < 0) {
        log_error("cannot read the database schema version: %s", st.message);
        return -1;
    }
    int latest = count > 0 ? m[count - 1].version : 0;
    log_info("Current database schema version: %d. Latest version: %d.", current, latest);
    if (current > latest)
        log_warn("the database schema (version %d) is newer than this program knows (%d)", current, latest);
    for (int i = 0; i < count; i++) {
        if (m[i].version > current && apply_one(d, &m[i]) != 0)
            return -1;
    }
    return 0;
}

int db_migrate_with(db *d, const db_migration *m, int count)
{
    if (!d || count < 0 || (count > 0 && !m) || check_migration_set(m, count) != 0)
        return -1;
    PGconn *c = db_conn(d);
    if (!c) {
        log_error("cannot migrate the database: PostgreSQL is unavailable");
        return -1;
    }
    if (check_server_version(c) != 0)
        return -1;
    rpc_status st;
    if (db_begin(d, &st) != RPC_OK) {
        log_error("cannot migrate the database: %s", st.message);
        return -1;
    }
    if (migrate_locked(d, m, count) != 0) {
        /* PostgreSQL DDL is transactional: nothing of this run remains */
        db_rollback(d);
        return -1;
    }
    if (db_commit(d, &st) != RPC_OK) {
        log_error("cannot commit the database migrations: %s", st.message);
        return -1;
    }
    return 0;
}

int db_migrate(db *d)
{
    return db_migrate_with(d, db_migrations, db_migrations_count);
}

int db_ready(db *d, char *reason, size_t reason_len)
{
    char scratch[8];
    if (!reason || reason_len == 0) {
        reason = scratch;
        reason_len = sizeof scratch;
    }
    reason[0] = '\0';
    rpc_status st;
    /* to_regclass: no error (and no aborted transaction) when it is missing */
    PGresult *r = db_exec(d, &st, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL);
    if (!r) {
        snprintf(reason, reason_len, "PostgreSQL: %s", st.message);
        return st.code == RPC_UNAVAILABLE ? -1 : 0;
    }
    bool have_table = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    int current = 0;
    if (have_table && (current = current_version(d, &st)) < 0) {
        snprintf(reason, reason_len, "PostgreSQL: %s", st.message);
        return st.code == RPC_UNAVAILABLE ? -1 : 0;
    }
    int latest = db_latest_migration();
    if (current < latest) {
        snprintf(reason, reason_len, "database schema version %d, waiting for %d", current, latest);
        return 0;
    }
    return 1;
}
