/* agents: statements on the agents table (see agents.h). */
#include "agents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW "now() AT TIME ZONE 'UTC'"

/* The pmm-agent's children as SetState sees them. Status columns are left
 * out: StateChanged must not trigger a new SetState by itself. */
#define CHILDREN_DIGEST                                                                               \
    "md5(string_agg(a.agent_id || ':' || a.updated_at::text || ':' || a.disabled::text || ':' || " \
    "coalesce(s.updated_at::text, ''), ',' ORDER BY a.agent_id))"

/* The columns of agents.h's SCRAPE_* enum, in its order. */
#define SCRAPE_TARGETS \
    "SELECT a.agent_id, a.agent_type, a.custom_labels, a.listen_port, a.agent_password, a.username, a.password, " \
    "a.exporter_options->>'metrics_scheme', a.exporter_options->>'metrics_path', " \
    "a.exporter_options->'disabled_collectors', " \
    "a.exporter_options->'metrics_resolutions'->>'hr', a.exporter_options->'metrics_resolutions'->>'mr', " \
    "a.exporter_options->'metrics_resolutions'->>'lr', " \
    "COALESCE(a.mongo_options->>'enable_all_collectors', 'false'), " \
    "a.mysql_options->>'table_count_tablestats_group_limit', a.mysql_options->>'table_count', " \
    "a.pmm_agent_id, pa.version, " \
    "CASE WHEN a.pmm_agent_id IS NOT NULL THEN pn.address ELSE rn.address END, " \
    "n.node_id, n.node_name, n.node_type, n.machine_id, n.container_id, n.container_name, n.node_model, " \
    "n.region, n.az, n.distro, n.custom_labels, " \
    "s.service_id, s.service_name, s.service_type, s.environment, s.cluster, s.replication_set, " \
    "s.external_group, s.custom_labels " \
    "FROM agents a " \
    "LEFT JOIN services s ON s.service_id = a.service_id " \
    "LEFT JOIN nodes n ON n.node_id = COALESCE(a.node_id, s.node_id) " \
    "LEFT JOIN agents pa ON pa.agent_id = a.pmm_agent_id " \
    "LEFT JOIN nodes pn ON pn.node_id = pa.runs_on_node_id " \
    "LEFT JOIN nodes rn ON rn.node_id = a.runs_on_node_id " \
    "WHERE NOT a.disabled AND a.listen_port IS NOT NULL " \
    "AND a.agent_type IN ('node_exporter', 'mysqld_exporter', 'mongodb_exporter', 'postgres_exporter', " \
    "'proxysql_exporter', 'rds_exporter', 'external-exporter', 'vmagent', 'azure_database_exporter') "
#define PUSH_METRICS "COALESCE(a.exporter_options->>'push_metrics', 'false')"
#define SCRAPE_PULL SCRAPE_TARGETS "AND " PUSH_METRICS " <> 'true'"

PGresult *store_agents_scrape_targets(db *d, const char *ids, rpc_status *st)
{
    if (!ids)
        return db_exec(d, st, SCRAPE_PULL, 0, NULL);
    /* = ANY(array): index lookups by primary key and pmm_agent_id */
    return db_exec(d, st, SCRAPE_PULL " AND (a.agent_id = ANY($1::text[]) OR a.pmm_agent_id = ANY($1::text[]))", 1,
                   (const char *[]){ ids });
}

PGresult *store_agents_push_targets(db *d, const char *pmm_agent_id, rpc_status *st)
{
    return db_exec(d, st, SCRAPE_TARGETS "AND " PUSH_METRICS " = 'true' AND a.pmm_agent_id = $1", 1,
                   (const char *[]){ pmm_agent_id });
}

#define INTERNAL_QAN_WHERE "agent_type = 'qan-postgresql-pgstatements-agent' AND pmm_agent_id = 'pmm-server'"

int store_agents_internal_pg_qan(db *d, bool *enabled, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT bool_or(NOT disabled) FROM agents WHERE " INTERNAL_QAN_WHERE, 0, NULL);
    if (!r)
        return st->code;
    *enabled = !PQgetisnull(r, 0, 0) && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return RPC_OK;
}

int store_agents_set_internal_pg_qan(db *d, bool enabled, rpc_status *st)
{
    return store_write(d,
                       "UPDATE agents SET disabled = $1, updated_at = now() WHERE " INTERNAL_QAN_WHERE
                       " AND disabled <> $1",
                       1, (const char *[]){ enabled ? "f" : "t" }, NULL, st);
}

json_t *store_agents_get(db *d, const char *agent_id, rpc_status *st)
{
    return store_row(d, "SELECT * FROM agents WHERE agent_id = $1", agent_id, st);
}

json_t *store_agents_get_labels(db *d, const char *agent_id, rpc_status *st)
{
    return store_row(d, "SELECT agent_id, agent_type, service_id, custom_labels FROM agents WHERE agent_id = $1",
                     agent_id, st);
}

json_t *store_agents_by_ids(db *d, const char *ids, rpc_status *st)
{
    return store_rows(d, "SELECT * FROM agents WHERE agent_id = ANY($1::text[])", 1, (const char *[]){ ids }, st);
}

json_t *store_agents_enabled_of_pmm_agents(db *d, const char *ids, rpc_status *st)
{
    return store_rows(d,
                      "SELECT * FROM agents WHERE pmm_agent_id = ANY($1::text[]) AND NOT disabled "
                      "ORDER BY pmm_agent_id, agent_id",
                      1, (const char *[]){ ids }, st);
}

json_t *store_agents_pmm_agents_of_service(db *d, const char *service_id, rpc_status *st)
{
    return store_rows(d,
                      "SELECT * FROM agents WHERE agent_type = 'pmm-agent' AND agent_id IN "
                      "(SELECT pmm_agent_id FROM agents WHERE service_id = $1) ORDER BY agent_id",
                      1, (const char *[]){ service_id }, st);
}

json_t *store_agents_pmm_agents_on_node(db *d, const char *node_id, rpc_status *st)
{
    return store_rows(d, "SELECT * FROM agents WHERE runs_on_node_id = $1 AND agent_type = 'pmm-agent' ORDER BY agent_id",
                      1, (const char *[]){ node_id }, st);
}

json_t *store_agents_of_service(db *d, const char *service_id, const char *agent_type, const char *pmm_agent_id,
                                rpc_status *st)
{
    return store_rows(d,
                      "SELECT * FROM agents WHERE service_id = $1 AND agent_type = $2 "
                      "AND ($3 = '' OR pmm_agent_id = $3)",
                      3, (const char *[]){ service_id, agent_type, pmm_agent_id ? pmm_agent_id : "" }, st);
}

int store_agents_pmm_agent_of(db *d, const char *agent_id, char **out, rpc_status *st)
{
    *out = NULL;
    PGresult *r = db_exec(d, st,
                          "SELECT CASE WHEN agent_type = 'pmm-agent' THEN agent_id ELSE pmm_agent_id END "
                          "FROM agents WHERE agent_id = $1",
                          1, (const char *[]){ agent_id });
    if (!r)
        return st->code;
    int code = RPC_OK;
    if (PQntuples(r) == 0) {
        char q[RPC_MESSAGE_MAX / 2];
        rpc_quote(q, sizeof q, agent_id);
        code = rpc_fail(st, RPC_NOT_FOUND, "Agent with ID %s not found.", q);
    } else if (!(*out = strdup(PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0)))) {
        code = rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    PQclear(r);
    return code;
}

PGresult *store_agents_existing_pmm_agents(db *d, const char *ids, rpc_status *st)
{
    return db_exec(d, st, "SELECT agent_id FROM agents WHERE agent_id = ANY($1::text[]) AND agent_type = 'pmm-agent'", 1,
                   (const char *[]){ ids });
}

int store_agents_children_digests(db *d, const char *ids, void (*fn)(const char *id, const char *digest, void *arg),
                                  void *arg, rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "SELECT a.pmm_agent_id, " CHILDREN_DIGEST " FROM agents a "
                          "LEFT JOIN services s ON s.service_id = a.service_id "
                          "WHERE a.pmm_agent_id IS NOT NULL AND ($1::text[] IS NULL OR a.pmm_agent_id = ANY($1::text[])) "
                          "GROUP BY a.pmm_agent_id",
                          1, (const char *[]){ ids });
    if (!r)
        return st->code;
    for (int i = 0; i < PQntuples(r); i++)
        fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), arg);
    PQclear(r);
    return RPC_OK;
}

PGresult *store_agents_lock_for_admission(db *d, const char *agent_id, const char *version, rpc_status *st)
{
    /* locked: a second connection of the same pmm-agent waits here rather
     * than making a second vmagent */
    return db_exec(d, st,
                   "SELECT a.agent_type, a.runs_on_node_id, n.node_id, n.node_name, a.version IS DISTINCT FROM $2 "
                   "FROM agents a LEFT JOIN nodes n ON n.node_id = a.runs_on_node_id WHERE a.agent_id = $1 "
                   "FOR UPDATE OF a",
                   2, (const char *[]){ agent_id, version });
}

int store_agents_set_version(db *d, const char *agent_id, const char *version, rpc_status *st)
{
    return store_write(d, "UPDATE agents SET version = $2 WHERE agent_id = $1", 2, (const char *[]){ agent_id, version },
                       NULL, st);
}

int store_agents_add_vmagent(db *d, const char *new_id, const char *pmm_agent_id, const char *node_id, bool *made,
                             rpc_status *st)
{
    long n = 0;
    /* one statement: nothing is made when the pmm-agent has a vmagent */
    int code = store_write(d,
                           "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, custom_labels, "
                           "exporter_options, created_at, updated_at, disabled, status, tls, tls_skip_verify) "
                           "SELECT $1::varchar, 'vmagent', $2::varchar, $3::varchar, '{}', '{\"push_metrics\": true}', " NOW
                           ", " NOW ", false, 'AGENT_STATUS_UNKNOWN', false, false "
                           "WHERE NOT EXISTS (SELECT 1 FROM agents WHERE pmm_agent_id = $2::varchar AND agent_type = 'vmagent')",
                           3, (const char *[]){ new_id, pmm_agent_id, node_id }, &n, st);
    *made = code == RPC_OK && n == 1;
    return code;
}

int store_agents_set_connected(db *d, const char *on, const char *off, rpc_status *st)
{
    return store_write(d,
                       "UPDATE agents SET is_connected = (agent_id = ANY($1::text[])) WHERE agent_type = 'pmm-agent' "
                       "AND (agent_id = ANY($1::text[]) OR agent_id = ANY($2::text[])) "
                       "AND is_connected <> (agent_id = ANY($1::text[]))",
                       2, (const char *[]){ on, off }, NULL, st);
}

int store_agents_reconcile_connected(db *d, const char *live, rpc_status *st)
{
    return store_write(d,
                       "UPDATE agents SET is_connected = (agent_id = ANY($1::text[])) WHERE agent_type = 'pmm-agent' "
                       "AND is_connected <> (agent_id = ANY($1::text[]))",
                       1, (const char *[]){ live }, NULL, st);
}

PGresult *store_agents_apply_state(db *d, const char *pmm_agent_id, const char *agent_id_or_key, bool by_rds_key,
                                   const char *status, const char *listen_port, const char *exec_path,
                                   const char *version, rpc_status *st)
{
    const char *p[] = { pmm_agent_id, agent_id_or_key, status, listen_port, exec_path, version, by_rds_key ? "rds" : "id" };
    /* listen_port 0, an empty path and an empty version are stored as
     * NULL, as upstream's pointer.To*OrNil; a disabled agent is DONE. A
     * report that changes nothing (a reconnecting fleet repeats its last
     * state) writes nothing. */
    return db_exec(d, st,
                   "WITH target AS (SELECT agent_id, listen_port AS old_port FROM agents WHERE pmm_agent_id = $1 "
                   "AND (($7 = 'id' AND agent_id = $2) OR ($7 = 'rds' AND agent_type = 'rds_exporter' "
                   "AND aws_options->>'aws_access_key' = $2)) "
                   "AND (status, listen_port, process_exec_path, version) IS DISTINCT FROM "
                   "(CASE WHEN disabled THEN 'AGENT_STATUS_DONE' ELSE $3 END, NULLIF($4::int, 0), NULLIF($5, ''), "
                   "NULLIF($6, '')) FOR UPDATE) "
                   "UPDATE agents a SET status = CASE WHEN a.disabled THEN 'AGENT_STATUS_DONE' ELSE $3 END, "
                   "listen_port = NULLIF($4::int, 0), process_exec_path = NULLIF($5, ''), version = NULLIF($6, '') "
                   "FROM target t WHERE a.agent_id = t.agent_id "
                   "RETURNING t.old_port IS DISTINCT FROM a.listen_port, EXISTS (SELECT 1 FROM agents v "
                   "WHERE v.pmm_agent_id = $1 AND v.agent_type = 'vmagent')",
                   7, p);
}
