/* credentials: users and service tokens in PostgreSQL, shared by
 * inventoryd (which checks them) and pmmctl (which operators use to manage
 * them). Passwords are stored as argon2id strings, tokens only as the
 * SHA-256 of the token: a stolen table holds nothing to log in with.
 * Every change (a user or token added or removed, a password or role set,
 * a lock lifted) notifies CRED_CHANNEL in its own transaction, with
 * "user:<login>" or "token:<name>": inventoryd relays it to the gateways,
 * which forget what they cached for that name (and every refusal, which
 * the change may have made wrong) at once. Users also carry their failed
 * logins and lock (migration 0005). */
#ifndef PMM_CREDENTIALS_H
#define PMM_CREDENTIALS_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "db/db.h"

#define CRED_TOKEN_HEX (crypto_hash_sha256_BYTES * 2 + 1)
#define CRED_TOKEN_MAX 64
#define CRED_CHANNEL "pmm_credentials"

/* A user as a login check sees it. */
typedef struct {
    char password_hash[crypto_pwhash_STRBYTES];
    char role[16];
    int failed_logins;
    bool locked;           /* locked_until is still ahead */
} cred_user;

/* A user's lock as operators see it. */
typedef struct {
    char login[256];
    int failed_logins;
    int64_t locked_until_s; /* Unix seconds; 0 when not locked */
} cred_lock;

/* argon2id (libsodium's interactive limits). 0, or -1 on ENOMEM. */
int cred_hash_password(const char *password, char out[crypto_pwhash_STRBYTES]);
void cred_token_hash(const char *token, char out[CRED_TOKEN_HEX]);
bool cred_role_valid(const char *role);
/* The Authorization value a client sends for user:pass ("Basic " and the
 * base64 of both), malloc'd; NULL on ENOMEM. */
char *cred_basic_auth(const char *user, const char *pass);

/* Creates the user, or with replace sets password and role of an existing
 * one. Returns an RPC code (ALREADY_EXISTS when it exists and !replace). */
int cred_user_put(db *d, const char *login, const char *password, const char *role, bool replace,
                  rpc_status *st);
int cred_user_remove(db *d, const char *login, rpc_status *st);

/* The user a password login names: OK, or NOT_FOUND. */
int cred_user_get(db *d, const char *login, cred_user *out, rpc_status *st);
/* Counts a refused password: failures within window_s seconds add up
 * (older ones are forgotten); the max_failures-th locks the user for
 * lock_s seconds (later ones, checked before the lock, do not extend it).
 * *locked_now tells whether this failure locked it. A login that is no
 * user changes nothing (OK, *locked_now false). */
int cred_user_login_failed(db *d, const char *login, int max_failures, int window_s, int lock_s, bool *locked_now,
                           rpc_status *st);
/* A password accepted: the failures so far are forgotten. */
int cred_user_login_ok(db *d, const char *login, rpc_status *st);
/* Lifts a user's lock and forgets its failures. NOT_FOUND for no such user. */
int cred_user_unlock(db *d, const char *login, rpc_status *st);
/* Users locked now or with failures counted, by login, at most max into
 * out. Returns an RPC code; *n gets the count. */
int cred_user_locks(db *d, cred_lock *out, int max, int *n, rpc_status *st);

/* The service token with this value, unless expired: OK with its name and
 * role (malloc'd), else UNAUTHENTICATED. */
int cred_token_get(db *d, const char *token, char **name, char **role, rpc_status *st);

/* Creates a token named name with role (node_id may be NULL); the token
 * itself is written to out once and never stored. Returns an RPC code
 * (ALREADY_EXISTS when a token has that name). */
int cred_token_create(db *d, const char *name, const char *role, const char *node_id,
                      char out[CRED_TOKEN_MAX], rpc_status *st);
int cred_token_remove(db *d, const char *name, rpc_status *st);

#endif
