/* lockouts: lockout.v1.LockoutService, the operators' view of the
 * brute-force protection (users locked in the database, addresses delayed
 * in this process's login_throttle) and the way to lift either over the
 * API, e.g. with an admin service token while user admin is locked.
 * Also internal.v1.MetricsService/Metrics: the password checks' counters
 * (pmm_managed_auth_*) on the gateway's /debug/metrics. */
#ifndef INVENTORYD_LOCKOUTS_H
#define INVENTORYD_LOCKOUTS_H

#include "bus/bus.h"

extern const rpc_method lockouts_methods[];
extern const size_t lockouts_methods_count;

#endif
