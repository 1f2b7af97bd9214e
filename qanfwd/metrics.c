/* metrics: qanfwd's counters (see metrics.h). */
#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus/metrics_rpc.h"
#include "internal/v1/metrics.pb-c.h"

static atomic_long counters[QM_N];
static metrics_gauges_fn gauges;

void metrics_add(qmetric m, long n)
{
    atomic_fetch_add(&counters[m], n);
}

void metrics_set_gauges(metrics_gauges_fn fn)
{
    gauges = fn;
}

char *metrics_text(void)
{
    static const struct {
        const char *name, *help;
    } c[QM_N] = {
        [QM_BATCHES_RECEIVED] = { "pmm_managed_qan_batches_received_total", "QANCollect batches received from pmm-agents." },
        [QM_BUCKETS_SENT] = { "pmm_managed_qan_buckets_sent_total", "Metrics buckets qan-api2 accepted." },
        [QM_REQUESTS_SENT] = { "pmm_managed_qan_requests_sent_total", "Collect requests qan-api2 accepted." },
        [QM_SEND_ERRORS] = { "pmm_managed_qan_send_errors_total", "Collect requests that failed and were kept to retry." },
        [QM_BUCKETS_UNKNOWN] = { "pmm_managed_qan_buckets_unknown_agent_total", "Metrics buckets of agents not in the inventory (dropped)." },
        [QM_DROPPED_MEMORY] = { "pmm_managed_qan_dropped_batches_total{where=\"memory\"}", NULL },
        [QM_DROPPED_SPOOL] = { "pmm_managed_qan_dropped_batches_total{where=\"spool\"}", NULL },
        [QM_SPOOL_ERRORS] = { "pmm_managed_qan_spool_errors_total", "Requests the spool could not write or read (lost)." },
    };
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    for (int i = 0; i < QM_N; i++) {
        if (i == QM_DROPPED_MEMORY)
            fputs("# HELP pmm_managed_qan_dropped_batches_total Oldest QAN batches dropped to keep memory and spool bounded.\n"
                  "# TYPE pmm_managed_qan_dropped_batches_total counter\n",
                  f);
        if (c[i].help)
            fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", c[i].name, c[i].help, c[i].name);
        fprintf(f, "%s %ld\n", c[i].name, atomic_load(&counters[i]));
    }
    size_t mb = 0, mbytes = 0, sr = 0, sb = 0;
    if (gauges)
        gauges(&mb, &mbytes, &sr, &sb);
    fprintf(f,
            "# HELP pmm_managed_qan_memory_batches QAN batches waiting in memory.\n"
            "# TYPE pmm_managed_qan_memory_batches gauge\npmm_managed_qan_memory_batches %zu\n"
            "# HELP pmm_managed_qan_memory_bytes Bytes of the QAN batches waiting in memory.\n"
            "# TYPE pmm_managed_qan_memory_bytes gauge\npmm_managed_qan_memory_bytes %zu\n"
            "# HELP pmm_managed_qan_spool_requests Collect requests waiting in the on-disk spool.\n"
            "# TYPE pmm_managed_qan_spool_requests gauge\npmm_managed_qan_spool_requests %zu\n"
            "# HELP pmm_managed_qan_spool_bytes Bytes of the on-disk spool.\n"
            "# TYPE pmm_managed_qan_spool_bytes gauge\npmm_managed_qan_spool_bytes %zu\n",
            mb, mbytes, sr, sb);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static int metrics_rpc(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    (void)req;
    return metrics_rpc_reply(&ctx->status, metrics_text(), resp);
}

const rpc_method metrics_methods[] = {
    { METRICS_RPC_METHOD, &internal__v1__metrics_request__descriptor, metrics_rpc },
};
const size_t metrics_methods_count = sizeof metrics_methods / sizeof *metrics_methods;
