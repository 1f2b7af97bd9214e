/* retention: a schedule's "keep N" (upstream's retention_service.go),
 * applied after each successful scheduled artifact: snapshots beyond the
 * newest N successful ones are deleted with their files; a PITR artifact
 * keeps its newest N snapshots (removal_trim_pitr). 0 keeps everything.
 * Leader only (leader.h): it passes the HA fence at its term first. */
#ifndef BACKUPD_RETENTION_H
#define BACKUPD_RETENTION_H

#include "db/db.h"

/* Errors are logged: retention never fails the backup that triggered it. */
void retention_apply(db *d, const char *schedule_id);

#endif
