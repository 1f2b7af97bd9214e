/* restores: RestoreService and MongoDB physical restore restarts (see restores.h). */
#include "restores.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "backup/v1/restores.pb-c.h"
#include "backup_api.h"
#include "compat.h"
#include "enums.h"
#include "guard.h"
#include "jobrun.h"
#include "jobs_client.h"
#include "log.h"
#include "pitr.h"
#include "uuid.h"
#include "validate.h"
#include "versions.h"

/* Go's time.Time String() of a UTC time: "2006-01-02 15:04:05 +0000 UTC". */
static void go_time(int64_t secs, char *out, size_t len)
{
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
}

/* The artifact's own preconditions (section 8.1). */
static int check_artifact(const artifact *a, const location *l, int64_t pitr_s, rpc_status *st)
{
    char q1[256], q2[64];
    if (strcmp(a->status, "success") != 0) {
        rpc_quote(q1, sizeof q1, a->id);
        rpc_quote(q2, sizeof q2, a->status);
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "artifact %s in status: %s: artifact not in success status", q1, q2);
    }
    if (a->is_sharded_cluster)
        return rpc_fail(st, RPC_FAILED_PRECONDITION,
                        "restoring sharded clusters from the UI is not supported: artifact backup mode is not "
                        "compatible with other parameters");
    bool pitr = strcmp(a->mode, "pitr") == 0;
    if (pitr) {
        if (strcmp(a->vendor, "mongodb") != 0)
            return rpc_fail(st, RPC_FAILED_PRECONDITION,
                            "PITR is supported only for MongoDB: artifact backup mode is not compatible with other "
                            "parameters");
        if (!pitr_s)
            return rpc_fail(st, RPC_INVALID_ARGUMENT,
                            "pitr_timestamp is required for PITR artifacts: artifact backup mode is not compatible "
                            "with other parameters");
        if (strcmp(a->data_model, "logical") != 0)
            return rpc_fail(st, RPC_INVALID_ARGUMENT,
                            "PITR is only supported for logical backups: the specified backup model is not compatible "
                            "with other parameters");
    } else if (pitr_s) {
        return rpc_fail(st, RPC_INVALID_ARGUMENT,
                        "pitr_timestamp is allowed only for PITR artifacts: artifact backup mode is not compatible with "
                        "other parameters");
    }
    if (pitr_s) {
        if (strcmp(l->type, "s3") != 0)
            return rpc_fail(st, RPC_FAILED_PRECONDITION,
                            "PITR restore needs an S3 location: the specified location type is not compatible with "
                            "other parameters");
        pitr_range *r = NULL;
        size_t n = 0;
        if (pitr_timeranges(a, l, &r, &n, st))
            return st->code;
        int ok = pitr_contains(r, n, pitr_s);
        free(r);
        if (!ok) {
            char t[64];
            go_time(pitr_s, t, sizeof t);
            return rpc_fail(st, RPC_OUT_OF_RANGE, "point in time recovery value %s: timestamp value is out of range", t);
        }
    }
    return RPC_OK;
}

static int agent_supports(const artifact *a, const location *l, const store_pmm_agent_ref *agent, int64_t pitr_s,
                          rpc_status *st)
{
    if (strcmp(a->vendor, "mysql") == 0)
        return compat_agent_min("mysql restore", agent->id, agent->version, "2.23", st);
    if (strcmp(l->type, "filesystem") == 0 &&
        compat_agent_min("restore from client local storage", agent->id, agent->version, "2.32.0", st))
        return st->code;
    if (strcmp(a->data_model, "physical") == 0)
        return compat_agent_min("mongodb physical restore", agent->id, agent->version, "2.31.0-0", st);
    if (pitr_s)
        return compat_agent_min("mongodb pitr restore", agent->id, agent->version, "2.20", st);
    return compat_agent_min("mongodb restore", agent->id, agent->version, "2.19", st);
}

static int create_rows(db *d, const artifact *a, const store_service_rec *svc, const char *pmm_agent_id, int64_t pitr_s,
                       restore_item *ri, job *j, rpc_status *st)
{
    bool running;
    if (store_restore_running_for(d, svc->service_id, &running, st))
        return st->code;
    if (running)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "a restore of service %s is running: another operation in progress",
                        svc->service_id);
    ri->artifact_id = strdup(a->id);
    ri->service_id = strdup(svc->service_id);
    ri->status = strdup("in_progress");
    ri->pitr_timestamp = pitr_s * 1000;
    if (!ri->artifact_id || !ri->service_id || !ri->status)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    if (store_restore_insert(d, ri, st))
        return st->code;
    bool mongo = strcmp(a->vendor, "mongodb") == 0;
    job_target t = { 0 };
    snprintf(t.service_id, sizeof t.service_id, "%s", svc->service_id);
    snprintf(t.restore_id, sizeof t.restore_id, "%s", ri->id);
    if (mongo)
        snprintf(t.data_model, sizeof t.data_model, "%s", a->data_model);
    j->type = strdup(mongo ? "mongodb_restore_backup" : "mysql_restore_backup");
    j->pmm_agent_id = strdup(pmm_agent_id);
    j->data = jobrun_data(j->type, &t);
    if (!j->type || !j->pmm_agent_id || !j->data)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return store_job_insert(d, j, st);
}

static int restore_backup(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__RestoreBackupRequest *req = (const Backup__V1__RestoreBackupRequest *)in;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (guard_enabled(ctx) || validate_min_len(st, req->service_id, 1, "RestoreBackupRequest", "ServiceId") ||
        validate_min_len(st, req->artifact_id, 1, "RestoreBackupRequest", "ArtifactId"))
        return st->code;
    int64_t pitr_s = req->pitr_timestamp ? req->pitr_timestamp->seconds : 0;
    artifact a = { 0 };
    location l = { 0 };
    store_service_rec svc = { 0 };
    store_pmm_agent_ref *agents = NULL;
    size_t n_agents = 0;
    restore_item ri = { 0 };
    job j = { 0 };
    char db_version[128];
    int code;
    if (store_artifact_get(w->db, req->artifact_id, &a, st) || store_location_get(w->db, a.location_id, &l, st) ||
        check_artifact(&a, &l, pitr_s, st) || store_services_get_rec(w->db, req->service_id, &svc, st))
        goto out;
    if (strcmp(svc.service_type, a.vendor) != 0) {
        rpc_fail(st, RPC_FAILED_PRECONDITION, "artifact of %s cannot be restored to a %s service: incompatible service",
                 a.vendor, svc.service_type);
        goto out;
    }
    if (store_agents_pmm_agent_refs_of_service(w->db, svc.service_id, &agents, &n_agents, st))
        goto out;
    if (!n_agents) {
        rpc_fail(st, RPC_FAILED_PRECONDITION, "pmm-agent not found for service %s", svc.service_id);
        goto out;
    }
    dbhold h = dbhold_of(w->db);
    if (versions_check(&h, &svc, agents[0].id, agents[0].version, db_version, sizeof db_version, &code, st))
        goto out;
    if (*a.db_version && strcmp(a.db_version, db_version) != 0) {
        bool mysql = strcmp(a.vendor, "mysql") == 0;
        rpc_fail(st, RPC_FAILED_PRECONDITION, "artifact database version \"%s\" != target database version \"%s\": %s",
                 a.db_version, db_version,
                 mysql ? "incompatible version of target mysql" : "incompatible version of target mongodb");
        goto out;
    }
    if (db_begin(w->db, st))
        goto out;
    if (create_rows(w->db, &a, &svc, agents[0].id, pitr_s, &ri, &j, st) || db_commit(w->db, st)) {
        db_rollback(w->db);
        goto out;
    }
    if (agent_supports(&a, &l, &agents[0], pitr_s, st) || jobrun_start(w->db, &j, st)) {
        rpc_status fst = { 0 };
        jobrun_fail(w->db, j.id, st->message, &fst);
        goto out;
    }
    log_info("restore %s of artifact %s to service %s started (job %s)", ri.id, a.id, svc.service_id, j.id);
    Backup__V1__RestoreBackupResponse *r = malloc(sizeof *r);
    if (r) {
        backup__v1__restore_backup_response__init(r);
        r->restore_id = ri.id;
        ri.id = NULL;
        *out = &r->base;
    } else {
        rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
out:
    job_free(&j);
    restore_item_free(&ri);
    store_pmm_agent_refs_free(agents, n_agents);
    store_service_rec_free(&svc);
    location_free(&l);
    artifact_free(&a);
    return st->code;
}

static int list_restores(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx))
        return ctx->status.code;
    restore_item *x = NULL;
    size_t n = 0;
    artifact *a = NULL;
    size_t na = 0;
    location *l = NULL;
    size_t nl = 0;
    char *svc_names = NULL;
    if (store_restore_list(w->db, &x, &n, &ctx->status) || store_artifact_list(w->db, &a, &na, &ctx->status) ||
        store_location_list(w->db, &l, &nl, &ctx->status) || store_services_names(w->db, &svc_names, &ctx->status)) {
        restore_items_free(x, n);
        artifacts_free(a, na);
        locations_free(l, nl);
        return ctx->status.code;
    }
    json_t *services = json_loads(svc_names, 0, NULL);
    Backup__V1__ListRestoresResponse *r = malloc(sizeof *r);
    if (r) {
        backup__v1__list_restores_response__init(r);
        r->items = calloc(n ? n : 1, sizeof *r->items);
    }
    for (size_t i = 0; r && r->items && i < n; i++) {
        Backup__V1__RestoreHistoryItem *m = malloc(sizeof *m);
        if (!m)
            break;
        backup__v1__restore_history_item__init(m);
        const artifact *art = NULL;
        for (size_t k = 0; k < na && !art; k++)
            if (strcmp(a[k].id, x[i].artifact_id) == 0)
                art = &a[k];
        const location *loc = NULL;
        for (size_t k = 0; art && k < nl && !loc; k++)
            if (strcmp(l[k].id, art->location_id) == 0)
                loc = &l[k];
        const char *sname = json_string_value(json_object_get(services, x[i].service_id));
        m->restore_id = strdup(x[i].id);
        m->artifact_id = strdup(x[i].artifact_id);
        m->name = strdup(art ? art->name : "");
        m->vendor = strdup(art ? art->vendor : "");
        m->location_id = strdup(art ? art->location_id : "");
        m->location_name = strdup(loc ? loc->name : "");
        m->service_id = strdup(x[i].service_id);
        m->service_name = strdup(sname ? sname : "");
        m->data_model = art ? enum_data_model(art->data_model) : 0;
        m->status = enum_restore_status(x[i].status);
        m->started_at = ts_from_ms(x[i].started_at);
        m->finished_at = ts_from_ms(x[i].finished_at);
        m->pitr_timestamp = ts_from_ms(x[i].pitr_timestamp);
        r->items[r->n_items++] = m;
    }
    json_decref(services);
    free(svc_names);
    restore_items_free(x, n);
    artifacts_free(a, na);
    locations_free(l, nl);
    if (!r || !r->items) {
        free(r);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = &r->base;
    return RPC_OK;
}

static int get_logs(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__RestoreServiceGetLogsRequest *req = (const Backup__V1__RestoreServiceGetLogsRequest *)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx) ||
        validate_min_len(&ctx->status, req->restore_id, 1, "RestoreServiceGetLogsRequest", "RestoreId"))
        return ctx->status.code;
    job j = { 0 };
    bool found;
    if (store_job_by_data(w->db, "restore_id", req->restore_id, &j, &found, &ctx->status))
        return ctx->status.code;
    if (!found)
        return rpc_fail(&ctx->status, RPC_NOT_FOUND, "Restore with given ID does not exist.");
    log_chunk *c = NULL;
    size_t n = 0;
    int rc = store_job_log_list(w->db, j.id, req->offset, req->limit, &c, &n, &ctx->status);
    job_free(&j);
    if (rc)
        return rc;
    return logs_respond(&ctx->status, &backup__v1__restore_service_get_logs_response__descriptor,
                        &backup__v1__log_chunk__descriptor, c, n, out);
}

int restores_after_mongodb(db *d, const job *j, rpc_status *st)
{
    job_target t;
    if (jobrun_target(j, &t) != 0 || strcmp(t.data_model, "physical") != 0)
        return RPC_OK;
    store_service_rec svc;
    if (store_services_get_rec(d, t.service_id, &svc, st))
        return st->code;
    store_service_rec *members = NULL;
    size_t n = 0;
    if (*svc.cluster)
        store_services_of_type(d, "mongodb", svc.cluster, &members, &n, st);
    for (size_t i = 0; st->code == RPC_OK && i < (*svc.cluster ? n : 1); i++) {
        const char *sid = *svc.cluster ? members[i].service_id : svc.service_id;
        store_pmm_agent_ref *agents = NULL;
        size_t na = 0;
        if (store_agents_pmm_agent_refs_of_service(d, sid, &agents, &na, st))
            break;
        static const int order[] = {
            AGENT__V1__START_ACTION_REQUEST__RESTART_SYSTEM_SERVICE_PARAMS__SYSTEM_SERVICE__SYSTEM_SERVICE_MONGOD,
            AGENT__V1__START_ACTION_REQUEST__RESTART_SYSTEM_SERVICE_PARAMS__SYSTEM_SERVICE__SYSTEM_SERVICE_PBM_AGENT,
        };
        for (size_t k = 0; k < na && st->code == RPC_OK; k++)
            for (size_t s = 0; s < 2 && st->code == RPC_OK; s++)
                if (jc_restart_service(agents[k].id, order[s], st) == RPC_OK)
                    log_info("restore job %s: %s restarted on %s", j->id, s ? "pbm-agent" : "mongod", agents[k].id);
        store_pmm_agent_refs_free(agents, na);
    }
    store_service_recs_free(members, n);
    store_service_rec_free(&svc);
    return st->code;
}

const rpc_method restores_methods[] = {
    { "/backup.v1.RestoreService/ListRestores", &backup__v1__list_restores_request__descriptor, list_restores },
    { "/backup.v1.RestoreService/GetLogs", &backup__v1__restore_service_get_logs_request__descriptor, get_logs },
    { "/backup.v1.RestoreService/RestoreBackup", &backup__v1__restore_backup_request__descriptor, restore_backup },
};
const size_t restores_methods_count = sizeof restores_methods / sizeof *restores_methods;
