/* removal: upstream's RemovalService (removal_service.go): an artifact is
 * locked (status deleting, refused unless in a final status or while a
 * restore uses it), its restore history removed, its files removed from an
 * S3 location when asked (the metadata's files and folders under the
 * artifact's folder, else "<name>/"; a PITR artifact's oplog chunks too),
 * then its row; a failure leaves it failed_to_delete. Retention trims a
 * PITR artifact's oldest snapshots instead. */
#ifndef BACKUPD_REMOVAL_H
#define BACKUPD_REMOVAL_H

#include <stdbool.h>

#include "db/db.h"
#include "rpc.h"

int removal_delete_artifact(db *d, const char *artifact_id, bool remove_files, rpc_status *st);

/* Removes the first n entries of a PITR artifact's metadata_list with
 * their files and the oplog chunks older than the new first entry. */
int removal_trim_pitr(db *d, const char *artifact_id, size_t n, rpc_status *st);

#endif
