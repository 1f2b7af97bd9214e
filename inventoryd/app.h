/* app: inventoryd's process-wide state and the per-worker state every
 * handler gets in rpc_ctx (its own PostgreSQL connection). */
#ifndef INVENTORYD_APP_H
#define INVENTORYD_APP_H

#include "bus/bus.h"
#include "db/daemon_db.h"
#include "db/db.h"

typedef struct {
    db_params db;
    bus_pub *pub;          /* inventory.changed hints */
    char *admin_password;
    char *vm_url;          /* VictoriaMetrics' Prometheus API base (management list statuses) */
    /* Development overrides of the cloud APIs' URLs ("" = the real ones):
     * the e2e tests point them at a local stand-in. */
    char *aws_endpoint;    /* every AWS region's RDS endpoint */
    char *azure_login_url; /* Azure AD, instead of https://login.microsoftonline.com/ */
    char *azure_mgmt_url;  /* Azure Resource Manager, instead of https://management.azure.com/ */
    /* Grafana's host:port, "" without one (AddAnnotation, RegisterNode's
     * service accounts: common/http/grafana.h) */
    char *grafana_addr;
} app;

/* Handlers get a daemon_worker; its app is inventoryd's app. */
typedef daemon_worker worker;
#define APP(w) ((app *)(w)->app)

#endif
