/* credentials: users and service tokens in PostgreSQL, shared by
 * inventoryd (which checks them) and pmmctl (which operators use to manage
 * them). Passwords are stored as argon2id strings, tokens only as the
 * SHA-256 of the token: a stolen table holds nothing to log in with. */
#ifndef PMM_CREDENTIALS_H
#define PMM_CREDENTIALS_H

#include <sodium.h>

#include "db/db.h"

#define CRED_TOKEN_HEX (crypto_hash_sha256_BYTES * 2 + 1)
#define CRED_TOKEN_MAX 64

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

/* Creates a token named name with role (node_id may be NULL); the token
 * itself is written to out once and never stored. Returns an RPC code. */
int cred_token_create(db *d, const char *name, const char *role, const char *node_id,
                      char out[CRED_TOKEN_MAX], rpc_status *st);
int cred_token_remove(db *d, const char *name, rpc_status *st);

#endif
