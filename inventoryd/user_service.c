/* user_service: user.v1 as upstream's managed/services/user/user.go (see
 * user_service.h). The caller is the user id the gateway put in the
 * envelope (users.user_id, or Grafana's user id when Grafana admitted
 * the request); a service token has none, and is answered as upstream's
 * auth server answers a caller it cannot name. GetUser makes the user's
 * flags row on first sight; UpdateUser of a user never seen is upstream's
 * Unavailable "User not found". A newly snoozed version resets snoozed_at
 * and the snooze count to 1 (the same version again changes nothing). */
#include "user_service.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "pbutil.h"
#include "store/user_flags.h"
#include "store/user_roles.h"
#include "user/v1/user.pb-c.h"

static int oom(rpc_status *st)
{
    return rpc_fail(st, RPC_INTERNAL, "out of memory");
}

static int caller_id(rpc_ctx *ctx, uint32_t *id)
{
    *id = ctx->req ? ctx->req->user_id : 0;
    if (*id == 0)
        return rpc_fail(&ctx->status, RPC_UNAUTHENTICATED, "Unauthorized");
    return RPC_OK;
}

/* GetUserResponse and UpdateUserResponse share their fields. */
static int answer(rpc_status *st, const ProtobufCMessageDescriptor *d, uint32_t id, const store_user_flags_row *f,
                  ProtobufCMessage **out)
{
    ProtobufCMessage *m = pb_new(d);
    if (!m || pb_set_u32(m, "user_id", id) || pb_set_bool(m, "product_tour_completed", f->tour_done) ||
        pb_set_bool(m, "alerting_tour_completed", f->alerting_tour_done) ||
        pb_set_str(m, "snoozed_pmm_version", f->snoozed_pmm_version)) {
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        return oom(st);
    }
    *out = m;
    return RPC_OK;
}

static int get_user(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    uint32_t id;
    store_user_flags_row f;
    if (caller_id(ctx, &id) || store_user_flags_ensure(w->db, id, st) || store_user_flags_get(w->db, id, &f, st))
        return st->code;
    return answer(st, &user__v1__get_user_response__descriptor, id, &f, out);
}

static int update_tx(db *d, uint32_t id, const User__V1__UpdateUserRequest *req, const ProtobufCMessage *in,
                     store_user_flags_row *f, rpc_status *st)
{
    int rc = store_user_flags_get(d, id, f, st);
    if (rc == RPC_NOT_FOUND)
        return rpc_fail(st, RPC_UNAVAILABLE, "User not found");
    if (rc != RPC_OK)
        return rc;
    const char *snoozed = NULL;
    if (pb_has(in, "snoozed_pmm_version") && strcmp(req->snoozed_pmm_version, f->snoozed_pmm_version) != 0)
        snoozed = req->snoozed_pmm_version;
    bool tour = req->product_tour_completed, alerting = req->alerting_tour_completed;
    if ((rc = store_user_flags_update(d, id, pb_has(in, "product_tour_completed") ? &tour : NULL,
                                      pb_has(in, "alerting_tour_completed") ? &alerting : NULL, snoozed, st)) != RPC_OK)
        return rc;
    return store_user_flags_get(d, id, f, st);
}

static int update_user(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    uint32_t id;
    if (caller_id(ctx, &id) || db_begin(w->db, st))
        return st->code;
    store_user_flags_row f;
    int rc = update_tx(w->db, id, (const User__V1__UpdateUserRequest *)in, in, &f, st);
    if (rc == RPC_OK)
        rc = db_commit(w->db, st);
    if (rc != RPC_OK) {
        db_rollback(w->db);
        return rc;
    }
    return answer(st, &user__v1__update_user_response__descriptor, id, &f, out);
}

static int list_users(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    PGresult *r = store_user_roles_by_user(w->db, st);
    if (!r)
        return st->code;
    User__V1__ListUsersResponse *resp = (void *)pb_new(&user__v1__list_users_response__descriptor);
    int rc = resp ? RPC_OK : oom(st);
    User__V1__ListUsersResponse__UserDetail *cur = NULL;
    for (int i = 0; rc == RPC_OK && i < PQntuples(r); i++) {
        uint32_t uid = (uint32_t)strtoul(PQgetvalue(r, i, 0), NULL, 10);
        if (!cur || cur->user_id != uid) {
            cur = (void *)pb_new(&user__v1__list_users_response__user_detail__descriptor);
            if (!cur || pb_append_msg(&resp->base, "users", &cur->base)) {
                cur = NULL;
                rc = oom(st);
                break;
            }
            cur->user_id = uid;
        }
        if (PQgetisnull(r, i, 1))
            continue;
        uint32_t *ids = realloc(cur->role_ids, (cur->n_role_ids + 1) * sizeof *ids);
        if (!ids) {
            rc = oom(st);
            break;
        }
        ids[cur->n_role_ids++] = (uint32_t)strtoul(PQgetvalue(r, i, 1), NULL, 10);
        cur->role_ids = ids;
    }
    PQclear(r);
    if (rc != RPC_OK) {
        if (resp)
            protobuf_c_message_free_unpacked(&resp->base, NULL);
        return rc;
    }
    *out = &resp->base;
    return RPC_OK;
}

const rpc_method user_service_methods[] = {
    { "/user.v1.UserService/GetUser", &user__v1__get_user_request__descriptor, get_user },
    { "/user.v1.UserService/UpdateUser", &user__v1__update_user_request__descriptor, update_user },
    { "/user.v1.UserService/ListUsers", &user__v1__list_users_request__descriptor, list_users },
};
const size_t user_service_methods_count = sizeof user_service_methods / sizeof *user_service_methods;
