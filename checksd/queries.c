/* queries: see queries.h. */
#include "queries.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/peers.h"
#include "clock.h"
#include "docs.h"
#include "http/httpc.h"
#include "internal/v1/agents.pb-c.h"
#include "metrics_query.h"

/* upstream's query for the databases of an all_dbs query (the agent
 * prepends SELECT) */
#define ALL_DBS_QUERY                                                                                                  \
    "datname FROM pg_database WHERE datallowconn = true AND datistemplate = false AND "                                \
    "has_database_privilege(current_user, datname, 'connect')"

const char *queries_params_member(query_type t)
{
    switch (t) {
    case Q_MYSQL_SHOW: return "mysql_query_show_params";
    case Q_MYSQL_SELECT: return "mysql_query_select_params";
    case Q_POSTGRESQL_SHOW: return "postgresql_query_show_params";
    case Q_POSTGRESQL_SELECT: return "postgresql_query_select_params";
    case Q_MONGODB_GETPARAMETER: return "mongodb_query_getparameter_params";
    case Q_MONGODB_BUILDINFO: return "mongodb_query_buildinfo_params";
    case Q_MONGODB_GETCMDLINEOPTS: return "mongodb_query_getcmdlineopts_params";
    case Q_MONGODB_REPLSETGETSTATUS: return "mongodb_query_replsetgetstatus_params";
    case Q_MONGODB_GETDIAGNOSTICDATA: return "mongodb_query_getdiagnosticdata_params";
    default: return NULL;
    }
}

/* ---- agent-side queries -------------------------------------------------------------- */

typedef struct {
    const char *params, *query, *database;
} action;

/* One QueryActions round: outputs[i] (the caller frees with
 * internal__v1__query_actions_response__free_unpacked on *resp). */
static int call_agentsd(const check_target *t, const action *acts, size_t n, int timeout_ms,
                        Internal__V1__QueryActionsResponse **resp, char *err, size_t errlen)
{
    *resp = NULL;
    Internal__V1__QueryActionsRequest req = INTERNAL__V1__QUERY_ACTIONS_REQUEST__INIT;
    Internal__V1__QueryActionParams *p = calloc(n, sizeof *p);
    Internal__V1__QueryActionParams **pp = calloc(n, sizeof *pp);
    int rc = -1;
    uint8_t *buf = NULL;
    if (!p || !pp) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        internal__v1__query_action_params__init(&p[i]);
        p[i].params = (char *)acts[i].params;
        p[i].query = (char *)(acts[i].query ? acts[i].query : "");
        p[i].database = (char *)(acts[i].database ? acts[i].database : "");
        pp[i] = &p[i];
    }
    req.service_id = t->service_id;
    req.pmm_agent_id = t->pmm_agent_id;
    req.n_actions = n;
    req.actions = pp;
    size_t len = internal__v1__query_actions_request__get_packed_size(&req);
    bus_client *c = bus_peers_get("agentsd");
    if (!c || !(buf = malloc(len ? len : 1))) {
        snprintf(err, errlen, "no bus client for agentsd");
        goto out;
    }
    internal__v1__query_actions_request__pack(&req, buf);
    bus_request br = { .method = "/internal.v1.AgentsService/QueryActions", .user = "", .role = "", .body = buf,
                       .body_len = len };
    bus_reply rep = { 0 };
    int code = bus_client_call(c, &br, timeout_ms, &rep);
    if (code != 0)
        snprintf(err, errlen, "%s", rep.message ? rep.message : "agentsd did not answer");
    else if (!(*resp = internal__v1__query_actions_response__unpack(NULL, rep.body_len, rep.body)) ||
             (*resp)->n_results != n)
        snprintf(err, errlen, "agentsd's answer does not decode");
    else
        rc = 0;
    bus_reply_clear(&rep);
    if (rc != 0 && *resp) {
        internal__v1__query_actions_response__free_unpacked(*resp, NULL);
        *resp = NULL;
    }
out:
    free(buf);
    free(p);
    free(pp);
    return rc;
}

static int output_error(const Internal__V1__QueryActionOutput *o, char *err, size_t errlen)
{
    if (o->error && *o->error) {
        snprintf(err, errlen, "%s", o->error);
        return -1;
    }
    return 0;
}

typedef struct {
    const queries_config *cfg;
    const check_def *c;
    const check_target *t;
    msgpack_sbuffer *results;
    char err[1024];
    int rc;
} agent_job;

/* The databases of an all_dbs query from the listing's rows. */
static char **database_names(const Internal__V1__QueryActionOutput *o, size_t *n, char *err, size_t errlen)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char **names = NULL;
    *n = 0;
    if (docs_from_query_result(o->output.data, o->output.len, &sb, err, errlen) != 0) {
        msgpack_sbuffer_destroy(&sb);
        return NULL;
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    if (msgpack_unpack_next(&u, sb.data, sb.size, &off) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_ARRAY) {
        names = calloc(u.data.via.array.size + 1, sizeof *names);
        for (uint32_t i = 0; names && i < u.data.via.array.size; i++) {
            const msgpack_object *row = &u.data.via.array.ptr[i];
            if (row->type != MSGPACK_OBJECT_MAP || !row->via.map.size)
                continue;
            const msgpack_object *v = &row->via.map.ptr[0].val;
            if (v->type == MSGPACK_OBJECT_STR && (names[*n] = strndup(v->via.str.ptr, v->via.str.size)))
                (*n)++;
        }
    }
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
    if (!names)
        snprintf(err, errlen, "failed to read the list of databases");
    return names;
}

static void run_agent_queries(agent_job *j)
{
    const check_def *c = j->c;
    action acts[65];
    size_t n = 0, idx[65];
    bool all_dbs = false;
    for (size_t i = 0; i < c->n_queries; i++) {
        const check_query *q = &c->queries[i];
        if (!query_type_on_agent(q->type))
            continue;
        if (q->type == Q_POSTGRESQL_SELECT && q->all_dbs) {
            all_dbs = true;
            continue;
        }
        acts[n] = (action){ queries_params_member(q->type), q->query, NULL };
        idx[n++] = i;
    }
    if (all_dbs)
        acts[n++] = (action){ "postgresql_query_select_params", ALL_DBS_QUERY, NULL };
    j->rc = 0;
    if (!n)
        return;
    Internal__V1__QueryActionsResponse *resp;
    if (call_agentsd(j->t, acts, n, j->cfg->agent_timeout_ms, &resp, j->err, sizeof j->err) != 0) {
        j->rc = -1;
        return;
    }
    size_t plain = all_dbs ? n - 1 : n;
    for (size_t k = 0; k < plain && j->rc == 0; k++)
        if (output_error(resp->results[k], j->err, sizeof j->err) != 0 ||
            docs_from_query_result(resp->results[k]->output.data, resp->results[k]->output.len, &j->results[idx[k]],
                                   j->err, sizeof j->err) != 0)
            j->rc = -1;
    size_t n_db = 0;
    char **dbs = NULL;
    if (j->rc == 0 && all_dbs &&
        (output_error(resp->results[n - 1], j->err, sizeof j->err) != 0 ||
         !(dbs = database_names(resp->results[n - 1], &n_db, j->err, sizeof j->err))))
        j->rc = -1;
    internal__v1__query_actions_response__free_unpacked(resp, NULL);
    if (j->rc != 0 || !all_dbs) {
        free(dbs);
        return;
    }
    /* the all_dbs queries, each in every database: one more round */
    size_t n_all = 0;
    for (size_t i = 0; i < c->n_queries; i++)
        n_all += c->queries[i].type == Q_POSTGRESQL_SELECT && c->queries[i].all_dbs;
    action *more = calloc(n_all * n_db + 1, sizeof *more);
    if (!more) {
        snprintf(j->err, sizeof j->err, "out of memory");
        j->rc = -1;
    }
    size_t m = 0;
    for (size_t i = 0; more && i < c->n_queries; i++)
        if (c->queries[i].type == Q_POSTGRESQL_SELECT && c->queries[i].all_dbs)
            for (size_t d = 0; d < n_db; d++)
                more[m++] = (action){ "postgresql_query_select_params", c->queries[i].query, dbs[d] };
    if (more && m && call_agentsd(j->t, more, m, j->cfg->agent_timeout_ms, &resp, j->err, sizeof j->err) != 0)
        j->rc = -1;
    else if (more) {
        size_t k = 0;
        for (size_t i = 0; i < c->n_queries && j->rc == 0; i++) {
            if (!(c->queries[i].type == Q_POSTGRESQL_SELECT && c->queries[i].all_dbs))
                continue;
            msgpack_packer pk;
            msgpack_packer_init(&pk, &j->results[i], msgpack_sbuffer_write);
            msgpack_pack_map(&pk, n_db);
            for (size_t d = 0; d < n_db && j->rc == 0; d++, k++) {
                msgpack_pack_str(&pk, strlen(dbs[d]));
                msgpack_pack_str_body(&pk, dbs[d], strlen(dbs[d]));
                if (output_error(resp->results[k], j->err, sizeof j->err) != 0 ||
                    docs_from_query_result(resp->results[k]->output.data, resp->results[k]->output.len,
                                           &j->results[i], j->err, sizeof j->err) != 0)
                    j->rc = -1;
            }
        }
        if (m)
            internal__v1__query_actions_response__free_unpacked(resp, NULL);
    }
    free(more);
    for (size_t d = 0; d < n_db; d++)
        free(dbs[d]);
    free(dbs);
}

static void *agent_thread(void *arg)
{
    run_agent_queries(arg);
    bus_peers_thread_done();
    return NULL;
}

/* ---- metrics queries ------------------------------------------------------------------ */

static int run_metrics_queries(const queries_config *cfg, const check_def *c, const check_target *t,
                               msgpack_sbuffer *results, char *err, size_t errlen)
{
    httpc_call *calls[65];
    size_t idx[65], n = 0;
    int rc = 0;
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < c->n_queries && rc == 0; i++) {
        const check_query *q = &c->queries[i];
        if (q->type != Q_METRICS_INSTANT && q->type != Q_METRICS_RANGE)
            continue;
        char *promql = metrics_render_query(q->query, t->service_name, t->node_name, t->service_id, err, errlen);
        char *url = promql ? metrics_query_url(cfg->vm_url, q, promql, now) : NULL;
        httpc_request r = { .method = "GET", .url = url, .timeout_ms = cfg->metrics_timeout_ms };
        if (!url || !(calls[n] = httpc_call_new(&r))) {
            if (promql)
                snprintf(err, errlen, "failed to build the metrics query");
            rc = -1;
        } else {
            idx[n++] = i;
        }
        free(promql);
        free(url);
    }
    if (rc == 0 && n && httpc_run_all(calls, n, cfg->metrics_timeout_ms) != 0) {
        snprintf(err, errlen, "failed to run the metrics queries");
        rc = -1;
    }
    for (size_t k = 0; k < n && rc == 0; k++) {
        httpc_state s = httpc_state_of(calls[k]);
        if (s == HTTPC_DONE)
            rc = metrics_answer_docs(httpc_status(calls[k]), httpc_body(calls[k]), httpc_body_len(calls[k]),
                                     &results[idx[k]], err, errlen);
        else {
            snprintf(err, errlen, "%s", s == HTTPC_TIMED_OUT ? "metrics query timed out" : httpc_error(calls[k]));
            rc = -1;
        }
    }
    for (size_t k = 0; k < n; k++)
        httpc_call_free(calls[k]);
    return rc;
}

int queries_run(const queries_config *cfg, const check_def *c, const check_target *t, msgpack_sbuffer *results,
                char *err, size_t errlen)
{
    bool agent = false, metrics = false;
    for (size_t i = 0; i < c->n_queries; i++) {
        if (query_type_on_agent(c->queries[i].type))
            agent = true;
        else if (c->queries[i].type == Q_METRICS_INSTANT || c->queries[i].type == Q_METRICS_RANGE)
            metrics = true;
        else {
            snprintf(err, errlen, "unsupported query type %s", query_type_name(c->queries[i].type));
            return -1;
        }
    }
    agent_job j = { .cfg = cfg, .c = c, .t = t, .results = results };
    pthread_t th;
    /* both kinds at once: the agent round trip on a thread of its own */
    bool threaded = agent && metrics && pthread_create(&th, NULL, agent_thread, &j) == 0;
    if (agent && !threaded)
        run_agent_queries(&j);
    int mrc = metrics ? run_metrics_queries(cfg, c, t, results, err, errlen) : 0;
    if (threaded)
        pthread_join(th, NULL);
    if (j.rc != 0) {
        snprintf(err, errlen, "%s", j.err);
        return -1;
    }
    return mrc;
}
