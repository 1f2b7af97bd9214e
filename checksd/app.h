/* app: checksd's process-wide state, what handlers find in rpc_ctx.app. */
#ifndef CHECKSD_APP_H
#define CHECKSD_APP_H

#include "db/daemon_db.h"
#include "files.h"
#include "queries.h"
#include "runner.h"

typedef struct alerting alerting; /* alerting/alerting.h */

typedef struct {
    db_params db;
    files_dirs dirs;
    queries_config queries;
    runner *runner;        /* StartAdvisorChecks queues runs here */
    alerting *alerting;    /* templates and rules */
} app;

#define APP(ctx) ((app *)((daemon_worker *)(ctx)->worker)->app)
#define WORKER_DB(ctx) (((daemon_worker *)(ctx)->worker)->db)

#endif
