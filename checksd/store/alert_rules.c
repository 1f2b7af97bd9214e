/* alert_rules: see alert_rules.h. */
#include "alert_rules.h"

#include <stdio.h>

int store_alert_rules_insert(db *d, const rule_row *r, rpc_status *st)
{
    char for_ns[32];
    snprintf(for_ns, sizeof for_ns, "%lld", (long long)r->for_ns);
    return store_write(d,
                       "INSERT INTO alert_rules (id, name, group_name, folder_uid, template_name, expr, \"for\", "
                       "labels, annotations, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, "
                       "clock_timestamp() AT TIME ZONE 'UTC')",
                       9,
                       (const char *[]){ r->id, r->name, r->group, r->folder_uid, r->template_name, r->expr, for_ns,
                                         r->labels_json, r->annotations_json },
                       NULL, st);
}

PGresult *store_alert_rules_list(db *d, rpc_status *st)
{
    return db_exec(d, st,
                   "SELECT name, group_name, expr, \"for\", labels::text, annotations::text FROM alert_rules "
                   "ORDER BY group_name, created_at, id",
                   0, NULL);
}
