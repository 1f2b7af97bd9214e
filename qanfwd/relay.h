/* relay: qan.v1.QANService methods other daemons call on the bus
 * (agentsd's MySQL EXPLAIN by query_id: ExplainFingerprintByQueryID,
 * SchemaByQueryID; QueryExists), passed to qan-api2 as they are, its
 * answer or status returned unchanged, as upstream's qan.Client does. */
#ifndef QANFWD_RELAY_H
#define QANFWD_RELAY_H

#include <stddef.h>

#include "bus/bus.h"

extern const rpc_method relay_methods[];
extern const size_t relay_methods_count;

#endif
