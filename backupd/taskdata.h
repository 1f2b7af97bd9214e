/* taskdata: scheduled_tasks.data as upstream stores it,
 * {"mysql_backup" | "mongodb_backup": {service_id, cluster_name,
 * location_id, name, description, retention, data_model, mode, retries,
 * retry_interval (ns), folder[, compression]}}, to and from a struct. */
#ifndef BACKUPD_TASKDATA_H
#define BACKUPD_TASKDATA_H

#include <stdint.h>

#include "store/store.h"

typedef struct {
    char service_id[128], cluster_name[256], location_id[128], name[512], description[4096], data_model[32],
        mode[32], folder[1024];
    uint32_t retention, retries;
    int64_t retry_interval_ns;
    int compression;
} task_data;

/* 0, or -1 when t->data has no member t->type. */
int taskdata_parse(const sched_task *t, task_data *out);
/* malloc'd JSON text, NULL on ENOMEM. */
char *taskdata_json(const char *type, const task_data *d);

#endif
