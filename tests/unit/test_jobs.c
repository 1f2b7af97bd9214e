/* Unit tests of agentsd's internal.v1.JobsService (agentsd/jobs.c) with a
 * fake pmm-agent in place of the stream (jobs_send): what reaches the
 * agent, what comes back, the errors, and the job events published on the
 * bus. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentsd/jobs.h"
#include "internal/v1/jobs.pb-c.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/rpccall.h"

/* ---- the fake pmm-agent ---------------------------------------------------------- */

static char sent_to[64];
static Agent__V1__ServerMessage__PayloadCase sent_case;
static char sent_job[64];
static int fake_code;                 /* what the "stream" answers: an error code, or OK */
static Agent__V1__AgentMessage__PayloadCase answer_case;

static int fake_send(const char *pmm_agent_id, Agent__V1__ServerMessage *req, int timeout_ms,
                     Agent__V1__AgentMessage **resp, rpc_status *st)
{
    ck_assert_int_gt(timeout_ms, 0);
    snprintf(sent_to, sizeof sent_to, "%s", pmm_agent_id);
    sent_case = req->payload_case;
    const char *job = req->payload_case == AGENT__V1__SERVER_MESSAGE__PAYLOAD_START_JOB  ? req->start_job->job_id
                      : req->payload_case == AGENT__V1__SERVER_MESSAGE__PAYLOAD_STOP_JOB ? req->stop_job->job_id
                                                                                         : req->job_status->job_id;
    snprintf(sent_job, sizeof sent_job, "%s", job);
    if (fake_code != RPC_OK)
        return rpc_fail(st, fake_code, "pmm-agent with ID \"%s\" is not currently connected", pmm_agent_id);
    Agent__V1__AgentMessage *m = malloc(sizeof *m);
    agent__v1__agent_message__init(m);
    m->payload_case = answer_case;
    if (answer_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_START_JOB) {
        m->start_job = malloc(sizeof *m->start_job);
        agent__v1__start_job_response__init(m->start_job);
        m->start_job->error = strdup("disk full");
    } else if (answer_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_STOP_JOB) {
        m->stop_job = malloc(sizeof *m->stop_job);
        agent__v1__stop_job_response__init(m->stop_job);
    } else if (answer_case == AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_STATUS) {
        m->job_status = malloc(sizeof *m->job_status);
        agent__v1__job_status_response__init(m->job_status);
        m->job_status->alive = 1;
    } else {
        m->payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_PONG;
        m->pong = malloc(sizeof *m->pong);
        agent__v1__pong__init(m->pong);
    }
    *resp = m;
    return RPC_OK;
}

static void setup(void)
{
    jobs_send = fake_send;
    fake_code = RPC_OK;
    sent_to[0] = sent_job[0] = '\0';
    sent_case = AGENT__V1__SERVER_MESSAGE__PAYLOAD__NOT_SET;
}

static int call(const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp, char *msg)
{
    return rpc_call_method(rpc_method_find(jobs_methods, jobs_methods_count, method), NULL, NULL, req, resp, msg);
}

START_TEST(start_job_round_trip)
{
    Agent__V1__StartJobRequest sj = AGENT__V1__START_JOB_REQUEST__INIT;
    sj.job_id = "job-1";
    Internal__V1__StartJobRequest req = INTERNAL__V1__START_JOB_REQUEST__INIT;
    req.pmm_agent_id = "pa-1";
    req.request = &sj;
    answer_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_START_JOB;
    ProtobufCMessage *resp;
    char msg[RPC_MESSAGE_MAX];
    ck_assert_int_eq(call("/internal.v1.JobsService/StartJob", &req.base, &resp, msg), RPC_OK);
    ck_assert_str_eq(sent_to, "pa-1");
    ck_assert_int_eq(sent_case, AGENT__V1__SERVER_MESSAGE__PAYLOAD_START_JOB);
    ck_assert_str_eq(sent_job, "job-1");
    /* the agent's own refusal comes back as it said it */
    ck_assert_str_eq(((Internal__V1__StartJobResponse *)resp)->response->error, "disk full");
    protobuf_c_message_free_unpacked(resp, NULL);
}
END_TEST

START_TEST(errors)
{
    char msg[RPC_MESSAGE_MAX];
    Internal__V1__StartJobRequest req = INTERNAL__V1__START_JOB_REQUEST__INIT;
    req.pmm_agent_id = "pa-1";
    ck_assert_int_eq(call("/internal.v1.JobsService/StartJob", &req.base, NULL, msg), RPC_INVALID_ARGUMENT);
    Agent__V1__StartJobRequest sj = AGENT__V1__START_JOB_REQUEST__INIT;
    sj.job_id = "job-1";
    req.request = &sj;
    req.pmm_agent_id = "";
    ck_assert_int_eq(call("/internal.v1.JobsService/StartJob", &req.base, NULL, msg), RPC_INVALID_ARGUMENT);
    /* not connected: the stream's error as it is */
    req.pmm_agent_id = "pa-2";
    fake_code = RPC_FAILED_PRECONDITION;
    ck_assert_int_eq(call("/internal.v1.JobsService/StartJob", &req.base, NULL, msg), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, "pmm-agent with ID \"pa-2\" is not currently connected");
    /* an answer of another kind */
    fake_code = RPC_OK;
    answer_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_PONG;
    ck_assert_int_eq(call("/internal.v1.JobsService/StartJob", &req.base, NULL, msg), RPC_INTERNAL);
    ck_assert_str_eq(msg, "wrong response from agent (not StartJobResponse model)");
}
END_TEST

START_TEST(stop_and_status)
{
    ProtobufCMessage *resp;
    Internal__V1__StopJobRequest stop = INTERNAL__V1__STOP_JOB_REQUEST__INIT;
    stop.pmm_agent_id = "pa-3";
    stop.job_id = "job-3";
    answer_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_STOP_JOB;
    ck_assert_int_eq(call("/internal.v1.JobsService/StopJob", &stop.base, &resp, NULL), RPC_OK);
    ck_assert_int_eq(sent_case, AGENT__V1__SERVER_MESSAGE__PAYLOAD_STOP_JOB);
    ck_assert_str_eq(sent_job, "job-3");
    protobuf_c_message_free_unpacked(resp, NULL);

    Internal__V1__JobStatusRequest st = INTERNAL__V1__JOB_STATUS_REQUEST__INIT;
    st.pmm_agent_id = "pa-3";
    st.job_id = "job-4";
    answer_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_STATUS;
    ck_assert_int_eq(call("/internal.v1.JobsService/JobStatus", &st.base, &resp, NULL), RPC_OK);
    ck_assert_int_eq(sent_case, AGENT__V1__SERVER_MESSAGE__PAYLOAD_JOB_STATUS);
    ck_assert_str_eq(sent_job, "job-4");
    ck_assert(((Internal__V1__JobStatusResponse *)resp)->alive);
    protobuf_c_message_free_unpacked(resp, NULL);
}
END_TEST

/* JobResult and JobProgress become bus events with the agent's id. */
START_TEST(events)
{
    Agent__V1__JobResult__Error err = AGENT__V1__JOB_RESULT__ERROR__INIT;
    err.message = "no space left";
    Agent__V1__JobResult res = AGENT__V1__JOB_RESULT__INIT;
    res.job_id = "job-5";
    res.result_case = AGENT__V1__JOB_RESULT__RESULT_ERROR;
    res.error = &err;
    Agent__V1__AgentMessage m = AGENT__V1__AGENT_MESSAGE__INIT;
    m.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_RESULT;
    m.job_result = &res;
    const char *topic;
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(jobs_event("pa-5", &m, &topic, &buf, &len), 0);
    ck_assert_str_eq(topic, "job.result");
    Internal__V1__JobEvent *ev = internal__v1__job_event__unpack(NULL, len, buf);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(ev->pmm_agent_id, "pa-5");
    ck_assert_int_eq(ev->event_case, INTERNAL__V1__JOB_EVENT__EVENT_RESULT);
    ck_assert_str_eq(ev->result->job_id, "job-5");
    ck_assert_str_eq(ev->result->error->message, "no space left");
    internal__v1__job_event__free_unpacked(ev, NULL);
    free(buf);

    Agent__V1__JobProgress__Logs logs = AGENT__V1__JOB_PROGRESS__LOGS__INIT;
    logs.chunk_id = 7;
    logs.data = "line\n";
    logs.done = 1;
    Agent__V1__JobProgress prog = AGENT__V1__JOB_PROGRESS__INIT;
    prog.job_id = "job-6";
    prog.result_case = AGENT__V1__JOB_PROGRESS__RESULT_LOGS;
    prog.logs = &logs;
    m.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_PROGRESS;
    m.job_progress = &prog;
    ck_assert_int_eq(jobs_event("pa-6", &m, &topic, &buf, &len), 0);
    ck_assert_str_eq(topic, "job.progress");
    ev = internal__v1__job_event__unpack(NULL, len, buf);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ev->event_case, INTERNAL__V1__JOB_EVENT__EVENT_PROGRESS);
    ck_assert_str_eq(ev->progress->job_id, "job-6");
    ck_assert_uint_eq(ev->progress->logs->chunk_id, 7);
    ck_assert(ev->progress->logs->done);
    internal__v1__job_event__free_unpacked(ev, NULL);
    free(buf);

    /* anything else is no job event */
    Agent__V1__Ping ping = AGENT__V1__PING__INIT;
    m.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_PING;
    m.ping = &ping;
    ck_assert_int_eq(jobs_event("pa-6", &m, &topic, &buf, &len), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobs");
    TCase *tc = tcase_create("jobs");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, start_job_round_trip);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, stop_and_status);
    tcase_add_test(tc, events);
    suite_add_tcase(s, tc);
    return check_run(s);
}
