/* pitr: the PITR timeranges of an artifact from the oplog chunk names PBM
 * writes under "<folder or name>/pbmPitr/" (reference backups.md section
 * 10, upstream's pitr_timerange_service.go): chunks
 * "<rs>/.../<start>.<end>.oplog[.<ext>]" with times "YYYYMMDDhhmmss[-n]",
 * walked in order per replica set (a gap closes a timeline), the replica
 * sets' timelines intersected, each start moved 1 s later as PBM does. */
#ifndef BACKUPD_PITR_H
#define BACKUPD_PITR_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "store/store.h"

typedef struct {
    int64_t start, end; /* Unix seconds */
} pitr_range;

/* The timeranges of the chunk keys (full object keys under prefix, which
 * ends with "pbmPitr/"); keys that are not chunks are skipped. *out
 * malloc'd (may be NULL when *n is 0). 0, or -1 on ENOMEM. */
int pitr_from_keys(const char *prefix, const char *const *keys, size_t n_keys, pitr_range **out, size_t *n);

/* "<folder or name>/pbmPitr/" of an artifact (the folder when it has
 * metadata, else its name), into out. */
void pitr_prefix(const artifact *a, char *out, size_t len);

/* ListPitrTimeranges' work: the artifact must be pitr, not sharded, on
 * S3; its chunks are listed from the bucket. */
int pitr_timeranges(const artifact *a, const location *l, pitr_range **out, size_t *n, rpc_status *st);

/* Whether ts (Unix seconds) lies within one of the ranges, ends included. */
int pitr_contains(const pitr_range *r, size_t n, int64_t ts);

#endif
