/* rpc: gRPC status codes, names, HTTP mapping and handler status. */
#include "rpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *code_names[] = {
    "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
    "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
    "Unauthenticated",
};

/* grpc-gateway v2 runtime.HTTPStatusFromCode */
static const int code_http[] = {
    200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401,
};

int rpc_code_to_http(int code)
{
    if (code < 0 || code > RPC_UNAUTHENTICATED)
        return 500;
    return code_http[code];
}

const char *rpc_code_name(int code)
{
    static __thread char buf[32];
    if (code < 0 || code > RPC_UNAUTHENTICATED) {
        snprintf(buf, sizeof buf, "Code(%d)", code);
        return buf;
    }
    return code_names[code];
}

int rpc_fail(rpc_status *st, int code, const char *fmt, ...)
{
    st->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
    return code;
}

void rpc_quote(char *out, size_t outlen, const char *s)
{
    size_t n = 0;
    if (outlen < 3) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        char esc[8];
        size_t elen;
        switch (*p) {
        case '"': memcpy(esc, "\\\"", 3); elen = 2; break;
        case '\\': memcpy(esc, "\\\\", 3); elen = 2; break;
        case '\n': memcpy(esc, "\\n", 3); elen = 2; break;
        case '\t': memcpy(esc, "\\t", 3); elen = 2; break;
        case '\r': memcpy(esc, "\\r", 3); elen = 2; break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                elen = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
            } else {
                esc[0] = (char)*p;
                elen = 1;
            }
        }
        if (n + elen + 2 > outlen)
            break;
        memcpy(out + n, esc, elen);
        n += elen;
    }
    out[n++] = '"';
    out[n] = '\0';
}
