/* preconditions: overlap and MongoDB checks (see preconditions.h). */
#include "preconditions.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "taskdata.h"

/* The first entry of holders ({service_id: artifact or task id}) whose
 * service may not share the folder with mine: not both MySQL, nor MongoDB
 * of one cluster. Services gone from the inventory are no clash. */
static int clash(db *d, const service_rec *mine, json_t *holders, const char **svc, const char **holder,
                 rpc_status *st)
{
    *svc = *holder = NULL;
    if (!json_object_size(holders))
        return RPC_OK;
    json_t *ids = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(holders, k, v)
        json_array_append_new(ids, json_string(k));
    char *ids_text = json_dumps(ids, JSON_COMPACT), *kinds_text = NULL;
    json_decref(ids);
    if (!ids_text)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    int rc = store_service_kinds(d, ids_text, &kinds_text, st);
    free(ids_text);
    if (rc)
        return rc;
    json_t *kinds = json_loads(kinds_text, 0, NULL);
    free(kinds_text);
    json_object_foreach(holders, k, v) {
        json_t *kind = json_object_get(kinds, k);
        if (!kind)
            continue;
        const char *type = json_string_value(json_array_get(kind, 0));
        const char *cluster = json_string_value(json_array_get(kind, 1));
        bool mysql = strcmp(mine->service_type, "mysql") == 0 && type && strcmp(type, "mysql") == 0;
        bool mongo = strcmp(mine->service_type, "mongodb") == 0 && type && strcmp(type, "mongodb") == 0 && cluster &&
                     strcmp(mine->cluster, cluster) == 0;
        if (!mysql && !mongo) {
            *svc = k;
            *holder = json_string_value(v);
            break;
        }
    }
    /* the strings live in holders (the caller's); kinds goes now */
    json_decref(kinds);
    return RPC_OK;
}

int pre_check_overlap(db *d, const service_rec *mine, const char *location_id, const char *folder, rpc_status *st)
{
    const char *service_id = mine->service_id;
    char *a_text = NULL, *t_text = NULL;
    const char *f = folder ? folder : "";
    if (store_artifact_services_at(d, location_id, f, service_id, &a_text, st) == RPC_OK &&
        store_task_services_at(d, location_id, f, service_id, &t_text, st) == RPC_OK) {
        json_t *arts = json_loads(a_text, 0, NULL), *tasks = json_loads(t_text, 0, NULL);
        const char *svc, *holder;
        if (clash(d, mine, arts, &svc, &holder, st) == RPC_OK && svc)
            rpc_fail(st, RPC_FAILED_PRECONDITION,
                     "Same location and folder already used for artifact %s of other service: %s: location-folder "
                     "pair already used",
                     holder, svc);
        else if (st->code == RPC_OK && clash(d, mine, tasks, &svc, &holder, st) == RPC_OK && svc)
            rpc_fail(st, RPC_FAILED_PRECONDITION,
                     "Same location and folder already used for scheduled task %s of other service: %s: "
                     "location-folder pair already used",
                     holder, svc);
        json_decref(arts);
        json_decref(tasks);
    }
    free(a_text);
    free(t_text);
    return st->code;
}

int pre_check_mongodb(db *d, const char *mode, const char *cluster, const char *service_id,
                      const char *schedule_id, rpc_status *st)
{
    if (strcmp(mode, "incremental") == 0)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "Incremental backups unsupported for MongoDB");
    sched_task *t = NULL;
    size_t nt = 0;
    if (store_task_list(d, &t, &nt, st))
        return st->code;
    bool pitr = strcmp(mode, "pitr") == 0;
    for (size_t i = 0; i < nt && st->code == RPC_OK; i++) {
        task_data td;
        if (t[i].disabled || strcmp(t[i].type, "mongodb_backup") != 0 || taskdata_parse(&t[i], &td) != 0)
            continue;
        if (schedule_id && strcmp(t[i].id, schedule_id) == 0)
            continue;
        /* the cluster when there is one, else the service */
        bool same = *cluster ? strcmp(td.cluster_name, cluster) == 0 : strcmp(td.service_id, service_id) == 0;
        if (!same)
            continue;
        if (pitr && *cluster)
            rpc_fail(st, RPC_FAILED_PRECONDITION,
                     "A PITR backup for the cluster '%s' can be enabled only if there are no other scheduled backups "
                     "for this cluster.",
                     cluster);
        else if (pitr)
            rpc_fail(st, RPC_FAILED_PRECONDITION,
                     "A PITR backup for the service with ID '%s' can be enabled only if there are no other scheduled "
                     "backups for this service.",
                     service_id);
        else if (strcmp(td.mode, "pitr") == 0 && *cluster)
            rpc_fail(st, RPC_FAILED_PRECONDITION,
                     "A snapshot backup for cluster '%s' can be performed only if there is no enabled PITR backup "
                     "for this cluster.",
                     cluster);
        else if (strcmp(td.mode, "pitr") == 0)
            rpc_fail(st, RPC_FAILED_PRECONDITION,
                     "A snapshot backup for service '%s' can be performed only if there is no enabled PITR backup "
                     "for this service.",
                     service_id);
    }
    sched_tasks_free(t, nt);
    return st->code;
}
