/* agent_metrics: agentsd's registry counters (see agent_metrics.h). */
#include "agent_metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/v1/metrics.pb-c.h"
#include "bus/metrics_rpc.h"
#include "qan_handoff.h"

/* Upstream pre-initialises "unknown"; ours name what cut the stream. */
static const char *const reasons[] = { "kick", "done", "unknown", "refused", "flood", "garbage", "gone", "stopping" };
#define N_REASONS (sizeof reasons / sizeof *reasons)

static struct {
    atomic_long connects, connected, setstates;
    atomic_long disconnects[N_REASONS];
    atomic_llong rtt_sum_us, drift_sum_us;
    atomic_long pings;
} M;

void agent_metrics_connected(void)
{
    atomic_fetch_add(&M.connects, 1);
    atomic_fetch_add(&M.connected, 1);
}

static size_t reason_index(const char *reason)
{
    if (reason && (strcmp(reason, "not live after resync") == 0 || strcmp(reason, "gateway gone") == 0))
        return 6; /* gone */
    for (size_t i = 0; reason && i < N_REASONS; i++)
        if (strcmp(reasons[i], reason) == 0)
            return i;
    return 2; /* unknown */
}

void agent_metrics_disconnected(const char *reason)
{
    atomic_fetch_sub(&M.connected, 1);
    atomic_fetch_add(&M.disconnects[reason_index(reason)], 1);
}

void agent_metrics_ping(int64_t rtt_us, int64_t drift_us)
{
    atomic_fetch_add(&M.rtt_sum_us, rtt_us);
    atomic_fetch_add(&M.drift_sum_us, drift_us);
    atomic_fetch_add(&M.pings, 1);
}

void agent_metrics_setstate(void)
{
    atomic_fetch_add(&M.setstates, 1);
}

char *agent_metrics_text(void)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    long pings = atomic_load(&M.pings);
    fprintf(f,
            "# HELP pmm_managed_agents_connects_total A total number of pmm-agent connects.\n"
            "# TYPE pmm_managed_agents_connects_total counter\n"
            "pmm_managed_agents_connects_total %ld\n"
            "# HELP pmm_managed_agents_connected The current number of connected pmm-agents.\n"
            "# TYPE pmm_managed_agents_connected gauge\n"
            "pmm_managed_agents_connected %ld\n"
            "# HELP pmm_managed_agents_disconnects_total A total number of pmm-agent disconnects.\n"
            "# TYPE pmm_managed_agents_disconnects_total counter\n",
            atomic_load(&M.connects), atomic_load(&M.connected));
    for (size_t i = 0; i < N_REASONS; i++)
        fprintf(f, "pmm_managed_agents_disconnects_total{reason=\"%s\"} %ld\n", reasons[i],
                atomic_load(&M.disconnects[i]));
    fprintf(f,
            "# HELP pmm_managed_agents_round_trip_seconds Round-trip time of the pings to pmm-agents.\n"
            "# TYPE pmm_managed_agents_round_trip_seconds summary\n"
            "pmm_managed_agents_round_trip_seconds_sum %.6f\n"
            "pmm_managed_agents_round_trip_seconds_count %ld\n"
            "# HELP pmm_managed_agents_clock_drift_seconds Estimated clock drift of pmm-agents.\n"
            "# TYPE pmm_managed_agents_clock_drift_seconds summary\n"
            "pmm_managed_agents_clock_drift_seconds_sum %.6f\n"
            "pmm_managed_agents_clock_drift_seconds_count %ld\n"
            "# HELP pmm_agentsd_setstate_sent_total SetState requests sent to pmm-agents.\n"
            "# TYPE pmm_agentsd_setstate_sent_total counter\n"
            "pmm_agentsd_setstate_sent_total %ld\n",
            (double)atomic_load(&M.rtt_sum_us) / 1e6, pings, (double)atomic_load(&M.drift_sum_us) / 1e6, pings,
            atomic_load(&M.setstates));
    qan_handoff_metrics(f);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static int agent_metrics_rpc(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **resp)
{
    (void)req;
    return metrics_rpc_reply(&ctx->status, agent_metrics_text(), resp);
}

const rpc_method agent_metrics_methods[] = {
    { METRICS_RPC_METHOD, &internal__v1__metrics_request__descriptor, agent_metrics_rpc },
};
const size_t agent_metrics_methods_count = sizeof agent_metrics_methods / sizeof *agent_metrics_methods;
