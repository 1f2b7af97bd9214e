/* rest: the REST/JSON listener (see rest.h). One thread per connection:
 * each request blocks on its own bus call, and connection threads keep
 * their bus clients for the life of the connection (dispatch.h). */
#include "rest.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "auth.h"
#include "bodybuf.h"
#include "dispatch.h"
#include "clock.h"
#include "hex.h"
#include "httpd.h"
#include "logs_zip.h"
#include "log.h"
#include "metrics.h"
#include "json/pbjson.h"
#include "json/route.h"
#include "rpc.h"
#include "source_addr.h"
#include "utf8.h"

struct rest_server {
    struct MHD_Daemon *mhd;
    size_t max_body;
    int timeout_ms;
};

/* Per-request state kept between libmicrohttpd's calls of the handler. */
typedef struct {
    char *body;
    size_t len, cap;
    bool too_large;
    struct timespec start;
} request_state;

static const char CONTENT_JSON[] = "application/json";

/* PMM's error body: server.v1.HttpError {error, code, message, details},
 * sent with the given HTTP status. */
static enum MHD_Result send_error_http(struct MHD_Connection *c, unsigned http, int code, const char *message)
{
    json_t *j = json_object();
    json_object_set_new(j, "error", json_string(message));
    json_object_set_new(j, "code", json_integer(code));
    json_object_set_new(j, "message", json_string(message));
    json_object_set_new(j, "details", json_array());
    char *text = pbjson_dumps(j);
    json_decref(j);
    if (!text) {
        static const char fallback[] = "{\"code\": 13, \"message\": \"failed to marshal error message\"}";
        return httpd_send(c, 500, CONTENT_JSON, strdup(fallback), sizeof fallback - 1, NULL);
    }
    const char *headers[] = { "WWW-Authenticate", message, NULL };
    return httpd_send(c, http, CONTENT_JSON, text, strlen(text), code == RPC_UNAUTHENTICATED ? headers : NULL);
}

static enum MHD_Result send_error(struct MHD_Connection *c, int code, const char *message)
{
    return send_error_http(c, (unsigned)rpc_code_to_http(code), code, message);
}

/* Upstream's auth server answers every refusal with 401, whatever the gRPC
 * code in the body (16 no or bad credentials, 7 role too low): only 401
 * lets nginx's auth_request hand the body to the client. A daemon that
 * cannot answer stays a 503. */
static enum MHD_Result send_auth_error(struct MHD_Connection *c, int code, const char *message)
{
    if (code == RPC_UNAUTHENTICATED || code == RPC_PERMISSION_DENIED)
        return send_error_http(c, 401, code, message);
    return send_error(c, code, message);
}

/* The raw query string, rebuilt from libmicrohttpd's pairs (kept escaped:
 * see keep_escapes), for the runtime's own query parser. */
typedef struct {
    char *s;
    size_t len, cap;
    bool failed;
} raw_query;

static void rq_put(raw_query *q, const char *s)
{
    size_t n = strlen(s);
    if (q->len + n + 1 > q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        while (cap < q->len + n + 1)
            cap *= 2;
        char *ns = realloc(q->s, cap);
        if (!ns) {
            q->failed = true;
            return;
        }
        q->s = ns;
        q->cap = cap;
    }
    memcpy(q->s + q->len, s, n + 1);
    q->len += n;
}

static enum MHD_Result add_query_pair(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    raw_query *q = cls;
    if (q->len)
        rq_put(q, "&");
    rq_put(q, key);
    if (value) {
        rq_put(q, "=");
        rq_put(q, value);
    }
    return q->failed ? MHD_NO : MHD_YES;
}

static char *query_string(struct MHD_Connection *c)
{
    raw_query q = {0};
    rq_put(&q, "");
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_query_pair, &q);
    if (q.failed) {
        free(q.s);
        return NULL;
    }
    return q.s;
}

/* The generated handler parses the query only when the request has fields
 * that neither the body nor the path binds (protoc-gen-grpc-gateway's
 * HasQueryParam). */
static bool has_query_params(const route_match *m)
{
    const route_entry *r = m->route;
    if (strcmp(r->body, "*") == 0)
        return false;
    for (unsigned i = 0; i < r->request->n_fields; i++) {
        const char *name = r->request->fields[i].name;
        bool bound = strcmp(name, r->body) == 0;
        for (int k = 0; k < m->n_params && !bound; k++)
            bound = strcmp(m->params[k].name, name) == 0;
        if (!bound)
            return true;
    }
    return false;
}

/* Builds the request message as the generated handler does, each step
 * with its own error text: the body (JSONPb: encoding/json then
 * protojson), the path parameters ("type mismatch, parameter: ..."), then
 * the query (url.ParseQuery, the runtime's query parser). Returns a gRPC
 * code: OK with *out, or an error with err. */
static int build_request(struct MHD_Connection *c, const route_match *m, const request_state *rs,
                         ProtobufCMessage **out, char *err, size_t errlen)
{
    const route_entry *r = m->route;
    ProtobufCMessage *msg = NULL;
    *out = NULL;
    if (strcmp(r->body, "*") == 0) {
        if (pbjson_decode_body(rs->body, rs->len, r->request, &msg, err, errlen) != 0)
            return RPC_INVALID_ARGUMENT;
    } else {
        msg = malloc(r->request->sizeof_message);
        if (!msg) {
            snprintf(err, errlen, "out of memory");
            return RPC_INTERNAL;
        }
        protobuf_c_message_init(r->request, msg);
        const ProtobufCFieldDescriptor *bf =
            r->body[0] ? protobuf_c_message_descriptor_get_field_by_name(r->request, r->body) : NULL;
        if (bf && bf->type == PROTOBUF_C_TYPE_MESSAGE && bf->label != PROTOBUF_C_LABEL_REPEATED) {
            ProtobufCMessage *sub;
            if (pbjson_decode_body(rs->body, rs->len, bf->descriptor, &sub, err, errlen) != 0) {
                protobuf_c_message_free_unpacked(msg, NULL);
                return RPC_INVALID_ARGUMENT;
            }
            *(ProtobufCMessage **)((char *)msg + bf->offset) = sub;
            if (bf->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                *(uint32_t *)((char *)msg + bf->quantifier_offset) = bf->id;
        }
    }
    const char *skip[ROUTE_MAX_PARAMS + 1];
    size_t n_skip = 0;
    for (int i = 0; i < m->n_params; i++) {
        const char *v = m->params[i].value;
        char sub[PBJSON_ERR_MAX];
        if (pbjson_set_field(msg, m->params[i].name, &v, 1, sub, sizeof sub) != 0) {
            snprintf(err, errlen, "type mismatch, parameter: %s, error: %.400s", m->params[i].name, sub);
            protobuf_c_message_free_unpacked(msg, NULL);
            return RPC_INVALID_ARGUMENT;
        }
        skip[n_skip++] = m->params[i].name;
    }
    if (r->body[0] && strcmp(r->body, "*") != 0)
        skip[n_skip++] = r->body;
    if (has_query_params(m)) {
        char *q = query_string(c);
        int rc = q ? pbjson_set_query(msg, q, skip, n_skip, err, errlen) : -1;
        if (!q)
            snprintf(err, errlen, "out of memory");
        free(q);
        if (rc != 0) {
            protobuf_c_message_free_unpacked(msg, NULL);
            return RPC_INVALID_ARGUMENT;
        }
    }
    /* grpc-go marshals the request before sending: strings must be UTF-8 */
    char sub[PBJSON_ERR_MAX];
    if (pbjson_check_utf8(msg, sub, sizeof sub) != 0) {
        snprintf(err, errlen, "grpc: error while marshaling: %.400s", sub);
        protobuf_c_message_free_unpacked(msg, NULL);
        return RPC_INTERNAL;
    }
    *out = msg;
    return RPC_OK;
}

/* Calls the daemon and writes its answer. Returns the gRPC code. */
static int call_and_respond(struct MHD_Connection *c, const route_match *m, const auth_identity *id,
                            const ProtobufCMessage *msg, int timeout_ms, enum MHD_Result *ret)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        *ret = send_error(c, RPC_INTERNAL, "out of memory");
        return RPC_INTERNAL;
    }
    protobuf_c_message_pack(msg, buf);
    bus_reply rep;
    int code = dispatch_call(m->route->method, id->user, id->role, buf, len, timeout_ms, &rep);
    free(buf);
    if (code != RPC_OK) {
        *ret = send_error(c, code, rep.message ? rep.message : "");
        bus_reply_clear(&rep);
        return code;
    }
    ProtobufCMessage *resp = protobuf_c_message_unpack(m->route->response, NULL, rep.body_len, rep.body);
    bus_reply_clear(&rep);
    if (!resp) {
        *ret = send_error(c, RPC_INTERNAL, "malformed response from daemon");
        return RPC_INTERNAL;
    }
    size_t text_len, cap;
    char *spare = bodybuf_take(&cap);
    char *text = pbjson_write_reuse(resp, spare, cap, &text_len);
    protobuf_c_message_free_unpacked(resp, NULL);
    if (!text) {
        *ret = send_error(c, RPC_INTERNAL, "failed to marshal response");
        return RPC_INTERNAL;
    }
    *ret = httpd_send(c, 200, CONTENT_JSON, text, text_len, NULL);
    return RPC_OK;
}

/* The caller's address, which password checks are throttled by: the peer,
 * or the local nginx's X-Forwarded-For (gateway/source_addr.h). */
static void caller_source(struct MHD_Connection *c, char out[SOURCE_ADDR_MAX])
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char peer[SOURCE_ADDR_MAX];
    source_from_sockaddr(ci ? ci->client_addr : NULL, peer);
    source_pick(peer, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For"), out);
}

/* auth_check_from for this connection's caller. */
static int check_caller(struct MHD_Connection *c, const char *path, auth_identity *id, rpc_status *st)
{
    char source[SOURCE_ADDR_MAX];
    caller_source(c, source);
    const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    return auth_check_from(authz, source, path, id, st);
}

/* The pmm-agent inside PMM Server connects from 127.0.0.1 as pmm-server
 * and needs no credentials (api.md §3.3). */
static bool is_local_server_agent(struct MHD_Connection *c, const char *uri)
{
    const char *agent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Pmm-Agent-Id");
    if (!agent || strcmp(agent, "pmm-server") != 0 || strcmp(uri, "/agent.v1.AgentService/Connect") != 0)
        return false;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr_in *in = ci ? (const struct sockaddr_in *)ci->client_addr : NULL;
    return in && in->sin_family == AF_INET && ntohl(in->sin_addr.s_addr) == INADDR_LOOPBACK;
}

/* /auth_request: nginx asks whether the original request (X-Original-Method,
 * X-Original-Uri) may pass: 200, or 401 with {code, error, message}; 400
 * when the original request is not described. */
static enum MHD_Result handle_auth_request(struct MHD_Connection *c, request_state *rs)
{
    const char *method = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Original-Method");
    const char *uri = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Original-Uri");
    int code = RPC_OK;
    enum MHD_Result ret;
    if (!method || !*method || !uri || uri[0] != '/' || !utf8_valid(uri, strlen(uri))) {
        code = RPC_INVALID_ARGUMENT;
        ret = httpd_send(c, 400, NULL, NULL, 0, NULL);
    } else if (is_local_server_agent(c, uri)) {
        ret = httpd_send(c, 200, NULL, NULL, 0, NULL);
    } else {
        rpc_status st = { 0 };
        auth_identity id;
        code = check_caller(c, uri, &id, &st);
        if (code == RPC_OK) {
            ret = httpd_send(c, 200, NULL, NULL, 0, NULL);
        } else {
            json_t *j = json_object();
            json_object_set_new(j, "code", json_integer(code));
            json_object_set_new(j, "error", json_string(st.message));
            json_object_set_new(j, "message", json_string(st.message));
            char *text = json_dumps(j, JSON_COMPACT);
            json_decref(j);
            size_t n = text ? strlen(text) : 0;
            char *body = text ? realloc(text, n + 2) : NULL;
            if (body) {
                body[n] = '\n';
                body[n + 1] = '\0';
                n++;
            } else {
                free(text);
                n = 0;
            }
            ret = httpd_send(c, 401, CONTENT_JSON, body, n, NULL);
        }
    }
    metrics_observe("rest", "/auth_request", code, clock_seconds_since(&rs->start));
    return ret;
}

/* Collecting logs runs supervisorctl and reads files: longer than a call. */
#define LOGS_ZIP_TIMEOUT_MS 30000

/* GET /v1/server/logs.zip: admin only; a line-count Go cannot parse is a
 * plain-text 400 as upstream's http.Error; a bad escape in the query
 * leaves line-count unset, as Go's ParseForm skips that pair. */
static enum MHD_Result handle_logs_zip(struct MHD_Connection *c, request_state *rs)
{
    rpc_status st = { 0 };
    auth_identity id;
    enum MHD_Result ret;
    int code = check_caller(c, LOGS_ZIP_PATH, &id, &st);
    if (code != RPC_OK) {
        ret = send_auth_error(c, code, st.message);
        goto done;
    }
    const char *raw = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "line-count");
    char *lc = NULL, err[600];
    int32_t lines = 0;
    if (raw && (lc = pbjson_query_unescape(raw, strlen(raw), err, sizeof err)) && *lc &&
        logs_zip_parse_line_count(lc, &lines, err, sizeof err) != 0) {
        free(lc);
        code = RPC_INVALID_ARGUMENT;
        size_t n = strlen(err);
        char *body = malloc(n + 2);
        if (body)
            memcpy(body, err, n), memcpy(body + n, "\n", 2);
        const char *headers[] = { "X-Content-Type-Options", "nosniff", NULL };
        ret = httpd_send(c, 400, "text/plain; charset=utf-8", body, body ? n + 1 : 0, headers);
        goto done;
    }
    free(lc);
    char *zip;
    size_t len;
    code = logs_zip_fetch(&id, lines, LOGS_ZIP_TIMEOUT_MS, &zip, &len, &st);
    if (code != RPC_OK) {
        ret = send_error(c, code, st.message);
        goto done;
    }
    char name[64], disposition[128];
    logs_zip_filename(name, sizeof name, time(NULL));
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", name);
    const char *headers[] = { "Access-Control-Allow-Origin", "*", "Content-Disposition", disposition, NULL };
    ret = httpd_send(c, 200, "application/zip", zip, len, headers);
done:
    metrics_observe("rest", LOGS_ZIP_PATH, code, clock_seconds_since(&rs->start));
    return ret;
}

static bool path_matches_other_verb(const char *verb, const char *path)
{
    static const char *verbs[] = { "GET", "POST", "PUT", "DELETE", "PATCH" };
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
        if (strcmp(verbs[i], verb) == 0)
            continue;
        route_match m;
        if (route_find(route_table, route_table_len, verbs[i], path, &m) == 0) {
            route_match_clear(&m);
            return true;
        }
    }
    return false;
}

/* Go's server refuses a request line whose path has a bad escape before
 * any handler runs. */
static enum MHD_Result send_bad_request(struct MHD_Connection *c)
{
    static const char text[] = "400 Bad Request";
    const char *headers[] = { "Connection", "close", NULL };
    return httpd_send(c, 400, "text/plain; charset=utf-8", strdup(text), sizeof text - 1, headers);
}

/* net/http's ServeMux: a path that is not clean ("//", "/./", "/../") is
 * answered 301 to its clean form, query kept, before the gateway sees it. */
static enum MHD_Result send_clean_redirect(struct MHD_Connection *c, const char *verb, const char *clean)
{
    char *esc = route_escape_path(clean), *q = query_string(c);
    if (!esc || !q) {
        free(esc);
        free(q);
        return send_error(c, RPC_INTERNAL, "out of memory");
    }
    size_t n = strlen(esc) + strlen(q) + 2;
    char *loc = malloc(n);
    if (!loc) {
        free(esc);
        free(q);
        return send_error(c, RPC_INTERNAL, "out of memory");
    }
    snprintf(loc, n, "%s%s%s", esc, *q ? "?" : "", q);
    free(esc);
    free(q);
    enum MHD_Result ret;
    const char *headers[] = { "Location", loc, NULL };
    if (strcmp(verb, "GET") == 0 || strcmp(verb, "HEAD") == 0) {
        /* <a href="...">Moved Permanently</a>. with html escapes */
        size_t cap = strlen(loc) * 5 + 64, o = 0;
        char *body = malloc(cap);
        if (body) {
            o += (size_t)snprintf(body, cap, "<a href=\"");
            for (const char *p = loc; *p; p++) {
                const char *e = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
                                : *p == '"' ? "&#34;" : *p == '\'' ? "&#39;" : NULL;
                if (e)
                    o += (size_t)snprintf(body + o, cap - o, "%s", e);
                else
                    body[o++] = *p;
            }
            o += (size_t)snprintf(body + o, cap - o, "\">Moved Permanently</a>.\n\n");
        }
        bool head = strcmp(verb, "HEAD") == 0;
        ret = httpd_send(c, 301, "text/html; charset=utf-8", head ? (free(body), NULL) : body, head || !body ? 0 : o,
                         headers);
    } else {
        ret = httpd_send(c, 301, NULL, NULL, 0, headers);
    }
    free(loc);
    return ret;
}

static enum MHD_Result handle(struct rest_server *srv, struct MHD_Connection *c, const char *url,
                              const char *verb, request_state *rs)
{
    enum MHD_Result ret;
    /* r.URL.Path: decoded as a whole (legacy unescaping: "%2F" is a '/') */
    char *path = route_unescape_path(url);
    if (!path) {
        metrics_observe("rest", "unmatched", RPC_INVALID_ARGUMENT, clock_seconds_since(&rs->start));
        return send_bad_request(c);
    }
    char *clean = route_clean_path(path);
    if (!clean || strcmp(clean, path) != 0) {
        ret = clean ? send_clean_redirect(c, verb, clean) : send_error(c, RPC_INTERNAL, "out of memory");
        metrics_observe("rest", "unmatched", RPC_OK, clock_seconds_since(&rs->start));
        free(clean);
        free(path);
        return ret;
    }
    free(clean);
    if (strcmp(path, "/auth_request") == 0) {
        free(path);
        return handle_auth_request(c, rs);
    }
    if (strcmp(path, LOGS_ZIP_PATH) == 0) {
        free(path);
        return handle_logs_zip(c, rs);
    }
    route_match m;
    if (route_find(route_table, route_table_len, verb, path, &m) != 0) {
        char msg[600];
        int code = RPC_NOT_FOUND;
        if (!m.bare_verb && path_matches_other_verb(verb, path)) {
            code = RPC_UNIMPLEMENTED;
            snprintf(msg, sizeof msg, "Method Not Allowed");
        } else {
            snprintf(msg, sizeof msg, "Endpoint not found: %.400s, http method: %.20s", path, verb);
        }
        /* the message goes into JSON: keep it UTF-8 */
        if (!utf8_valid(msg, strlen(msg)))
            snprintf(msg, sizeof msg, "Endpoint not found: %.400s, http method: %.20s", url, verb);
        ret = send_error(c, code, msg);
        metrics_observe("rest", "unmatched", code, clock_seconds_since(&rs->start));
        free(path);
        return ret;
    }
    const char *method = m.route->method;
    int code;
    rpc_status st = { 0 };
    auth_identity id;
    char err[PBJSON_ERR_MAX];
    ProtobufCMessage *msg = NULL;

    code = check_caller(c, path, &id, &st);
    if (code != RPC_OK) {
        ret = send_auth_error(c, code, st.message);
        goto done;
    }
    code = build_request(c, &m, rs, &msg, err, sizeof err);
    if (code != RPC_OK) {
        ret = send_error(c, code, err);
        goto done;
    }
    code = call_and_respond(c, &m, &id, msg, srv->timeout_ms, &ret);
done:
    metrics_observe("rest", method, code, clock_seconds_since(&rs->start));
    if (msg)
        protobuf_c_message_free_unpacked(msg, NULL);
    route_match_clear(&m);
    free(path);
    return ret;
}

/* 413 rather than grpc-gateway's 429 for RESOURCE_EXHAUSTED: the body,
 * not a rate, is too big. */
static enum MHD_Result send_too_large(struct rest_server *srv, struct MHD_Connection *c)
{
    char msg[128];
    snprintf(msg, sizeof msg, "request body is larger than %zu bytes", srv->max_body);
    return send_error_http(c, 413, RPC_RESOURCE_EXHAUSTED, msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *verb,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct rest_server *srv = cls;
    request_state *rs = *con_cls;
    if (!rs) {
        rs = calloc(1, sizeof *rs);
        if (!rs)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &rs->start);
        *con_cls = rs;
        /* Refuse a declared oversize body before reading any of it. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
            rs->too_large = true;
            metrics_observe("rest", "oversize", RPC_RESOURCE_EXHAUSTED, 0);
            return send_too_large(srv, c);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rs->too_large || rs->len + n > srv->max_body) {
            rs->too_large = true;
            free(rs->body);
            rs->body = NULL;
            rs->len = rs->cap = 0;
            return MHD_YES;
        }
        if (rs->len + n + 1 > rs->cap) {
            size_t cap = rs->cap ? rs->cap : 4096;
            while (cap < rs->len + n + 1)
                cap *= 2;
            char *nb = realloc(rs->body, cap);
            if (!nb)
                return MHD_NO;
            rs->body = nb;
            rs->cap = cap;
        }
        memcpy(rs->body + rs->len, upload_data, n);
        rs->len += n;
        rs->body[rs->len] = '\0';
        return MHD_YES;
    }
    if (rs->too_large)
        return send_too_large(srv, c);
    return handle(srv, c, url, verb, rs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request_state *rs = *con_cls;
    if (rs) {
        free(rs->body);
        free(rs);
        *con_cls = NULL;
    }
}

/* Keep the URL as sent: the path is decoded as Go's net/http does it
 * (route_unescape_path, with Go's 400 for a bad escape) and the query by
 * the runtime's own parser (pbjson_set_query). */
static size_t keep_escapes(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)c;
    (void)socket_context;
    /* Connection threads end right after this; free their bus sockets. */
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
        dispatch_thread_done();
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_debug("http: %s", line);
}

rest_server *rest_start(const char *addr, int port, size_t max_body, int timeout_ms)
{
    struct sockaddr_storage ss;
    if (httpd_sockaddr(addr, port, &ss) != 0) {
        log_error("invalid listen address %s", addr);
        return NULL;
    }
    rest_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->max_body = max_body;
    s->timeout_ms = timeout_ms;
    /* poll, not select: with thousands of agent streams open, new sockets get
     * descriptors past FD_SETSIZE (1024), which select cannot watch */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, s,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                              MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                              MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, s,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)2048,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                              MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1024 * 1024),
                              MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                              MHD_OPTION_END);
    if (!s->mhd) {
        log_error("cannot listen on %s:%d for REST", addr, port);
        free(s);
        return NULL;
    }
    return s;
}

void rest_stop(rest_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->mhd);
    free(s);
}
