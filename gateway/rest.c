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
#include "httpd.h"
#include "logs_zip.h"
#include "log.h"
#include "metrics.h"
#include "pbjson.h"
#include "route.h"
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

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

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

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = tolower(ch);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
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

/* Query-string decoding as Go's url.ParseQuery: %XX and '+' -> ' '.
 * Returns -1 on a malformed escape (Go rejects those too). */
static int query_unescape(const char *in, char **out)
{
    size_t n = strlen(in);
    char *s = malloc(n + 1), *o = s;
    if (!s)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '+') {
            *o++ = ' ';
        } else if (in[i] == '%') {
            int hi = i + 1 < n ? hexval((unsigned char)in[i + 1]) : -1;
            int lo = i + 2 < n ? hexval((unsigned char)in[i + 2]) : -1;
            /* %00 would cut the value short in C: refuse it. */
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(s);
                return -1;
            }
            *o++ = (char)(hi << 4 | lo);
            i += 2;
        } else {
            *o++ = in[i];
        }
    }
    *o = '\0';
    *out = s;
    return 0;
}

typedef struct {
    json_t *obj;
    const ProtobufCMessageDescriptor *desc;
    char err[PBJSON_ERR_MAX];
    int failed;
} query_ctx;

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    query_ctx *q = cls;
    if (q->failed)
        return MHD_NO;
    char *k = NULL, *v = NULL;
    if (query_unescape(key, &k) != 0 || query_unescape(value ? value : "", &v) != 0) {
        snprintf(q->err, sizeof q->err, "invalid URL escape in query parameter");
        q->failed = 1;
    } else if (pbjson_set_text(q->obj, q->desc, k, v, q->err, sizeof q->err) != 0) {
        q->failed = 1;
    }
    free(k);
    free(v);
    return q->failed ? MHD_NO : MHD_YES;
}

/* Builds the request message as JSON: body (for body "*"), then query
 * parameters (GET/DELETE), then path parameters, which win. */
static int build_request_json(struct MHD_Connection *c, const route_match *m, const request_state *rs,
                              json_t **out, char *err, size_t errlen)
{
    const route_entry *r = m->route;
    json_t *obj = NULL;
    if (r->body[0] != '\0' && rs->len > 0) {
        json_error_t jerr;
        json_t *body = json_loadb(rs->body, rs->len, JSON_DECODE_ANY, &jerr);
        if (!body) {
            snprintf(err, errlen, "invalid JSON body: %s (line %d, column %d)", jerr.text, jerr.line,
                     jerr.column);
            return -1;
        }
        if (strcmp(r->body, "*") == 0) {
            if (!json_is_object(body)) {
                json_decref(body);
                snprintf(err, errlen, "invalid JSON body: expected an object");
                return -1;
            }
            obj = body;
        } else {
            obj = json_object();
            json_object_set_new(obj, r->body, body);
        }
    }
    if (!obj)
        obj = json_object();
    if (r->body[0] == '\0' || strcmp(r->body, "*") != 0) {
        query_ctx q = { .obj = obj, .desc = r->request };
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_query_arg, &q);
        if (q.failed) {
            snprintf(err, errlen, "%s", q.err);
            json_decref(obj);
            return -1;
        }
    }
    for (int i = 0; i < m->n_params; i++) {
        if (pbjson_set_text(obj, r->request, m->params[i].name, m->params[i].value, err, errlen) != 0) {
            json_decref(obj);
            return -1;
        }
    }
    *out = obj;
    return 0;
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
    metrics_observe("rest", "/auth_request", code, seconds_since(&rs->start));
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
    if (raw && query_unescape(raw, &lc) == 0 && *lc && logs_zip_parse_line_count(lc, &lines, err, sizeof err) != 0) {
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
    metrics_observe("rest", LOGS_ZIP_PATH, code, seconds_since(&rs->start));
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

static enum MHD_Result handle(struct rest_server *srv, struct MHD_Connection *c, const char *url,
                              const char *verb, request_state *rs)
{
    enum MHD_Result ret;
    const char *path = url;
    if (strcmp(path, "/auth_request") == 0)
        return handle_auth_request(c, rs);
    if (strcmp(path, LOGS_ZIP_PATH) == 0)
        return handle_logs_zip(c, rs);
    route_match m;
    if (route_find(route_table, route_table_len, verb, path, &m) != 0) {
        char msg[600];
        int code = RPC_NOT_FOUND;
        if (path_matches_other_verb(verb, path)) {
            code = RPC_UNIMPLEMENTED;
            snprintf(msg, sizeof msg, "Method Not Allowed");
            ret = send_error(c, code, msg);
            metrics_observe("rest", "unmatched", code, seconds_since(&rs->start));
            return ret;
        }
        snprintf(msg, sizeof msg, "Endpoint not found: %.400s, http method: %.20s", url, verb);
        ret = send_error(c, code, msg);
        metrics_observe("rest", "unmatched", code, seconds_since(&rs->start));
        return ret;
    }
    const char *method = m.route->method;
    int code;
    rpc_status st = { 0 };
    auth_identity id;
    char err[PBJSON_ERR_MAX];
    json_t *reqjson = NULL;
    ProtobufCMessage *msg = NULL;

    code = check_caller(c, path, &id, &st);
    if (code != RPC_OK) {
        ret = send_auth_error(c, code, st.message);
        goto done;
    }
    if (build_request_json(c, &m, rs, &reqjson, err, sizeof err) != 0 ||
        pbjson_decode(reqjson, m.route->request, &msg, err, sizeof err) != 0) {
        code = RPC_INVALID_ARGUMENT;
        ret = send_error(c, code, err);
        goto done;
    }
    code = call_and_respond(c, &m, &id, msg, srv->timeout_ms, &ret);
done:
    metrics_observe("rest", method, code, seconds_since(&rs->start));
    if (msg)
        protobuf_c_message_free_unpacked(msg, NULL);
    json_decref(reqjson);
    route_match_clear(&m);
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

/* Keep the URL as sent: path parameters are percent-decoded per segment
 * by the router (so %2F stays inside one segment) and query values by
 * query_unescape. */
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
