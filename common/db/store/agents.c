/* agents: statements on the agents table (see agents.h). */
#include "agents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/agent_row.h"
#include "db/store/internal.h"
#include "secret.h"

/* ---- reads --------------------------------------------------------------- */

/* The pmm-agent's children as SetState sees them. Status columns are left
 * out: StateChanged must not trigger a new SetState by itself. */
#define CHILDREN_DIGEST                                                                               \
    "md5(string_agg(a.agent_id || ':' || a.updated_at::text || ':' || a.disabled::text || ':' || " \
    "coalesce(s.updated_at::text, ''), ',' ORDER BY a.agent_id))"

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

void store_pmm_agent_refs_free(store_pmm_agent_ref *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].id);
        free(a[i].version);
    }
    free(a);
}

int store_agents_pmm_agent_refs_of_service(db *d, const char *service_id, store_pmm_agent_ref **out, size_t *n,
                                           rpc_status *st)
{
    *out = NULL;
    *n = 0;
    json_t *rows = store_agents_pmm_agents_of_service(d, service_id, st);
    if (!rows)
        return st->code;
    size_t count = json_array_size(rows);
    store_pmm_agent_ref *v = calloc(count ? count : 1, sizeof *v);
    for (size_t i = 0; v && i < count; i++) {
        const char *id = json_string_value(json_object_get(json_array_get(rows, i), "agent_id"));
        const char *version = json_string_value(json_object_get(json_array_get(rows, i), "version"));
        v[i].id = strdup(id ? id : "");
        v[i].version = strdup(version ? version : "");
        if (!v[i].id || !v[i].version) {
            store_pmm_agent_refs_free(v, i + 1);
            v = NULL;
        }
    }
    json_decref(rows);
    if (!v)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    *out = v;
    *n = count;
    return RPC_OK;
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

/* ---- lookups ------------------------------------------------------------- */

int store_agents_runs_on(db *d, const char *agent_id, bool *found, char **runs_on, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT runs_on_node_id FROM agents WHERE agent_id = $1", 1,
                          (const char *[]){ agent_id });
    if (!r)
        return st->code;
    *found = PQntuples(r) > 0;
    if (*found && runs_on)
        *runs_on = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return RPC_OK;
}

PGresult *store_agents_pmm_agent_ids_on_node(db *d, const char *node_id, rpc_status *st)
{
    return db_exec(d, st, "SELECT agent_id FROM agents WHERE runs_on_node_id = $1 AND agent_type = 'pmm-agent'", 1,
                   (const char *[]){ node_id });
}

int store_agents_version(db *d, const char *agent_id, char **out, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT version FROM agents WHERE agent_id = $1", 1, (const char *[]){ agent_id });
    if (!r)
        return st->code;
    *out = strdup(PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return *out ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

/* ---- inventory.v1 Agents ------------------------------------------------- */

/* Columns an update writes (everything but the id, type and times). */
#define MUTABLE_COLUMNS \
    "runs_on_node_id, pmm_agent_id, node_id, service_id, custom_labels, disabled, status, listen_port, " \
    "username, password, agent_password, tls, tls_skip_verify, log_level, exporter_options, qan_options, " \
    "aws_options, azure_options, mysql_options, mongo_options, postgresql_options, valkey_options, " \
    "environment_variables"

/* Rows with their pmm-agent's node alongside. Plain columns, not
 * row_to_json: with 20,000 agents PostgreSQL spends twice as long
 * rendering rows as JSON, and we spent as long again parsing it. */
#define FROM_AGENTS_WITH_PMM_NODE \
    ", p.runs_on_node_id AS " PMM_NODE_KEY " FROM agents a LEFT JOIN agents p ON p.agent_id = a.pmm_agent_id "

/* The columns store_agents_shown documents: those inventoryd's field map
 * (inventoryd/agent_record.c) shows, and no more: PostgreSQL renders
 * 20,000 rows of every column (timestamps, unread options) far slower. A
 * field whose column is missing here is never shown, so keep the two in
 * step. An empty JSON object reads as NULL, which costs nothing to render
 * (the messages treat both alike): nearly every option column and label
 * map holds {}. */
#define SHOWN_COLUMNS \
    "a.agent_type,a.agent_id,a.pmm_agent_id,a.runs_on_node_id,a.service_id,a.node_id,a.disabled,a.status," \
    "a.process_exec_path,a.is_connected,a.listen_port,NULLIF(a.custom_labels, '{}') AS custom_labels," \
    "a.username,a.tls,a.tls_skip_verify,a.log_level,a.environment_variables," \
    "NULLIF(a.exporter_options, '{}') AS exporter_options,NULLIF(a.qan_options, '{}') AS qan_options," \
    "NULLIF(a.mysql_options, '{}') AS mysql_options,NULLIF(a.postgresql_options, '{}') AS postgresql_options," \
    "NULLIF(a.mongo_options, '{}') AS mongo_options,NULLIF(a.aws_options, '{}') AS aws_options," \
    "NULLIF(a.azure_options, '{}') AS azure_options"

json_t *store_agents_get_for_update(db *d, const char *agent_id, rpc_status *st)
{
    return store_row(d, "SELECT a.*" FROM_AGENTS_WITH_PMM_NODE "WHERE a.agent_id = $1 FOR UPDATE OF a", agent_id, st);
}

json_t *store_agents_get_sealed(db *d, const char *agent_id, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT * FROM agents WHERE agent_id = $1", 1, (const char *[]){ agent_id });
    if (!r)
        return NULL;
    json_t *rec = PQntuples(r) == 1 ? agent_rec_from_row(r, 0) : NULL;
    PQclear(r);
    return rec;
}

/* The record as the database stores it: secrets encrypted. malloc'd text. */
static char *sealed_text(json_t *rec, rpc_status *st)
{
    json_t *copy = json_deep_copy(rec);
    char *text = NULL;
    if (copy && agent_rec_transform_secrets(copy, secret_encrypt) == 0)
        text = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    if (!text)
        rpc_fail(st, RPC_INTERNAL, "cannot encrypt agent credentials");
    return text;
}

/* Runs sql with the record's stored text: $1 the text, or with by_id $1
 * the agent_id and $2 the text. */
static int write_sealed(db *d, const char *sql, json_t *rec, bool by_id, rpc_status *st)
{
    char *text = sealed_text(rec, st);
    if (!text)
        return st->code;
    const char *params[] = { by_id ? agent_rec_str(rec, "agent_id") : text, text };
    int rc = store_write(d, sql, by_id ? 2 : 1, params, NULL, st);
    free(text);
    return rc;
}

int store_agents_add(db *d, json_t *rec, rpc_status *st)
{
    return write_sealed(d,
                        "INSERT INTO agents SELECT * FROM jsonb_populate_record(NULL::agents, $1::jsonb || "
                        "jsonb_build_object('created_at', " NOW ", 'updated_at', " NOW "))",
                        rec, false, st);
}

int store_agents_update(db *d, json_t *rec, rpc_status *st)
{
    return write_sealed(d,
                        "UPDATE agents SET (" MUTABLE_COLUMNS ") = (SELECT " MUTABLE_COLUMNS
                        " FROM jsonb_populate_record(NULL::agents, $2::jsonb)), updated_at = " NOW
                        " WHERE agent_id = $1",
                        rec, true, st);
}

int store_agents_seal_plaintext(db *d, int *sealed, rpc_status *st)
{
    PGresult *r = db_exec(d, st, "SELECT * FROM agents a ORDER BY agent_id FOR UPDATE", 0, NULL);
    if (!r)
        return st->code;
    int rc = RPC_OK;
    for (int i = 0; i < PQntuples(r) && rc == RPC_OK; i++) {
        json_t *raw = agent_rec_from_row(r, i);
        if (json_is_object(raw) && agent_rec_has_plaintext(raw)) {
            json_t *rec = agent_rec_parse(r, i, st);
            rc = rec ? store_agents_update(d, rec, st) : st->code;
            json_decref(rec);
            if (rc == RPC_OK)
                (*sealed)++;
        }
        json_decref(raw);
    }
    PQclear(r);
    return rc;
}

PGresult *store_agents_shown(db *d, const char *agent_id, rpc_status *st)
{
    return db_exec(d, st, "SELECT " SHOWN_COLUMNS FROM_AGENTS_WITH_PMM_NODE "WHERE a.agent_id = $1", 1,
                   (const char *[]){ agent_id });
}

PGresult *store_agents_shown_all(db *d, store_agents_filter filter, const char *value, const char *agent_type,
                                 rpc_status *st)
{
    /* One statement per filter column; NULL $1 or $2 matches all. */
#define SHOWN_ALL(col)                                                                          \
    "SELECT " SHOWN_COLUMNS FROM_AGENTS_WITH_PMM_NODE "WHERE ($1::text IS NULL OR a." col " = $1) " \
    "AND ($2::text IS NULL OR a.agent_type = $2) ORDER BY a.agent_id"
    const char *sql = filter == STORE_AGENTS_OF_PMM_AGENT ? SHOWN_ALL("pmm_agent_id")
                      : filter == STORE_AGENTS_ON_NODE    ? SHOWN_ALL("node_id")
                      : filter == STORE_AGENTS_OF_SERVICE ? SHOWN_ALL("service_id")
                                                          : SHOWN_ALL("agent_id");
#undef SHOWN_ALL
    return db_exec(d, st, sql, 2, (const char *[]){ filter == STORE_AGENTS_ALL ? NULL : value, agent_type });
}

int store_agents_any_of_pmm_agent(db *d, const char *pmm_agent_id, bool *found, rpc_status *st)
{
    return store_exists(d, "SELECT 1 FROM agents WHERE pmm_agent_id = $1 LIMIT 1", 1, (const char *[]){ pmm_agent_id },
                        found, st);
}

int store_agents_delete(db *d, const char *agent_id, rpc_status *st)
{
    return store_write(d, "DELETE FROM agents WHERE agent_id = $1", 1, (const char *[]){ agent_id }, NULL, st);
}

int store_agents_delete_of_pmm_agent(db *d, const char *pmm_agent_id, rpc_status *st)
{
    return store_write(d, "DELETE FROM agents WHERE pmm_agent_id = $1", 1, (const char *[]){ pmm_agent_id }, NULL, st);
}

/* ---- a node's removal ---------------------------------------------------- */

int store_agents_any_on_node(db *d, const char *node_id, bool *found, rpc_status *st)
{
    return store_exists(d, "SELECT 1 FROM agents WHERE node_id = $1 LIMIT 1", 1, (const char *[]){ node_id }, found,
                        st);
}

int store_agents_any_running_on_node(db *d, const char *node_id, bool *found, rpc_status *st)
{
    return store_exists(d, "SELECT 1 FROM agents WHERE runs_on_node_id = $1 LIMIT 1", 1, (const char *[]){ node_id },
                        found, st);
}

int store_agents_delete_of_pmm_agents_on_node(db *d, const char *node_id, rpc_status *st)
{
    return store_write(d,
                       "DELETE FROM agents WHERE pmm_agent_id IN (SELECT agent_id FROM agents WHERE runs_on_node_id = $1)",
                       1, (const char *[]){ node_id }, NULL, st);
}

int store_agents_delete_of_services_on_node(db *d, const char *node_id, rpc_status *st)
{
    return store_write(d,
                       "DELETE FROM agents WHERE service_id IN (SELECT service_id FROM services WHERE node_id = $1)", 1,
                       (const char *[]){ node_id }, NULL, st);
}

int store_agents_delete_on_node(db *d, const char *node_id, rpc_status *st)
{
    return store_write(d, "DELETE FROM agents WHERE node_id = $1", 1, (const char *[]){ node_id }, NULL, st);
}

int store_agents_delete_running_on_node(db *d, const char *node_id, rpc_status *st)
{
    return store_write(d, "DELETE FROM agents WHERE runs_on_node_id = $1", 1, (const char *[]){ node_id }, NULL, st);
}

/* ---- a service's removal ------------------------------------------------- */

int store_agents_any_of_service(db *d, const char *service_id, bool *found, rpc_status *st)
{
    return store_exists(d, "SELECT 1 FROM agents WHERE service_id = $1 LIMIT 1", 1, (const char *[]){ service_id },
                        found, st);
}

int store_agents_count_pmm_agents_of(db *d, const char *service_id, const char *node_id, long *n, rpc_status *st)
{
    PGresult *r = db_exec(d, st,
                          "SELECT count(DISTINCT pmm_agent_id) FROM agents WHERE pmm_agent_id IS NOT NULL AND "
                          "(service_id = $1 OR node_id = $2)",
                          2, (const char *[]){ service_id, node_id });
    if (!r)
        return st->code;
    *n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return RPC_OK;
}

int store_agents_delete_of_pmm_agents_of_service(db *d, const char *service_id, rpc_status *st)
{
    return store_write(d,
                       "DELETE FROM agents WHERE pmm_agent_id IN (SELECT agent_id FROM agents WHERE service_id = $1)",
                       1, (const char *[]){ service_id }, NULL, st);
}

int store_agents_delete_of_service(db *d, const char *service_id, rpc_status *st)
{
    return store_write(d, "DELETE FROM agents WHERE service_id = $1", 1, (const char *[]){ service_id }, NULL, st);
}

/* ---- management.v1 ------------------------------------------------------- */

int store_agents_set_table_count(db *d, const char *agent_id, int table_count, rpc_status *st)
{
    char count[16];
    snprintf(count, sizeof count, "%d", table_count);
    return store_write(d,
                       "UPDATE agents SET mysql_options = jsonb_set(COALESCE(mysql_options, '{}'::jsonb), "
                       "'{table_count}', to_jsonb($2::int)) WHERE agent_id = $1",
                       2, (const char *[]){ agent_id, count }, NULL, st);
}

int store_agents_set_agent_password(db *d, const char *agent_id, const char *password, rpc_status *st)
{
    char *sealed = secret_encrypt(password);
    if (!sealed)
        return rpc_fail(st, RPC_INTERNAL, "cannot encrypt agent credentials");
    int rc = store_write(d, "UPDATE agents SET agent_password = $2 WHERE agent_id = $1", 2,
                         (const char *[]){ agent_id, sealed }, NULL, st);
    free(sealed);
    return rc;
}

int store_agents_move_to_service(db *d, const char *agent_id, const char *service_id, rpc_status *st)
{
    return store_write(d, "UPDATE agents SET node_id = NULL, service_id = $2 WHERE agent_id = $1", 2,
                       (const char *[]){ agent_id, service_id }, NULL, st);
}

int store_agents_disable_query_examples(db *d, const char *agent_id, rpc_status *st)
{
    return store_write(d,
                       "UPDATE agents SET qan_options = jsonb_set(coalesce(qan_options, '{}'::jsonb), "
                       "'{query_examples_disabled}', 'true') WHERE agent_id = $1",
                       1, (const char *[]){ agent_id }, NULL, st);
}

/* The AGENT_U_* columns of agents a matching cond ($1 its only parameter). */
#define UNIVERSAL_AGENTS(cond)                                                                                     \
    "SELECT row_to_json(a)::text, "                                                                                \
    "floor(extract(epoch FROM a.created_at))::bigint, mod(extract(microseconds FROM a.created_at)::bigint, 1000000), " \
    "floor(extract(epoch FROM a.updated_at))::bigint, mod(extract(microseconds FROM a.updated_at)::bigint, 1000000) " \
    "FROM agents a WHERE " cond " ORDER BY a.agent_id"

PGresult *store_agents_universal_of_service(db *d, const char *service_id, rpc_status *st)
{
    return db_exec(d, st,
                   UNIVERSAL_AGENTS("(a.service_id = $1 OR EXISTS (SELECT 1 FROM services s WHERE s.service_id = $1 AND "
                                    "((a.service_id IS NULL AND a.runs_on_node_id = s.node_id) OR "
                                    "(a.node_id = s.node_id AND a.agent_type = 'vmagent'))))"),
                   1, (const char *[]){ service_id });
}

PGresult *store_agents_universal_on_node(db *d, const char *node_id, rpc_status *st)
{
    return db_exec(d, st, UNIVERSAL_AGENTS("(a.node_id = $1 OR a.runs_on_node_id = $1)"), 1, (const char *[]){ node_id });
}

PGresult *store_agents_pmm_agent_versions(db *d, rpc_status *st)
{
    return db_exec(d, st,
                   "SELECT a.agent_id, COALESCE(a.version, ''), n.node_name FROM agents a "
                   "JOIN nodes n ON n.node_id = a.runs_on_node_id "
                   "WHERE a.agent_type = 'pmm-agent' AND NOT a.disabled ORDER BY a.agent_id",
                   0, NULL);
}

#define BRIEF_COLUMNS "a.agent_id, a.agent_type, a.status, a.is_connected"

PGresult *store_agents_of_services_brief(db *d, const char *node_id, const char *service_type,
                                         const char *external_group, rpc_status *st)
{
    return db_exec(d, st,
                   "SELECT a.service_id, " BRIEF_COLUMNS " FROM agents a WHERE a.service_id IS NOT NULL AND "
                   "(($1 = '' AND $2 = '' AND $3 = '') OR a.service_id IN (SELECT s.service_id FROM services s WHERE "
                   SERVICE_FILTER "))",
                   3, (const char *[]){ node_id, service_type, external_group });
}

PGresult *store_agents_of_nodes_brief(db *d, rpc_status *st)
{
    return db_exec(d, st,
                   "SELECT a.runs_on_node_id, CASE WHEN a.agent_type = 'vmagent' THEN a.node_id END, " BRIEF_COLUMNS
                   " FROM agents a WHERE a.service_id IS NULL AND (a.runs_on_node_id IS NOT NULL OR a.agent_type = 'vmagent')",
                   0, NULL);
}

/* ---- the PMM Server's initial agents ------------------------------------- */

int store_agents_add_server_pmm_agent(db *d, rpc_status *st)
{
    return store_write(d,
                       "INSERT INTO agents (agent_id, agent_type, runs_on_node_id, custom_labels, created_at, updated_at, "
                       "disabled, status, tls, tls_skip_verify) "
                       "VALUES ('pmm-server', 'pmm-agent', 'pmm-server', '{}', " NOW ", " NOW ", false, '', false, false)",
                       0, NULL, NULL, st);
}

int store_agents_add_server_node_exporter(db *d, const char *agent_id, rpc_status *st)
{
    return store_write(d,
                       "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, custom_labels, created_at, "
                       "updated_at, disabled, status, tls, tls_skip_verify) "
                       "VALUES ($1, 'node_exporter', 'pmm-server', 'pmm-server', '{}', " NOW ", " NOW ", false, "
                       "'AGENT_STATUS_UNKNOWN', false, false)",
                       1, (const char *[]){ agent_id }, NULL, st);
}

int store_agents_add_server_pg_agent(db *d, const char *agent_id, const char *agent_type, const char *service_id,
                                     bool disabled, bool tls, bool tls_skip_verify, const char *username,
                                     const char *password, const char *qan_options, rpc_status *st)
{
    return store_write(d,
                       "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, custom_labels, created_at, "
                       "updated_at, disabled, status, tls, tls_skip_verify, username, password, qan_options) "
                       "VALUES ($1, $2, 'pmm-server', $3, '{}', " NOW ", " NOW ", $4, 'AGENT_STATUS_UNKNOWN', $5, $6, "
                       "$7, $8, $9)",
                       9,
                       (const char *[]){ agent_id, agent_type, service_id, disabled ? "t" : "f", tls ? "t" : "f",
                                         tls_skip_verify ? "t" : "f", username, password, qan_options },
                       NULL, st);
}

/* ---- what configd scrapes ------------------------------------------------ */

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

/* ---- the internal PostgreSQL's QAN agent (configd's settings) ------------ */

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

/* ---- a pmm-agent connecting (agentsd) ------------------------------------ */

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
