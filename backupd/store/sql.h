/* sql: fragments the store files' statements share. */
#ifndef BACKUPD_STORE_SQL_H
#define BACKUPD_STORE_SQL_H

#define SQL_NOW "(now() AT TIME ZONE 'UTC')"
/* A TIMESTAMP column as Unix milliseconds (NULL stays NULL). */
#define SQL_MS(col) "(EXTRACT(EPOCH FROM " col ") * 1000)::bigint"
/* A parameter of Unix milliseconds as a TIMESTAMP (NULL stays NULL). */
#define SQL_TS(param) "(to_timestamp(" param "::bigint / 1000.0) AT TIME ZONE 'UTC')"

#endif
