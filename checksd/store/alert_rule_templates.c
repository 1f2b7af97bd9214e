/* alert_rule_templates: see alert_rule_templates.h. */
#include "alert_rule_templates.h"

#include <stdio.h>

PGresult *store_alert_rule_templates_list(db *d, rpc_status *st)
{
    return db_exec(d, st,
                   "SELECT name, source, yaml, (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint "
                   "FROM alert_rule_templates ORDER BY name",
                   0, NULL);
}

int store_alert_rule_templates_exists(db *d, const char *name, bool *exists, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT 1 FROM alert_rule_templates WHERE name = $1", 1, (const char *[]){ name });
    if (!r)
        return st->code;
    *exists = PQntuples(r) > 0;
    PQclear(r);
    return RPC_OK;
}

/* The row's parameters in column order ($1..$11). */
static void row_params(const template_row *r, char *version, char *for_ns, const char *p[11])
{
    snprintf(version, 16, "%d", r->version);
    snprintf(for_ns, 32, "%lld", (long long)r->for_ns);
    const char *v[11] = { r->name,        version,       r->summary,          r->expr,   r->params_json, for_ns,
                          r->severity,    r->labels_json, r->annotations_json, r->source, r->yaml };
    for (int i = 0; i < 11; i++)
        p[i] = v[i];
}

int store_alert_rule_templates_insert(db *d, const template_row *r, rpc_status *st)
{
    char version[16], for_ns[32];
    const char *p[11];
    row_params(r, version, for_ns, p);
    return store_write(d,
                       "INSERT INTO alert_rule_templates (name, version, summary, expr, params, \"for\", severity, "
                       "labels, annotations, source, yaml, created_at, updated_at) VALUES ($1, $2, $3, $4, $5::jsonb, "
                       "$6, $7, $8, $9, $10, $11, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')",
                       11, p, NULL, st);
}

int store_alert_rule_templates_update(db *d, const template_row *r, bool *found, rpc_status *st)
{
    char version[16], for_ns[32];
    const char *p[11];
    row_params(r, version, for_ns, p);
    p[9] = p[10]; /* the source stays */
    long changed = 0;
    int rc = store_write(d,
                         "UPDATE alert_rule_templates SET version = $2, summary = $3, expr = $4, params = $5::jsonb, "
                         "\"for\" = $6, severity = $7, labels = $8, annotations = $9, yaml = $10, "
                         "updated_at = now() AT TIME ZONE 'UTC' WHERE name = $1",
                         10, p, &changed, st);
    *found = changed > 0;
    return rc;
}

int store_alert_rule_templates_delete(db *d, const char *name, bool *found, rpc_status *st)
{
    long changed = 0;
    int rc = store_write(d, "DELETE FROM alert_rule_templates WHERE name = $1", 1, (const char *[]){ name }, &changed,
                         st);
    *found = changed > 0;
    return rc;
}
