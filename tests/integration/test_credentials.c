/* test_credentials: users and service tokens against a real PostgreSQL
 * (common/db/credentials.c): the per-user lock after wrong passwords and
 * its window, lifting it, one token per name (and migration 0005 renaming
 * older duplicates), the NOTIFY every change sends for the gateways; and
 * inventoryd's Authenticate in front of them: the lock, the delays per
 * address, and a working session that survives a lock. */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db/credentials.h"
#include "db/db.h"
#include "internal/v1/auth.pb-c.h"
#include "inventoryd/app.h"
#include "inventoryd/login_throttle.h"
#include "inventoryd/users.h"
#include "pbutil.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/pgtest.h"
#include "tests/lib/rpccall.h"

static db_params params;
static db *d;
static app the_app;
static daemon_worker w;

static void setup(void)
{
    ck_assert_int_ge(sodium_init(), 0);
    ck_assert_int_eq(pgtest_fresh_db("test_credentials", &params), 0);
    d = db_new(&params);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(db_migrate(d), 0);
    w.db = d;
    w.app = &the_app;
    throttle_clear(NULL);
}

static void teardown(void)
{
    db_destroy(d);
    pgtest_params_clear(&params);
}

static char *scalar(const char *sql)
{
    rpc_status st;
    PGresult *r = db_exec(d, &st, sql, 0, NULL);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    char *v = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return v;
}

static void assert_scalar(const char *sql, const char *want)
{
    char *v = scalar(sql);
    ck_assert_msg(strcmp(v, want) == 0, "%s: got %s, want %s", sql, v, want);
    free(v);
}

static void add_user(const char *login, const char *password)
{
    rpc_status st;
    ck_assert_int_eq(cred_user_put(d, login, password, "viewer", false, &st), RPC_OK);
}

static bool fail_login(const char *login)
{
    rpc_status st;
    bool locked_now = false;
    ck_assert_int_eq(cred_user_login_failed(d, login, 5, 300, 300, &locked_now, &st), RPC_OK);
    return locked_now;
}

START_TEST(lock_after_five_failures_within_the_window)
{
    add_user("alice", "pw");
    rpc_status st;
    cred_user u;
    for (int i = 1; i <= 4; i++)
        ck_assert(!fail_login("alice"));
    ck_assert_int_eq(cred_user_get(d, "alice", &u, &st), RPC_OK);
    ck_assert_int_eq(u.failed_logins, 4);
    ck_assert(!u.locked);
    ck_assert(fail_login("alice"));   /* the fifth locks */
    ck_assert(!fail_login("alice"));  /* later ones do not lock again */
    ck_assert_int_eq(cred_user_get(d, "alice", &u, &st), RPC_OK);
    ck_assert(u.locked);
    ck_assert_int_eq(u.failed_logins, 6);
    ck_assert_str_eq(u.role, "viewer");
    ck_assert(strncmp(u.password_hash, "$argon2id$", 10) == 0);
    assert_scalar("SELECT locked_until - now() AT TIME ZONE 'UTC' BETWEEN interval '299 seconds' AND "
                  "interval '300 seconds' FROM users WHERE login = 'alice'", "t");

    cred_lock locks[4];
    int n = 0;
    ck_assert_int_eq(cred_user_locks(d, locks, 4, &n, &st), RPC_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(locks[0].login, "alice");
    ck_assert_int_gt(locks[0].locked_until_s, 0);

    ck_assert_int_eq(cred_user_unlock(d, "alice", &st), RPC_OK);
    ck_assert_int_eq(cred_user_get(d, "alice", &u, &st), RPC_OK);
    ck_assert(!u.locked);
    ck_assert_int_eq(u.failed_logins, 0);
    ck_assert_int_eq(cred_user_locks(d, locks, 4, &n, &st), RPC_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(cred_user_unlock(d, "nobody", &st), RPC_NOT_FOUND);
    ck_assert_int_eq(cred_user_get(d, "nobody", &u, &st), RPC_NOT_FOUND);
}
END_TEST

START_TEST(old_failures_are_forgotten)
{
    add_user("bob", "pw");
    rpc_status st;
    cred_user u;
    for (int i = 0; i < 4; i++)
        fail_login("bob");
    /* the window began six minutes ago: the next failure starts a new one */
    PGresult *r = db_exec(d, &st, "UPDATE users SET first_failed_at = first_failed_at - interval '6 minutes'", 0, NULL);
    ck_assert_ptr_nonnull(r);
    PQclear(r);
    ck_assert(!fail_login("bob"));
    ck_assert_int_eq(cred_user_get(d, "bob", &u, &st), RPC_OK);
    ck_assert_int_eq(u.failed_logins, 1);
    ck_assert(!u.locked);
    /* an accepted password forgets the failures */
    ck_assert_int_eq(cred_user_login_ok(d, "bob", &st), RPC_OK);
    ck_assert_int_eq(cred_user_get(d, "bob", &u, &st), RPC_OK);
    ck_assert_int_eq(u.failed_logins, 0);
    /* failures of a login that is no user change nothing */
    ck_assert(!fail_login("nobody"));
}
END_TEST

START_TEST(one_token_per_name)
{
    rpc_status st;
    char tok[CRED_TOKEN_MAX], again[CRED_TOKEN_MAX];
    ck_assert_int_eq(cred_token_create(d, "ci", "admin", NULL, tok, &st), RPC_OK);
    /* a retried create (its first answer lost) is refused, not doubled */
    ck_assert_int_eq(cred_token_create(d, "ci", "admin", NULL, again, &st), RPC_ALREADY_EXISTS);
    ck_assert_str_eq(st.message, "token ci already exists");
    assert_scalar("SELECT count(*) FROM service_tokens WHERE name = 'ci'", "1");
    char *name = NULL, *role = NULL;
    ck_assert_int_eq(cred_token_get(d, tok, &name, &role, &st), RPC_OK);
    ck_assert_str_eq(name, "ci");
    ck_assert_str_eq(role, "admin");
    free(name);
    free(role);
    ck_assert_int_eq(cred_token_get(d, "pmmsa_wrong", &name, &role, &st), RPC_UNAUTHENTICATED);
    ck_assert_int_eq(cred_token_remove(d, "ci", &st), RPC_OK);
    ck_assert_int_eq(cred_token_remove(d, "ci", &st), RPC_NOT_FOUND);
    ck_assert_int_eq(cred_token_get(d, tok, &name, &role, &st), RPC_UNAUTHENTICATED);
    /* and a retried user add */
    add_user("carol", "pw");
    ck_assert_int_eq(cred_user_put(d, "carol", "pw", "viewer", false, &st), RPC_ALREADY_EXISTS);
    ck_assert_int_eq(cred_user_remove(d, "carol", &st), RPC_OK);
    ck_assert_int_eq(cred_user_remove(d, "carol", &st), RPC_NOT_FOUND);
}
END_TEST

/* Migration 0005 on a database that already holds tokens of one name. */
START_TEST(migration_renames_duplicate_token_names)
{
    db_params p;
    ck_assert_int_eq(pgtest_fresh_db("test_credentials_0005", &p), 0);
    db *old = db_new(&p);
    ck_assert_int_eq(db_migrate_with(old, db_migrations, 4), 0);
    rpc_status st;
    PGresult *r = db_exec_script(old, &st,
                                 "INSERT INTO service_tokens (token_id, name, token_hash, role, created_at) VALUES "
                                 "('t1', 'dup', 'h1', 'viewer', '2020-01-01'), ('t2', 'dup', 'h2', 'viewer', '2021-01-01'), "
                                 "('t3', 'solo', 'h3', 'viewer', '2020-01-01')");
    ck_assert_msg(r != NULL, "%s", st.message);
    PQclear(r);
    ck_assert_int_eq(db_migrate(old), 0);
    r = db_exec(old, &st, "SELECT string_agg(name, ',' ORDER BY token_id) FROM service_tokens", 0, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "dup,dup-t2,solo");
    PQclear(r);
    r = db_exec(old, &st, "SELECT failed_logins FROM users", 0, NULL);
    ck_assert_ptr_nonnull(r);
    PQclear(r);
    db_destroy(old);
    pgtest_params_clear(&p);
}
END_TEST

/* Every change notifies, in its own transaction, what the gateways must forget. */
START_TEST(changes_notify)
{
    db *listener = db_new(&params);
    rpc_status st;
    PGresult *r = db_exec_script(listener, &st, "LISTEN " CRED_CHANNEL);
    ck_assert_msg(r != NULL, "%s", st.message);
    PQclear(r);
    char tok[CRED_TOKEN_MAX];
    add_user("dave", "pw");
    ck_assert_int_eq(cred_user_put(d, "dave", "pw2", "admin", true, &st), RPC_OK);
    ck_assert_int_eq(cred_user_unlock(d, "dave", &st), RPC_OK);
    ck_assert_int_eq(cred_user_remove(d, "dave", &st), RPC_OK);
    ck_assert_int_eq(cred_token_create(d, "tk", "viewer", NULL, tok, &st), RPC_OK);
    ck_assert_int_eq(cred_token_remove(d, "tk", &st), RPC_OK);
    /* failures and their clearing are no credential change */
    add_user("erin", "pw");
    fail_login("erin");
    ck_assert_int_eq(cred_user_login_ok(d, "erin", &st), RPC_OK);

    const char *want[] = { "user:dave", "user:dave", "user:dave", "user:dave", "token:tk", "token:tk", "user:erin" };
    size_t got = 0;
    PGconn *c = db_conn(listener);
    for (int tries = 0; tries < 50 && got < sizeof want / sizeof *want; tries++) {
        struct pollfd pfd = { .fd = PQsocket(c), .events = POLLIN };
        poll(&pfd, 1, 100);
        ck_assert_int_eq(PQconsumeInput(c), 1);
        PGnotify *n;
        while ((n = PQnotifies(c)) != NULL) {
            ck_assert_uint_lt(got, sizeof want / sizeof *want);
            ck_assert_str_eq(n->relname, CRED_CHANNEL);
            ck_assert_str_eq(n->extra, want[got]);
            got++;
            PQfreemem(n);
        }
    }
    ck_assert_uint_eq(got, sizeof want / sizeof *want);
    db_destroy(listener);
}
END_TEST

/* ---- Authenticate in front of them ----------------------------------------- */

static int authenticate(const char *login, const char *password, const char *source)
{
    char *header = cred_basic_auth(login, password);
    Internal__V1__AuthenticateRequest req = INTERNAL__V1__AUTHENTICATE_REQUEST__INIT;
    req.authorization = header;
    req.source = (char *)source;
    const rpc_method *m = rpc_method_find(users_methods, users_methods_count, "/internal.v1.AuthService/Authenticate");
    ck_assert_ptr_nonnull(m);
    int code = rpc_call_method(m, &w, &the_app, &req.base, NULL, NULL);
    free(header);
    return code;
}

START_TEST(authenticate_lock_and_working_session)
{
    add_user("frank", "right");
    ck_assert_int_eq(authenticate("frank", "right", "192.0.2.1"), RPC_OK);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(authenticate("frank", "wrong", "192.0.2.2"), RPC_UNAUTHENTICATED);
    assert_scalar("SELECT locked_until > now() AT TIME ZONE 'UTC' FROM users WHERE login = 'frank'", "t");
    /* the address that proved the password keeps working; any other not */
    ck_assert_int_eq(authenticate("frank", "right", "192.0.2.1"), RPC_OK);
    ck_assert_int_eq(authenticate("frank", "right", "192.0.2.3"), RPC_UNAUTHENTICATED);
    /* no more counting while locked: the guesses are not even checked */
    ck_assert_int_eq(authenticate("frank", "wrong", "192.0.2.4"), RPC_UNAUTHENTICATED);
    assert_scalar("SELECT failed_logins FROM users WHERE login = 'frank'", "5");
    rpc_status st;
    ck_assert_int_eq(cred_user_unlock(d, "frank", &st), RPC_OK);
    ck_assert_int_eq(authenticate("frank", "right", "192.0.2.3"), RPC_OK);
}
END_TEST

START_TEST(authenticate_delays_a_guessing_address)
{
    add_user("grace", "right");
    for (int i = 0; i < THROTTLE_FREE + 1; i++)
        ck_assert_int_eq(authenticate("nobody", "x", "2001:db8:9::1"), RPC_UNAUTHENTICATED);
    /* the same /64 waits: not even the right password is checked */
    ck_assert_int_eq(authenticate("grace", "right", "2001:db8:9::2"), RPC_UNAUTHENTICATED);
    ck_assert_int_eq(authenticate("grace", "right", "2001:db8:10::2"), RPC_OK);
    ck_assert_int_eq(throttle_clear("2001:db8:9::1"), 1);
    ck_assert_int_eq(authenticate("grace", "right", "2001:db8:9::2"), RPC_OK);
    /* guessing other logins never locks grace */
    assert_scalar("SELECT failed_logins FROM users WHERE login = 'grace'", "0");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("credentials");
    TCase *tc = tcase_create("credentials");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lock_after_five_failures_within_the_window);
    tcase_add_test(tc, old_failures_are_forgotten);
    tcase_add_test(tc, one_token_per_name);
    tcase_add_test(tc, migration_renames_duplicate_token_names);
    tcase_add_test(tc, changes_notify);
    tcase_add_test(tc, authenticate_lock_and_working_session);
    tcase_add_test(tc, authenticate_delays_a_guessing_address);
    suite_add_tcase(s, tc);
    return check_run(s);
}
