/* server: server.v1.ServerService Version, Readiness and
 * LeaderHealthCheck, and what the other server.v1 files share: the
 * installed version and the distribution method. */
#ifndef CONFIGD_SERVER_H
#define CONFIGD_SERVER_H

#include <stdbool.h>

#include "bus/bus.h"

extern const rpc_method server_methods[];
extern const size_t server_methods_count;

/* This build as a server.v1.VersionInfo (version, full_version
 * "<version>-<git rev>", build time; date_only keeps only the day, as
 * CheckUpdates reports it). NULL on ENOMEM. */
ProtobufCMessage *server_installed_version(bool date_only);

/* PMM_DISTRIBUTION_METHOD ("docker", "ami", ...) as a
 * server.v1.DistributionMethod value; unknown: UNSPECIFIED. */
int server_distribution_method(const char *name);

#endif
