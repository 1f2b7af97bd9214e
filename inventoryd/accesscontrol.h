/* accesscontrol: accesscontrol.v1beta1.AccessControlService (roles, their
 * label filters, which users have them, the default role) and
 * internal.v1.AuthService/AccessFilters, the filters the gateway's
 * /auth_request sends on as X-Proxy-Filter when label-based access
 * control is on. */
#ifndef INVENTORYD_ACCESSCONTROL_H
#define INVENTORYD_ACCESSCONTROL_H

#include "bus/bus.h"

extern const rpc_method accesscontrol_methods[];
extern const size_t accesscontrol_methods_count;

#endif
