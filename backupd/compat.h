/* compat: upstream's backup compatibility rules (compatibility_helpers.go,
 * reference backups.md section 9) as pure functions of the versions a
 * pmm-agent reported, and the version comparisons they need. */
#ifndef BACKUPD_COMPAT_H
#define BACKUPD_COMPAT_H

#include <stdbool.h>
#include <stddef.h>

#include "rpc.h"

/* backup.v1.ErrorCode values carried with a refusal. */
enum {
    COMPAT_OK = 0,
    COMPAT_XTRABACKUP_NOT_INSTALLED = 1,
    COMPAT_INVALID_XTRABACKUP = 2,
    COMPAT_INCOMPATIBLE_XTRABACKUP = 3,
    COMPAT_INCOMPATIBLE_TARGET_MYSQL = 4,
    COMPAT_INCOMPATIBLE_TARGET_MONGODB = 5,
};

/* Compares two versions as hashicorp/go-version does for these checks:
 * numeric segments (missing ones are 0), then a pre-release ("-0",
 * "-beta1") sorts before the release. Returns <0, 0, >0; a version that
 * does not parse sorts first. */
int compat_ver_cmp(const char *a, const char *b);
/* The same on the core x.y.z only (pre-release and metadata ignored). */
int compat_core_cmp(const char *a, const char *b);
/* Whether s parses as a version. */
bool compat_ver_valid(const char *s);

/* MySQL: mysqld, xtrabackup, xbcloud versions ("" = not installed).
 * RPC_OK, or FAILED_PRECONDITION with upstream's text; *code gets the
 * backup.v1.ErrorCode to put in the details (0 for none). */
int compat_mysql(const char *mysqld, const char *xtrabackup, const char *xbcloud, int *code, rpc_status *st);
/* MongoDB: mongod and pbm versions. */
int compat_mongodb(const char *mongod, const char *pbm, int *code, rpc_status *st);

/* A pmm-agent too old for a functionality: FAILED_PRECONDITION with
 * upstream's agentNotSupportedError text. 0 when version >= min. */
int compat_agent_min(const char *functionality, const char *agent_id, const char *version, const char *min,
                     rpc_status *st);

#endif
