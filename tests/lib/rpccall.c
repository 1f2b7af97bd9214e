/* rpccall: bus handlers called directly by integration tests (rpccall.h). */
#include "rpccall.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const rpc_method *rpc_method_find(const rpc_method *table, size_t n, const char *method)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].method, method) == 0)
            return &table[i];
    return NULL;
}

static int call(const rpc_method *m, void *worker, void *app, const bus_request *breq, const ProtobufCMessage *req,
                ProtobufCMessage **resp, char *msg)
{
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_eq(m->request, req->descriptor);
    rpc_ctx ctx = { .req = breq, .worker = worker, .app = app };
    ProtobufCMessage *out = NULL;
    int code = m->handler(&ctx, req, &out);
    if (msg)
        snprintf(msg, RPC_MESSAGE_MAX, "%s", code ? ctx.status.message : "");
    ck_assert_msg((code == 0) == (out != NULL), "%s: code %d with%s a response", m->method, code,
                  out ? "" : "out");
    if (resp)
        *resp = out;
    else if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    return code;
}

int rpc_call_method(const rpc_method *m, void *worker, void *app, const ProtobufCMessage *req,
                    ProtobufCMessage **resp, char *msg)
{
    return call(m, worker, app, NULL, req, resp, msg);
}

int rpc_call_method_within(const rpc_method *m, void *worker, void *app, const ProtobufCMessage *req, long timeout_ms,
                           ProtobufCMessage **resp, char *msg)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    bus_request breq = { .method = (char *)m->method,
                         .deadline_ms = (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000 + timeout_ms };
    return call(m, worker, app, &breq, req, resp, msg);
}
