/* preconditions: overlap and MongoDB checks (see preconditions.h). */
#include "preconditions.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "taskdata.h"

/* Whether services a and b may share a location folder. */
static int may_share(db *d, const service_rec *mine, const char *other_id, bool *ok, rpc_status *st)
{
    service_rec o;
    *ok = true;
    if (strcmp(mine->service_id, other_id) == 0)
        return RPC_OK;
    int rc = store_service_get(d, other_id, &o, st);
    if (rc == RPC_NOT_FOUND) {
        /* the other service is gone (its artifacts stay): nothing to clash with */
        st->code = RPC_OK;
        return RPC_OK;
    }
    if (rc)
        return rc;
    bool mysql = strcmp(mine->service_type, "mysql") == 0 && strcmp(o.service_type, "mysql") == 0;
    bool mongo = strcmp(mine->service_type, "mongodb") == 0 && strcmp(o.service_type, "mongodb") == 0 &&
                 strcmp(mine->cluster, o.cluster) == 0;
    *ok = mysql || mongo;
    service_rec_free(&o);
    return RPC_OK;
}

int pre_check_overlap(db *d, const char *service_id, const char *location_id, const char *folder, rpc_status *st)
{
    service_rec mine;
    if (store_service_get(d, service_id, &mine, st))
        return st->code;
    artifact *a = NULL;
    size_t na = 0;
    sched_task *t = NULL;
    size_t nt = 0;
    if (store_artifact_find(d, location_id, NULL, NULL, NULL, folder ? folder : "", &a, &na, st) == RPC_OK) {
        for (size_t i = 0; i < na; i++) {
            bool ok;
            if (may_share(d, &mine, a[i].service_id, &ok, st))
                break;
            if (!ok) {
                rpc_fail(st, RPC_FAILED_PRECONDITION,
                         "Same location and folder already used for artifact %s of other service: %s: location-folder "
                         "pair already used",
                         a[i].id, a[i].service_id);
                break;
            }
        }
    }
    if (st->code == RPC_OK && store_task_list(d, &t, &nt, st) == RPC_OK) {
        for (size_t i = 0; i < nt; i++) {
            task_data td;
            if (taskdata_parse(&t[i], &td) != 0 || strcmp(td.location_id, location_id) != 0 ||
                strcmp(td.folder, folder ? folder : "") != 0)
                continue;
            bool ok;
            if (may_share(d, &mine, td.service_id, &ok, st))
                break;
            if (!ok) {
                rpc_fail(st, RPC_FAILED_PRECONDITION,
                         "Same location and folder already used for scheduled task %s of other service: %s: "
                         "location-folder pair already used",
                         t[i].id, td.service_id);
                break;
            }
        }
    }
    artifacts_free(a, na);
    sched_tasks_free(t, nt);
    service_rec_free(&mine);
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
