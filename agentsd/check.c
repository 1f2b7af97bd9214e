/* check: internal.v1.AgentsService/CheckService. inventoryd's AddService
 * holds the new service and exporter rows in its open transaction and sends
 * them here; this asks the pmm-agent as upstream's ConnectionChecker and
 * ServiceInfoBroker do: a CheckConnectionRequest (the exporter's DSN with a
 * 2 s dial timeout and the service's database, its text files and
 * delimiters, 3 s timeout; an external or HAProxy exporter's URL), then,
 * for pmm-agent >= 2.41 and database services, a ServiceInfoRequest whose
 * table count and version go back to inventoryd.
 * The DSNs come from the SetState builder (state/dsn.c); they carry
 * passwords, so they are only logged with the secrets replaced. */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "db/agent_row.h"
#include "conn.h"
#include "internal/v1/agents.pb-c.h"
#include "inventory/v1/services.pb-c.h"
#include "log.h"
#include "pbutil.h"
#include "secret.h"
#include "agentsd/state/dsn.h"

/* Each request: the agent's own 3 s plus the trip. */
#define CHECK_TIMEOUT_MS 5000

typedef struct {
    int type;          /* inventory.v1.ServiceType */
    char *dsn;
    json_t *files;     /* NULL: no text_files member (ProxySQL) */
    delims d;
    bool tls_skip_verify;
} check_req;

static void check_req_clear(check_req *r)
{
    free(r->dsn);
    json_decref(r->files);
}

/* connectionRequest / serviceInfoRequest of upstream: the same fields for
 * both; database services get the exporter's DSN (dsn_agent, as SetState's
 * with a 2 s dial timeout and the service's database). */
static int build(const state_src *s, check_req *r, rpc_status *st)
{
    static const struct {
        const char *service_type;
        int type;
        bool files, tls_skip_verify;
    } kinds[] = {
        { "mysql", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_MYSQL_SERVICE, true, true },
        { "postgresql", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_POSTGRESQL_SERVICE, true, false },
        { "mongodb", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_MONGODB_SERVICE, true, false },
        { "proxysql", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_PROXYSQL_SERVICE, false, false },
        { "external", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_EXTERNAL_SERVICE, false, true },
        { "haproxy", INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_HAPROXY_SERVICE, false, false },
    };
    const char *type = rec_s(s->service, "service_type", NULL);
    size_t i = 0;
    while (i < sizeof kinds / sizeof *kinds && strcmp(kinds[i].service_type, type) != 0)
        i++;
    if (i == sizeof kinds / sizeof *kinds)
        return rpc_fail(st, RPC_UNKNOWN, "unhandled Service type %s", type);
    r->type = kinds[i].type;
    r->d = state_agent_delims(s);
    r->tls_skip_verify = kinds[i].tls_skip_verify && rec_b(s->agent, "tls_skip_verify", NULL);
    if (r->type == INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_EXTERNAL_SERVICE ||
        r->type == INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_HAPROXY_SERVICE)
        r->dsn = dsn_exporter_url(s);
    else
        r->dsn = dsn_agent(s, 2, rec_s(s->service, "database_name", NULL), r->d);
    if (kinds[i].files)
        r->files = state_agent_files(s->agent);
    return r->dsn && (r->files || !kinds[i].files) ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

/* s with every occurrence of word replaced by "****" (takes s; NULL on ENOMEM). */
static char *replace_all(char *s, const char *word)
{
    size_t wl = strlen(word), from = 0;
    char *hit;
    while (s && wl && (hit = strstr(s + from, word)) != NULL) {
        size_t pre = (size_t)(hit - s), rest = strlen(hit + wl);
        char *n = malloc(pre + 4 + rest + 1);
        if (n) {
            memcpy(n, s, pre);
            memcpy(n + pre, "****", 4);
            memcpy(n + pre + 4, hit + wl, rest + 1);
        }
        free(s);
        s = n;
        from = pre + 4; /* never inside what was put in */
    }
    return s;
}

/* The password of a DSN's user info ("user:pass@tcp(" or
 * "scheme://user:pass@host") replaced in place by '*', also when escaped. */
static void mask_userinfo(char *dsn)
{
    char *scheme = strstr(dsn, "://");
    char *start = scheme ? scheme + 3 : dsn;
    char *end = scheme ? start + strcspn(start, "/?") : NULL;
    char *at = NULL;
    for (char *p = start; end ? p < end : *p; p++)
        if (*p == '@' && (end || strncmp(p, "@tcp(", 5) == 0 || strncmp(p, "@unix(", 6) == 0))
            at = p;
    char *colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;
    for (char *p = colon ? colon + 1 : at; p && p < at; p++)
        *p = '*';
}

/* dsn for the log: the agent's secrets replaced by "****" (upstream's
 * redactWords) and the user info's password masked (malloc'd). */
static char *redacted(const char *dsn, json_t *agent)
{
    strv words = { 0 };
    state_redact_words(&words, agent);
    char *out = words.oom ? NULL : strdup(dsn);
    for (size_t i = 0; out && i < words.n; i++)
        out = replace_all(out, words.v[i]);
    strv_free(&words);
    if (out)
        mask_userinfo(out);
    return out;
}

/* Fills the CheckConnectionRequest or ServiceInfoRequest m from r. */
static int fill(ProtobufCMessage *m, const check_req *r)
{
    if (pb_set_i32(m, "type", r->type) != 0 || pb_set_str(m, "dsn", r->dsn) != 0 ||
        pb_set_bool(m, "tls_skip_verify", r->tls_skip_verify) != 0)
        return -1;
    Google__Protobuf__Duration *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    google__protobuf__duration__init(t);
    t->seconds = 3;
    if (pb_set_msg(m, "timeout", &t->base) != 0) /* takes t */
        return -1;
    if (!r->files)
        return 0;
    ProtobufCMessage *tf = pb_new(&agent__v1__text_files__descriptor);
    if (!tf || pb_set_str(tf, "template_left_delim", r->d.l) != 0 ||
        pb_set_str(tf, "template_right_delim", r->d.r) != 0 || state_put_files(tf, "files", r->files) != 0) {
        if (tf)
            protobuf_c_message_free_unpacked(tf, NULL);
        return -1;
    }
    return pb_set_msg(m, "text_files", tf);
}

/* Sends one request (CheckConnection or ServiceInfo) and returns the answer
 * of the same kind in *resp. */
static int ask(const char *pmm_agent_id, bool info, const check_req *r, json_t *agent, Agent__V1__AgentMessage **resp,
               rpc_status *st)
{
    Agent__V1__ServerMessage msg = AGENT__V1__SERVER_MESSAGE__INIT;
    ProtobufCMessage *m = pb_new(info ? &agent__v1__service_info_request__descriptor
                                      : &agent__v1__check_connection_request__descriptor);
    if (!m || fill(m, r) != 0) {
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    if (info) {
        msg.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_SERVICE_INFO;
        msg.service_info = (Agent__V1__ServiceInfoRequest *)m;
    } else {
        msg.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_CHECK_CONNECTION;
        msg.check_connection = (Agent__V1__CheckConnectionRequest *)m;
    }
    char *safe = redacted(r->dsn, agent);
    log_info("%s: pmm-agent=%s type=%d dsn=\"%s\" timeout=3s", info ? "ServiceInfoRequest" : "CheckConnectionRequest",
             pmm_agent_id, r->type, safe ? safe : "****");
    free(safe);
    int rc = conn_request(pmm_agent_id, &msg, CHECK_TIMEOUT_MS, resp, st);
    protobuf_c_message_free_unpacked(m, NULL);
    if (rc != RPC_OK)
        return rc;
    Agent__V1__AgentMessage__PayloadCase want = info ? AGENT__V1__AGENT_MESSAGE__PAYLOAD_SERVICE_INFO
                                                     : AGENT__V1__AGENT_MESSAGE__PAYLOAD_CHECK_CONNECTION;
    if ((*resp)->payload_case != want) {
        int got = (int)(*resp)->payload_case;
        agent__v1__agent_message__free_unpacked(*resp, NULL);
        *resp = NULL;
        return rpc_fail(st, RPC_INTERNAL, "unexpected response payload %d", got);
    }
    return RPC_OK;
}

/* Go's context.Canceled / DeadlineExceeded texts become "timeout (...)". */
static bool is_timeout(const char *msg)
{
    return strcmp(msg, "context canceled") == 0 || strcmp(msg, "context deadline exceeded") == 0;
}

static int check_failed(rpc_status *st, const char *msg)
{
    if (is_timeout(msg))
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "Connection check failed: timeout (%s).", msg);
    return rpc_fail(st, RPC_FAILED_PRECONDITION, "Connection check failed: %s.", msg);
}

static int run(const Internal__V1__CheckServiceRequest *in, const state_src *s, Internal__V1__CheckServiceResponse *out,
               rpc_status *st)
{
    check_req r = { 0 };
    Agent__V1__AgentMessage *resp = NULL;
    const char *type = rec_s(s->service, "service_type", NULL);
    bool external = strcmp(type, "external") == 0 || strcmp(type, "haproxy") == 0;
    /* pmm-agents before 2.15 cannot check an external exporter: skipped */
    if (external && s->ver->num != 0 && agent_ver_less(s->ver, "2.14.99"))
        return RPC_OK;
    if (build(s, &r, st) != RPC_OK || ask(in->pmm_agent_id, false, &r, s->agent, &resp, st) != RPC_OK)
        goto done;
    const char *err = resp->check_connection->error ? resp->check_connection->error : "";
    if (*err) {
        check_failed(st, err);
        goto done;
    }
    agent__v1__agent_message__free_unpacked(resp, NULL);
    resp = NULL;
    /* ServiceInfoBroker: pmm-agent 2.41 and newer, not for external exporters */
    if (in->skip_service_info || external)
        goto done;
    if (agent_ver_parse(in->agent_version, &(agent_ver){ 0 }) != 0) {
        rpc_fail(st, RPC_UNKNOWN, "failed to parse PMM agent version \"%s\"", in->agent_version);
        goto done;
    }
    if (agent_ver_less(s->ver, "2.40.99"))
        goto done;
    if (ask(in->pmm_agent_id, true, &r, s->agent, &resp, st) != RPC_OK)
        goto done;
    const Agent__V1__ServiceInfoResponse *info = resp->service_info;
    /* upstream fails only on a timeout; other errors leave what it got */
    if (info->error && is_timeout(info->error)) {
        check_failed(st, info->error);
        goto done;
    }
    out->service_info = true;
    if (r.type == INVENTORY__V1__SERVICE_TYPE__SERVICE_TYPE_MYSQL_SERVICE)
        out->table_count = info->table_count;
    out->version = strdup(info->version ? info->version : "");
    if (!out->version)
        rpc_fail(st, RPC_INTERNAL, "out of memory");
done:
    if (resp)
        agent__v1__agent_message__free_unpacked(resp, NULL);
    check_req_clear(&r);
    return st->code;
}

static json_t *parse_row(const char *text, const char *what, rpc_status *st)
{
    json_t *row = json_loads(text ? text : "", 0, NULL);
    if (!json_is_object(row)) {
        json_decref(row);
        rpc_fail(st, RPC_INVALID_ARGUMENT, "%s is not a JSON object", what);
        return NULL;
    }
    return row;
}

static int check_service(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    const Internal__V1__CheckServiceRequest *in = (const Internal__V1__CheckServiceRequest *)req;
    rpc_status *st = &ctx->status;
    /* A pmm-agent that never connected has no version: asking it gives
     * upstream's not-connected error, so that is checked later (run). */
    agent_ver ver = { 0 };
    agent_ver_parse(in->agent_version, &ver);
    json_t *agent = parse_row(in->agent_row_json, "agent_row_json", st);
    json_t *service = agent ? parse_row(in->service_row_json, "service_row_json", st) : NULL;
    json_t *node = service && *in->node_row_json ? parse_row(in->node_row_json, "node_row_json", st) : NULL;
    if (service && agent_rec_transform_secrets(agent, secret_decrypt) != 0)
        rpc_fail(st, RPC_INTERNAL, "cannot decrypt the agent's credentials");
    Internal__V1__CheckServiceResponse *out = NULL;
    if (st->code == RPC_OK) {
        out = calloc(1, sizeof *out);
        if (out)
            internal__v1__check_service_response__init(out);
        else
            rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    if (out) {
        state_src s = { .agent = agent, .service = service, .node = node, .ver = &ver };
        if (run(in, &s, out, st) == RPC_OK)
            *resp = &out->base;
        else
            protobuf_c_message_free_unpacked(&out->base, NULL);
    }
    json_decref(agent);
    json_decref(service);
    json_decref(node);
    return st->code;
}

const rpc_method check_methods[] = {
    { "/internal.v1.AgentsService/CheckService", &internal__v1__check_service_request__descriptor, check_service },
};
const size_t check_methods_count = sizeof check_methods / sizeof *check_methods;
