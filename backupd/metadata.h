/* metadata: an artifact's metadata_list between backup.v1.Metadata (what
 * the agent reports, what the API lists) and the JSON upstream stores:
 * [{"file_list": [{"name", "is_directory"}], "restore_to": RFC 3339,
 *   "backup_tool_data": {"PbmMetadata": {"name"}}}]. */
#ifndef BACKUPD_METADATA_H
#define BACKUPD_METADATA_H

#include <stddef.h>

#include "backup/v1/common.pb-c.h"

/* One Metadata as the stored JSON object text (malloc'd; NULL on ENOMEM). */
char *metadata_to_json(const Backup__V1__Metadata *m);
/* The stored list as messages (malloc'd array of malloc'd messages; free
 * each with protobuf_c_message_free_unpacked). Bad JSON gives none. */
Backup__V1__Metadata **metadata_from_json(const char *json, size_t *n);
/* The PBM backup name of the list's first entry ("" when none). */
void metadata_pbm_name(const char *json, char *out, size_t len);
/* Unix seconds of an RFC 3339 UTC time ("2024-01-02T03:04:05Z",
 * fractions allowed); -1 when it does not parse. */
long long metadata_parse_rfc3339(const char *s);
/* Unix seconds as RFC 3339 UTC ("2024-01-02T03:04:05Z"). */
void metadata_format_rfc3339(long long secs, char *out, size_t len);

#endif
