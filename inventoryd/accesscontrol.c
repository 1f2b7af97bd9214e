/* accesscontrol: roles as upstream's managed/services/management/
 * accesscontrol.go and models/role_helpers.go keep them (see
 * accesscontrol.h). Texts and codes are upstream's, including the ones
 * its handlers pass through unmapped (a Go error becomes gRPC Unknown):
 * "RoleIsDefaultRole" for deleting the default role, "RoleNotFound" for a
 * default role that does not exist, pq's text for a taken title.
 *
 * Label-based access control: a role's filter is a PromQL series
 * selector; a user's roles are ORed (one extra_filters[] each), and a
 * role with an empty filter gives full access whatever the others say.
 * A user seen for the first time gets the default role (upstream's
 * getFiltersForVMProxy); a service token has no user id and gets the
 * default role's filter. */
#include "accesscontrol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesscontrol/v1beta1/accesscontrol.pb-c.h"
#include "app.h"
#include "db/settings.h"
#include "internal/v1/auth.pb-c.h"
#include "log.h"
#include "pbutil.h"
#include "store/roles.h"
#include "store/user_roles.h"
#include "validate.h"

static int oom(rpc_status *st)
{
    return rpc_fail(st, RPC_INTERNAL, "out of memory");
}

static int empty_answer(rpc_status *st, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
    *out = pb_new(d);
    return *out ? RPC_OK : oom(st);
}

static int gt0(rpc_status *st, uint32_t v, const char *msg, const char *field)
{
    return validate_int(st, v, &validate_gt0_rules, msg, field);
}

/* models.findRole: OK, NOT_FOUND (st untouched) or an error. */
static int role_exists(db *d, uint32_t id, bool lock, rpc_status *st)
{
    PGresult *r = store_roles_get(d, id, lock, st);
    if (!r)
        return st->code;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found ? RPC_OK : RPC_NOT_FOUND;
}

/* reform's insert or update error, passed through upstream as Unknown
 * with pq's prefix */
static int pq_error(rpc_status *st)
{
    char msg[RPC_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%s", st->message);
    return rpc_fail(st, RPC_UNKNOWN, "pq: %s", msg);
}

static int role_not_found(rpc_status *st)
{
    return rpc_fail(st, RPC_NOT_FOUND, "Role not found");
}

/* Ends a transaction begun by the caller: commit when rc is OK. */
static int finish(db *d, int rc, rpc_status *st)
{
    if (rc == RPC_OK)
        rc = db_commit(d, st);
    if (rc != RPC_OK)
        db_rollback(d);
    return rc;
}

static int create_role(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    const Accesscontrol__V1beta1__CreateRoleRequest *req = (const void *)in;
    if (validate_min_len(st, req->title, 1, "CreateRoleRequest", "Title"))
        return st->code;
    uint32_t id = 0;
    int rc = store_roles_insert(w->db, req->title, req->filter, req->description, &id, st);
    if (rc == RPC_ALREADY_EXISTS)
        return pq_error(st);
    if (rc != RPC_OK)
        return rc;
    Accesscontrol__V1beta1__CreateRoleResponse *resp = (void *)pb_new(&accesscontrol__v1beta1__create_role_response__descriptor);
    if (!resp)
        return oom(st);
    resp->role_id = id;
    *out = &resp->base;
    return RPC_OK;
}

static int update_role(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    const Accesscontrol__V1beta1__UpdateRoleRequest *req = (const void *)in;
    if (gt0(st, req->role_id, "UpdateRoleRequest", "RoleId"))
        return st->code;
    bool has_title = pb_has(in, "title");
    if (has_title && validate_min_len(st, req->title, 1, "UpdateRoleRequest", "Title"))
        return st->code;
    long changed = 0;
    int rc = store_roles_update(w->db, req->role_id, has_title ? req->title : NULL,
                                pb_has(in, "filter") ? req->filter : NULL,
                                pb_has(in, "description") ? req->description : NULL, &changed, st);
    if (rc == RPC_ALREADY_EXISTS)
        return pq_error(st);
    if (rc != RPC_OK)
        return rc;
    if (changed == 0)
        return role_not_found(st);
    return empty_answer(st, &accesscontrol__v1beta1__update_role_response__descriptor, out);
}

static int delete_role_tx(db *d, uint32_t id, uint32_t replacement, rpc_status *st)
{
    int rc = role_exists(d, id, true, st);
    if (rc == RPC_NOT_FOUND)
        return role_not_found(st);
    if (rc != RPC_OK)
        return rc;
    settings s;
    if ((rc = settings_load(d, &s, st)) != RPC_OK)
        return rc;
    int64_t default_id = s.default_role_id;
    settings_free(&s);
    if (default_id == (int64_t)id)
        return rpc_fail(st, RPC_UNKNOWN, "RoleIsDefaultRole");
    if (replacement != 0) {
        rc = role_exists(d, replacement, false, st);
        if (rc == RPC_NOT_FOUND)
            return role_not_found(st);
        if (rc != RPC_OK)
            return rc;
    }
    long changed = 0;
    if ((rc = store_user_roles_replace(d, id, replacement, st)) != RPC_OK ||
        (rc = store_roles_delete(d, id, &changed, st)) != RPC_OK)
        return rc;
    return changed ? RPC_OK : role_not_found(st);
}

static int delete_role(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    const Accesscontrol__V1beta1__DeleteRoleRequest *req = (const void *)in;
    if (gt0(st, req->role_id, "DeleteRoleRequest", "RoleId"))
        return st->code;
    if (db_begin(w->db, st))
        return st->code;
    if (finish(w->db, delete_role_tx(w->db, req->role_id, req->replacement_role_id, st), st) != RPC_OK)
        return st->code;
    return empty_answer(st, &accesscontrol__v1beta1__delete_role_response__descriptor, out);
}

/* A role row (id, title, filter, description) into msg's fields. */
static int fill_role(ProtobufCMessage *m, PGresult *r, int row)
{
    return pb_set_u32(m, "role_id", (uint32_t)strtoul(PQgetvalue(r, row, 0), NULL, 10)) ||
           pb_set_str(m, "title", PQgetvalue(r, row, 1)) || pb_set_str(m, "filter", PQgetvalue(r, row, 2)) ||
           pb_set_str(m, "description", PQgetvalue(r, row, 3));
}

static int get_role(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    uint32_t id = pb_get_u32(in, "role_id");
    if (gt0(st, id, "GetRoleRequest", "RoleId"))
        return st->code;
    PGresult *r = store_roles_get(w->db, id, false, st);
    if (!r)
        return st->code;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return role_not_found(st);
    }
    ProtobufCMessage *resp = pb_new(&accesscontrol__v1beta1__get_role_response__descriptor);
    if (!resp || fill_role(resp, r, 0)) {
        PQclear(r);
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return oom(st);
    }
    PQclear(r);
    *out = resp;
    return RPC_OK;
}

static int list_roles(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    PGresult *r = store_roles_list(w->db, st);
    if (!r)
        return st->code;
    ProtobufCMessage *resp = pb_new(&accesscontrol__v1beta1__list_roles_response__descriptor);
    int rc = resp ? RPC_OK : oom(st);
    for (int i = 0; rc == RPC_OK && i < PQntuples(r); i++) {
        ProtobufCMessage *role = pb_new(&accesscontrol__v1beta1__list_roles_response__role_data__descriptor);
        if (!role || fill_role(role, r, i)) {
            if (role)
                protobuf_c_message_free_unpacked(role, NULL);
            rc = oom(st);
        } else if (pb_append_msg(resp, "roles", role)) { /* frees role */
            rc = oom(st);
        }
    }
    PQclear(r);
    if (rc != RPC_OK) {
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return rc;
    }
    *out = resp;
    return RPC_OK;
}

/* models.AssignRoles: the user's roles are replaced; an unknown role
 * undoes it all. */
static int assign_roles_tx(db *d, const Accesscontrol__V1beta1__AssignRolesRequest *req, rpc_status *st)
{
    int rc = store_user_roles_clear(d, req->user_id, st);
    for (size_t i = 0; rc == RPC_OK && i < req->n_role_ids; i++) {
        rc = role_exists(d, req->role_ids[i], false, st);
        if (rc == RPC_NOT_FOUND)
            return role_not_found(st);
        if (rc == RPC_OK)
            rc = store_user_roles_add(d, req->user_id, req->role_ids[i], st);
    }
    return rc;
}

static int assign_roles(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    const Accesscontrol__V1beta1__AssignRolesRequest *req = (const void *)in;
    if (gt0(st, req->user_id, "AssignRolesRequest", "UserId"))
        return st->code;
    if (db_begin(w->db, st))
        return st->code;
    if (finish(w->db, assign_roles_tx(w->db, req, st), st) != RPC_OK)
        return st->code;
    return empty_answer(st, &accesscontrol__v1beta1__assign_roles_response__descriptor, out);
}

static int set_default_tx(db *d, uint32_t id, rpc_status *st)
{
    int rc = role_exists(d, id, false, st);
    if (rc == RPC_NOT_FOUND) /* models.ErrRoleNotFound, unmapped upstream */
        return rpc_fail(st, RPC_UNKNOWN, "RoleNotFound");
    if (rc != RPC_OK)
        return rc;
    settings s;
    if ((rc = settings_load_for_update(d, &s, st)) != RPC_OK)
        return rc;
    s.default_role_id = id;
    rc = settings_save(d, &s, st);
    settings_free(&s);
    return rc;
}

static int set_default_role(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    uint32_t id = pb_get_u32(in, "role_id");
    if (gt0(st, id, "SetDefaultRoleRequest", "RoleId"))
        return st->code;
    if (db_begin(w->db, st))
        return st->code;
    if (finish(w->db, set_default_tx(w->db, id, st), st) != RPC_OK)
        return st->code;
    return empty_answer(st, &accesscontrol__v1beta1__set_default_role_response__descriptor, out);
}

/* The filter rows of the user's roles; a user with none gets the default
 * role first (a token, user 0, only reads the default role's). */
static PGresult *user_filters(db *d, uint32_t user_id, int64_t default_role, rpc_status *st)
{
    if (user_id == 0) {
        if (default_role <= 0 || default_role > UINT32_MAX) {
            rpc_fail(st, RPC_INTERNAL, "Internal server error.");
            return NULL;
        }
        PGresult *r = store_roles_get(d, (uint32_t)default_role, false, st);
        if (r && PQntuples(r) == 0) {
            PQclear(r);
            rpc_fail(st, RPC_INTERNAL, "Internal server error.");
            return NULL;
        }
        return r; /* columns (id, title, filter, ...): the filter is column 2 */
    }
    PGresult *r = store_user_roles_filters(d, user_id, st);
    if (!r || PQntuples(r) > 0)
        return r;
    PQclear(r);
    if (default_role <= 0 || default_role > UINT32_MAX) {
        rpc_fail(st, RPC_INTERNAL, "Internal server error.");
        return NULL;
    }
    log_info("assigning the default role to user ID %u", user_id);
    if (store_user_roles_add(d, user_id, (uint32_t)default_role, st) != RPC_OK)
        return NULL;
    return store_user_roles_filters(d, user_id, st);
}

static int access_filters(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    uint32_t user_id = pb_get_u32(in, "user_id");
    settings s;
    int rc = settings_load(w->db, &s, st);
    if (rc != RPC_OK)
        return rc;
    bool enabled = s.access_control_enabled;
    int64_t default_role = s.default_role_id;
    settings_free(&s);
    Internal__V1__AccessFiltersResponse *resp = (void *)pb_new(&internal__v1__access_filters_response__descriptor);
    if (!resp)
        return oom(st);
    resp->enabled = enabled;
    if (enabled) {
        PGresult *r = user_filters(w->db, user_id, default_role, st);
        if (!r) {
            protobuf_c_message_free_unpacked(&resp->base, NULL);
            return st->code;
        }
        int col = user_id == 0 ? 2 : 0;
        bool full = false;
        for (int i = 0; i < PQntuples(r); i++)
            full |= PQgetvalue(r, i, col)[0] == '\0';
        for (int i = 0; !full && i < PQntuples(r); i++)
            if (pb_append_str(&resp->base, "filters", PQgetvalue(r, i, col))) {
                PQclear(r);
                protobuf_c_message_free_unpacked(&resp->base, NULL);
                return oom(st);
            }
        PQclear(r);
    }
    *out = &resp->base;
    return RPC_OK;
}

const rpc_method accesscontrol_methods[] = {
    { "/accesscontrol.v1beta1.AccessControlService/CreateRole", &accesscontrol__v1beta1__create_role_request__descriptor,
      create_role },
    { "/accesscontrol.v1beta1.AccessControlService/UpdateRole", &accesscontrol__v1beta1__update_role_request__descriptor,
      update_role },
    { "/accesscontrol.v1beta1.AccessControlService/DeleteRole", &accesscontrol__v1beta1__delete_role_request__descriptor,
      delete_role },
    { "/accesscontrol.v1beta1.AccessControlService/GetRole", &accesscontrol__v1beta1__get_role_request__descriptor,
      get_role },
    { "/accesscontrol.v1beta1.AccessControlService/ListRoles", &accesscontrol__v1beta1__list_roles_request__descriptor,
      list_roles },
    { "/accesscontrol.v1beta1.AccessControlService/AssignRoles",
      &accesscontrol__v1beta1__assign_roles_request__descriptor, assign_roles },
    { "/accesscontrol.v1beta1.AccessControlService/SetDefaultRole",
      &accesscontrol__v1beta1__set_default_role_request__descriptor, set_default_role },
    { "/internal.v1.AuthService/AccessFilters", &internal__v1__access_filters_request__descriptor, access_filters },
};
const size_t accesscontrol_methods_count = sizeof accesscontrol_methods / sizeof *accesscontrol_methods;
