/* user_service: user.v1.UserService, the UI's flags of the calling user
 * (product and alerting tours done, the PMM version whose update notice
 * was snoozed) and the list of users with their roles. */
#ifndef INVENTORYD_USER_SERVICE_H
#define INVENTORYD_USER_SERVICE_H

#include "bus/bus.h"

extern const rpc_method user_service_methods[];
extern const size_t user_service_methods_count;

#endif
