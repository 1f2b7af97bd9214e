/* users: who may call the suite. internal.v1.AuthService resolves an
 * Authorization header to a user and role for the gateway; users carry
 * argon2id password hashes, service tokens only their SHA-256. */
#ifndef INVENTORYD_USERS_H
#define INVENTORYD_USERS_H

#include "bus/bus.h"
#include "db/db.h"

extern const rpc_method users_methods[];
extern const size_t users_methods_count;

/* Creates user admin with this password unless it exists (first start). */
int users_ensure_admin(db *d, const char *password);

#endif
