/* qanapi: unary gRPC calls to qan-api2 (grpc core, one insecure channel
 * to --qan-api-addr shared by every thread). Each call has a deadline, so
 * no caller ever waits on qan-api2 longer than it chose. */
#ifndef QANFWD_QANAPI_H
#define QANFWD_QANAPI_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"

/* Once per process; target "host:port". 0, or -1. */
int qanapi_init(const char *target);
void qanapi_shutdown(void);

/* Calls method ("/qan.v1.CollectorService/Collect") with the request's
 * bytes; on RPC_OK *out (malloc'd, may be empty) is the answer. Otherwise
 * st holds qan-api2's code and message, or grpc's own (UNAVAILABLE when
 * qan-api2 is down, DEADLINE_EXCEEDED after timeout_ms). */
int qanapi_call(const char *method, const uint8_t *in, size_t in_len, int timeout_ms, uint8_t **out, size_t *out_len,
                rpc_status *st);

#endif
