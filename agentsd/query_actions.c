/* query_actions: see query_actions.h. Reuses the actions code
 * (actions_internal.h): the DSN and TLS files as StartServiceAction finds
 * them, the action rows and the start request. */
#include "query_actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions_internal.h"
#include "agentsd/store/action_results.h"
#include "clock.h"
#include "db/agent_row.h"
#include "db/daemon_db.h"
#include "internal/v1/agents.pb-c.h"
#include "pbutil.h"

/* upstream's resultAwaitTimeout */
#define RESULT_WAIT_MS 20000
#define MAX_ACTIONS 256

typedef enum { P_MYSQL, P_PG_SHOW, P_PG_SELECT, P_MONGO } param_kind;

static const struct {
    const char *member;
    param_kind kind;
} params[] = {
    { "mysql_query_show_params", P_MYSQL },
    { "mysql_query_select_params", P_MYSQL },
    { "postgresql_query_show_params", P_PG_SHOW },
    { "postgresql_query_select_params", P_PG_SELECT },
    { "mongodb_query_getparameter_params", P_MONGO },
    { "mongodb_query_buildinfo_params", P_MONGO },
    { "mongodb_query_getcmdlineopts_params", P_MONGO },
    { "mongodb_query_replsetgetstatus_params", P_MONGO },
    { "mongodb_query_getdiagnosticdata_params", P_MONGO },
};
#define N_PARAMS (sizeof params / sizeof *params)

/* The params message of member for t (the query text where it has one). */
static ProtobufCMessage *build_params(size_t k, const sdsn_target *t, const char *query)
{
    ProtobufCMessage *tf;
    ProtobufCMessage *m = action_dsn_params(params[k].member, t, &tf);
    if (!m)
        return NULL;
    int rc = 0;
    bool skip_verify = rec_b(t->agent, "tls_skip_verify", NULL);
    switch (params[k].kind) {
    case P_MYSQL:
    case P_PG_SELECT:
        rc = pb_set_str(m, "query", query) | pb_set_msg(m, "tls_files", tf) | pb_set_bool(m, "tls_skip_verify", skip_verify);
        break;
    case P_PG_SHOW: rc = pb_set_msg(m, "tls_files", tf) | pb_set_bool(m, "tls_skip_verify", skip_verify); break;
    case P_MONGO: rc = pb_set_msg(m, "text_files", tf); break;
    }
    if (rc != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

typedef struct {
    char id[64];
    bool started;
    char *error; /* why it did not start */
} pending;

static int set_output(Internal__V1__QueryActionOutput *o, db *d, const pending *p)
{
    if (p->error) {
        o->error = strdup(p->error);
        return o->error ? 0 : -1;
    }
    rpc_status st = { 0 };
    PGresult *r = store_action_results_get(d, p->id, &st);
    char buf[512];
    if (!r || PQntuples(r) == 0) {
        snprintf(buf, sizeof buf, "action %s: result not found", p->id);
    } else if (PQgetvalue(r, 0, 2)[0] != 't') {
        snprintf(buf, sizeof buf, "context deadline exceeded");
    } else if (*PQgetvalue(r, 0, 3)) {
        snprintf(buf, sizeof buf, "action %s failed: %s", p->id, PQgetvalue(r, 0, 3));
    } else {
        size_t len = 0;
        unsigned char *out =
            PQgetisnull(r, 0, 4) ? NULL : PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 4), &len);
        if (len && !(o->output.data = malloc(len))) {
            PQfreemem(out);
            PQclear(r);
            return -1;
        }
        if (len)
            memcpy(o->output.data, out, len);
        o->output.len = len;
        PQfreemem(out);
        PQclear(r);
        return 0;
    }
    PQclear(r);
    o->error = strdup(buf);
    return o->error ? 0 : -1;
}

static int query_actions(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    daemon_worker *w = ctx->worker;
    const Internal__V1__QueryActionsRequest *req = (const Internal__V1__QueryActionsRequest *)in;
    if (!*req->service_id || !*req->pmm_agent_id)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "service_id and pmm_agent_id are required");
    if (req->n_actions > MAX_ACTIONS)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "at most %d actions at once", MAX_ACTIONS);
    pending *p = calloc(req->n_actions + 1, sizeof *p);
    const char **ids = calloc(req->n_actions + 1, sizeof *ids);
    if (!p || !ids) {
        free(p);
        free(ids);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    size_t n_started = 0;
    for (size_t i = 0; i < req->n_actions; i++) {
        const Internal__V1__QueryActionParams *a = req->actions[i];
        size_t k = 0;
        while (k < N_PARAMS && strcmp(params[k].member, a->params) != 0)
            k++;
        rpc_status st = { 0 };
        sdsn_target t = { 0 };
        ProtobufCMessage *m = NULL;
        if (k == N_PARAMS)
            rpc_fail(&st, RPC_INVALID_ARGUMENT, "unknown query action %s", a->params);
        else if (action_target_prepare(w->db, req->service_id, req->pmm_agent_id, a->database, true, &t, &st) ==
                     RPC_OK &&
                 !(m = build_params(k, &t, a->query)))
            rpc_fail(&st, RPC_INTERNAL, "out of memory");
        /* the row, then the request; a request the agent did not take
         * leaves no row */
        if (m && action_create(w->db, req->pmm_agent_id, p[i].id, &st) != RPC_OK) {
            protobuf_c_message_free_unpacked(m, NULL);
            m = NULL;
        }
        if (m) {
            if (action_start(req->pmm_agent_id, p[i].id, ACTION_QUERY_TIMEOUT_S, params[k].member, m, &st) ==
                RPC_OK) {
                p[i].started = true;
                ids[n_started++] = p[i].id;
            } else {
                rpc_status ignored;
                store_action_results_remove(w->db, p[i].id, &ignored);
            }
        }
        if (!p[i].started)
            p[i].error = strdup(st.message[0] ? st.message : "the action did not start");
        sdsn_clear(&t);
    }
    action_wait_done(w->db, ids, n_started, clock_mono_ms() + RESULT_WAIT_MS);
    Internal__V1__QueryActionsResponse *resp = malloc(sizeof *resp);
    int rc = RPC_OK;
    if (resp) {
        internal__v1__query_actions_response__init(resp);
        resp->results = calloc(req->n_actions + 1, sizeof *resp->results);
    }
    for (size_t i = 0; resp && resp->results && i < req->n_actions && rc == RPC_OK; i++) {
        Internal__V1__QueryActionOutput *o = malloc(sizeof *o);
        if (!o) {
            rc = RPC_INTERNAL;
            break;
        }
        internal__v1__query_action_output__init(o);
        resp->results[resp->n_results++] = o;
        if (set_output(o, w->db, &p[i]) != 0)
            rc = RPC_INTERNAL;
    }
    /* the rows are the mailbox of this call only */
    for (size_t i = 0; i < req->n_actions; i++) {
        rpc_status ignored;
        if (p[i].started)
            store_action_results_remove(w->db, p[i].id, &ignored);
        free(p[i].error);
    }
    free(p);
    free(ids);
    if (!resp || !resp->results || rc != RPC_OK) {
        if (resp)
            protobuf_c_message_free_unpacked(&resp->base, NULL);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = &resp->base;
    return RPC_OK;
}

const rpc_method query_actions_methods[] = {
    { "/internal.v1.AgentsService/QueryActions", &internal__v1__query_actions_request__descriptor, query_actions },
};
const size_t query_actions_methods_count = sizeof query_actions_methods / sizeof *query_actions_methods;
