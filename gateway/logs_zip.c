/* logs_zip: line-count parsing and the call to configd for logs.zip. */
#include "logs_zip.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "internal/v1/logs.pb-c.h"

static int parse_error(char *err, size_t errlen, const char *s, const char *why)
{
    char q[512];
    rpc_quote(q, sizeof q, s);
    snprintf(err, errlen, "Unable to parse line-count parameter: strconv.ParseInt: parsing %s: %s", q, why);
    return -1;
}

/* As Go: a sign, then digits only; the unsigned 32-bit overflow is found
 * while scanning (before a later bad character), the signed range after. */
int logs_zip_parse_line_count(const char *s, int32_t *out, char *err, size_t errlen)
{
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (*p == '\0')
        return parse_error(err, errlen, s, "invalid syntax");
    uint64_t n = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return parse_error(err, errlen, s, "invalid syntax");
        n = n * 10 + (uint64_t)(*p - '0');
        if (n > UINT32_MAX)
            return parse_error(err, errlen, s, "value out of range");
    }
    if ((!neg && n > INT32_MAX) || (neg && n > (uint64_t)INT32_MAX + 1))
        return parse_error(err, errlen, s, "value out of range");
    *out = neg ? (int32_t)(-(int64_t)n) : (int32_t)n;
    return 0;
}

void logs_zip_filename(char *out, size_t outlen, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%d_%H-%M", &tm);
    snprintf(out, outlen, "pmm-server_%s.zip", stamp);
}

int logs_zip_fetch(const auth_identity *id, int32_t line_count, int timeout_ms, char **zip, size_t *len,
                   rpc_status *st)
{
    *zip = NULL;
    *len = 0;
    Internal__V1__ZipRequest req = INTERNAL__V1__ZIP_REQUEST__INIT;
    req.line_count = line_count;
    uint8_t buf[16];
    size_t n = internal__v1__zip_request__pack(&req, buf);
    bus_reply rep;
    int code = dispatch_call("/internal.v1.LogsService/Zip", id->user, id->role, buf, n, timeout_ms, &rep);
    if (code != RPC_OK) {
        rpc_fail(st, code, "%s", rep.message ? rep.message : "");
        bus_reply_clear(&rep);
        return code;
    }
    Internal__V1__ZipResponse *resp = internal__v1__zip_response__unpack(NULL, rep.body_len, rep.body);
    bus_reply_clear(&rep);
    if (!resp)
        return rpc_fail(st, RPC_INTERNAL, "malformed response from configd");
    *zip = malloc(resp->zip.len ? resp->zip.len : 1);
    if (*zip) {
        if (resp->zip.len)
            memcpy(*zip, resp->zip.data, resp->zip.len);
        *len = resp->zip.len;
    }
    internal__v1__zip_response__free_unpacked(resp, NULL);
    return *zip ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}
