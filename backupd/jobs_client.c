/* jobs_client: calls to agentsd for the agents' jobs (see jobs_client.h). */
#include "jobs_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/peers.h"
#include "internal/v1/agents.pb-c.h"
#include "internal/v1/jobs.pb-c.h"

/* agentsd gives the agent up to 30 s; the bus trip on top */
#define AGENT_CALL_MS 35000

static int call(const char *method, const ProtobufCMessage *in, const ProtobufCMessageDescriptor *d,
                ProtobufCMessage **out, rpc_status *st)
{
    return bus_peers_call("agentsd", method, in, d, out, AGENT_CALL_MS, st);
}

int jc_start_job(const char *pmm_agent_id, const char *service_id, Agent__V1__StartJobRequest *req, rpc_status *st)
{
    Internal__V1__StartJobRequest in = INTERNAL__V1__START_JOB_REQUEST__INIT;
    in.pmm_agent_id = (char *)pmm_agent_id;
    in.service_id = (char *)(service_id ? service_id : "");
    in.request = req;
    ProtobufCMessage *out;
    if (call("/internal.v1.JobsService/StartJob", &in.base, &internal__v1__start_job_response__descriptor, &out, st))
        return st->code;
    Internal__V1__StartJobResponse *r = (Internal__V1__StartJobResponse *)out;
    if (r->response && r->response->error && *r->response->error)
        rpc_fail(st, RPC_INTERNAL, "%s", r->response->error);
    protobuf_c_message_free_unpacked(out, NULL);
    return st->code;
}

int jc_stop_job(const char *pmm_agent_id, const char *job_id, rpc_status *st)
{
    Internal__V1__StopJobRequest in = INTERNAL__V1__STOP_JOB_REQUEST__INIT;
    in.pmm_agent_id = (char *)pmm_agent_id;
    in.job_id = (char *)job_id;
    ProtobufCMessage *out;
    if (call("/internal.v1.JobsService/StopJob", &in.base, &internal__v1__stop_job_response__descriptor, &out, st))
        return st->code;
    protobuf_c_message_free_unpacked(out, NULL);
    return RPC_OK;
}

int jc_job_status(const char *pmm_agent_id, const char *job_id, bool *alive, rpc_status *st)
{
    Internal__V1__JobStatusRequest in = INTERNAL__V1__JOB_STATUS_REQUEST__INIT;
    in.pmm_agent_id = (char *)pmm_agent_id;
    in.job_id = (char *)job_id;
    ProtobufCMessage *out;
    *alive = false;
    if (call("/internal.v1.JobsService/JobStatus", &in.base, &internal__v1__job_status_response__descriptor, &out, st))
        return st->code;
    *alive = ((Internal__V1__JobStatusResponse *)out)->alive;
    protobuf_c_message_free_unpacked(out, NULL);
    return RPC_OK;
}

const char *sw_name(sw_kind k)
{
    static const char *const names[] = { "mysqld", "xtrabackup", "xbcloud", "qpress", "mongodb", "pbm" };
    return (size_t)k < sizeof names / sizeof *names ? names[k] : "";
}

int jc_get_versions(const char *pmm_agent_id, const sw_kind *kinds, size_t n, sw_version *out, rpc_status *st)
{
    Agent__V1__GetVersionsRequest req = AGENT__V1__GET_VERSIONS_REQUEST__INIT;
    Agent__V1__GetVersionsRequest__Software sw[8], *swp[8];
    Agent__V1__GetVersionsRequest__MySQLd mysqld = AGENT__V1__GET_VERSIONS_REQUEST__MY_SQLD__INIT;
    Agent__V1__GetVersionsRequest__Xtrabackup xb = AGENT__V1__GET_VERSIONS_REQUEST__XTRABACKUP__INIT;
    Agent__V1__GetVersionsRequest__Xbcloud xbc = AGENT__V1__GET_VERSIONS_REQUEST__XBCLOUD__INIT;
    Agent__V1__GetVersionsRequest__Qpress qp = AGENT__V1__GET_VERSIONS_REQUEST__QPRESS__INIT;
    Agent__V1__GetVersionsRequest__MongoDB mongo = AGENT__V1__GET_VERSIONS_REQUEST__MONGO_DB__INIT;
    Agent__V1__GetVersionsRequest__PBM pbm = AGENT__V1__GET_VERSIONS_REQUEST__PBM__INIT;
    if (n > 8)
        return rpc_fail(st, RPC_INTERNAL, "too many kinds of software");
    for (size_t i = 0; i < n; i++) {
        agent__v1__get_versions_request__software__init(&sw[i]);
        switch (kinds[i]) {
        case SW_MYSQLD:
            sw[i].software_case = AGENT__V1__GET_VERSIONS_REQUEST__SOFTWARE__SOFTWARE_MYSQLD, sw[i].mysqld = &mysqld;
            break;
        case SW_XTRABACKUP:
            sw[i].software_case = AGENT__V1__GET_VERSIONS_REQUEST__SOFTWARE__SOFTWARE_XTRABACKUP, sw[i].xtrabackup = &xb;
            break;
        case SW_XBCLOUD:
            sw[i].software_case = AGENT__V1__GET_VERSIONS_REQUEST__SOFTWARE__SOFTWARE_XBCLOUD, sw[i].xbcloud = &xbc;
            break;
        case SW_QPRESS:
            sw[i].software_case = AGENT__V1__GET_VERSIONS_REQUEST__SOFTWARE__SOFTWARE_QPRESS, sw[i].qpress = &qp;
            break;
        case SW_MONGOD:
            sw[i].software_case = AGENT__V1__GET_VERSIONS_REQUEST__SOFTWARE__SOFTWARE_MONGOD, sw[i].mongod = &mongo;
            break;
        case SW_PBM:
            sw[i].software_case = AGENT__V1__GET_VERSIONS_REQUEST__SOFTWARE__SOFTWARE_PBM, sw[i].pbm = &pbm;
            break;
        }
        swp[i] = &sw[i];
    }
    req.n_softwares = n;
    req.softwares = swp;
    Internal__V1__GetVersionsRequest in = INTERNAL__V1__GET_VERSIONS_REQUEST__INIT;
    in.pmm_agent_id = (char *)pmm_agent_id;
    in.request = &req;
    ProtobufCMessage *o;
    if (call("/internal.v1.AgentsService/GetVersions", &in.base, &internal__v1__get_versions_response__descriptor, &o,
             st))
        return st->code;
    Internal__V1__GetVersionsResponse *r = (Internal__V1__GetVersionsResponse *)o;
    if (!r->response || r->response->n_versions != n) {
        protobuf_c_message_free_unpacked(o, NULL);
        return rpc_fail(st, RPC_INTERNAL, "response and request slice length mismatch");
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].version, sizeof out[i].version, "%s", r->response->versions[i]->version);
        snprintf(out[i].error, sizeof out[i].error, "%s", r->response->versions[i]->error);
    }
    protobuf_c_message_free_unpacked(o, NULL);
    return RPC_OK;
}

int jc_pbm_switch_pitr(const char *pmm_agent_id, const char *service_id, bool enabled, rpc_status *st)
{
    Internal__V1__PBMSwitchPITRRequest in = INTERNAL__V1__PBMSWITCH_PITRREQUEST__INIT;
    in.pmm_agent_id = (char *)pmm_agent_id;
    in.service_id = (char *)service_id;
    in.enabled = enabled;
    ProtobufCMessage *o;
    if (call("/internal.v1.AgentsService/PBMSwitchPITR", &in.base, &internal__v1__pbmswitch_pitrresponse__descriptor,
             &o, st))
        return st->code;
    Internal__V1__PBMSwitchPITRResponse *r = (Internal__V1__PBMSwitchPITRResponse *)o;
    if (r->error && *r->error)
        rpc_fail(st, RPC_INTERNAL, "%s", r->error);
    protobuf_c_message_free_unpacked(o, NULL);
    return st->code;
}

int jc_restart_service(const char *pmm_agent_id, int system_service, rpc_status *st)
{
    Internal__V1__RestartSystemServiceRequest in = INTERNAL__V1__RESTART_SYSTEM_SERVICE_REQUEST__INIT;
    in.pmm_agent_id = (char *)pmm_agent_id;
    in.system_service = system_service;
    ProtobufCMessage *o;
    if (call("/internal.v1.AgentsService/RestartSystemService", &in.base,
             &internal__v1__restart_system_service_response__descriptor, &o, st))
        return st->code;
    protobuf_c_message_free_unpacked(o, NULL);
    return RPC_OK;
}
