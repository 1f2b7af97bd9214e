/* alerting: alerting.v1.AlertingService (advisors reference §10):
 * rule templates from the built-in folder, the user's folder and the
 * API; rules made from templates become vmalert rule groups. */
#ifndef CHECKSD_ALERTING_H
#define CHECKSD_ALERTING_H

#include <stddef.h>

#include "bus/bus.h"
#include "db/db.h"

typedef struct {
    const db_params *db;
    char *builtin_dir;  /* built-in templates (one per file) */
    char *user_dir;     /* the user's template files */
    char *grafana_url;  /* "" : no Grafana */
    char *grafana_auth; /* the Authorization header line for Grafana ("" : none); never logged */
    char *rules_interval; /* the rule groups' evaluation interval ("1m") */
} alerting_config;

typedef struct alerting alerting;

/* Loads the templates (d: a connection for the API-created ones). NULL
 * on ENOMEM. */
alerting *alerting_start(const alerting_config *cfg, db *d);
void alerting_stop(alerting *a);

extern const rpc_method alerting_methods[];
extern const size_t alerting_methods_count;

#endif
