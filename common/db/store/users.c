/* users: the statements on the users table, its login locks (migration
 * 0005_login_locks) included; declared in db/credentials.h. inventoryd
 * (Authenticate, the lockout API, the first admin) and pmmctl write it.
 * Every change a gateway may have cached notifies CRED_CHANNEL in the same
 * statement. */
#include "db/credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/store/internal.h"
#include "db/store/store.h"

int cred_user_put(db *d, const char *login, const char *password, const char *role, bool replace,
                  rpc_status *st)
{
    if (!login || !*login)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "empty login");
    if (!cred_role_valid(role))
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "role must be viewer, editor or admin");
    if (!password || !*password)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "empty password");
    char hash[crypto_pwhash_STRBYTES];
    if (cred_hash_password(password, hash) != 0)
        return rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory hashing the password");
    const char *params[] = { login, hash, role };
    /* a new password or role revokes what gateways cached for the old */
    const char *sql = replace
        ? "WITH u AS (INSERT INTO users (login, password_hash, role, created_at, updated_at) "
          "VALUES ($1, $2, $3, " NOW ", " NOW ") "
          "ON CONFLICT (login) DO UPDATE SET password_hash = $2, role = $3, updated_at = " NOW " RETURNING login) "
          "SELECT pg_notify('" CRED_CHANNEL "', 'user:' || login) FROM u"
        : "WITH u AS (INSERT INTO users (login, password_hash, role, created_at, updated_at) "
          "VALUES ($1, $2, $3, " NOW ", " NOW ") RETURNING login) "
          "SELECT pg_notify('" CRED_CHANNEL "', 'user:' || login) FROM u";
    long rows = 0;
    int code = store_write(d, sql, 3, params, &rows, st);
    sodium_memzero(hash, sizeof hash);
    if (code == RPC_ALREADY_EXISTS)
        return rpc_fail(st, RPC_ALREADY_EXISTS, "user %s already exists", login);
    return code;
}

int cred_user_remove(db *d, const char *login, rpc_status *st)
{
    long rows = 0;
    if (store_write(d,
                    "WITH u AS (DELETE FROM users WHERE login = $1 RETURNING login) "
                    "SELECT pg_notify('" CRED_CHANNEL "', 'user:' || login) FROM u",
                    1, (const char *[]){ login }, &rows, st))
        return st->code;
    return rows ? RPC_OK : rpc_fail(st, RPC_NOT_FOUND, "no user %s", login);
}

int cred_user_get(db *d, const char *login, cred_user *out, rpc_status *st)
{
    memset(out, 0, sizeof *out);
    PGresult *r = db_exec(d, st,
                          "SELECT password_hash, role, failed_logins, "
                          "coalesce(locked_until > " NOW ", false), user_id FROM users WHERE login = $1",
                          1, (const char *[]){ login });
    if (!r)
        return st->code;
    int rc = RPC_NOT_FOUND;
    if (PQntuples(r) == 1) {
        snprintf(out->password_hash, sizeof out->password_hash, "%s", PQgetvalue(r, 0, 0));
        snprintf(out->role, sizeof out->role, "%s", PQgetvalue(r, 0, 1));
        out->failed_logins = atoi(PQgetvalue(r, 0, 2));
        out->locked = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
        out->user_id = (uint32_t)strtoul(PQgetvalue(r, 0, 4), NULL, 10);
        rc = RPC_OK;
    }
    PQclear(r);
    return rc == RPC_OK ? RPC_OK : rpc_fail(st, RPC_NOT_FOUND, "no user %s", login);
}

int cred_user_login_failed(db *d, const char *login, int max_failures, int window_s, int lock_s, bool *locked_now,
                           rpc_status *st)
{
    char window[32], lock[32], max[16];
    snprintf(window, sizeof window, "%d seconds", window_s);
    snprintf(lock, sizeof lock, "%d seconds", lock_s);
    snprintf(max, sizeof max, "%d", max_failures);
    /* SET sees the old row: "recent" is whether the window still runs; now()
     * is the same all through the statement, so RETURNING can tell a lock
     * this statement set. */
    PGresult *r = db_exec(d, st,
                          "UPDATE users SET "
                          "failed_logins = CASE WHEN first_failed_at > " NOW " - $2::interval "
                          "THEN failed_logins + 1 ELSE 1 END, "
                          "first_failed_at = CASE WHEN first_failed_at > " NOW " - $2::interval "
                          "THEN first_failed_at ELSE " NOW " END, "
                          "locked_until = CASE WHEN (CASE WHEN first_failed_at > " NOW " - $2::interval "
                          "THEN failed_logins + 1 ELSE 1 END) >= $3::int "
                          "AND coalesce(locked_until <= " NOW ", true) THEN " NOW " + $4::interval "
                          "ELSE locked_until END "
                          "WHERE login = $1 RETURNING coalesce(locked_until = " NOW " + $4::interval, false)",
                          4, (const char *[]){ login, window, max, lock });
    if (!r)
        return st->code;
    *locked_now = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return RPC_OK;
}

int cred_user_login_ok(db *d, const char *login, rpc_status *st)
{
    return store_write(d,
                       "UPDATE users SET failed_logins = 0, first_failed_at = NULL "
                       "WHERE login = $1 AND failed_logins <> 0",
                       1, (const char *[]){ login }, NULL, st);
}

int cred_user_unlock(db *d, const char *login, rpc_status *st)
{
    long rows = 0;
    if (store_write(d,
                    "WITH u AS (UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL "
                    "WHERE login = $1 RETURNING login) "
                    "SELECT pg_notify('" CRED_CHANNEL "', 'user:' || login) FROM u",
                    1, (const char *[]){ login }, &rows, st))
        return st->code;
    return rows ? RPC_OK : rpc_fail(st, RPC_NOT_FOUND, "no user %s", login);
}

int cred_user_locks(db *d, cred_lock *out, int max, int *n, rpc_status *st)
{
    *n = 0;
    PGresult *r = db_exec(d, st,
                          "SELECT login, failed_logins, CASE WHEN locked_until > " NOW " THEN "
                          "ceil(extract(epoch FROM locked_until))::bigint ELSE 0 END FROM users "
                          "WHERE locked_until > " NOW " OR failed_logins > 0 ORDER BY login",
                          0, NULL);
    if (!r)
        return st->code;
    for (int i = 0; i < PQntuples(r) && *n < max; i++) {
        cred_lock *l = &out[(*n)++];
        snprintf(l->login, sizeof l->login, "%s", PQgetvalue(r, i, 0));
        l->failed_logins = atoi(PQgetvalue(r, i, 1));
        l->locked_until_s = strtoll(PQgetvalue(r, i, 2), NULL, 10);
    }
    PQclear(r);
    return RPC_OK;
}
