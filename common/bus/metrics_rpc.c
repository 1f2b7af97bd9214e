/* metrics_rpc: see metrics_rpc.h. */
#include "bus/metrics_rpc.h"

#include <stdlib.h>

#include "internal/v1/metrics.pb-c.h"

int metrics_rpc_reply(rpc_status *st, char *text, ProtobufCMessage **out)
{
    Internal__V1__MetricsResponse *resp = malloc(sizeof *resp);
    if (!resp || !text) {
        free(resp);
        free(text);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    internal__v1__metrics_response__init(resp);
    resp->text = text;
    *out = &resp->base;
    return RPC_OK;
}
