/* artifacts: ListArtifacts, DeleteArtifact, ListPitrTimeranges (see artifacts.h). */
#include "artifacts.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "backup/v1/artifacts.pb-c.h"
#include "enums.h"
#include "guard.h"
#include "metadata.h"
#include "pitr.h"
#include "removal.h"
#include "store/store.h"
#include "validate.h"

static char *name_of(json_t *names, const char *id)
{
    const char *n = json_string_value(json_object_get(names, id));
    return strdup(n ? n : "");
}

static Backup__V1__Artifact *to_msg(const artifact *a, json_t *services, json_t *locations)
{
    Backup__V1__Artifact *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    backup__v1__artifact__init(m);
    m->artifact_id = strdup(a->id);
    m->name = strdup(a->name);
    m->vendor = strdup(a->vendor);
    m->location_id = strdup(a->location_id);
    m->location_name = name_of(locations, a->location_id);
    m->service_id = strdup(a->service_id);
    m->service_name = name_of(services, a->service_id);
    m->data_model = enum_data_model(a->data_model);
    m->status = enum_backup_status(a->status);
    m->created_at = ts_from_ms(a->created_at);
    m->mode = enum_backup_mode(a->mode);
    m->is_sharded_cluster = a->is_sharded_cluster;
    m->folder = strdup(a->folder);
    m->metadata_list = metadata_from_json(a->metadata_list, &m->n_metadata_list);
    return m;
}

static int list_artifacts(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx))
        return ctx->status.code;
    artifact *a = NULL;
    size_t n = 0;
    location *l = NULL;
    size_t nl = 0;
    char *svc_names = NULL;
    if (store_artifact_list(w->db, &a, &n, &ctx->status) || store_location_list(w->db, &l, &nl, &ctx->status) ||
        store_service_names(w->db, &svc_names, &ctx->status)) {
        artifacts_free(a, n);
        locations_free(l, nl);
        return ctx->status.code;
    }
    json_t *services = json_loads(svc_names, 0, NULL), *locs = json_object();
    for (size_t i = 0; i < nl; i++)
        json_object_set_new(locs, l[i].id, json_string(l[i].name));
    Backup__V1__ListArtifactsResponse *r = malloc(sizeof *r);
    if (r) {
        backup__v1__list_artifacts_response__init(r);
        r->artifacts = calloc(n ? n : 1, sizeof *r->artifacts);
        for (size_t i = 0; r->artifacts && i < n; i++)
            if ((r->artifacts[r->n_artifacts] = to_msg(&a[i], services, locs)))
                r->n_artifacts++;
    }
    json_decref(services);
    json_decref(locs);
    free(svc_names);
    artifacts_free(a, n);
    locations_free(l, nl);
    if (!r || !r->artifacts) {
        free(r);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = &r->base;
    return RPC_OK;
}

static int delete_artifact(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__DeleteArtifactRequest *req = (const Backup__V1__DeleteArtifactRequest *)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx) ||
        validate_min_len(&ctx->status, req->artifact_id, 1, "DeleteArtifactRequest", "ArtifactId") ||
        removal_delete_artifact(w->db, req->artifact_id, req->remove_files, &ctx->status))
        return ctx->status.code;
    Backup__V1__DeleteArtifactResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    backup__v1__delete_artifact_response__init(r);
    *out = &r->base;
    return RPC_OK;
}

static int list_pitr_timeranges(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__ListPitrTimerangesRequest *req = (const Backup__V1__ListPitrTimerangesRequest *)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx) ||
        validate_min_len(&ctx->status, req->artifact_id, 1, "ListPitrTimerangesRequest", "ArtifactId"))
        return ctx->status.code;
    artifact a = { 0 };
    location l = { 0 };
    pitr_range *rg = NULL;
    size_t n = 0;
    if (store_artifact_get(w->db, req->artifact_id, &a, &ctx->status) == RPC_OK &&
        store_location_get(w->db, a.location_id, &l, &ctx->status) == RPC_OK)
        pitr_timeranges(&a, &l, &rg, &n, &ctx->status);
    artifact_free(&a);
    location_free(&l);
    if (ctx->status.code) {
        free(rg);
        return ctx->status.code;
    }
    Backup__V1__ListPitrTimerangesResponse *r = malloc(sizeof *r);
    if (r) {
        backup__v1__list_pitr_timeranges_response__init(r);
        r->timeranges = calloc(n ? n : 1, sizeof *r->timeranges);
        for (size_t i = 0; r->timeranges && i < n; i++) {
            Backup__V1__PitrTimerange *t = malloc(sizeof *t);
            if (!t)
                break;
            backup__v1__pitr_timerange__init(t);
            t->start_timestamp = ts_from_ms(rg[i].start * 1000);
            t->end_timestamp = ts_from_ms(rg[i].end * 1000);
            r->timeranges[r->n_timeranges++] = t;
        }
    }
    free(rg);
    if (!r || !r->timeranges) {
        free(r);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = &r->base;
    return RPC_OK;
}

const rpc_method artifacts_methods[] = {
    { "/backup.v1.BackupService/ListArtifacts", &backup__v1__list_artifacts_request__descriptor, list_artifacts },
    { "/backup.v1.BackupService/DeleteArtifact", &backup__v1__delete_artifact_request__descriptor, delete_artifact },
    { "/backup.v1.BackupService/ListPitrTimeranges", &backup__v1__list_pitr_timeranges_request__descriptor,
      list_pitr_timeranges },
};
const size_t artifacts_methods_count = sizeof artifacts_methods / sizeof *artifacts_methods;
