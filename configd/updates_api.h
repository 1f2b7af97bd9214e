/* updates_api: server.v1 CheckUpdates, ListChangeLogs, StartUpdate and
 * UpdateStatus. Releases are learnt as upstream learns them (updater.h);
 * updating itself is not something this suite can do from an API call,
 * so StartUpdate refuses with how it is updated, and UpdateStatus reports
 * the (never started) update as done, as upstream does without one. */
#ifndef CONFIGD_UPDATES_API_H
#define CONFIGD_UPDATES_API_H

#include "bus/bus.h"

/* StartUpdate's answer: how this suite is updated. */
#define UPDATES_HOW_TO_UPDATE                                                                                     \
    "This PMM Server does not update itself: install the new release (its packages, or make install) and "      \
    "restart the daemons (supervisorctl restart all)."

extern const rpc_method updates_methods[];
extern const size_t updates_methods_count;

#endif
