/* grafana: see grafana.h. One small JSON request per call over httpc; the
 * answers are read as upstream reads them (numbers as float64, missing
 * fields as zero values). */
#include "grafana.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "http/httpc.h"

/* One call: the answer's JSON into *out (may be NULL: ignored), or the
 * failure in err. Statuses 200..202 are success, as upstream's do(). */
static grafana_result call(const char *addr, const char *method, const char *path, const char *authorization,
                           const char *cookie, const char *body, long timeout_ms, json_t **out, char *err,
                           size_t errlen)
{
    if (out)
        *out = NULL;
    char url[1024], authz[4096], cook[8192];
    snprintf(url, sizeof url, "http://%s%s", addr, path);
    const char *headers[4];
    size_t nh = 0;
    if (body)
        headers[nh++] = "Content-Type: application/json; charset=utf-8";
    if (authorization && *authorization) {
        snprintf(authz, sizeof authz, "Authorization: %s", authorization);
        headers[nh++] = authz;
    }
    if (cookie && *cookie) {
        snprintf(cook, sizeof cook, "Cookie: %s", cookie);
        headers[nh++] = cook;
    }
    headers[nh] = NULL;
    httpc_request req = {
        .method = method, .url = url, .headers = headers, .body = body, .body_len = body ? strlen(body) : 0,
        .timeout_ms = timeout_ms, .max_body = 1u << 20,
    };
    httpc_response resp;
    int rc = httpc_fetch(&req, &resp, err, errlen);
    sodium_memzero(authz, sizeof authz);
    sodium_memzero(cook, sizeof cook);
    if (rc != 0)
        return GRAFANA_FAILED;
    grafana_result r = GRAFANA_OK;
    if (resp.status < 200 || resp.status > 202) {
        snprintf(err, errlen, "clientError: %s %s -> %ld %s", method, url, resp.status, resp.body);
        r = resp.status == 401 || resp.status == 403 ? GRAFANA_REFUSED : GRAFANA_FAILED;
    } else if (out && resp.len > 0) {
        json_error_t je;
        *out = json_loadb(resp.body, resp.len, JSON_DECODE_ANY, &je);
        if (!*out) {
            snprintf(err, errlen, "%s", je.text);
            r = GRAFANA_FAILED;
        }
    }
    httpc_response_free(&resp);
    return r;
}

static double num(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* convertRole: Grafana's org roles; anything else is none. */
static const char *role_of(const char *grafana_role)
{
    if (strcmp(grafana_role, "Viewer") == 0)
        return "viewer";
    if (strcmp(grafana_role, "Editor") == 0)
        return "editor";
    if (strcmp(grafana_role, "Admin") == 0)
        return "admin";
    return "";
}

bool grafana_token_of(const char *authorization, char *out, size_t outlen)
{
    if (!authorization || outlen == 0)
        return false;
    if (strncasecmp(authorization, "Bearer ", 7) == 0) {
        if (strlen(authorization + 7) >= outlen)
            return false;
        strcpy(out, authorization + 7);
        return *out != '\0';
    }
    if (strncasecmp(authorization, "Basic ", 6) != 0)
        return false;
    const char *b64 = authorization + 6;
    size_t cap = strlen(b64), len = 0;
    char *plain = malloc(cap + 1);
    if (!plain)
        return false;
    bool ok = false;
    if (sodium_base642bin((unsigned char *)plain, cap, b64, cap, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) ==
            0 &&
        !memchr(plain, '\0', len)) {
        plain[len] = '\0';
        char *colon = strchr(plain, ':');
        if (colon) {
            *colon = '\0';
            if ((strcmp(plain, "service_token") == 0 || strcmp(plain, "api_key") == 0) && strlen(colon + 1) < outlen &&
                colon[1]) {
                strcpy(out, colon + 1);
                ok = true;
            }
        }
    }
    sodium_memzero(plain, cap + 1);
    free(plain);
    return ok;
}

/* getRoleForServiceToken, then getRoleForAPIKey when Grafana says null. */
static grafana_result token_user(const char *addr, const char *authorization, const char *token, long timeout_ms,
                                 grafana_user *out, char *err, size_t errlen)
{
    char bearer[4200];
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    json_t *k = NULL;
    grafana_result r = call(addr, "GET", "/api/auth/serviceaccount", bearer, NULL, NULL, timeout_ms, &k, err, errlen);
    sodium_memzero(bearer, sizeof bearer);
    if (r == GRAFANA_OK && (!k || json_is_null(k))) {
        json_decref(k);
        k = NULL;
        r = call(addr, "GET", "/api/auth/key", authorization, NULL, NULL, timeout_ms, &k, err, errlen);
    }
    if (r == GRAFANA_OK && num(k, "orgId") == 1)
        snprintf(out->role, sizeof out->role, "%s", role_of(str(k, "role")));
    json_decref(k);
    return r;
}

grafana_result grafana_auth_user(const char *addr, const char *authorization, const char *cookie, long timeout_ms,
                                 grafana_user *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char token[4096];
    if (grafana_token_of(authorization, token, sizeof token)) {
        grafana_result r = token_user(addr, authorization, token, timeout_ms, out, err, errlen);
        sodium_memzero(token, sizeof token);
        return r;
    }
    json_t *u = NULL;
    grafana_result r = call(addr, "GET", "/api/user", authorization, cookie, NULL, timeout_ms, &u, err, errlen);
    if (r != GRAFANA_OK)
        return r;
    double id = num(u, "id");
    out->user_id = id > 0 && id < 4294967296.0 ? (uint32_t)id : 0;
    snprintf(out->login, sizeof out->login, "%s", str(u, "login"));
    bool grafana_admin = json_is_true(json_object_get(u, "isGrafanaAdmin"));
    json_decref(u);
    if (grafana_admin) {
        strcpy(out->role, "admin");
        return GRAFANA_OK;
    }
    json_t *orgs = NULL;
    r = call(addr, "GET", "/api/user/orgs", authorization, cookie, NULL, timeout_ms, &orgs, err, errlen);
    size_t i;
    json_t *org;
    if (r == GRAFANA_OK && json_is_array(orgs))
        json_array_foreach (orgs, i, org)
            if (num(org, "orgId") == 1) {
                snprintf(out->role, sizeof out->role, "%s", role_of(str(org, "role")));
                break;
            }
    json_decref(orgs);
    return r;
}

grafana_result grafana_create_annotation(const char *addr, const char *authorization, const char *const *tags,
                                         size_t n_tags, const char *text, int64_t time_ms, long timeout_ms,
                                         char *msg, size_t msglen, char *err, size_t errlen)
{
    json_t *req = json_object(), *jt = json_array();
    for (size_t i = 0; i < n_tags; i++)
        json_array_append_new(jt, json_string(tags[i]));
    /* upstream's struct: omitempty on each field */
    if (n_tags)
        json_object_set_new(req, "tags", jt);
    else
        json_decref(jt);
    if (*text)
        json_object_set_new(req, "text", json_string(text));
    if (time_ms)
        json_object_set_new(req, "time", json_integer(time_ms));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!body) {
        snprintf(err, errlen, "failed to marshal request");
        return GRAFANA_FAILED;
    }
    json_t *resp = NULL;
    grafana_result r = call(addr, "POST", "/api/annotations", authorization, NULL, body, timeout_ms, &resp, err, errlen);
    free(body);
    if (r == GRAFANA_OK && msg && msglen)
        snprintf(msg, msglen, "%s", str(resp, "message"));
    json_decref(resp);
    return r;
}

/* The id of the token of this node's agent among the account's, or 0. */
static grafana_result agent_token_id(const char *addr, const char *authorization, int sa, const char *st_name,
                                     long timeout_ms, int *id, char *err, size_t errlen)
{
    char path[128];
    snprintf(path, sizeof path, "/api/serviceaccounts/%d/tokens", sa);
    json_t *tokens = NULL;
    *id = 0;
    grafana_result r = call(addr, "GET", path, authorization, NULL, NULL, timeout_ms, &tokens, err, errlen);
    size_t i;
    json_t *t;
    if (r == GRAFANA_OK && json_is_array(tokens))
        json_array_foreach (tokens, i, t)
            if (strncmp(str(t, "name"), st_name, strlen(st_name)) == 0) {
                *id = (int)num(t, "id");
                break;
            }
    json_decref(tokens);
    return r;
}

grafana_result grafana_create_service_account(const char *addr, const char *authorization, const char *node_name,
                                              bool reregister, long timeout_ms, char **token, char *err,
                                              size_t errlen)
{
    *token = NULL;
    char name[512], st_name[512], path[128];
    snprintf(name, sizeof name, GRAFANA_SA_PREFIX "%s", node_name);
    snprintf(st_name, sizeof st_name, GRAFANA_ST_PREFIX "%s", node_name);

    json_t *req = json_pack("{s:s, s:s, s:b}", "name", name, "role", "Admin", "force", reregister);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        snprintf(err, errlen, "out of memory");
        return GRAFANA_FAILED;
    }
    json_t *m = NULL;
    grafana_result r = call(addr, "POST", "/api/serviceaccounts", authorization, NULL, body, timeout_ms, &m, err, errlen);
    free(body);
    int sa = (int)num(m, "id");
    json_decref(m);
    if (r != GRAFANA_OK)
        return r;
    /* Grafana ignores orgId when creating; upstream moves it to org 1 */
    snprintf(path, sizeof path, "/api/serviceaccounts/%d", sa);
    r = call(addr, "PATCH", path, authorization, NULL, "{\"orgId\": 1}", timeout_ms, NULL, err, errlen);
    if (r != GRAFANA_OK)
        return r;

    int old = 0;
    r = agent_token_id(addr, authorization, sa, st_name, timeout_ms, &old, err, errlen);
    if (r != GRAFANA_OK)
        return r;
    if (old && reregister) {
        snprintf(path, sizeof path, "/api/serviceaccounts/%d/tokens/%d", sa, old);
        r = call(addr, "DELETE", path, authorization, NULL, NULL, timeout_ms, NULL, err, errlen);
        if (r != GRAFANA_OK)
            return r;
    }
    req = json_pack("{s:s, s:s}", "name", st_name, "role", "Admin");
    body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        snprintf(err, errlen, "out of memory");
        return GRAFANA_FAILED;
    }
    snprintf(path, sizeof path, "/api/serviceaccounts/%d/tokens", sa);
    r = call(addr, "POST", path, authorization, NULL, body, timeout_ms, &m, err, errlen);
    free(body);
    if (r == GRAFANA_OK) {
        const char *key = str(m, "key");
        if (!*key) {
            snprintf(err, errlen, "Grafana's answer for the new token has no key");
            r = GRAFANA_FAILED;
        } else if (!(*token = strdup(key))) {
            snprintf(err, errlen, "out of memory");
            r = GRAFANA_FAILED;
        }
    }
    json_decref(m);
    return r;
}

/* The id of the service account named exactly name, or 0. */
static grafana_result account_id(const char *addr, const char *authorization, const char *name, long timeout_ms,
                                 int *id, char *err, size_t errlen)
{
    *id = 0;
    CURL *curl = curl_easy_init();
    char *q = curl ? curl_easy_escape(curl, name, 0) : NULL;
    char path[1024];
    snprintf(path, sizeof path, "/api/serviceaccounts/search?query=%s", q ? q : "");
    curl_free(q);
    if (curl)
        curl_easy_cleanup(curl);
    json_t *res = NULL;
    grafana_result r = call(addr, "GET", path, authorization, NULL, NULL, timeout_ms, &res, err, errlen);
    size_t i;
    json_t *a;
    json_t *list = json_object_get(res, "serviceAccounts");
    if (r == GRAFANA_OK && json_is_array(list))
        json_array_foreach (list, i, a)
            if (strcmp(str(a, "name"), name) == 0) {
                *id = (int)num(a, "id");
                break;
            }
    json_decref(res);
    if (r == GRAFANA_OK && !*id) {
        snprintf(err, errlen, "service account %s not found", name);
        r = GRAFANA_FAILED;
    }
    return r;
}

grafana_result grafana_delete_service_account(const char *addr, const char *authorization, const char *node_name,
                                              bool force, long timeout_ms, char *warning, size_t warnlen, char *err,
                                              size_t errlen)
{
    if (warnlen)
        warning[0] = '\0';
    char name[512], st_name[512], path[128];
    snprintf(name, sizeof name, GRAFANA_SA_PREFIX "%s", node_name);
    snprintf(st_name, sizeof st_name, GRAFANA_ST_PREFIX "%s", node_name);
    int sa = 0;
    grafana_result r = account_id(addr, authorization, name, timeout_ms, &sa, err, errlen);
    if (r != GRAFANA_OK)
        return r;
    snprintf(path, sizeof path, "/api/serviceaccounts/%d/tokens", sa);
    json_t *tokens = NULL;
    r = call(addr, "GET", path, authorization, NULL, NULL, timeout_ms, &tokens, err, errlen);
    int others = 0, agent = 0;
    size_t i;
    json_t *t;
    if (r == GRAFANA_OK && json_is_array(tokens))
        json_array_foreach (tokens, i, t) {
            if (strncmp(str(t, "name"), st_name, strlen(st_name)) != 0)
                others++;
            else if (!agent)
                agent = (int)num(t, "id");
        }
    json_decref(tokens);
    if (r != GRAFANA_OK)
        return r;
    if (!force && others > 0) {
        snprintf(warning, warnlen,
                 "Service account wont be deleted, because there are more not PMM agent related service tokens.");
        if (!agent)
            return GRAFANA_OK;
        snprintf(path, sizeof path, "/api/serviceaccounts/%d/tokens/%d", sa, agent);
    } else {
        snprintf(path, sizeof path, "/api/serviceaccounts/%d", sa);
    }
    return call(addr, "DELETE", path, authorization, NULL, NULL, timeout_ms, NULL, err, errlen);
}
