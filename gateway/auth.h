/* auth: who is calling. Resolves an Authorization header (Basic user:pass,
 * Bearer token, Basic service_token:/api_key:token) by asking inventoryd
 * (which owns users and tokens) and caches the answer for a few seconds
 * keyed by a hash of the header, as upstream's auth server does. */
#ifndef GATEWAY_AUTH_H
#define GATEWAY_AUTH_H

#include "rpc.h"

typedef struct {
    char user[128];
    char role[16];   /* "viewer" | "editor" | "admin" */
} auth_identity;

int auth_init(int cache_ttl_ms);
void auth_shutdown(void);

/* Paths that need no credentials at all (readyz, leaderHealthCheck, ...):
 * for REST a URL path, for gRPC a "/pkg.Service/Method" name. */
int auth_is_public(const char *path_or_method);

/* Minimum role for a path/method ("viewer", "editor", "admin"), by the
 * longest matching prefix rule of the reference; "admin" when none. */
const char *auth_required_role(const char *path_or_method);

/* Checks credentials for path_or_method. Returns RPC_OK with *id filled,
 * RPC_UNAUTHENTICATED ("Unauthorized"), RPC_PERMISSION_DENIED ("Access
 * denied."), or RPC_UNAVAILABLE when inventoryd cannot answer; st gets
 * the message. authorization may be NULL. */
int auth_check(const char *authorization, const char *path_or_method,
               auth_identity *id, rpc_status *st);

#endif
