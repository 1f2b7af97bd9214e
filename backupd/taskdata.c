/* taskdata: scheduled task data JSON (see taskdata.h). */
#include "taskdata.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void str(json_t *o, const char *k, char *out, size_t len)
{
    const char *v = json_string_value(json_object_get(o, k));
    snprintf(out, len, "%s", v ? v : "");
}

int taskdata_parse(const sched_task *t, task_data *d)
{
    memset(d, 0, sizeof *d);
    json_t *root = json_loads(t->data ? t->data : "", 0, NULL);
    json_t *o = json_object_get(root, t->type);
    if (!json_is_object(o)) {
        json_decref(root);
        return -1;
    }
    str(o, "service_id", d->service_id, sizeof d->service_id);
    str(o, "cluster_name", d->cluster_name, sizeof d->cluster_name);
    str(o, "location_id", d->location_id, sizeof d->location_id);
    str(o, "name", d->name, sizeof d->name);
    str(o, "description", d->description, sizeof d->description);
    str(o, "data_model", d->data_model, sizeof d->data_model);
    str(o, "mode", d->mode, sizeof d->mode);
    str(o, "folder", d->folder, sizeof d->folder);
    d->retention = (uint32_t)json_integer_value(json_object_get(o, "retention"));
    d->retries = (uint32_t)json_integer_value(json_object_get(o, "retries"));
    d->retry_interval_ns = json_integer_value(json_object_get(o, "retry_interval"));
    d->compression = (int)json_integer_value(json_object_get(o, "compression"));
    json_decref(root);
    return 0;
}

char *taskdata_json(const char *type, const task_data *d)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:s}", "service_id", d->service_id,
                          "cluster_name", d->cluster_name, "location_id", d->location_id, "name", d->name,
                          "description", d->description, "retention", (json_int_t)d->retention, "data_model",
                          d->data_model, "mode", d->mode, "retries", (json_int_t)d->retries, "retry_interval",
                          (json_int_t)d->retry_interval_ns, "folder", d->folder);
    if (o && d->compression)
        json_object_set_new(o, "compression", json_integer(d->compression));
    json_t *root = o ? json_pack("{s:o}", type, o) : NULL;
    char *s = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    return s;
}
