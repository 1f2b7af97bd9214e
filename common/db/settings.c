/* settings: load, default, validate, change and save the settings row
 * (see settings.h). JSON through jansson, keys as upstream's Go struct
 * tags; unknown keys survive a save because the new document is written
 * over the stored one. */
#include "db/settings.h"
#include "db/settings_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ---- strings lists ----------------------------------------------------- */

void settings_strings_free(settings_strings *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->n = 0;
    l->v = NULL;
}

int settings_strings_push(settings_strings *l, const char *s)
{
    char **v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    if (!(v[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

static bool strings_has(const settings_strings *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* upstream's deduplicateStrings (managed/models): the distinct values
 * through a set, then sort.Strings, so ["aws-cn", "aws", "aws-cn"] is
 * stored and shown as ["aws", "aws-cn"]. */
int settings_strings_set_dedup(settings_strings *dst, const settings_strings *src)
{
    settings_strings n = { 0 };
    for (size_t i = 0; i < src->n; i++)
        if (!strings_has(&n, src->v[i]) && settings_strings_push(&n, src->v[i]) != 0) {
            settings_strings_free(&n);
            return -1;
        }
    if (n.n > 1)
        qsort(n.v, n.n, sizeof *n.v, cmp_strp);
    settings_strings_free(dst);
    *dst = n;
    return 0;
}

int settings_set_str(char **dst, const char *s)
{
    char *c = strdup(s ? s : "");
    if (!c)
        return -1;
    free(*dst);
    *dst = c;
    return 0;
}

/* ---- defaults ---------------------------------------------------------- */

/* fillDefaults: zero durations and an empty partition list get defaults;
 * a missing "enabled" is each feature's default (settings.go Is*Enabled). */
int settings_fill_defaults(settings *s)
{
    settings_resolutions *r = &s->metrics_resolutions;
    if (r->hr == 0)
        r->hr = SETTINGS_DEFAULT_HR;
    if (r->mr == 0)
        r->mr = SETTINGS_DEFAULT_MR;
    if (r->lr == 0)
        r->lr = SETTINGS_DEFAULT_LR;
    if (s->data_retention == 0)
        s->data_retention = SETTINGS_DEFAULT_DATA_RETENTION;
    settings_advisor_intervals *a = &s->advisor_run_intervals;
    if (a->rare_interval == 0)
        a->rare_interval = SETTINGS_DEFAULT_RARE_INTERVAL;
    if (a->standard_interval == 0)
        a->standard_interval = SETTINGS_DEFAULT_STANDARD_INTERVAL;
    if (a->frequent_interval == 0)
        a->frequent_interval = SETTINGS_DEFAULT_FREQUENT_INTERVAL;
    if (s->updates_snooze_duration == 0)
        s->updates_snooze_duration = SETTINGS_DEFAULT_SNOOZE_DURATION;
    if (s->aws_partitions.n == 0 && settings_strings_push(&s->aws_partitions, "aws") != 0)
        return -1;
    /* Strings are never NULL, so readers need no checks. */
    char **strs[] = { &s->pmm_public_address, &s->telemetry_uuid, &s->ssh_key, &s->pmm_server_id };
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        if (!*strs[i] && !(*strs[i] = strdup("")))
            return -1;
    return 0;
}

static void enabled_defaults(settings *s)
{
    s->updates_enabled = true;
    s->telemetry_enabled = true;
    s->advisors_enabled = true;
    s->alerting_enabled = true;
    s->backup_management_enabled = true;
    s->vm_cache_enabled = false;
    s->azure_discover_enabled = false;
    s->access_control_enabled = false;
}

void settings_defaults(settings *s)
{
    memset(s, 0, sizeof *s);
    enabled_defaults(s);
    (void)settings_fill_defaults(s); /* fails only on ENOMEM, leaving NULL strings */
}

void settings_free(settings *s)
{
    if (!s)
        return;
    free(s->pmm_public_address);
    free(s->telemetry_uuid);
    free(s->ssh_key);
    free(s->pmm_server_id);
    settings_strings_free(&s->aws_partitions);
    settings_strings_free(&s->disabled_advisors);
    settings_strings_free(&s->encrypted_items);
    memset(s, 0, sizeof *s);
}

/* ---- JSON -> struct ------------------------------------------------------ */

typedef struct {
    char *err;
    size_t errlen;
} jerr;

/* Go's json.Unmarshal: null leaves the zero value; a wrong type fails. */
static int get_int(json_t *obj, const char *key, int64_t *out, jerr *e)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v)) {
        snprintf(e->err, e->errlen, "key %s: not an integer", key);
        return -1;
    }
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int get_bool(json_t *obj, const char *key, bool *out, jerr *e)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v)) {
        snprintf(e->err, e->errlen, "key %s: not a boolean", key);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

static int get_str(json_t *obj, const char *key, char **out, jerr *e)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(e->err, e->errlen, "key %s: not a string", key);
        return -1;
    }
    if (settings_set_str(out, json_string_value(v)) != 0) {
        snprintf(e->err, e->errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int get_strings(json_t *obj, const char *key, settings_strings *out, jerr *e)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        snprintf(e->err, e->errlen, "key %s: not a list", key);
        return -1;
    }
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it)
    {
        if (!json_is_string(it)) {
            snprintf(e->err, e->errlen, "key %s: not a list of strings", key);
            return -1;
        }
        if (settings_strings_push(out, json_string_value(it)) != 0) {
            snprintf(e->err, e->errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* A nested object; NULL (nothing to read) when absent or null. */
static int get_obj(json_t *obj, const char *key, json_t **out, jerr *e)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        snprintf(e->err, e->errlen, "key %s: not an object", key);
        return -1;
    }
    *out = v;
    return 0;
}

static int get_enabled(json_t *obj, const char *key, const char *field, bool *out, jerr *e)
{
    json_t *o;
    if (get_obj(obj, key, &o, e) != 0)
        return -1;
    return o ? get_bool(o, field, out, e) : 0;
}

static int read_nested(json_t *root, settings *s, jerr *e)
{
    json_t *o;
    if (get_obj(root, "updates", &o, e) != 0 ||
        (o && (get_bool(o, "enabled", &s->updates_enabled, e) ||
               get_int(o, "snooze_duration", &s->updates_snooze_duration, e))))
        return -1;
    if (get_obj(root, "telemetry", &o, e) != 0 ||
        (o && (get_bool(o, "enabled", &s->telemetry_enabled, e) || get_str(o, "uuid", &s->telemetry_uuid, e))))
        return -1;
    settings_resolutions *r = &s->metrics_resolutions;
    if (get_obj(root, "metrics_resolutions", &o, e) != 0 ||
        (o && (get_int(o, "hr", &r->hr, e) || get_int(o, "mr", &r->mr, e) || get_int(o, "lr", &r->lr, e))))
        return -1;
    if (get_obj(root, "sass", &o, e) != 0 ||
        (o && (get_bool(o, "enabled", &s->advisors_enabled, e) ||
               get_strings(o, "disabled_advisors", &s->disabled_advisors, e))))
        return -1;
    json_t *ai = NULL;
    settings_advisor_intervals *a = &s->advisor_run_intervals;
    if (o && (get_obj(o, "advisor_run_intervals", &ai, e) != 0 ||
              (ai && (get_int(ai, "standard_interval", &a->standard_interval, e) ||
                      get_int(ai, "rare_interval", &a->rare_interval, e) ||
                      get_int(ai, "frequent_interval", &a->frequent_interval, e)))))
        return -1;
    return get_enabled(root, "victoria_metrics", "cache_enabled", &s->vm_cache_enabled, e) ||
                   get_enabled(root, "alerting", "enabled", &s->alerting_enabled, e) ||
                   get_enabled(root, "azure", "enabled", &s->azure_discover_enabled, e) ||
                   get_enabled(root, "backup_management", "enabled", &s->backup_management_enabled, e) ||
                   get_enabled(root, "access_control", "enabled", &s->access_control_enabled, e)
               ? -1
               : 0;
}

static int read_flat(json_t *root, settings *s, jerr *e)
{
    return get_str(root, "pmm_public_address", &s->pmm_public_address, e) ||
                   get_int(root, "data_retention", &s->data_retention, e) ||
                   get_strings(root, "aws_partitions", &s->aws_partitions, e) ||
                   get_bool(root, "aws_instance_checked", &s->aws_instance_checked, e) ||
                   get_str(root, "ssh_key", &s->ssh_key, e) ||
                   get_str(root, "pmmServerID", &s->pmm_server_id, e) ||
                   get_int(root, "default_role_id", &s->default_role_id, e) ||
                   get_strings(root, "encrypted_items", &s->encrypted_items, e)
               ? -1
               : 0;
}

int settings_from_json(const char *json, settings *out, char *err, size_t errlen)
{
    jerr e = { err, errlen };
    json_error_t je;
    json_t *root = json_loads(json ? json : "", 0, &je);
    if (!root || !json_is_object(root)) {
        snprintf(err, errlen, "%s", root ? "not a JSON object" : je.text);
        json_decref(root);
        return -1;
    }
    settings s;
    memset(&s, 0, sizeof s);
    enabled_defaults(&s);
    int rc = read_flat(root, &s, &e) || read_nested(root, &s, &e) ? -1 : 0;
    json_decref(root);
    if (rc == 0 && settings_fill_defaults(&s) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc != 0) {
        settings_free(&s);
        return -1;
    }
    *out = s;
    return 0;
}

/* ---- struct -> JSON ------------------------------------------------------ */

static json_t *strings_json(const settings_strings *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        if (json_array_append_new(a, json_string(l->v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Sets key in obj; where both the stored and the new value are objects the
 * new keys are merged in, recursively, so that keys this model does not
 * know (inside "sass", say) survive. Takes val. */
static int merge(json_t *obj, const char *key, json_t *val)
{
    if (!val)
        return -1;
    json_t *old = json_object_get(obj, key);
    if (!old || !json_is_object(old) || !json_is_object(val))
        return json_object_set_new(obj, key, val);
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach(val, k, v)
    {
        if (rc == 0)
            rc = merge(old, k, json_incref(v));
    }
    json_decref(val);
    return rc;
}

static json_t *i64(int64_t v)
{
    return json_integer((json_int_t)v);
}

static int write_all(json_t *root, const settings *s)
{
    const settings_resolutions *r = &s->metrics_resolutions;
    const settings_advisor_intervals *a = &s->advisor_run_intervals;
    json_t *sass = json_pack("{s:b, s:o, s:{s:I, s:I, s:I}}", "enabled", s->advisors_enabled, "disabled_advisors",
                             s->disabled_advisors.n ? strings_json(&s->disabled_advisors) : json_null(),
                             "advisor_run_intervals", "standard_interval", (json_int_t)a->standard_interval,
                             "rare_interval", (json_int_t)a->rare_interval, "frequent_interval",
                             (json_int_t)a->frequent_interval);
    return merge(root, "pmm_public_address", json_string(s->pmm_public_address ? s->pmm_public_address : "")) ||
                   merge(root, "updates", json_pack("{s:b, s:I}", "enabled", s->updates_enabled, "snooze_duration",
                                                    (json_int_t)s->updates_snooze_duration)) ||
                   merge(root, "telemetry", json_pack("{s:b, s:s}", "enabled", s->telemetry_enabled, "uuid",
                                                      s->telemetry_uuid ? s->telemetry_uuid : "")) ||
                   merge(root, "metrics_resolutions", json_pack("{s:I, s:I, s:I}", "hr", (json_int_t)r->hr, "mr",
                                                                (json_int_t)r->mr, "lr", (json_int_t)r->lr)) ||
                   merge(root, "data_retention", i64(s->data_retention)) ||
                   merge(root, "aws_partitions", strings_json(&s->aws_partitions)) ||
                   merge(root, "aws_instance_checked", json_boolean(s->aws_instance_checked)) ||
                   merge(root, "ssh_key", json_string(s->ssh_key ? s->ssh_key : "")) ||
                   merge(root, "victoria_metrics", json_pack("{s:b}", "cache_enabled", s->vm_cache_enabled)) ||
                   merge(root, "sass", sass) ||
                   merge(root, "alerting", json_pack("{s:b}", "enabled", s->alerting_enabled)) ||
                   merge(root, "azure", json_pack("{s:b}", "enabled", s->azure_discover_enabled)) ||
                   merge(root, "backup_management", json_pack("{s:b}", "enabled", s->backup_management_enabled)) ||
                   merge(root, "pmmServerID", json_string(s->pmm_server_id ? s->pmm_server_id : "")) ||
                   merge(root, "default_role_id", i64(s->default_role_id)) ||
                   merge(root, "access_control", json_pack("{s:b}", "enabled", s->access_control_enabled)) ||
                   merge(root, "encrypted_items",
                         s->encrypted_items.n ? strings_json(&s->encrypted_items) : json_null())
               ? -1
               : 0;
}

char *settings_to_json(const settings *s, const char *base)
{
    json_t *root = base && *base ? json_loads(base, 0, NULL) : json_object();
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    char *out = write_all(root, s) == 0 ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    return out;
}

/* ---- database ------------------------------------------------------------ */

static int load(db *d, const char *sql, settings *out, rpc_status *st)
{
    PGresult *r = db_exec(d, st, sql, 0, NULL);
    if (!r)
        return st->code;
    int rc = RPC_OK;
    char err[256];
    if (PQntuples(r) != 1)
        rc = rpc_fail(st, RPC_INTERNAL, "failed to select settings: %d rows", PQntuples(r));
    else if (settings_from_json(PQgetisnull(r, 0, 0) ? "{}" : PQgetvalue(r, 0, 0), out, err, sizeof err) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "failed to unmarshal settings: %s", err);
    PQclear(r);
    return rc;
}

int settings_load(db *d, settings *out, rpc_status *st)
{
    return load(d, "SELECT settings FROM settings", out, st);
}

int settings_load_for_update(db *d, settings *out, rpc_status *st)
{
    return load(d, "SELECT settings FROM settings FOR UPDATE", out, st);
}

int settings_save(db *d, const settings *s, rpc_status *st)
{
    /* The stored document is the base, so unknown keys survive. */
    PGresult *r = db_exec(d, st, "SELECT settings FROM settings FOR UPDATE", 0, NULL);
    if (!r)
        return st->code;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return rpc_fail(st, RPC_INTERNAL, "failed to update settings: no settings row");
    }
    char *doc = settings_to_json(s, PQgetisnull(r, 0, 0) ? NULL : PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!doc)
        return rpc_fail(st, RPC_INTERNAL, "failed to marshal settings");
    const char *params[] = { doc };
    r = db_exec(d, st, "UPDATE settings SET settings = $1", 1, params);
    free(doc);
    if (!r)
        return st->code;
    PQclear(r);
    return RPC_OK;
}

int settings_nomad_enabled(db *d, bool *enabled, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT COALESCE(settings->'nomad'->>'enabled', 'false') FROM settings LIMIT 1", 0,
                          NULL);
    if (!r)
        return st->code;
    *enabled = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "true") == 0;
    PQclear(r);
    return RPC_OK;
}
