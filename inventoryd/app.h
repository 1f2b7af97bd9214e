/* app: inventoryd's process-wide state and the per-worker state every
 * handler gets in rpc_ctx (its own PostgreSQL connection). */
#ifndef INVENTORYD_APP_H
#define INVENTORYD_APP_H

#include "bus.h"
#include "daemon_db.h"
#include "db.h"

typedef struct {
    db_params db;
    bus_pub *pub;          /* inventory.changed hints */
    char *admin_password;
    char *vm_url;          /* VictoriaMetrics' Prometheus API base (management list statuses) */
} app;

/* Handlers get a daemon_worker; its app is inventoryd's app. */
typedef daemon_worker worker;
#define APP(w) ((app *)(w)->app)

#endif
