/* auth: who is calling. Resolves an Authorization header (Basic user:pass,
 * Bearer token, Basic service_token:/api_key:token) by asking inventoryd
 * (which owns users and tokens, and throttles password checks by the
 * caller's address) and caches the answer (auth_cache.h: a few seconds as
 * upstream's auth server, up to a minute while inventoryd cannot answer,
 * forgotten at once when a credential changes). */
#ifndef GATEWAY_AUTH_H
#define GATEWAY_AUTH_H

#include "rpc.h"

typedef struct {
    char user[128];
    char role[16];   /* "viewer" | "editor" | "admin" */
} auth_identity;

/* fresh_ms: how long an answer is used as is; max_age_ms: how long an
 * accepted one is used while inventoryd cannot confirm it. */
int auth_init(int fresh_ms, int max_age_ms);
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
 * the message. authorization may be NULL; source is the caller's address
 * (gateway/source_addr.h; NULL or "" when unknown). */
int auth_check_from(const char *authorization, const char *source, const char *path_or_method,
                    auth_identity *id, rpc_status *st);
/* auth_check_from with the address unknown. */
int auth_check(const char *authorization, const char *path_or_method,
               auth_identity *id, rpc_status *st);

#endif
