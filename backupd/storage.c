/* storage: backupd's own S3 calls (see storage.h). */
#include "storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uuid.h"

long storage_timeout_ms = 30000;

void storage_s3_config(const location *l, s3_config *c)
{
    memset(c, 0, sizeof *c);
    c->endpoint = l->endpoint;
    c->access_key = l->access_key;
    c->secret_key = l->secret_key;
    c->bucket = l->bucket_name;
    c->region = l->bucket_region;
    c->timeout_ms = storage_timeout_ms;
}

int storage_error(const s3_error *e, rpc_status *st)
{
    char text[RPC_MESSAGE_MAX / 2];
    s3_error_text(e, text, sizeof text);
    return rpc_fail(st, e->kind == S3_ERR_S3 ? RPC_INVALID_ARGUMENT : RPC_INTERNAL, "%s", text);
}

int storage_resolve_region(location *l, rpc_status *st)
{
    s3_config c;
    storage_s3_config(l, &c);
    s3_error e;
    char region[128];
    if (s3_bucket_location(&c, region, sizeof region, &e) != 0)
        return storage_error(&e, st);
    char *r = strdup(region);
    if (!r)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    free(l->bucket_region);
    l->bucket_region = r;
    return RPC_OK;
}

int storage_test_s3(const location *l, rpc_status *st)
{
    s3_config c;
    storage_s3_config(l, &c);
    s3_error e;
    char region[128];
    if (s3_bucket_location(&c, region, sizeof region, &e) != 0) {
        if (e.kind == S3_ERR_S3 && strcmp(e.code, "NoSuchBucket") == 0)
            return rpc_fail(st, RPC_INVALID_ARGUMENT, "Bucket doesn't exist");
        return storage_error(&e, st);
    }
    c.region = region;
    char id[UUID_STR_LEN], key[128];
    uuid_v4(id);
    snprintf(key, sizeof key, "pmm-location-test-%s", id);
    s3_object *objs;
    size_t n;
    if (s3_list(&c, key, &objs, &n, &e) != 0)
        return storage_error(&e, st);
    s3_objects_free(objs, n);
    static const char probe[] = "PMM backup location check\n";
    if (s3_put(&c, key, probe, sizeof probe - 1, &e) != 0 || s3_delete(&c, key, &e) != 0)
        return storage_error(&e, st);
    return RPC_OK;
}

int storage_remove_prefix(const location *l, const char *prefix, rpc_status *st)
{
    s3_config c;
    storage_s3_config(l, &c);
    s3_error e;
    if (s3_delete_prefix(&c, prefix, NULL, &e) != 0)
        return storage_error(&e, st);
    return RPC_OK;
}

int storage_list(const location *l, const char *prefix, s3_object **objs, size_t *n, rpc_status *st)
{
    s3_config c;
    storage_s3_config(l, &c);
    s3_error e;
    if (s3_list(&c, prefix, objs, n, &e) != 0)
        return storage_error(&e, st);
    return RPC_OK;
}
