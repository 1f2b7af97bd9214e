/* removal: deleting artifacts and their files (see removal.h). */
#include "removal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metadata.h"
#include "naming.h"
#include "pitr.h"
#include "storage.h"
#include "store/store.h"

static bool final_status(const char *s)
{
    return strcmp(s, "success") == 0 || strcmp(s, "error") == 0 || strcmp(s, "failed_to_delete") == 0;
}

/* Serializable: checks and sets lock_status; *prev gets the status before. */
static int lock_artifact(db *d, const char *id, const char *lock_status, artifact *a, char *prev, size_t len,
                         rpc_status *st)
{
    if (store_begin_serializable(d, st))
        return st->code;
    bool running = false;
    char q[512];
    rpc_quote(q, sizeof q, id);
    if (store_artifact_get(d, id, a, st) == RPC_OK) {
        snprintf(prev, len, "%s", a->status);
        if (!final_status(a->status))
            rpc_fail(st, RPC_FAILED_PRECONDITION, "artifact with ID %s isn't in a final status: incorrect artifact status",
                     q);
        else if (store_restore_running_for_artifact(d, id, &running, st) == RPC_OK && running)
            rpc_fail(st, RPC_FAILED_PRECONDITION,
                     "Cannot delete artifact with ID %s: artifact is used by currently running restore operation.", q);
        else if (st->code == RPC_OK)
            store_artifact_set_status(d, id, lock_status, st);
    }
    if (st->code != RPC_OK || db_commit(d, st) != RPC_OK) {
        db_rollback(d);
        return st->code;
    }
    return RPC_OK;
}

/* "<folder>/<name>" as Go's path.Join. */
static void join(const char *folder, const char *name, char *out, size_t len)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s%s%s", folder, *folder ? "/" : "", name);
    naming_clean(tmp, out, len);
}

/* The files of the first n metadata entries (n = all when the artifact has none). */
static int delete_files(const artifact *a, const location *l, size_t first_n, rpc_status *st)
{
    if (strcmp(l->type, "s3") != 0)
        return RPC_OK; /* a filesystem location is the pmm-client's: nothing the server can remove */
    size_t n;
    Backup__V1__Metadata **m = metadata_from_json(a->metadata_list, &n);
    int rc = RPC_OK;
    char path[4096];
    if (n == 0) {
        snprintf(path, sizeof path, "%s/", a->name);
        rc = storage_remove_prefix(l, path, st);
    }
    for (size_t i = 0; i < n && i < first_n && rc == RPC_OK; i++)
        for (size_t k = 0; k < m[i]->n_file_list && rc == RPC_OK; k++) {
            join(a->folder, m[i]->file_list[k]->name, path, sizeof path - 1);
            if (m[i]->file_list[k]->is_directory) {
                strcat(path, "/");
                rc = storage_remove_prefix(l, path, st);
            } else {
                s3_config c;
                s3_error e;
                storage_s3_config(l, &c);
                if (s3_delete(&c, path, &e) != 0)
                    rc = storage_error(&e, st);
            }
        }
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(&m[i]->base, NULL);
    free(m);
    return rc;
}

/* The PITR chunks that end before until (all when until is 0). */
static int delete_chunks(const artifact *a, const location *l, int64_t until, rpc_status *st)
{
    if (strcmp(a->mode, "pitr") != 0 || strcmp(l->type, "s3") != 0)
        return RPC_OK;
    char prefix[2048];
    pitr_prefix(a, prefix, sizeof prefix);
    s3_object *objs;
    size_t n;
    if (storage_list(l, prefix, &objs, &n, st))
        return st->code;
    s3_config c;
    storage_s3_config(l, &c);
    int rc = RPC_OK;
    for (size_t i = 0; i < n && rc == RPC_OK; i++) {
        if (until) {
            pitr_range *r;
            size_t nr;
            const char *k = objs[i].key;
            /* one key's own range tells when it ends */
            if (pitr_from_keys(prefix, &k, 1, &r, &nr) != 0 || nr == 0) {
                free(r);
                continue;
            }
            bool old = r[0].end < until;
            free(r);
            if (!old)
                continue;
        }
        s3_error e;
        if (s3_delete(&c, objs[i].key, &e) != 0)
            rc = storage_error(&e, st);
    }
    s3_objects_free(objs, n);
    return rc;
}

int removal_delete_artifact(db *d, const char *artifact_id, bool remove_files, rpc_status *st)
{
    artifact a = { 0 };
    location l = { 0 };
    char prev[32];
    if (lock_artifact(d, artifact_id, "deleting", &a, prev, sizeof prev, st))
        goto out;
    /* artifacts that never succeeded and have no metadata: their files are not known */
    bool has_meta = a.metadata_list && strcmp(a.metadata_list, "[]") != 0;
    if (strcmp(prev, "success") != 0 && !has_meta)
        remove_files = false;
    if (remove_files && (store_location_get(d, a.location_id, &l, st) || delete_files(&a, &l, (size_t)-1, st) ||
                         delete_chunks(&a, &l, 0, st)))
        goto failed;
    if (db_begin(d, st) == RPC_OK &&
        (store_restore_delete_by_artifact(d, artifact_id, st) || store_artifact_delete(d, artifact_id, st) ||
         db_commit(d, st))) {
        db_rollback(d);
        goto failed;
    }
    if (st->code == RPC_OK)
        log_info("artifact %s deleted%s", artifact_id, remove_files ? " with its files" : "");
    goto out;
failed:
    {
        rpc_status ignore = { 0 };
        store_artifact_set_status(d, artifact_id, "failed_to_delete", &ignore);
    }
out:
    location_free(&l);
    artifact_free(&a);
    return st->code;
}

int removal_trim_pitr(db *d, const char *artifact_id, size_t n, rpc_status *st)
{
    artifact a = { 0 };
    location l = { 0 };
    char prev[32];
    if (lock_artifact(d, artifact_id, "cleanup_in_progress", &a, prev, sizeof prev, st))
        goto out;
    json_t *list = a.metadata_list ? json_loads(a.metadata_list, 0, NULL) : NULL;
    if (store_location_get(d, a.location_id, &l, st) == RPC_OK && delete_files(&a, &l, n, st) == RPC_OK) {
        for (size_t i = 0; i < n && json_array_size(list); i++)
            json_array_remove(list, 0);
        char *text = json_dumps(list ? list : json_array(), JSON_COMPACT);
        long long until = metadata_parse_rfc3339(
            json_string_value(json_object_get(json_array_get(list, 0), "restore_to")));
        if (store_artifact_set_metadata(d, artifact_id, text, st) == RPC_OK && until > 0)
            delete_chunks(&a, &l, until, st);
        free(text);
    }
    json_decref(list);
    {
        rpc_status ignore = { 0 };
        /* released whatever happened, or it could never be restored again */
        store_artifact_set_status(d, artifact_id, prev, &ignore);
    }
out:
    location_free(&l);
    artifact_free(&a);
    return st->code;
}
