/* backup_api: StartBackup, GetLogs, ListArtifactCompatibleServices (see backup_api.h). */
#include "backup_api.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "backup/v1/backup.pb-c.h"
#include "backups.h"
#include "enums.h"
#include "guard.h"
#include "inventory/v1/services.pb-c.h"
#include "naming.h"
#include "pbutil.h"
#include "validate.h"
#include "versions.h"

#define MAX_RETRIES 10
#define MAX_RETRY_INTERVAL_S (8 * 3600)

int backup_check_retries(uint32_t retries, const Google__Protobuf__Duration *interval, rpc_status *st)
{
    if (retries > MAX_RETRIES)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Exceeded max retries %d.", MAX_RETRIES);
    if (interval && (interval->seconds > MAX_RETRY_INTERVAL_S || (interval->seconds == MAX_RETRY_INTERVAL_S && interval->nanos > 0)))
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Exceeded max retry interval 8h0m0s.");
    return RPC_OK;
}

static int start_backup(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__StartBackupRequest *req = (const Backup__V1__StartBackupRequest *)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx) ||
        validate_min_len(&ctx->status, req->service_id, 1, "StartBackupRequest", "ServiceId") ||
        validate_min_len(&ctx->status, req->location_id, 1, "StartBackupRequest", "LocationId") ||
        backup_check_retries(req->retries, req->retry_interval, &ctx->status) ||
        naming_check_name(req->name, &ctx->status) || naming_check_folder(req->folder, &ctx->status))
        return ctx->status.code;
    const char *model = str_data_model(req->data_model);
    if (!model) {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&backup__v1__data_model__descriptor,
                                                                          req->data_model);
        return rpc_fail(&ctx->status, RPC_INVALID_ARGUMENT, "Invalid data model: %s", v ? v->name : "");
    }
    store_service_rec svc;
    if (store_services_get_rec(w->db, req->service_id, &svc, &ctx->status))
        return ctx->status.code;
    bool orphan_mongo = strcmp(svc.service_type, "mongodb") == 0 && !*svc.cluster;
    if (orphan_mongo)
        rpc_fail(&ctx->status, RPC_FAILED_PRECONDITION, "Service %s must be a member of a cluster", svc.service_name);
    store_service_rec_free(&svc);
    if (orphan_mongo)
        return ctx->status.code;
    backup_params p = {
        .service_id = req->service_id,
        .location_id = req->location_id,
        .name = req->name,
        .description = req->description,
        .folder = req->folder,
        .data_model = model,
        .mode = "snapshot",
        .retries = req->retries,
        .retry_interval_ns = req->retry_interval
                                 ? req->retry_interval->seconds * 1000000000LL + req->retry_interval->nanos
                                 : 0,
    };
    char id[UUID_STR_LEN];
    int code;
    dbhold h = dbhold_of(w->db);
    if (backup_perform(&h, &p, id, &code, &ctx->status))
        return ctx->status.code;
    Backup__V1__StartBackupResponse *r = malloc(sizeof *r);
    if (r) {
        backup__v1__start_backup_response__init(r);
        r->artifact_id = strdup(id);
    }
    if (!r || !r->artifact_id) {
        free(r);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = &r->base;
    return RPC_OK;
}

int logs_respond(rpc_status *st, const ProtobufCMessageDescriptor *resp, const ProtobufCMessageDescriptor *chunk_desc,
                 log_chunk *c, size_t n, ProtobufCMessage **out)
{
    ProtobufCMessage *r = pb_new(resp);
    bool end = false, ok = r != NULL;
    for (size_t i = 0; ok && i < n && !end; i++) {
        if (c[i].last_chunk) {
            end = true;
            break;
        }
        ProtobufCMessage *lc = pb_new(chunk_desc);
        ok = lc && pb_set_u32(lc, "chunk_id", c[i].chunk_id) == 0 && pb_set_str(lc, "data", c[i].data) == 0;
        if (!ok && lc)
            protobuf_c_message_free_unpacked(lc, NULL);
        else if (ok)
            ok = pb_append_msg(r, "logs", lc) == 0;
    }
    log_chunks_free(c, n);
    if (ok)
        ok = pb_set_bool(r, "end", end) == 0;
    if (!ok) {
        if (r)
            protobuf_c_message_free_unpacked(r, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    *out = r;
    return RPC_OK;
}

static int get_logs(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__GetLogsRequest *req = (const Backup__V1__GetLogsRequest *)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx) || validate_min_len(&ctx->status, req->artifact_id, 1, "GetLogsRequest", "ArtifactId"))
        return ctx->status.code;
    job j = { 0 };
    bool found;
    if (store_job_by_data(w->db, "artifact_id", req->artifact_id, &j, &found, &ctx->status))
        return ctx->status.code;
    if (!found)
        return rpc_fail(&ctx->status, RPC_NOT_FOUND, "Artifact with given ID does not exist.");
    log_chunk *c = NULL;
    size_t n = 0;
    int rc = store_job_log_list(w->db, j.id, req->offset, req->limit, &c, &n, &ctx->status);
    job_free(&j);
    if (rc)
        return rc;
    return logs_respond(&ctx->status, &backup__v1__get_logs_response__descriptor, &backup__v1__log_chunk__descriptor, c,
                        n, out);
}

/* inventory.v1.MySQLService / MongoDBService of a row. */
static ProtobufCMessage *service_msg(const store_service_rec *s)
{
    const ProtobufCMessageDescriptor *d = strcmp(s->service_type, "mysql") == 0
                                              ? &inventory__v1__my_sqlservice__descriptor
                                              : &inventory__v1__mongo_dbservice__descriptor;
    ProtobufCMessage *m = pb_new(d);
    if (!m)
        return NULL;
    if (pb_set_str(m, "service_id", s->service_id) < 0 || pb_set_str(m, "service_name", s->service_name) < 0 ||
        pb_set_str(m, "node_id", s->node_id) < 0 || pb_set_str(m, "address", s->address) < 0 ||
        pb_set_u32(m, "port", (uint32_t)s->port) < 0 || pb_set_str(m, "socket", s->socket) < 0 ||
        pb_set_str(m, "environment", s->environment) < 0 || pb_set_str(m, "cluster", s->cluster) < 0 ||
        pb_set_str(m, "replication_set", s->replication_set) < 0 ||
        pb_set_map_json(m, "custom_labels", s->custom_labels) < 0 || pb_set_str(m, "version", s->version) < 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

static int list_compatible(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__ListArtifactCompatibleServicesRequest *req =
        (const Backup__V1__ListArtifactCompatibleServicesRequest *)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx) ||
        validate_min_len(&ctx->status, req->artifact_id, 1, "ListArtifactCompatibleServicesRequest", "ArtifactId"))
        return ctx->status.code;
    artifact a = { 0 };
    store_service_rec *s = NULL;
    size_t n = 0;
    if (store_artifact_get(w->db, req->artifact_id, &a, &ctx->status))
        return ctx->status.code;
    if (!*a.db_version) {
        /* no version to compare with: only the service it was taken from */
        s = calloc(1, sizeof *s);
        if (s && store_services_get_rec(w->db, a.service_id, s, &ctx->status) == RPC_OK)
            n = 1;
        else if (ctx->status.code == RPC_NOT_FOUND)
            ctx->status.code = RPC_OK;
    } else {
        store_services_of_type(w->db, a.vendor, NULL, &s, &n, &ctx->status);
    }
    ProtobufCMessage *r = ctx->status.code ? NULL : pb_new(&backup__v1__list_artifact_compatible_services_response__descriptor);
    for (size_t i = 0; r && i < n; i++) {
        char ver[128];
        rpc_status vst = { 0 };
        if (*a.db_version && (versions_cached(w->db, &s[i], ver, sizeof ver, &vst) || strcmp(ver, a.db_version) != 0))
            continue;
        ProtobufCMessage *m = service_msg(&s[i]);
        if (!m || pb_append_msg(r, strcmp(s[i].service_type, "mysql") == 0 ? "mysql" : "mongodb", m) != 0) {
            protobuf_c_message_free_unpacked(r, NULL);
            r = NULL;
        }
    }
    store_service_recs_free(s, n);
    artifact_free(&a);
    if (ctx->status.code)
        return ctx->status.code;
    if (!r)
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    *out = r;
    return RPC_OK;
}

const rpc_method backup_api_methods[] = {
    { "/backup.v1.BackupService/StartBackup", &backup__v1__start_backup_request__descriptor, start_backup },
    { "/backup.v1.BackupService/GetLogs", &backup__v1__get_logs_request__descriptor, get_logs },
    { "/backup.v1.BackupService/ListArtifactCompatibleServices",
      &backup__v1__list_artifact_compatible_services_request__descriptor, list_compatible },
};
const size_t backup_api_methods_count = sizeof backup_api_methods / sizeof *backup_api_methods;
