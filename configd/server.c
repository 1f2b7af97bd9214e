/* server: Version, Readiness and LeaderHealthCheck of server.v1. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "bus/peers.h"
#include "leader.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "pbutil.h"
#include "server/v1/server.pb-c.h"

static ProtobufCMessage *build_timestamp(bool date_only)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    ProtobufCMessage *ts = pb_new(&google__protobuf__timestamp__descriptor);
    if (ts && strptime(PMM_BUILD_TS, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        int64_t t = (int64_t)timegm(&tm);
        pb_set_i64(ts, "seconds", date_only ? t - t % 86400 : t);
    }
    return ts;
}

ProtobufCMessage *server_installed_version(bool date_only)
{
    ProtobufCMessage *vi = pb_new(&server__v1__version_info__descriptor);
    if (!vi)
        return NULL;
    char full[128];
    snprintf(full, sizeof full, "%s-%s", PMM_VERSION, PMM_GIT_REV);
    if (pb_set_str(vi, "version", PMM_VERSION) || pb_set_str(vi, "full_version", full) ||
        pb_set_msg(vi, "timestamp", build_timestamp(date_only))) {
        protobuf_c_message_free_unpacked(vi, NULL);
        return NULL;
    }
    return vi;
}

int server_distribution_method(const char *name)
{
    static const char *names[] = { "", "docker", "ovf", "ami", "azure", "do" };
    for (int i = 1; name && i < (int)(sizeof names / sizeof *names); i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return SERVER__V1__DISTRIBUTION_METHOD__DISTRIBUTION_METHOD_UNSPECIFIED;
}

/* The api-tests hooks of upstream's Version: dummy=grpccode-N answers with
 * code N, dummy=panic-* with the text of a recovered panic. */
static int test_hook(rpc_ctx *ctx, const char *dummy)
{
    if (strncmp(dummy, "grpccode-", 9) == 0) {
        char *end;
        long code = strtol(dummy + 9, &end, 10);
        if (*end == '\0' && code > 0 && code <= RPC_UNAUTHENTICATED)
            return rpc_fail(&ctx->status, (int)code, "gRPC code %ld (%s)", code, rpc_code_name((int)code));
    }
    if (strncmp(dummy, "panic-", 6) == 0)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "Internal server error.");
    return RPC_OK;
}

static int version(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    daemon_worker *w = ctx->worker;
    if (test_hook(ctx, pb_get_str(in, "dummy")))
        return ctx->status.code;
    ProtobufCMessage *resp = pb_new(&server__v1__version_response__descriptor);
    if (!resp || pb_set_str(resp, "version", PMM_VERSION) || pb_set_msg(resp, "server", server_installed_version(false)) ||
        pb_set_msg(resp, "managed", server_installed_version(false)) ||
        pb_set_i32(resp, "distribution_method", server_distribution_method(APP(w)->distribution))) {
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "failed to build version");
    }
    *out = resp;
    return RPC_OK;
}

/* The daemons whose methods clients reach through the gateway; ready means
 * each of them answers on the bus. */
static const char *const serving_daemons[] = { "inventoryd", "agentsd" };

static int readiness(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    daemon_worker *w = ctx->worker;
    char reason[256];
    int ready = db_ready(w->db, reason, sizeof reason);
    /* Another daemon may still be migrating; try once more ourselves. */
    if (ready == 0 && db_migrate(w->db) == 0)
        ready = db_ready(w->db, reason, sizeof reason);
    if (ready != 1)
        return rpc_fail(&ctx->status, RPC_UNAVAILABLE, "%s", reason);
    for (size_t i = 0; i < sizeof serving_daemons / sizeof *serving_daemons; i++) {
        rpc_status st;
        if (bus_peers_ping(serving_daemons[i], 1000, &st) != RPC_OK)
            return rpc_fail(&ctx->status, RPC_UNAVAILABLE, "%s is not ready: %s", serving_daemons[i], st.message);
    }
    /* upstream's Readiness checks VictoriaMetrics and vmalert too */
    rpc_status vst;
    if (APP(w)->vm && APP(w)->vm->url && vm_ready(APP(w)->vm, &vst) != RPC_OK)
        return rpc_fail(&ctx->status, RPC_UNAVAILABLE, "VictoriaMetrics is not ready: %s", vst.message);
    if (APP(w)->vmalert && vmalert_ready(APP(w)->vmalert, &vst) != RPC_OK)
        return rpc_fail(&ctx->status, RPC_UNAVAILABLE, "vmalert is not ready: %s", vst.message);
    *out = pb_new(&server__v1__readiness_response__descriptor);
    return *out ? RPC_OK : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
}

/* Empty success on the leader, FailedPrecondition elsewhere (config-rendering
 * §8.5: HAProxy sends traffic only to the node answering 200). With HA
 * disabled this server is always the leader; with HA on, leader.h follows
 * hactl's announcements. */
static int leader_health_check(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    if (!leader_is())
        return rpc_fail(&ctx->status, RPC_FAILED_PRECONDITION, "this PMM Server isn't the leader");
    *out = pb_new(&server__v1__leader_health_check_response__descriptor);
    return *out ? RPC_OK : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
}

const rpc_method server_methods[] = {
    { "/server.v1.ServerService/Version", &server__v1__version_request__descriptor, version },
    { "/server.v1.ServerService/Readiness", &server__v1__readiness_request__descriptor, readiness },
    { "/server.v1.ServerService/LeaderHealthCheck", &server__v1__leader_health_check_request__descriptor,
      leader_health_check },
};
const size_t server_methods_count = sizeof server_methods / sizeof *server_methods;
