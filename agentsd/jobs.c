/* jobs: internal.v1.JobsService and the job events (see jobs.h). */
#include "jobs.h"

#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "deferred_ask.h"
#include "db/daemon_db.h"
#include "internal/v1/jobs.pb-c.h"
#include "service_dsn.h"

/* upstream's jobs.go waits for the agent's answer without a deadline of
 * its own; the caller's deadline is what bounds it here, at most this */
#define JOB_REQUEST_TIMEOUT_MS 30000

conn_sender jobs_send = conn_request;
conn_async_sender jobs_send_async = conn_request_async;

/* Sends m to the pmm-agent; on success *resp carries the reply of the
 * expected kind. */
static int ask(rpc_ctx *ctx, const char *pmm_agent_id, Agent__V1__ServerMessage *m,
               Agent__V1__AgentMessage__PayloadCase want, const char *model, Agent__V1__AgentMessage **resp)
{
    if (!pmm_agent_id || !*pmm_agent_id)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "pmm_agent_id is required");
    *resp = NULL;
    int code = jobs_send(pmm_agent_id, m, conn_timeout_for(ctx->req, JOB_REQUEST_TIMEOUT_MS), resp, &ctx->status);
    if (code != RPC_OK)
        return code;
    if (!*resp || (*resp)->payload_case != want) {
        if (*resp)
            protobuf_c_message_free_unpacked(&(*resp)->base, NULL);
        *resp = NULL;
        return rpc_fail(&ctx->status, RPC_INTERNAL, "wrong response from agent (not %s model)", model);
    }
    return RPC_OK;
}

/* The service's connection put into a copy of the job (upstream's jobs.go
 * fills it from models.FindDSNByServiceIDandPMMAgentID): the DSN and TLS
 * files of a MongoDB job, the credentials and address of a MySQL backup.
 * *sj borrows from req, t and *tf; free *tf after sending. */
static int fill_connection(db *d, const Internal__V1__StartJobRequest *req, Agent__V1__StartJobRequest *sj,
                           Agent__V1__StartJobRequest__MySQLBackup *mb, Agent__V1__StartJobRequest__MongoDBBackup *gb,
                           Agent__V1__StartJobRequest__MongoDBRestoreBackup *gr, sdsn_target *t,
                           ProtobufCMessage **tf, rpc_status *st)
{
    *sj = *req->request;
    *tf = NULL;
    if (!req->service_id || !*req->service_id)
        return RPC_OK;
    if (sdsn_for_service(d, req->service_id, req->pmm_agent_id, t, st))
        return st->code;
    switch (sj->job_case) {
    case AGENT__V1__START_JOB_REQUEST__JOB_MYSQL_BACKUP:
        *mb = *sj->mysql_backup;
        mb->user = (char *)rec_s(t->agent, "username", NULL);
        mb->password = (char *)rec_s(t->agent, "password", NULL);
        mb->address = (char *)rec_s(t->service, "address", NULL);
        mb->port = (int32_t)rec_i(t->service, "port", NULL);
        mb->socket = (char *)rec_s(t->service, "socket", NULL);
        sj->mysql_backup = mb;
        break;
    case AGENT__V1__START_JOB_REQUEST__JOB_MONGODB_BACKUP:
        *gb = *sj->mongodb_backup;
        gb->dsn = t->dsn;
        gb->text_files = (Agent__V1__TextFiles *)(*tf = sdsn_text_files(t));
        sj->mongodb_backup = gb;
        break;
    case AGENT__V1__START_JOB_REQUEST__JOB_MONGODB_RESTORE_BACKUP:
        *gr = *sj->mongodb_restore_backup;
        gr->dsn = t->dsn;
        gr->text_files = (Agent__V1__TextFiles *)(*tf = sdsn_text_files(t));
        sj->mongodb_restore_backup = gr;
        break;
    default: /* a MySQL restore runs xtrabackup on the host: no connection */
        break;
    }
    bool mongo = sj->job_case == AGENT__V1__START_JOB_REQUEST__JOB_MONGODB_BACKUP ||
                 sj->job_case == AGENT__V1__START_JOB_REQUEST__JOB_MONGODB_RESTORE_BACKUP;
    return mongo && !*tf ? rpc_fail(st, RPC_INTERNAL, "out of memory") : RPC_OK;
}

/* The agent's StartJobResponse moves into the internal one. */
static int start_job_reply(Agent__V1__AgentMessage *resp, ProtobufCMessage **out, rpc_status *st)
{
    Internal__V1__StartJobResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
    internal__v1__start_job_response__init(r);
    r->response = resp->start_job; /* moves over: the agent's reply gives it up */
    resp->start_job = NULL;
    resp->payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD__NOT_SET;
    *out = &r->base;
    return RPC_OK;
}

static int start_job(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Internal__V1__StartJobRequest *req = (const Internal__V1__StartJobRequest *)in;
    if (!req->request || !req->request->job_id || !*req->request->job_id)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "a StartJobRequest with a job_id is required");
    if (!req->pmm_agent_id || !*req->pmm_agent_id)
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "pmm_agent_id is required");
    daemon_worker *w = ctx->worker;
    Agent__V1__StartJobRequest sj;
    Agent__V1__StartJobRequest__MySQLBackup mb;
    Agent__V1__StartJobRequest__MongoDBBackup gb;
    Agent__V1__StartJobRequest__MongoDBRestoreBackup gr;
    sdsn_target t = { 0 };
    ProtobufCMessage *tf = NULL;
    int code = fill_connection(w ? w->db : NULL, req, &sj, &mb, &gb, &gr, &t, &tf, &ctx->status);
    if (code == RPC_OK) {
        /* the worker is free once the job is sent: the agent's answer is
         * relayed from the stream loop (deferred_ask.h) */
        const dask_spec spec = { jobs_send, jobs_send_async, AGENT__V1__AGENT_MESSAGE__PAYLOAD_START_JOB,
                                 "wrong response from agent (not StartJobResponse model)", start_job_reply };
        Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
        m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_START_JOB;
        m.start_job = &sj;
        code = dask_ask(ctx, &spec, req->pmm_agent_id, &m, conn_timeout_for(ctx->req, JOB_REQUEST_TIMEOUT_MS), out);
    }
    if (tf)
        protobuf_c_message_free_unpacked(tf, NULL);
    sdsn_clear(&t);
    return code;
}

static int stop_job(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Internal__V1__StopJobRequest *req = (const Internal__V1__StopJobRequest *)in;
    Agent__V1__StopJobRequest sj = AGENT__V1__STOP_JOB_REQUEST__INIT;
    sj.job_id = req->job_id;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_STOP_JOB;
    m.stop_job = &sj;
    Agent__V1__AgentMessage *resp;
    int code = ask(ctx, req->pmm_agent_id, &m, AGENT__V1__AGENT_MESSAGE__PAYLOAD_STOP_JOB, "StopJobResponse", &resp);
    if (code != RPC_OK)
        return code;
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    Internal__V1__StopJobResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(&ctx->status, RPC_RESOURCE_EXHAUSTED, "out of memory");
    internal__v1__stop_job_response__init(r);
    *out = &r->base;
    return RPC_OK;
}

static int job_status(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Internal__V1__JobStatusRequest *req = (const Internal__V1__JobStatusRequest *)in;
    Agent__V1__JobStatusRequest js = AGENT__V1__JOB_STATUS_REQUEST__INIT;
    js.job_id = req->job_id;
    Agent__V1__ServerMessage m = AGENT__V1__SERVER_MESSAGE__INIT;
    m.payload_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD_JOB_STATUS;
    m.job_status = &js;
    Agent__V1__AgentMessage *resp;
    int code = ask(ctx, req->pmm_agent_id, &m, AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_STATUS, "JobStatusResponse", &resp);
    if (code != RPC_OK)
        return code;
    Internal__V1__JobStatusResponse *r = malloc(sizeof *r);
    if (r) {
        internal__v1__job_status_response__init(r);
        r->alive = resp->job_status->alive;
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    if (!r)
        return rpc_fail(&ctx->status, RPC_RESOURCE_EXHAUSTED, "out of memory");
    *out = &r->base;
    return RPC_OK;
}

int jobs_event(const char *pmm_agent_id, const Agent__V1__AgentMessage *msg, const char **topic, uint8_t **buf,
               size_t *len)
{
    Internal__V1__JobEvent ev = INTERNAL__V1__JOB_EVENT__INIT;
    ev.pmm_agent_id = (char *)pmm_agent_id;
    if (msg->payload_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_RESULT && msg->job_result) {
        ev.event_case = INTERNAL__V1__JOB_EVENT__EVENT_RESULT;
        ev.result = msg->job_result;
        *topic = "job.result";
    } else if (msg->payload_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_PROGRESS && msg->job_progress) {
        ev.event_case = INTERNAL__V1__JOB_EVENT__EVENT_PROGRESS;
        ev.progress = msg->job_progress;
        *topic = "job.progress";
    } else {
        return -1;
    }
    *len = internal__v1__job_event__get_packed_size(&ev);
    *buf = malloc(*len ? *len : 1);
    if (!*buf)
        return -1;
    internal__v1__job_event__pack(&ev, *buf);
    return 0;
}

const rpc_method jobs_methods[] = {
    { "/internal.v1.JobsService/StartJob", &internal__v1__start_job_request__descriptor, start_job },
    { "/internal.v1.JobsService/StopJob", &internal__v1__stop_job_request__descriptor, stop_job },
    { "/internal.v1.JobsService/JobStatus", &internal__v1__job_status_request__descriptor, job_status },
};
const size_t jobs_methods_count = sizeof jobs_methods / sizeof *jobs_methods;
