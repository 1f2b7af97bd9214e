/* metadata: artifact metadata between protobuf and stored JSON (see metadata.h). */
#include "metadata.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "google/protobuf/timestamp.pb-c.h"

long long metadata_parse_rfc3339(const char *s)
{
    struct tm tm = { 0 };
    const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!p)
        return -1;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    long long off = 0;
    if (*p == '+' || *p == '-') {
        int h, m;
        if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2)
            return -1;
        off = (h * 3600LL + m * 60) * (*p == '+' ? 1 : -1);
    } else if (*p != 'Z') {
        return -1;
    }
    return (long long)timegm(&tm) - off;
}

void metadata_format_rfc3339(long long secs, char *out, size_t len)
{
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *metadata_to_json(const Backup__V1__Metadata *m)
{
    json_t *files = json_array();
    for (size_t i = 0; i < m->n_file_list; i++)
        json_array_append_new(files, json_pack("{s:s, s:b}", "name", m->file_list[i]->name ? m->file_list[i]->name : "",
                                               "is_directory", m->file_list[i]->is_directory));
    json_t *o = json_pack("{s:o}", "file_list", files);
    if (m->restore_to) {
        char ts[64];
        metadata_format_rfc3339((long long)m->restore_to->seconds, ts, sizeof ts);
        json_object_set_new(o, "restore_to", json_string(ts));
    }
    if (m->backup_tool_metadata_case == BACKUP__V1__METADATA__BACKUP_TOOL_METADATA_PBM_METADATA && m->pbm_metadata)
        json_object_set_new(o, "backup_tool_data",
                            json_pack("{s:{s:s}}", "PbmMetadata", "name",
                                      m->pbm_metadata->name ? m->pbm_metadata->name : ""));
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static Backup__V1__Metadata *one(json_t *e)
{
    Backup__V1__Metadata *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    backup__v1__metadata__init(m);
    json_t *files = json_object_get(e, "file_list");
    size_t n = json_array_size(files);
    m->file_list = n ? calloc(n, sizeof *m->file_list) : NULL;
    for (size_t i = 0; i < n && m->file_list; i++) {
        json_t *f = json_array_get(files, i);
        Backup__V1__File *x = malloc(sizeof *x);
        if (!x)
            break;
        backup__v1__file__init(x);
        const char *name = json_string_value(json_object_get(f, "name"));
        x->name = strdup(name ? name : "");
        x->is_directory = json_is_true(json_object_get(f, "is_directory"));
        m->file_list[m->n_file_list++] = x;
    }
    long long secs = metadata_parse_rfc3339(json_string_value(json_object_get(e, "restore_to")));
    if (secs >= 0 && (m->restore_to = malloc(sizeof *m->restore_to))) {
        google__protobuf__timestamp__init(m->restore_to);
        m->restore_to->seconds = secs;
    }
    const char *pbm = json_string_value(json_object_get(json_object_get(json_object_get(e, "backup_tool_data"),
                                                                        "PbmMetadata"),
                                                        "name"));
    if (pbm && (m->pbm_metadata = malloc(sizeof *m->pbm_metadata))) {
        backup__v1__pbm_metadata__init(m->pbm_metadata);
        m->pbm_metadata->name = strdup(pbm);
        m->backup_tool_metadata_case = BACKUP__V1__METADATA__BACKUP_TOOL_METADATA_PBM_METADATA;
    }
    return m;
}

Backup__V1__Metadata **metadata_from_json(const char *json, size_t *n)
{
    *n = 0;
    json_t *arr = json ? json_loads(json, 0, NULL) : NULL;
    size_t count = json_array_size(arr);
    Backup__V1__Metadata **out = count ? calloc(count, sizeof *out) : NULL;
    for (size_t i = 0; out && i < count; i++) {
        Backup__V1__Metadata *m = one(json_array_get(arr, i));
        if (m)
            out[(*n)++] = m;
    }
    json_decref(arr);
    return out;
}

void metadata_pbm_name(const char *json, char *out, size_t len)
{
    *out = '\0';
    json_t *arr = json ? json_loads(json, 0, NULL) : NULL;
    const char *s = json_string_value(json_object_get(
        json_object_get(json_object_get(json_array_get(arr, 0), "backup_tool_data"), "PbmMetadata"), "name"));
    if (s)
        snprintf(out, len, "%s", s);
    json_decref(arr);
}
