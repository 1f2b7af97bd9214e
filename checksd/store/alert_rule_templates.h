/* alert_rule_templates: the statements on alert_rule_templates (the
 * templates created through the API, upstream models/template_helpers.go),
 * which checksd alone reads and writes (see common/db/store/store.h). */
#ifndef CHECKSD_STORE_ALERT_RULE_TEMPLATES_H
#define CHECKSD_STORE_ALERT_RULE_TEMPLATES_H

#include <stdbool.h>
#include <stdint.h>

#include "db/store/store.h"

/* Every row: columns (name, source, yaml, created_at as Unix microseconds). */
PGresult *store_alert_rule_templates_list(db *d, rpc_status *st);
/* Whether a row named name exists. */
int store_alert_rule_templates_exists(db *d, const char *name, bool *exists, rpc_status *st);

typedef struct {
    const char *name, *summary, *expr, *params_json, *severity, *labels_json, *annotations_json, *source, *yaml;
    int version;
    int64_t for_ns;
} template_row;

int store_alert_rule_templates_insert(db *d, const template_row *r, rpc_status *st);
/* Updates the row named r->name; *found tells whether there was one. */
int store_alert_rule_templates_update(db *d, const template_row *r, bool *found, rpc_status *st);
int store_alert_rule_templates_delete(db *d, const char *name, bool *found, rpc_status *st);

#endif
