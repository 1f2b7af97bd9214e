/* server: server.v1.ServerService methods that configd owns so far:
 * Version, Readiness, LeaderHealthCheck. */
#ifndef CONFIGD_SERVER_H
#define CONFIGD_SERVER_H

#include "bus.h"

extern const rpc_method server_methods[];
extern const size_t server_methods_count;

#endif
