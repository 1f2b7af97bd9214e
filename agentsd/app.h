/* app: agentsd's process-wide state. */
#ifndef AGENTSD_APP_H
#define AGENTSD_APP_H

#include "daemon.h"
#include "db.h"

typedef struct {
    db_params db;
} app;

#define APP(w) ((app *)(w)->app)

#endif
