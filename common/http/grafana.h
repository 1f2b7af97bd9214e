/* grafana: the few calls of Grafana's HTTP API this suite makes when it
 * runs next to a Grafana (--grafana-addr), made as upstream's client does
 * (managed/services/grafana/client.go): who a credential is, a pmm-agent's
 * service account and token, an annotation. Every call carries the
 * caller's own credentials (Authorization and/or Cookie), never ours.
 * Failures are told as upstream's clientError
 * (`clientError: POST http://ADDR/api/annotations -> 401 BODY`) or, without
 * an answer, as Go's url.Error (httpc). Thread-safe. */
#ifndef PMM_GRAFANA_H
#define PMM_GRAFANA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upstream's names: pmm-agent-sa-<node> and pmm-agent-st-<node>. */
#define GRAFANA_SA_PREFIX "pmm-agent-sa-"
#define GRAFANA_ST_PREFIX "pmm-agent-st-"

typedef enum {
    GRAFANA_OK = 0,
    GRAFANA_REFUSED, /* Grafana answered 401 or 403: not its credential */
    GRAFANA_FAILED,  /* no usable answer (down, 5xx, malformed): err says */
} grafana_result;

typedef struct {
    char login[128];    /* Grafana's login; "" for an API key / service account token */
    char role[16];      /* "admin" | "editor" | "viewer" | "" (none in org 1) */
    uint32_t user_id;   /* Grafana's user id; 0 for a token */
} grafana_user;

/* The token in an Authorization value: "Bearer T", or Basic with user
 * service_token or api_key and T as password (auth.GetTokenFromHeaders).
 * Writes it NUL-terminated into out; false when there is none. */
bool grafana_token_of(const char *authorization, char *out, size_t outlen);

/* upstream's getAuthUser: a token is asked at /api/auth/serviceaccount (a
 * Percona Grafana endpoint; a null answer means an API key, then asked at
 * /api/auth/key), anything else (Basic user:pass, the grafana_session
 * cookie) at /api/user and, unless a Grafana admin, /api/user/orgs for the
 * role in organisation 1. authorization and cookie may be NULL. */
grafana_result grafana_auth_user(const char *addr, const char *authorization, const char *cookie, long timeout_ms,
                                 grafana_user *out, char *err, size_t errlen);

/* upstream's CreateAnnotation: POST /api/annotations {tags, text, time}
 * with the caller's Authorization; Grafana's "message" into msg. */
grafana_result grafana_create_annotation(const char *addr, const char *authorization, const char *const *tags,
                                         size_t n_tags, const char *text, int64_t time_ms, long timeout_ms,
                                         char *msg, size_t msglen, char *err, size_t errlen);

/* upstream's CreateServiceAccount: the service account pmm-agent-sa-<node>
 * (role Admin, "force": reregister), moved to organisation 1, and its token
 * pmm-agent-st-<node> (an existing one deleted first on reregister); the
 * token (malloc'd) into *token. */
grafana_result grafana_create_service_account(const char *addr, const char *authorization, const char *node_name,
                                              bool reregister, long timeout_ms, char **token, char *err,
                                              size_t errlen);

/* upstream's DeleteServiceAccount: finds pmm-agent-sa-<node>
 * (GET /api/serviceaccounts/search?query=NAME); with tokens of its own
 * besides the agent's and !force, deletes only the agent's token and
 * writes upstream's warning into warning; else deletes the account. Not
 * found: GRAFANA_FAILED, "service account NAME not found". */
grafana_result grafana_delete_service_account(const char *addr, const char *authorization, const char *node_name,
                                              bool force, long timeout_ms, char *warning, size_t warnlen, char *err,
                                              size_t errlen);

#endif
