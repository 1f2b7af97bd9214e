/* locations: LocationsService handlers (see locations.h). */
#include "locations.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "backup/v1/locations.pb-c.h"
#include "guard.h"
#include "storage.h"
#include "store/store.h"
#include "taskdata.h"
#include "validate.h"

/* protoc-gen-validate's checks of the two configs, named as msg.Field. */
static int check_s3(rpc_status *st, const Backup__V1__S3LocationConfig *c, const char *msg, const char *field)
{
    const char *m = "S3LocationConfig";
    if (validate_min_len(st, c->endpoint, 1, m, "Endpoint") || validate_min_len(st, c->access_key, 1, m, "AccessKey") ||
        validate_min_len(st, c->secret_key, 1, m, "SecretKey") ||
        validate_min_len(st, c->bucket_name, 1, m, "BucketName"))
        return validate_embedded(st, msg, field);
    return RPC_OK;
}

static int check_fs(rpc_status *st, const Backup__V1__FilesystemLocationConfig *c, const char *msg, const char *field)
{
    if (validate_min_len(st, c->path, 1, "FilesystemLocationConfig", "Path"))
        return validate_embedded(st, msg, field);
    return RPC_OK;
}

/* Both configs checked, then exactly one wanted (unless optional). */
static int check_configs(rpc_status *st, const char *msg, const Backup__V1__FilesystemLocationConfig *fs,
                         const Backup__V1__S3LocationConfig *s3, bool required)
{
    if ((fs && check_fs(st, fs, msg, "FilesystemConfig")) || (s3 && check_s3(st, s3, msg, "S3Config")))
        return st->code;
    if (fs && s3)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Only one config is allowed.");
    if (required && !fs && !s3)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Missing location config.");
    return RPC_OK;
}

/* The config of a request into l (type and its fields). */
static int take_config(location *l, const Backup__V1__FilesystemLocationConfig *fs,
                       const Backup__V1__S3LocationConfig *s3, rpc_status *st)
{
    char **f[] = { &l->type, &l->endpoint, &l->access_key, &l->secret_key, &l->bucket_name, &l->bucket_region, &l->path };
    store_free_strs(f, sizeof f / sizeof *f);
    if (s3) {
        l->type = strdup("s3");
        l->endpoint = strdup(s3->endpoint);
        l->access_key = strdup(s3->access_key);
        l->secret_key = strdup(s3->secret_key);
        l->bucket_name = strdup(s3->bucket_name);
        l->bucket_region = strdup("");
        l->path = strdup("");
    } else {
        l->type = strdup("filesystem");
        l->path = strdup(fs->path);
        l->endpoint = strdup("");
        l->access_key = strdup("");
        l->secret_key = strdup("");
        l->bucket_name = strdup("");
        l->bucket_region = strdup("");
    }
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if (!*f[i])
            return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}

static Backup__V1__Location *to_msg(const location *l)
{
    Backup__V1__Location *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    backup__v1__location__init(m);
    m->location_id = strdup(l->id);
    m->name = strdup(l->name);
    m->description = strdup(l->description);
    if (strcmp(l->type, "s3") == 0) {
        Backup__V1__S3LocationConfig *c = malloc(sizeof *c);
        if (c) {
            backup__v1__s3_location_config__init(c);
            c->endpoint = strdup(l->endpoint);
            c->access_key = strdup(l->access_key);
            c->secret_key = strdup(l->secret_key);
            c->bucket_name = strdup(l->bucket_name);
            m->config_case = BACKUP__V1__LOCATION__CONFIG_S3_CONFIG;
            m->s3_config = c;
        }
    } else {
        Backup__V1__FilesystemLocationConfig *c = malloc(sizeof *c);
        if (c) {
            backup__v1__filesystem_location_config__init(c);
            c->path = strdup(l->path);
            m->config_case = BACKUP__V1__LOCATION__CONFIG_FILESYSTEM_CONFIG;
            m->filesystem_config = c;
        }
    }
    return m;
}

static int list_locations(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx))
        return ctx->status.code;
    location *l;
    size_t n;
    if (store_location_list(w->db, &l, &n, &ctx->status))
        return ctx->status.code;
    Backup__V1__ListLocationsResponse *r = malloc(sizeof *r);
    if (r) {
        backup__v1__list_locations_response__init(r);
        r->locations = calloc(n ? n : 1, sizeof *r->locations);
        for (size_t i = 0; r->locations && i < n; i++)
            if ((r->locations[r->n_locations] = to_msg(&l[i])))
                r->n_locations++;
    }
    locations_free(l, n);
    if (!r || !r->locations) {
        free(r);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = &r->base;
    return RPC_OK;
}

static int add_location(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__AddLocationRequest *req = (const Backup__V1__AddLocationRequest *)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx) || validate_min_len(&ctx->status, req->name, 1, "AddLocationRequest", "Name") ||
        check_configs(&ctx->status, "AddLocationRequest", req->filesystem_config, req->s3_config, true))
        return ctx->status.code;
    location l = { 0 };
    l.name = strdup(req->name);
    l.description = strdup(req->description);
    if (!l.name || !l.description || take_config(&l, req->filesystem_config, req->s3_config, &ctx->status) ||
        (req->s3_config && storage_resolve_region(&l, &ctx->status)) || db_begin(w->db, &ctx->status)) {
        location_free(&l);
        return ctx->status.code ? ctx->status.code : rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    if (store_location_insert(w->db, &l, &ctx->status) || db_commit(w->db, &ctx->status)) {
        db_rollback(w->db);
        location_free(&l);
        return ctx->status.code;
    }
    Backup__V1__AddLocationResponse *r = malloc(sizeof *r);
    if (r) {
        backup__v1__add_location_response__init(r);
        r->location_id = l.id;
        l.id = NULL;
    }
    location_free(&l);
    if (!r)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    *out = &r->base;
    return RPC_OK;
}

static int change_location(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__ChangeLocationRequest *req = (const Backup__V1__ChangeLocationRequest *)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx) ||
        validate_min_len(&ctx->status, req->location_id, 1, "ChangeLocationRequest", "LocationId") ||
        check_configs(&ctx->status, "ChangeLocationRequest", req->filesystem_config, req->s3_config, false))
        return ctx->status.code;
    location l = { 0 };
    if (db_begin(w->db, &ctx->status))
        return ctx->status.code;
    if (store_location_get(w->db, req->location_id, &l, &ctx->status))
        goto fail;
    if (*req->name) {
        free(l.name);
        l.name = strdup(req->name);
    }
    if (*req->description) {
        free(l.description);
        l.description = strdup(req->description);
    }
    if ((req->filesystem_config || req->s3_config) &&
        (take_config(&l, req->filesystem_config, req->s3_config, &ctx->status) ||
         (req->s3_config && storage_resolve_region(&l, &ctx->status))))
        goto fail;
    if (!l.name || !l.description) {
        rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
        goto fail;
    }
    if (store_location_update(w->db, &l, &ctx->status) || db_commit(w->db, &ctx->status))
        goto fail;
    location_free(&l);
    Backup__V1__ChangeLocationResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    backup__v1__change_location_response__init(r);
    *out = &r->base;
    return RPC_OK;
fail:
    db_rollback(w->db);
    location_free(&l);
    return ctx->status.code;
}

/* Scheduled tasks that store into the location: removed with force,
 * refused without. */
static int tasks_of_location(db *d, const char *location_id, bool remove, bool *any, rpc_status *st)
{
    sched_task *t;
    size_t n;
    *any = false;
    if (store_task_list(d, &t, &n, st))
        return st->code;
    for (size_t i = 0; i < n && st->code == RPC_OK; i++) {
        task_data td;
        if (taskdata_parse(&t[i], &td) != 0 || strcmp(td.location_id, location_id) != 0)
            continue;
        *any = true;
        if (remove && store_artifact_unschedule(d, t[i].id, st) == RPC_OK)
            store_task_delete(d, t[i].id, st);
    }
    sched_tasks_free(t, n);
    return st->code;
}

static int remove_location(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__RemoveLocationRequest *req = (const Backup__V1__RemoveLocationRequest *)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx) || db_begin(w->db, &ctx->status))
        return ctx->status.code;
    location l = { 0 };
    artifact *a = NULL;
    size_t na = 0;
    bool tasks = false;
    char q[512];
    rpc_quote(q, sizeof q, req->location_id);
    if (store_location_get(w->db, req->location_id, &l, &ctx->status) ||
        store_artifact_find(w->db, req->location_id, NULL, NULL, NULL, NULL, &a, &na, &ctx->status) ||
        tasks_of_location(w->db, req->location_id, req->force, &tasks, &ctx->status))
        goto fail;
    if (!req->force && na) {
        rpc_fail(&ctx->status, RPC_FAILED_PRECONDITION, "backup location with ID %s has artifacts.", q);
        goto fail;
    }
    if (!req->force && tasks) {
        rpc_fail(&ctx->status, RPC_FAILED_PRECONDITION, "backup location with ID %s has scheduled tasks.", q);
        goto fail;
    }
    if (store_restore_delete_by_location(w->db, req->location_id, &ctx->status) ||
        store_artifact_delete_by_location(w->db, req->location_id, &ctx->status) ||
        store_location_delete(w->db, req->location_id, &ctx->status) || db_commit(w->db, &ctx->status))
        goto fail;
    artifacts_free(a, na);
    location_free(&l);
    Backup__V1__RemoveLocationResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    backup__v1__remove_location_response__init(r);
    *out = &r->base;
    return RPC_OK;
fail:
    db_rollback(w->db);
    artifacts_free(a, na);
    location_free(&l);
    return ctx->status.code;
}

static int test_location_config(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__TestLocationConfigRequest *req = (const Backup__V1__TestLocationConfigRequest *)in;
    if (guard_enabled(ctx) ||
        check_configs(&ctx->status, "TestLocationConfigRequest", req->filesystem_config, req->s3_config, true))
        return ctx->status.code;
    if (req->s3_config) {
        location l = { 0 };
        if (take_config(&l, NULL, req->s3_config, &ctx->status) == RPC_OK)
            storage_test_s3(&l, &ctx->status);
        location_free(&l);
        if (ctx->status.code)
            return ctx->status.code;
    }
    Backup__V1__TestLocationConfigResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    backup__v1__test_location_config_response__init(r);
    *out = &r->base;
    return RPC_OK;
}

const rpc_method locations_methods[] = {
    { "/backup.v1.LocationsService/ListLocations", &backup__v1__list_locations_request__descriptor, list_locations },
    { "/backup.v1.LocationsService/AddLocation", &backup__v1__add_location_request__descriptor, add_location },
    { "/backup.v1.LocationsService/ChangeLocation", &backup__v1__change_location_request__descriptor, change_location },
    { "/backup.v1.LocationsService/RemoveLocation", &backup__v1__remove_location_request__descriptor, remove_location },
    { "/backup.v1.LocationsService/TestLocationConfig", &backup__v1__test_location_config_request__descriptor,
      test_location_config },
};
const size_t locations_methods_count = sizeof locations_methods / sizeof *locations_methods;
