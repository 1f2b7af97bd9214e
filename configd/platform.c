/* platform: see platform.h. The texts are upstream's (platform.go). */
#include "platform.h"

#include "app.h"
#include "pbutil.h"
#include "platform/v1/platform.pb-c.h"
#include "db/settings.h"
#include "validate.h"

#define ERR_SSO_DETAILS "Failed to fetch SSO details."
#define ERR_ACCESS_TOKEN "Failed to get user access token. Please sign in using your Percona Portal account."

/* Connect: upstream's checks in its order (the request, not yet
 * connected, the public address); past them upstream would call the
 * Portal, which this server does not do. */
static int connect_(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)out;
    daemon_worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (validate_min_len(st, pb_get_str(in, "server_name"), 1, "ConnectRequest", "ServerName") != RPC_OK)
        return st->code;
    settings s;
    if (settings_load(w->db, &s, st) != RPC_OK)
        return st->code;
    bool no_address = s.pmm_public_address[0] == '\0';
    settings_free(&s);
    if (no_address)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "The address of PMM server is not set");
    return rpc_fail(st, RPC_FAILED_PRECONDITION,
                    "Connecting to Percona Platform is not supported by this PMM Server.");
}

/* Not connected: upstream fails to read its SSO details first. */
static int disconnect(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    (void)out;
    return rpc_fail(&ctx->status, RPC_ABORTED, ERR_SSO_DETAILS);
}

/* Tickets, entitlements, contacts and the user's status all start with
 * the user's Percona access token, which no user here has. */
static int no_percona_account(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    (void)out;
    return rpc_fail(&ctx->status, RPC_UNAUTHENTICATED, ERR_ACCESS_TOKEN);
}

static int server_info(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    daemon_worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    settings s;
    if (settings_load(w->db, &s, st) != RPC_OK)
        return st->code;
    /* not connected: no server name, connected_to_portal false */
    ProtobufCMessage *resp = pb_new(&platform__v1__server_info_response__descriptor);
    int bad = !resp || pb_set_str(resp, "pmm_server_id", s.pmm_server_id) ||
              pb_set_str(resp, "pmm_server_telemetry_id", s.telemetry_uuid);
    settings_free(&s);
    if (bad) {
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    *out = resp;
    return RPC_OK;
}

#define PLATFORM "/platform.v1.PlatformService/"

const rpc_method platform_methods[] = {
    { PLATFORM "Connect", &platform__v1__connect_request__descriptor, connect_ },
    { PLATFORM "Disconnect", &platform__v1__disconnect_request__descriptor, disconnect },
    { PLATFORM "SearchOrganizationTickets", &platform__v1__search_organization_tickets_request__descriptor,
      no_percona_account },
    { PLATFORM "SearchOrganizationEntitlements", &platform__v1__search_organization_entitlements_request__descriptor,
      no_percona_account },
    { PLATFORM "GetContactInformation", &platform__v1__get_contact_information_request__descriptor,
      no_percona_account },
    { PLATFORM "ServerInfo", &platform__v1__server_info_request__descriptor, server_info },
    { PLATFORM "UserStatus", &platform__v1__user_status_request__descriptor, no_percona_account },
};
const size_t platform_methods_count = sizeof platform_methods / sizeof *platform_methods;
