/* metrics: see metrics.h. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>

#include "internal/v1/metrics.pb-c.h"
#include "bus/metrics_rpc.h"
#include "uievents.h"

static int metrics(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        uievents_metrics(f);
        if (fclose(f) != 0) {
            free(text);
            text = NULL;
        }
    }
    return metrics_rpc_reply(&ctx->status, text, out);
}

const rpc_method configd_metrics_methods[] = {
    { METRICS_RPC_METHOD, &internal__v1__metrics_request__descriptor, metrics },
};
const size_t configd_metrics_methods_count = sizeof configd_metrics_methods / sizeof *configd_metrics_methods;
