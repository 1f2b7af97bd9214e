/* app: configd's process-wide state. */
#ifndef CONFIGD_APP_H
#define CONFIGD_APP_H

#include "daemon.h"
#include "db.h"

typedef struct {
    db_params db;
    char *distribution;   /* PMM_DISTRIBUTION_METHOD: docker, ovf, ami, azure, do */
} app;

#define APP(w) ((app *)(w)->app)

#endif
