/* app: configd's process-wide state. */
#ifndef CONFIGD_APP_H
#define CONFIGD_APP_H

#include "bus/bus.h"
#include "db/daemon_db.h"
#include "db/db.h"
#include "envvars.h"
#include "updater.h"
#include "vm.h"
#include "vmalert.h"

typedef struct {
    db_params db;
    char *distribution;   /* PMM_DISTRIBUTION_METHOD: docker, ovf, ami, azure, do */
    char *log_dir;            /* the daemons' logs (supervisord's log directory) */
    char *supervisorctl;      /* supervisorctl command */
    char *supervisord_conf;   /* supervisord's main config ("" = supervisorctl's default) */
    char *supervisord_dir;    /* where configd renders program files (<name>.ini) */
    char *vmalert_user_rules; /* the user's alerting rules file */
    char *vmalert_rules_dir;  /* what vmalert loads: configd's checked copy of the user's rules */
    const vmalert_params *vmalert; /* Readiness asks vmalert's /health (NULL: not checked) */
    const vm_params *vm;           /* and VictoriaMetrics' */
    const char *vm_config;         /* the scrape file, for logs.zip */
    envvars env;          /* PMM_* settings from the environment (fixed at start; not copyable) */
    bus_pub *pub;         /* settings.changed hints */
    updater *updates;     /* newer releases, for CheckUpdates and ListChangeLogs */
    char *aws_metadata_url; /* EC2 instance metadata, for AWSInstanceCheck on an AMI */
} app;

#define APP(w) ((app *)(w)->app)

#endif
