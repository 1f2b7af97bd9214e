/* rpccall: runs a daemon's bus handler the way the bus server does, for
 * integration tests that call handlers directly against PostgreSQL. */
#ifndef PMM_RPCCALL_H
#define PMM_RPCCALL_H

#include "bus/bus.h"

/* The entry of table for method, or NULL. */
const rpc_method *rpc_method_find(const rpc_method *table, size_t n, const char *method);

/* Runs m with worker/app in its rpc_ctx. Returns the code; *resp (when
 * resp is not NULL, else it is freed) gets the response and msg (when not
 * NULL, RPC_MESSAGE_MAX bytes) the status text. Fails the test when req is
 * of another type than m takes, or when the handler breaks the rule "a
 * response exactly when OK". */
int rpc_call_method(const rpc_method *m, void *worker, void *app, const ProtobufCMessage *req,
                    ProtobufCMessage **resp, char *msg);

/* The same with a caller's deadline timeout_ms from now, as the bus
 * request carries it (handlers that call out size their waits by it). */
int rpc_call_method_within(const rpc_method *m, void *worker, void *app, const ProtobufCMessage *req, long timeout_ms,
                           ProtobufCMessage **resp, char *msg);

#endif
