/* app: agentsd's process-wide state. */
#ifndef AGENTSD_APP_H
#define AGENTSD_APP_H

#include "bus/bus.h"
#include "db/daemon_db.h"
#include "db/db.h"

typedef struct {
    db_params db;
    bus_pub *pub;   /* agentsd's events: inventory.changed for statuses and ports */
} app;

#define APP(w) ((app *)(w)->app)

#endif
