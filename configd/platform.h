/* platform: platform.v1.PlatformService. This suite never connects to
 * Percona Platform (no Percona Portal client, no SSO details stored), so
 * every method answers as upstream's managed/services/platform/platform.go
 * answers for a server that is not connected and a user who did not sign
 * in with a Percona account. */
#ifndef CONFIGD_PLATFORM_H
#define CONFIGD_PLATFORM_H

#include "bus/bus.h"

extern const rpc_method platform_methods[];
extern const size_t platform_methods_count;

#endif
