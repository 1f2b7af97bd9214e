/* storage: what backupd itself does on a location's storage (the agents
 * write and read the artifacts): resolve an S3 bucket's region, test a
 * location config, list PITR chunks, remove an artifact's files. Only S3
 * is reachable from the server; a filesystem location is local to the
 * pmm-client. */
#ifndef BACKUPD_STORAGE_H
#define BACKUPD_STORAGE_H

#include <stddef.h>

#include "http/s3.h"
#include "rpc.h"
#include "store/store.h"

/* How long each S3 request may take (set once at start; --s3-timeout). */
extern long storage_timeout_ms;

/* The client config of an S3 location (borrows l's strings). */
void storage_s3_config(const location *l, s3_config *c);
/* An S3 failure as upstream maps it: S3's own error -> INVALID_ARGUMENT
 * "<Code>: <Message>.", no answer -> INTERNAL with Go's text. */
int storage_error(const s3_error *e, rpc_status *st);
/* GetBucketLocation into l->bucket_region (Add/ChangeLocation). */
int storage_resolve_region(location *l, rpc_status *st);
/* TestLocationConfig for S3: the bucket exists ("Bucket doesn't exist"),
 * can be listed, and a probe object can be written and removed. */
int storage_test_s3(const location *l, rpc_status *st);
/* Removes every object under prefix ("<folder>/<name>" of an artifact). */
int storage_remove_prefix(const location *l, const char *prefix, rpc_status *st);
/* Lists keys under prefix (malloc'd; s3_objects_free). */
int storage_list(const location *l, const char *prefix, s3_object **objs, size_t *n, rpc_status *st);

#endif
