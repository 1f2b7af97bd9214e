/* agentflood: a hostile pmm-agent for the memory test (issue 16, defect
 * 1). It opens agent.v1.AgentService/Connect with the given metadata and
 * sends AgentMessage{action_result} of --bytes output as fast as grpc takes
 * them, never reading what the server sends, until the server ends the
 * stream or --seconds pass. One thread, one completion queue, one message
 * slice sent again and again (grpc takes the slices out of a byte buffer
 * it sends: each send gets a new buffer holding a reference): it costs the
 * machine far less than the server it floods, so the server is the
 * bottleneck, as with a real attacker. Once a send fails (the server
 * ended the stream) it reads what is left, since grpc gives a client the
 * status only after its messages. Last line:
 *   agentflood: sent=N seconds=S code=C details="..."
 * S: until the first failed send; code -1: still running when time was
 * up. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "agent/v1/agent.pb-c.h"

enum { TAG_STATUS = 1, TAG_SEND = 2, TAG_RECV = 3 };

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One packed AgentMessage with an action result of n bytes of output. */
static int make_message(size_t n, grpc_slice *out)
{
    uint8_t *output = malloc(n ? n : 1);
    if (!output)
        return -1;
    for (size_t i = 0; i < n; i++) /* incompressible enough, cheaply */
        output[i] = (uint8_t)((i * 2654435761u) >> 13);
    Agent__V1__ActionResultRequest ar = AGENT__V1__ACTION_RESULT_REQUEST__INIT;
    ar.action_id = "00000000-0000-4000-8000-00000000f100";
    ar.output.data = output;
    ar.output.len = n;
    Agent__V1__AgentMessage m = AGENT__V1__AGENT_MESSAGE__INIT;
    m.id = 1;
    m.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_ACTION_RESULT;
    m.action_result = &ar;
    size_t len = agent__v1__agent_message__get_packed_size(&m);
    uint8_t *buf = malloc(len);
    if (!buf) {
        free(output);
        return -1;
    }
    agent__v1__agent_message__pack(&m, buf);
    free(output);
    *out = grpc_slice_new(buf, len, free);
    return 0;
}

static grpc_byte_buffer *sending;   /* the send in flight */
static grpc_byte_buffer *received; /* once draining */

static int start_recv(grpc_call *call)
{
    if (received) {
        grpc_byte_buffer_destroy(received);
        received = NULL;
    }
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &received;
    return grpc_call_start_batch(call, &op, 1, (void *)(intptr_t)TAG_RECV, NULL) == GRPC_CALL_OK ? 0 : -1;
}

static int start_send(grpc_call *call, grpc_slice msg)
{
    if (sending)
        grpc_byte_buffer_destroy(sending);
    sending = grpc_raw_byte_buffer_create(&msg, 1);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = sending;
    return grpc_call_start_batch(call, &op, 1, (void *)(intptr_t)TAG_SEND, NULL) == GRPC_CALL_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "target", required_argument, NULL, 't' },  { "agent-id", required_argument, NULL, 'i' },
        { "auth", required_argument, NULL, 'a' },    { "bytes", required_argument, NULL, 'b' },
        { "seconds", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 }
    };
    const char *target = NULL, *agent_id = NULL, *auth = NULL;
    size_t bytes = 1 << 20;
    double seconds = 15;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 't': target = optarg; break;
        case 'i': agent_id = optarg; break;
        case 'a': auth = optarg; break;
        case 'b': bytes = strtoul(optarg, NULL, 10); break;
        case 's': seconds = strtod(optarg, NULL); break;
        default: goto usage;
        }
    }
    if (!target || !agent_id || !auth || optind != argc) {
    usage:
        fprintf(stderr, "usage: agentflood --target HOST:PORT --agent-id ID --auth 'Bearer T' "
                        "[--bytes N] [--seconds S]\n");
        return 2;
    }

    grpc_init();
    grpc_arg arg = { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH,
                     .value.integer = 128 << 20 };
    grpc_channel_args args = { .num_args = 1, .args = &arg };
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    grpc_channel *chan = grpc_channel_create(target, creds, &args);
    grpc_channel_credentials_release(creds);
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    grpc_slice method = grpc_slice_from_static_string("/agent.v1.AgentService/Connect");
    grpc_call *call = grpc_channel_create_call(chan, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method, NULL,
                                               gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_slice msg;
    if (!call || make_message(bytes, &msg) != 0) {
        fprintf(stderr, "agentflood: cannot start the call\n");
        return 1;
    }

    grpc_metadata md[3];
    memset(md, 0, sizeof md);
    md[0].key = grpc_slice_from_static_string("pmm-agent-id");
    md[0].value = grpc_slice_from_copied_string(agent_id);
    md[1].key = grpc_slice_from_static_string("pmm-agent-version");
    md[1].value = grpc_slice_from_static_string("3.0.0");
    md[2].key = grpc_slice_from_static_string("authorization");
    md[2].value = grpc_slice_from_copied_string(auth);
    grpc_metadata_array trailing;
    grpc_metadata_array_init(&trailing);
    grpc_status_code status = GRPC_STATUS_OK;
    grpc_slice details = grpc_empty_slice();
    grpc_metadata_array initial;
    grpc_metadata_array_init(&initial);
    grpc_op ops[3];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = 3;
    ops[0].data.send_initial_metadata.metadata = md;
    ops[1].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[1].data.recv_status_on_client.trailing_metadata = &trailing;
    ops[1].data.recv_status_on_client.status = &status;
    ops[1].data.recv_status_on_client.status_details = &details;
    /* without it grpc holds back every message, and so the status */
    ops[2].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[2].data.recv_initial_metadata.recv_initial_metadata = &initial;
    if (grpc_call_start_batch(call, ops, 3, (void *)(intptr_t)TAG_STATUS, NULL) != GRPC_CALL_OK ||
        start_send(call, msg) != 0) {
        fprintf(stderr, "agentflood: cannot start the call\n");
        return 1;
    }

    double t0 = now_s(), failed_at = 0;
    unsigned long long sent = 0;
    int send_pending = 1, recv_pending = 0, status_done = 0, timed_out = 0, cancelled = 0;
    double quit_at = 0;
    while ((send_pending || recv_pending || !status_done) && (quit_at == 0 || now_s() < quit_at)) {
        if (!cancelled && (status_done || now_s() > t0 + seconds)) {
            timed_out = !status_done;
            grpc_call_cancel(call, NULL);
            cancelled = 1;
            quit_at = now_s() + 2; /* a receive may never come back: grpc 1.51 */
        }
        gpr_timespec until = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(100, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_next(cq, until, NULL);
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        switch ((intptr_t)ev.tag) {
        case TAG_STATUS:
            status_done = 1;
            break;
        case TAG_SEND:
            send_pending = 0;
            if (ev.success && !cancelled) {
                sent++;
                send_pending = start_send(call, msg) == 0;
            } else {
                if (failed_at == 0)
                    failed_at = now_s();
                if (!recv_pending && !cancelled)
                    recv_pending = start_recv(call) == 0;
            }
            break;
        case TAG_RECV:
            recv_pending = ev.success && received && !cancelled && start_recv(call) == 0;
            break;
        }
    }
    char *d = grpc_slice_to_c_string(details);
    printf("agentflood: sent=%llu seconds=%.1f code=%d details=\"%s\"\n", sent, (failed_at ? failed_at : now_s()) - t0,
           timed_out ? -1 : (int)status, d);
    fflush(stdout);
    /* no teardown: an operation grpc never completed would keep it waiting */
    _exit(0);
}
