/* retention: keep N artifacts of a schedule (see retention.h). */
#include "retention.h"

#include <jansson.h>
#include <string.h>

#include "db/store/ha_fence.h"
#include "leader.h"
#include "log.h"
#include "removal.h"
#include "store/store.h"
#include "taskdata.h"

/* Leader-only: a follower (or a leader the fence says is stale) leaves
 * retention to the leader's next scheduled run. */
static bool leading(db *d, const char *schedule_id)
{
    int64_t term = 0;
    if (!leader_current(&term))
        return false;
    rpc_status st = { 0 };
    if (db_begin(d, &st) == RPC_OK && leader_fence(d, term, NULL, &st) == RPC_OK && db_commit(d, &st) == RPC_OK)
        return true;
    db_rollback(d);
    log_info("retention of schedule %s: not applied here: %s", schedule_id, st.message);
    return false;
}

void retention_apply(db *d, const char *schedule_id)
{
    rpc_status st = { 0 };
    sched_task t = { 0 };
    task_data td;
    if (!leading(d, schedule_id))
        return;
    if (store_task_get(d, schedule_id, &t, &st) || taskdata_parse(&t, &td) != 0 || td.retention == 0) {
        sched_task_free(&t);
        return;
    }
    artifact *a = NULL;
    size_t n = 0;
    if (store_artifact_find(d, NULL, NULL, schedule_id, "success", NULL, &a, &n, &st)) {
        log_warn("retention of schedule %s: %s", schedule_id, st.message);
    } else if (strcmp(td.mode, "pitr") == 0) {
        for (size_t i = 0; i < n; i++) {
            json_t *list = a[i].metadata_list ? json_loads(a[i].metadata_list, 0, NULL) : NULL;
            size_t have = json_array_size(list);
            json_decref(list);
            if (have > td.retention && removal_trim_pitr(d, a[i].id, have - td.retention, &st))
                log_warn("retention of schedule %s: trimming %s: %s", schedule_id, a[i].id, st.message);
        }
    } else {
        /* newest first: everything past the first N goes */
        for (size_t i = td.retention; i < n; i++) {
            st.code = RPC_OK;
            if (removal_delete_artifact(d, a[i].id, true, &st))
                log_warn("retention of schedule %s: deleting %s: %s", schedule_id, a[i].id, st.message);
            else
                log_info("retention of schedule %s: artifact %s deleted (keeping %u)", schedule_id, a[i].id,
                         td.retention);
        }
    }
    artifacts_free(a, n);
    sched_task_free(&t);
}
