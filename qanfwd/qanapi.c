/* qanapi: unary gRPC calls to qan-api2 (see qanapi.h). */
#include "qanapi.h"

#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

static grpc_channel *channel;

int qanapi_init(const char *target)
{
    grpc_init();
    /* reconnect quickly after qan-api2 restarts: its outage is what the
     * forwarder waits out, not grpc's own backoff on top of it */
    grpc_arg args[2];
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = (char *)GRPC_ARG_MAX_RECONNECT_BACKOFF_MS;
    args[0].value.integer = 1000;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[1].value.integer = 64 * 1024 * 1024;
    grpc_channel_args ca = { .num_args = 2, .args = args };
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    channel = grpc_channel_create(target, creds, &ca);
    grpc_channel_credentials_release(creds);
    return channel ? 0 : -1;
}

void qanapi_shutdown(void)
{
    if (channel)
        grpc_channel_destroy(channel);
    channel = NULL;
    grpc_shutdown();
}

static uint8_t *read_buffer(grpc_byte_buffer *bb, size_t *len)
{
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb))
        return NULL;
    grpc_slice all = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    *len = GRPC_SLICE_LENGTH(all);
    uint8_t *out = malloc(*len ? *len : 1);
    if (out)
        memcpy(out, GRPC_SLICE_START_PTR(all), *len);
    grpc_slice_unref(all);
    return out;
}

int qanapi_call(const char *method, const uint8_t *in, size_t in_len, int timeout_ms, uint8_t **out, size_t *out_len,
                rpc_status *st)
{
    *out = NULL;
    *out_len = 0;
    if (!channel)
        return rpc_fail(st, RPC_UNAVAILABLE, "qan-api2 client is not started");
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
    grpc_slice m = grpc_slice_from_copied_string(method);
    grpc_call *call = grpc_channel_create_call(channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, m, NULL, deadline, NULL);
    grpc_slice_unref(m);
    grpc_slice body = grpc_slice_from_copied_buffer((const char *)in, in_len);
    grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&body, 1);
    grpc_slice_unref(body);
    grpc_byte_buffer *recv = NULL;
    grpc_metadata_array initial_md, trailing_md;
    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);
    grpc_status_code status = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();

    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.status = &status;
    ops[5].data.recv_status_on_client.status_details = &details;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
    int rc;
    if (!call || grpc_call_start_batch(call, ops, 6, (void *)1, NULL) != GRPC_CALL_OK) {
        rc = rpc_fail(st, RPC_INTERNAL, "cannot start a call to qan-api2");
    } else {
        grpc_event ev = grpc_completion_queue_pluck(cq, (void *)1, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type != GRPC_OP_COMPLETE) {
            rc = rpc_fail(st, RPC_INTERNAL, "qan-api2 call did not complete");
        } else if (status != GRPC_STATUS_OK) {
            rc = rpc_fail(st, (int)status, "%.*s", (int)GRPC_SLICE_LENGTH(details),
                          (const char *)GRPC_SLICE_START_PTR(details));
        } else if (recv && !(*out = read_buffer(recv, out_len))) {
            rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
        } else {
            if (!recv && !(*out = malloc(1)))
                rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
            else
                rc = RPC_OK;
        }
    }
    grpc_byte_buffer_destroy(send);
    if (recv)
        grpc_byte_buffer_destroy(recv);
    grpc_slice_unref(details);
    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
    if (call)
        grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    return rc;
}
