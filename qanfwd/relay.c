/* relay: qan.v1.QANService calls passed to qan-api2 (see relay.h). */
#include "relay.h"

#include <stdlib.h>

#include "clock.h"
#include "qan/v1/service.pb-c.h"
#include "qanapi.h"

#define RELAY_TIMEOUT_MS 10000

static int relay(rpc_ctx *ctx, const char *method, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **resp)
{
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1), *out = NULL;
    size_t out_len = 0;
    if (!buf)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    protobuf_c_message_pack(req, buf);
    int timeout = RELAY_TIMEOUT_MS;
    int64_t left = ctx->req->deadline_ms > 0 ? ctx->req->deadline_ms - clock_wall_ms() : timeout;
    if (left < timeout)
        timeout = left > 0 ? (int)left : 1;
    int rc = qanapi_call(method, buf, len, timeout, &out, &out_len, &ctx->status);
    free(buf);
    if (rc == RPC_OK && !(*resp = protobuf_c_message_unpack(out_desc, NULL, out_len, out)))
        rc = rpc_fail(&ctx->status, RPC_INTERNAL, "grpc: failed to unmarshal the response of qan-api2");
    free(out);
    return rc;
}

static int explain_fingerprint(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    return relay(ctx, "/qan.v1.QANService/ExplainFingerprintByQueryID", req,
                 &qan__v1__explain_fingerprint_by_query_idresponse__descriptor, resp);
}

static int schema_by_query_id(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    return relay(ctx, "/qan.v1.QANService/SchemaByQueryID", req, &qan__v1__schema_by_query_idresponse__descriptor,
                 resp);
}

static int query_exists(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    return relay(ctx, "/qan.v1.QANService/QueryExists", req, &qan__v1__query_exists_response__descriptor, resp);
}

const rpc_method relay_methods[] = {
    { "/qan.v1.QANService/ExplainFingerprintByQueryID", &qan__v1__explain_fingerprint_by_query_idrequest__descriptor,
      explain_fingerprint },
    { "/qan.v1.QANService/SchemaByQueryID", &qan__v1__schema_by_query_idrequest__descriptor, schema_by_query_id },
    { "/qan.v1.QANService/QueryExists", &qan__v1__query_exists_request__descriptor, query_exists },
};
const size_t relay_methods_count = sizeof relay_methods / sizeof *relay_methods;
