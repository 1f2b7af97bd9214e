/* alert_rules: the statements on alert_rules, the rules made from
 * templates (CreateRule) that checksd renders as vmalert rule groups;
 * checksd alone reads and writes them (see common/db/store/store.h). */
#ifndef CHECKSD_STORE_ALERT_RULES_H
#define CHECKSD_STORE_ALERT_RULES_H

#include <stdint.h>

#include "db/store/store.h"

typedef struct {
    const char *id, *name, *group, *folder_uid, *template_name, *expr, *labels_json, *annotations_json;
    int64_t for_ns;
} rule_row;

int store_alert_rules_insert(db *d, const rule_row *r, rpc_status *st);
/* Every rule by group, then creation: columns (name, group_name, expr,
 * for in ns, labels JSON, annotations JSON). */
PGresult *store_alert_rules_list(db *d, rpc_status *st);

#endif
