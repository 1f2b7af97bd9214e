/* schedules: the scheduled backups API (see schedules.h). */
#include "schedules.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "backup/v1/backup.pb-c.h"
#include "backup_api.h"
#include "backups.h"
#include "cron.h"
#include "enums.h"
#include "guard.h"
#include "jobs_client.h"
#include "log.h"
#include "naming.h"
#include "preconditions.h"
#include "scheduler.h"
#include "store/store.h"
#include "taskdata.h"
#include "validate.h"

static int location_exists(db *d, const char *id, rpc_status *st)
{
    location l;
    if (store_location_get(d, id, &l, st))
        return st->code;
    location_free(&l);
    return RPC_OK;
}

static int check_cron(const char *expr, rpc_status *st)
{
    cron_expr e;
    char err[1024];
    if (cron_parse(expr, &e, err, sizeof err) != 0)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Invalid cron expression: %s", err);
    return RPC_OK;
}

/* NewMySQLBackupTask / NewMongoDBBackupTask's checks, wrapped as upstream's API does. */
static int check_task(const service_rec *svc, const task_data *td, rpc_status *st)
{
    bool mysql = strcmp(svc->service_type, "mysql") == 0;
    if (!mysql && strcmp(svc->service_type, "mongodb") != 0)
        return rpc_fail(st, RPC_UNKNOWN, "Unknown service: %s", svc->service_type);
    const char *wrap = mysql ? "Can't create mySQL backup task" : "Can't create mongoDB backup task";
    if (!*td->name)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "%s: backup name can't be empty", wrap);
    if (!*td->service_id)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "%s: service id can't be empty", wrap);
    if (!*td->location_id)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "%s: location id can't be empty", wrap);
    if (mysql) {
        if (strcmp(td->mode, "snapshot") != 0)
            return rpc_fail(st, RPC_INVALID_ARGUMENT, "%s: unsupported backup mode for mySQL: %s", wrap, td->mode);
        if (strcmp(td->data_model, "physical") != 0)
            return rpc_fail(st, RPC_INVALID_ARGUMENT, "%s: unsupported backup data model for mySQL: %s", wrap,
                            td->data_model);
        return RPC_OK;
    }
    if (strcmp(td->mode, "snapshot") != 0 && strcmp(td->mode, "pitr") != 0)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "%s: unsupported backup mode for mongoDB: %s", wrap, td->mode);
    return RPC_OK;
}

static int64_t duration_ns(const Google__Protobuf__Duration *d)
{
    return d ? d->seconds * 1000000000LL + d->nanos : 0;
}

static int enum_error(rpc_status *st, const ProtobufCEnumDescriptor *d, int v, const char *what)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    char num[16];
    snprintf(num, sizeof num, "%d", v);
    return rpc_fail(st, RPC_INVALID_ARGUMENT, "Invalid %s: %s", what, ev ? ev->name : num);
}

static int schedule_backup(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__ScheduleBackupRequest *req = (const Backup__V1__ScheduleBackupRequest *)in;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (guard_enabled(ctx) || validate_min_len(st, req->service_id, 1, "ScheduleBackupRequest", "ServiceId") ||
        validate_min_len(st, req->location_id, 1, "ScheduleBackupRequest", "LocationId") ||
        validate_min_len(st, req->cron_expression, 1, "ScheduleBackupRequest", "CronExpression"))
        return st->code;
    const char *mode = str_backup_mode(req->mode), *model = str_data_model(req->data_model);
    if (!mode)
        return enum_error(st, &backup__v1__backup_mode__descriptor, req->mode, "backup mode");
    if (naming_check_name(req->name, st) || naming_check_folder(req->folder, st) ||
        backup_check_retries(req->retries, req->retry_interval, st))
        return st->code;
    if (!model)
        return enum_error(st, &backup__v1__data_model__descriptor, req->data_model, "data model");
    if (strcmp(mode, "pitr") == 0 && strcmp(model, "physical") == 0)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "the specified backup model is not compatible with other parameters");
    if (check_cron(req->cron_expression, st))
        return st->code;
    sched_task t = { 0 };
    service_rec svc = { 0 };
    char *data = NULL;
    if (store_begin_serializable(w->db, st))
        return st->code;
    if (store_service_get(w->db, req->service_id, &svc, st) || location_exists(w->db, req->location_id, st))
        goto fail;
    task_data td = { 0 };
    snprintf(td.service_id, sizeof td.service_id, "%s", req->service_id);
    snprintf(td.cluster_name, sizeof td.cluster_name, "%s", svc.cluster);
    snprintf(td.location_id, sizeof td.location_id, "%s", req->location_id);
    snprintf(td.name, sizeof td.name, "%s", req->name);
    snprintf(td.description, sizeof td.description, "%s", req->description);
    snprintf(td.data_model, sizeof td.data_model, "%s", model);
    snprintf(td.mode, sizeof td.mode, "%s", mode);
    snprintf(td.folder, sizeof td.folder, "%s", req->folder);
    td.retention = req->retention;
    td.retries = req->retries;
    td.retry_interval_ns = duration_ns(req->retry_interval);
    td.compression = req->compression;
    bool mongo = strcmp(svc.service_type, "mongodb") == 0;
    if (check_task(&svc, &td, st) || backup_lock_keys(w->db, req->location_id, req->folder, td.name, &svc, st) ||
        pre_check_overlap(w->db, &svc, req->location_id, req->folder, st) ||
        (mongo && req->enabled && pre_check_mongodb(w->db, mode, svc.cluster, svc.service_id, NULL, st)))
        goto fail;
    t.type = strdup(mongo ? "mongodb_backup" : "mysql_backup");
    t.cron_expression = strdup(req->cron_expression);
    t.data = data = taskdata_json(t.type, &td);
    t.disabled = !req->enabled;
    /* a start time at the epoch means none */
    t.start_at = req->start_time && req->start_time->seconds > 0 ? ts_to_ms(req->start_time) : 0;
    if (!t.type || !t.cron_expression || !t.data) {
        rpc_fail(st, RPC_INTERNAL, "out of memory");
        goto fail;
    }
    if (store_task_insert(w->db, &t, st)) {
        if (st->code == RPC_ALREADY_EXISTS) {
            char q[1024];
            rpc_quote(q, sizeof q, req->name);
            rpc_fail(st, RPC_ALREADY_EXISTS, "A scheduled task with name %s already exists.", q);
        }
        goto fail;
    }
    if (db_commit(w->db, st))
        goto fail;
    service_rec_free(&svc);
    scheduler_reload(APP(w));
    Backup__V1__ScheduleBackupResponse *r = malloc(sizeof *r);
    if (r) {
        backup__v1__schedule_backup_response__init(r);
        r->scheduled_backup_id = t.id;
        t.id = NULL;
        *out = &r->base;
    }
    t.data = NULL;
    free(data);
    sched_task_free(&t);
    return r ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
fail:
    db_rollback(w->db);
    t.data = NULL;
    free(data);
    sched_task_free(&t);
    service_rec_free(&svc);
    return st->code;
}

static Backup__V1__ScheduledBackup *to_msg(const sched_task *t, const task_data *td, json_t *services,
                                           const location *l, size_t nl)
{
    Backup__V1__ScheduledBackup *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    backup__v1__scheduled_backup__init(m);
    const char *sname = json_string_value(json_object_get(services, td->service_id));
    const char *lname = "";
    for (size_t i = 0; i < nl; i++)
        if (strcmp(l[i].id, td->location_id) == 0)
            lname = l[i].name;
    m->scheduled_backup_id = strdup(t->id);
    m->service_id = strdup(td->service_id);
    m->service_name = strdup(sname ? sname : "");
    m->location_id = strdup(td->location_id);
    m->location_name = strdup(lname);
    m->folder = strdup(td->folder);
    m->cron_expression = strdup(t->cron_expression);
    m->start_time = ts_from_ms(t->start_at);
    m->name = strdup(td->name);
    m->description = strdup(td->description);
    m->enabled = !t->disabled;
    m->retries = td->retries;
    if (td->retry_interval_ns && (m->retry_interval = malloc(sizeof *m->retry_interval))) {
        google__protobuf__duration__init(m->retry_interval);
        m->retry_interval->seconds = td->retry_interval_ns / 1000000000LL;
        m->retry_interval->nanos = (int32_t)(td->retry_interval_ns % 1000000000LL);
    }
    m->data_model = enum_data_model(td->data_model);
    m->mode = enum_backup_mode(td->mode);
    m->vendor = strdup(strcmp(t->type, "mysql_backup") == 0 ? "mysql" : "mongodb");
    m->last_run = ts_from_ms(t->last_run);
    m->next_run = ts_from_ms(t->next_run);
    m->retention = td->retention;
    m->compression = td->compression;
    return m;
}

static int list_scheduled(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    worker *w = ctx->worker;
    if (guard_enabled(ctx))
        return ctx->status.code;
    sched_task *t = NULL;
    size_t n = 0;
    location *l = NULL;
    size_t nl = 0;
    char *names = NULL;
    if (store_task_list(w->db, &t, &n, &ctx->status) || store_location_list(w->db, &l, &nl, &ctx->status) ||
        store_service_names(w->db, &names, &ctx->status)) {
        sched_tasks_free(t, n);
        locations_free(l, nl);
        return ctx->status.code;
    }
    json_t *services = json_loads(names, 0, NULL);
    Backup__V1__ListScheduledBackupsResponse *r = malloc(sizeof *r);
    if (r) {
        backup__v1__list_scheduled_backups_response__init(r);
        r->scheduled_backups = calloc(n ? n : 1, sizeof *r->scheduled_backups);
    }
    for (size_t i = 0; r && r->scheduled_backups && i < n; i++) {
        task_data td;
        if (taskdata_parse(&t[i], &td) != 0)
            continue;
        Backup__V1__ScheduledBackup *m = to_msg(&t[i], &td, services, l, nl);
        if (m)
            r->scheduled_backups[r->n_scheduled_backups++] = m;
    }
    json_decref(services);
    free(names);
    sched_tasks_free(t, n);
    locations_free(l, nl);
    if (!r || !r->scheduled_backups) {
        free(r);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = &r->base;
    return RPC_OK;
}

/* An enabled MongoDB PITR task being disabled or removed: PBM's PITR off on its agent. */
static void pitr_off(db *d, const task_data *td)
{
    pmm_agent_ref *a = NULL;
    size_t n = 0;
    rpc_status st = { 0 };
    if (store_pmm_agents_for_service(d, td->service_id, &a, &n, &st) == RPC_OK && n &&
        jc_pbm_switch_pitr(a[0].id, td->service_id, false, &st) != RPC_OK)
        log_warn("PITR of service %s not switched off: %s", td->service_id, st.message);
    pmm_agent_refs_free(a, n);
}

static int change_scheduled(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__ChangeScheduledBackupRequest *req = (const Backup__V1__ChangeScheduledBackupRequest *)in;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (guard_enabled(ctx) ||
        validate_min_len(st, req->scheduled_backup_id, 1, "ChangeScheduledBackupRequest", "ScheduledBackupId"))
        return st->code;
    bool has_retries = req->_retries_case == BACKUP__V1__CHANGE_SCHEDULED_BACKUP_REQUEST___RETRIES_RETRIES;
    if (backup_check_retries(has_retries ? req->retries : 0, req->retry_interval, st))
        return st->code;
    if (req->_name_case == BACKUP__V1__CHANGE_SCHEDULED_BACKUP_REQUEST___NAME_NAME && naming_check_name(req->name, st))
        return st->code;
    bool has_cron = req->_cron_expression_case == BACKUP__V1__CHANGE_SCHEDULED_BACKUP_REQUEST___CRON_EXPRESSION_CRON_EXPRESSION;
    if (has_cron && check_cron(req->cron_expression, st))
        return st->code;
    sched_task t = { 0 };
    char *data = NULL;
    bool was_enabled = false, pitr_disable = false;
    task_data td;
    if (store_begin_serializable(w->db, st))
        return st->code;
    if (store_task_get_for_update(w->db, req->scheduled_backup_id, &t, st))
        goto fail;
    if (taskdata_parse(&t, &td) != 0) {
        rpc_fail(st, RPC_INTERNAL, "scheduled task %s has no readable data", t.id);
        goto fail;
    }
    was_enabled = !t.disabled;
    if (req->_name_case == BACKUP__V1__CHANGE_SCHEDULED_BACKUP_REQUEST___NAME_NAME)
        snprintf(td.name, sizeof td.name, "%s", req->name);
    if (req->_description_case == BACKUP__V1__CHANGE_SCHEDULED_BACKUP_REQUEST___DESCRIPTION_DESCRIPTION)
        snprintf(td.description, sizeof td.description, "%s", req->description);
    if (req->_retention_case == BACKUP__V1__CHANGE_SCHEDULED_BACKUP_REQUEST___RETENTION_RETENTION)
        td.retention = req->retention;
    if (has_retries)
        td.retries = req->retries;
    if (req->retry_interval)
        td.retry_interval_ns = duration_ns(req->retry_interval);
    if (has_cron) {
        free(t.cron_expression);
        t.cron_expression = strdup(req->cron_expression);
    }
    if (req->_enabled_case == BACKUP__V1__CHANGE_SCHEDULED_BACKUP_REQUEST___ENABLED_ENABLED)
        t.disabled = !req->enabled;
    if (req->start_time)
        t.start_at = req->start_time->seconds > 0 ? ts_to_ms(req->start_time) : 0;
    bool mongo = strcmp(t.type, "mongodb_backup") == 0;
    if (mongo && !t.disabled && pre_check_mongodb(w->db, td.mode, td.cluster_name, td.service_id, t.id, st))
        goto fail;
    pitr_disable = mongo && was_enabled && t.disabled && strcmp(td.mode, "pitr") == 0;
    free(t.data);
    t.data = data = taskdata_json(t.type, &td);
    if (!t.data || !t.cron_expression) {
        rpc_fail(st, RPC_INTERNAL, "out of memory");
        goto fail;
    }
    if (store_task_update(w->db, &t, st)) {
        if (st->code == RPC_ALREADY_EXISTS) {
            char q[1024];
            rpc_quote(q, sizeof q, td.name);
            rpc_fail(st, RPC_ALREADY_EXISTS, "A scheduled task with name %s already exists.", q);
        }
        goto fail;
    }
    if (db_commit(w->db, st))
        goto fail;
    sched_task_free(&t);
    scheduler_reload(APP(w));
    if (pitr_disable)
        pitr_off(w->db, &td);
    Backup__V1__ChangeScheduledBackupResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    backup__v1__change_scheduled_backup_response__init(r);
    *out = &r->base;
    return RPC_OK;
fail:
    db_rollback(w->db);
    sched_task_free(&t);
    return st->code;
}

static int remove_scheduled(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Backup__V1__RemoveScheduledBackupRequest *req = (const Backup__V1__RemoveScheduledBackupRequest *)in;
    worker *w = ctx->worker;
    rpc_status *st = &ctx->status;
    if (guard_enabled(ctx) ||
        validate_min_len(st, req->scheduled_backup_id, 1, "RemoveScheduledBackupRequest", "ScheduledBackupId"))
        return st->code;
    sched_task t = { 0 };
    task_data td;
    if (db_begin(w->db, st))
        return st->code;
    if (store_task_get_for_update(w->db, req->scheduled_backup_id, &t, st) ||
        store_artifact_unschedule(w->db, t.id, st) || store_task_delete(w->db, t.id, st) || db_commit(w->db, st)) {
        db_rollback(w->db);
        sched_task_free(&t);
        return st->code;
    }
    scheduler_reload(APP(w));
    if (!t.disabled && strcmp(t.type, "mongodb_backup") == 0 && taskdata_parse(&t, &td) == 0 &&
        strcmp(td.mode, "pitr") == 0)
        pitr_off(w->db, &td);
    sched_task_free(&t);
    Backup__V1__RemoveScheduledBackupResponse *r = malloc(sizeof *r);
    if (!r)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    backup__v1__remove_scheduled_backup_response__init(r);
    *out = &r->base;
    return RPC_OK;
}

const rpc_method schedules_methods[] = {
    { "/backup.v1.BackupService/ScheduleBackup", &backup__v1__schedule_backup_request__descriptor, schedule_backup },
    { "/backup.v1.BackupService/ListScheduledBackups", &backup__v1__list_scheduled_backups_request__descriptor,
      list_scheduled },
    { "/backup.v1.BackupService/ChangeScheduledBackup", &backup__v1__change_scheduled_backup_request__descriptor,
      change_scheduled },
    { "/backup.v1.BackupService/RemoveScheduledBackup", &backup__v1__remove_scheduled_backup_request__descriptor,
      remove_scheduled },
};
const size_t schedules_methods_count = sizeof schedules_methods / sizeof *schedules_methods;
