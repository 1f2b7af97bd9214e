/* s3: the few S3 calls backups need (bucket region, list, put, get,
 * delete), path-style requests (virtual-host style for *.amazonaws.com,
 * as minio-go chooses) signed with SigV4 through common/http/aws.h, over
 * httpc. An error is either S3's own (its error document's Code and
 * Message, which upstream shows as "<Code>: <Message>.") or a transport
 * failure in Go's url.Error words (httpc_error). Thread-safe: nothing is
 * shared between calls. */
#ifndef PMM_S3_H
#define PMM_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *endpoint;   /* "http://127.0.0.1:4568", "https://s3.us-east-2.amazonaws.com", or a bare
                               host[:port], which means https as minio-go's default */
    const char *access_key;
    const char *secret_key;
    const char *bucket;
    const char *region;     /* signing region; NULL or "" -> us-east-1 */
    long timeout_ms;        /* each request; 0 -> 30 s */
} s3_config;

typedef enum {
    S3_OK = 0,
    S3_ERR_S3,        /* S3 answered with an error: status, code, message */
    S3_ERR_TRANSPORT, /* no answer (refused, timed out, ...): message is Go's url.Error text */
    S3_ERR_CONFIG,    /* a bad endpoint or out of memory: message says which */
} s3_err_kind;

typedef struct {
    s3_err_kind kind;
    long status;
    char code[256];
    char message[2048];
} s3_error;

typedef struct {
    char *key;
    int64_t size;
} s3_object;

/* GetBucketLocation: the bucket's region into region ("us-east-1" for
 * S3's empty LocationConstraint, as minio-go reads it). */
int s3_bucket_location(const s3_config *c, char *region, size_t len, s3_error *err);
/* Every object whose key starts with prefix (ListObjectsV2, all pages), in
 * key order; *objs malloc'd (s3_objects_free). */
int s3_list(const s3_config *c, const char *prefix, s3_object **objs, size_t *n, s3_error *err);
void s3_objects_free(s3_object *objs, size_t n);
/* PutObject of len bytes. */
int s3_put(const s3_config *c, const char *key, const void *data, size_t len, s3_error *err);
/* GetObject into *data (malloc'd, NUL-terminated, at most 16 MiB). */
int s3_get(const s3_config *c, const char *key, char **data, size_t *len, s3_error *err);
/* DeleteObject (S3 answers 204 for a key that does not exist too). */
int s3_delete(const s3_config *c, const char *key, s3_error *err);
/* Deletes every object under prefix; *deleted counts them (may be NULL). */
int s3_delete_prefix(const s3_config *c, const char *prefix, size_t *deleted, s3_error *err);

/* "<Code>: <Message>." for S3 errors, the message alone otherwise. */
void s3_error_text(const s3_error *err, char *out, size_t len);

#endif
