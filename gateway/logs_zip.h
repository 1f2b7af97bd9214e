/* logs_zip: GET /v1/server/logs.zip (api.md §1.1), a plain HTTP handler
 * upstream, not a gRPC method: the gateway parses line-count as upstream
 * does and fetches the archive from configd (internal.v1.LogsService/Zip). */
#ifndef GATEWAY_LOGS_ZIP_H
#define GATEWAY_LOGS_ZIP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth.h"
#include "rpc.h"

#define LOGS_ZIP_PATH "/v1/server/logs.zip"

/* Go's strconv.ParseInt(s, 10, 32). 0 with *out, or -1 with upstream's
 * whole 400 text in err: "Unable to parse line-count parameter:
 * strconv.ParseInt: parsing \"x\": invalid syntax" (or value out of range). */
int logs_zip_parse_line_count(const char *s, int32_t *out, char *err, size_t errlen);

/* `pmm-server_<UTC YYYY-MM-DD_HH-MM>.zip` for time t. */
void logs_zip_filename(char *out, size_t outlen, time_t t);

/* Asks configd for the archive on behalf of id. Returns the RPC code; on
 * OK *zip (malloc'd) and *len, otherwise st has the reason. */
int logs_zip_fetch(const auth_identity *id, int32_t line_count, int timeout_ms, char **zip, size_t *len,
                   rpc_status *st);

#endif
