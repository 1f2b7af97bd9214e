/* rpc: gRPC status codes shared by every daemon, their names, the
 * grpc-gateway HTTP mapping, and the status a handler fills in. */
#ifndef PMM_RPC_H
#define PMM_RPC_H

#include <stddef.h>

enum {
    RPC_OK = 0,
    RPC_CANCELLED = 1,
    RPC_UNKNOWN = 2,
    RPC_INVALID_ARGUMENT = 3,
    RPC_DEADLINE_EXCEEDED = 4,
    RPC_NOT_FOUND = 5,
    RPC_ALREADY_EXISTS = 6,
    RPC_PERMISSION_DENIED = 7,
    RPC_RESOURCE_EXHAUSTED = 8,
    RPC_FAILED_PRECONDITION = 9,
    RPC_ABORTED = 10,
    RPC_OUT_OF_RANGE = 11,
    RPC_UNIMPLEMENTED = 12,
    RPC_INTERNAL = 13,
    RPC_UNAVAILABLE = 14,
    RPC_DATA_LOSS = 15,
    RPC_UNAUTHENTICATED = 16
};

/* HTTP status grpc-gateway v2 uses for a gRPC code (unknown codes -> 500). */
int rpc_code_to_http(int code);
/* Go-style name: "InvalidArgument", "NotFound", ... ("Code(N)" for others). */
const char *rpc_code_name(int code);

/* Large enough for upstream texts that echo a whole id (the REST router
 * caps paths at 8 KiB). */
#define RPC_MESSAGE_MAX 12288

/* What a handler returns besides its response message. */
typedef struct {
    int code;
    char message[RPC_MESSAGE_MAX];
} rpc_status;

/* Sets code and printf-formatted message; returns code for `return rpc_fail(...)`. */
int rpc_fail(rpc_status *st, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Go %q of a string, as upstream error texts use: "abc" with escapes. */
void rpc_quote(char *out, size_t outlen, const char *s);

#endif
