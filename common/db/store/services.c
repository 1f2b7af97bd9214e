/* services: statements on the services table (see services.h). */
#include "services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/store/internal.h"

/* ---- records ------------------------------------------------------------- */

json_t *store_services_get(db *d, const char *service_id, rpc_status *st)
{
    return store_row(d, "SELECT * FROM services WHERE service_id = $1", service_id, st);
}

json_t *store_services_of_pmm_agents(db *d, const char *ids, rpc_status *st)
{
    return store_rows(d,
                      "SELECT * FROM services WHERE service_id IN "
                      "(SELECT service_id FROM agents WHERE pmm_agent_id = ANY($1::text[]))",
                      1, (const char *[]){ ids }, st);
}

/* ---- lookups ------------------------------------------------------------- */

int store_services_type(db *d, const char *service_id, char *type, size_t type_len, bool *found, rpc_status *st)
{
    return store_first(d, "SELECT service_type FROM services WHERE service_id = $1", 1, (const char *[]){ service_id },
                       type, type_len, NULL, 0, found, st);
}

int store_services_find_by_name(db *d, const char *name, char *id, size_t id_len, char *type, size_t type_len,
                                rpc_status *st)
{
    return store_first(d, "SELECT service_id, service_type FROM services WHERE service_name = $1", 1,
                       (const char *[]){ name }, id, id_len, type, type_len, NULL, st);
}

int store_services_any_on_node(db *d, const char *node_id, bool *found, rpc_status *st)
{
    return store_exists(d, "SELECT 1 FROM services WHERE node_id = $1 LIMIT 1", 1, (const char *[]){ node_id }, found,
                        st);
}

/* ---- inventory.v1 Services ----------------------------------------------- */

/* The SERVICE_C_* columns, in their order. */
#define SERVICE_COLUMNS \
    "service_id, service_type, service_name, node_id, address, port, socket, environment, cluster, " \
    "replication_set, custom_labels, external_group AS \"group\", database_name, version"

PGresult *store_services_add(db *d, const store_service *s, rpc_status *st)
{
    const char *params[] = {
        s->service_id, s->service_type, s->service_name, s->node_id, s->environment, s->cluster,
        s->replication_set, s->custom_labels, s->address, s->port, s->socket, s->external_group, s->database_name,
    };
    return db_exec(d, st,
                   "INSERT INTO services (service_id, service_type, service_name, node_id, environment, "
                   "cluster, replication_set, custom_labels, address, port, socket, external_group, "
                   "database_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                   "$10, $11, $12, $13, " NOW ", " NOW ") "
                   "RETURNING " SERVICE_COLUMNS,
                   13, params);
}

PGresult *store_services_shown(db *d, const char *service_id, rpc_status *st)
{
    return db_exec(d, st, "SELECT " SERVICE_COLUMNS " FROM services WHERE service_id = $1", 1,
                   (const char *[]){ service_id });
}

PGresult *store_services_shown_all(db *d, const char *node_id, const char *service_type, const char *external_group,
                                   rpc_status *st)
{
    /* One statement for every combination of filters: an empty one matches all. */
    return db_exec(d, st,
                   "SELECT " SERVICE_COLUMNS " FROM services WHERE ($1 = '' OR node_id = $1) AND "
                   "($2 = '' OR service_type = $2) AND ($3 = '' OR external_group = $3) ORDER BY service_id",
                   3, (const char *[]){ node_id, service_type, external_group });
}

PGresult *store_services_types(db *d, rpc_status *st)
{
    return db_exec(d, st, "SELECT DISTINCT service_type FROM services ORDER BY service_type", 0, NULL);
}

PGresult *store_services_change(db *d, const char *service_id, const char *environment, const char *cluster,
                                const char *replication_set, const char *external_group, const char *custom_labels,
                                rpc_status *st)
{
    return db_exec(d, st,
                   "UPDATE services SET environment = COALESCE($2, environment), "
                   "cluster = COALESCE($3, cluster), replication_set = COALESCE($4, replication_set), "
                   "external_group = COALESCE($5, external_group), "
                   "custom_labels = COALESCE($6, custom_labels), updated_at = " NOW " "
                   "WHERE service_id = $1 RETURNING " SERVICE_COLUMNS,
                   6, (const char *[]){ service_id, environment, cluster, replication_set, external_group, custom_labels });
}

int store_services_lock(db *d, const char *service_id, char **node_id, char *node_type, size_t type_len,
                        rpc_status *st)
{
    *node_id = NULL;
    PGresult *r = db_exec(d, st,
                          "SELECT s.node_id, n.node_type FROM services s LEFT JOIN nodes n ON n.node_id = s.node_id "
                          "WHERE s.service_id = $1 FOR UPDATE OF s",
                          1, (const char *[]){ service_id });
    if (!r)
        return st->code;
    int rc = RPC_OK;
    if (PQntuples(r) > 0) {
        snprintf(node_type, type_len, "%s", PQgetvalue(r, 0, 1));
        if (!(*node_id = strdup(PQgetvalue(r, 0, 0))))
            rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    PQclear(r);
    return rc;
}

int store_services_delete(db *d, const char *service_id, rpc_status *st)
{
    return store_write(d, "DELETE FROM services WHERE service_id = $1", 1, (const char *[]){ service_id }, NULL, st);
}

int store_services_delete_on_node(db *d, const char *node_id, rpc_status *st)
{
    return store_write(d, "DELETE FROM services WHERE node_id = $1", 1, (const char *[]){ node_id }, NULL, st);
}

/* ---- what management.v1 and the pmm-agent report ------------------------- */

int store_services_set_version(db *d, const char *service_id, const char *version, rpc_status *st)
{
    return store_write(d, "UPDATE services SET version = $2 WHERE service_id = $1", 2,
                       (const char *[]){ service_id, version }, NULL, st);
}

int store_services_set_database(db *d, const char *service_id, const char *database_name, rpc_status *st)
{
    return store_write(d, "UPDATE services SET database_name = $2 WHERE service_id = $1", 2,
                       (const char *[]){ service_id, database_name }, NULL, st);
}

int store_services_add_fixture(db *d, const char *service_id, const char *node_id, const char *address,
                               const char *port, const char *database_name, rpc_status *st)
{
    return store_write(d,
                       "INSERT INTO services (service_id, service_type, service_name, node_id, environment, cluster, "
                       "replication_set, custom_labels, created_at, updated_at, address, port, external_group, "
                       "database_name) VALUES ($1, 'postgresql', 'pmm-server-postgresql', $2, '', '', '', '{}', " NOW
                       ", " NOW ", $3, $4, '', $5)",
                       5, (const char *[]){ service_id, node_id, address, port, database_name }, NULL, st);
}

/* ---- management.v1 UniversalService -------------------------------------- */

/* The SERVICE_U_* columns, in their order. */
#define UNIVERSAL_SERVICE_COLUMNS \
    "s.service_id, s.service_type, s.service_name, s.database_name, s.node_id, n.node_name, s.environment, " \
    "s.cluster, s.replication_set, s.external_group, s.address, s.socket, s.version, s.port, s.custom_labels, " \
    "floor(extract(epoch FROM s.created_at))::bigint, mod(extract(microseconds FROM s.created_at)::bigint, 1000000), " \
    "floor(extract(epoch FROM s.updated_at))::bigint, mod(extract(microseconds FROM s.updated_at)::bigint, 1000000)"

PGresult *store_services_universal_all(db *d, const char *node_id, const char *service_type,
                                       const char *external_group, rpc_status *st)
{
    return db_exec(d, st,
                   "SELECT " UNIVERSAL_SERVICE_COLUMNS " FROM services s LEFT JOIN nodes n ON n.node_id = s.node_id "
                   "WHERE " SERVICE_FILTER,
                   3, (const char *[]){ node_id, service_type, external_group });
}

/* ---- services as records of strings -------------------------------------- */

/* The store_service_rec fields, in their order, then the port. */
#define SERVICE_REC_COLUMNS                                                                                        \
    "service_id, service_type, service_name, node_id, cluster, replication_set, environment, "                   \
    "COALESCE(address, ''), COALESCE(socket, ''), COALESCE(version, ''), COALESCE(custom_labels, '{}'), "          \
    "external_group, database_name, COALESCE(port, 0)"

/* The string fields of s, in SERVICE_REC_COLUMNS' order. */
#define SERVICE_REC_FIELDS(s)                                                                                      \
    { &(s)->service_id, &(s)->service_type, &(s)->service_name, &(s)->node_id, &(s)->cluster,                      \
      &(s)->replication_set, &(s)->environment, &(s)->address, &(s)->socket, &(s)->version, &(s)->custom_labels,   \
      &(s)->external_group, &(s)->database_name }

void store_service_rec_free(store_service_rec *s)
{
    char **f[] = SERVICE_REC_FIELDS(s);
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
}

void store_service_recs_free(store_service_rec *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_service_rec_free(&s[i]);
    free(s);
}

static bool rec_from_row(PGresult *r, int row, store_service_rec *s)
{
    memset(s, 0, sizeof *s);
    char **f[] = SERVICE_REC_FIELDS(s);
    bool ok = true;
    for (size_t c = 0; c < sizeof f / sizeof *f; c++)
        ok &= (*f[c] = strdup(PQgetisnull(r, row, (int)c) ? "" : PQgetvalue(r, row, (int)c))) != NULL;
    s->port = atoi(PQgetvalue(r, row, 13));
    if (!ok)
        store_service_rec_free(s);
    return ok;
}

/* Every row of r (cleared here) into *out. */
static int recs_from(PGresult *r, store_service_rec **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    if (!r)
        return st->code;
    int rows = PQntuples(r);
    store_service_rec *v = calloc(rows ? (size_t)rows : 1, sizeof *v);
    for (int i = 0; v && i < rows; i++)
        if (!rec_from_row(r, i, &v[i])) {
            store_service_recs_free(v, (size_t)i);
            v = NULL;
        }
    PQclear(r);
    if (!v)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    *out = v;
    *n = (size_t)rows;
    return RPC_OK;
}

int store_services_get_rec(db *d, const char *service_id, store_service_rec *out, rpc_status *st)
{
    memset(out, 0, sizeof *out);
    PGresult *r = db_exec(d, st, "SELECT " SERVICE_REC_COLUMNS " FROM services WHERE service_id = $1", 1,
                          (const char *[]){ service_id });
    if (!r)
        return st->code;
    int rc = RPC_OK;
    if (!PQntuples(r)) {
        char q[512];
        rpc_quote(q, sizeof q, service_id ? service_id : "");
        rc = rpc_fail(st, RPC_NOT_FOUND, "Service with ID %s not found.", q);
    } else if (!rec_from_row(r, 0, out)) {
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    PQclear(r);
    return rc;
}

int store_services_exists(db *d, const char *service_id, bool *exists, rpc_status *st)
{
    return store_exists(d, "SELECT 1 FROM services WHERE service_id = $1", 1, (const char *[]){ service_id }, exists,
                        st);
}

int store_services_of_type(db *d, const char *type, const char *cluster, store_service_rec **out, size_t *n,
                           rpc_status *st)
{
    return recs_from(db_exec(d, st,
                             "SELECT " SERVICE_REC_COLUMNS " FROM services WHERE service_type = $1 AND "
                             "($2::text IS NULL OR cluster = $2) ORDER BY service_name",
                             2, (const char *[]){ type, cluster }),
                     out, n, st);
}

int store_services_all(db *d, store_service_rec **out, size_t *n, rpc_status *st)
{
    return recs_from(db_exec(d, st, "SELECT " SERVICE_REC_COLUMNS " FROM services ORDER BY service_name", 0, NULL),
                     out, n, st);
}

int store_services_by_names(db *d, char *const *names, size_t n_names, store_service_rec **out, size_t *n,
                            rpc_status *st)
{
    char *arr = store_text_array((const char *const *)names, n_names);
    if (!arr) {
        *out = NULL;
        *n = 0;
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    int rc = recs_from(db_exec(d, st,
                               "SELECT " SERVICE_REC_COLUMNS " FROM services WHERE service_name = ANY($1::text[]) "
                               "ORDER BY service_name",
                               1, (const char *[]){ arr }),
                       out, n, st);
    free(arr);
    return rc;
}

/* The one text column of sql's one row into *json (malloc'd). */
static int one_text(PGresult *r, char **json, rpc_status *st)
{
    if (!r)
        return st->code;
    *json = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return *json ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

int store_services_names(db *d, char **json, rpc_status *st)
{
    return one_text(db_exec(d, st, "SELECT COALESCE(json_object_agg(service_id, service_name), '{}')::text FROM services",
                            0, NULL),
                    json, st);
}

int store_services_kinds(db *d, const char *ids_json, char **json, rpc_status *st)
{
    return one_text(db_exec(d, st,
                            "SELECT COALESCE(json_object_agg(service_id, json_build_array(service_type, cluster)), "
                            "'{}')::text FROM services WHERE service_id IN "
                            "(SELECT jsonb_array_elements_text($1::jsonb))",
                            1, (const char *[]){ ids_json }),
                    json, st);
}

PGresult *store_services_check_targets(db *d, const char *service_type, const char *agent_types, rpc_status *st)
{
    /* One statement for the whole family: a fleet of services costs one
     * round trip, not four per service. */
    return db_exec(d, st,
                   "SELECT s.service_id, s.service_name, s.service_type, s.environment, s.cluster, "
                   "s.replication_set, s.external_group, s.custom_labels, "
                   "n.node_id, n.node_name, n.node_type, n.machine_id, n.container_id, n.container_name, "
                   "n.node_model, n.region, n.az, n.custom_labels, "
                   "pa.agent_id, pa.version, a.agent_id, a.agent_type, a.custom_labels "
                   "FROM services s JOIN nodes n ON n.node_id = s.node_id "
                   "LEFT JOIN LATERAL (SELECT p.agent_id, p.version FROM agents p "
                   "  WHERE p.agent_type = 'pmm-agent' AND p.agent_id IN "
                   "  (SELECT x.pmm_agent_id FROM agents x WHERE x.service_id = s.service_id) "
                   "  ORDER BY p.agent_id LIMIT 1) pa ON true "
                   "LEFT JOIN LATERAL (SELECT y.agent_id, y.agent_type, y.custom_labels FROM agents y "
                   "  WHERE y.service_id = s.service_id AND y.pmm_agent_id = pa.agent_id "
                   "  AND y.agent_type = ANY($2::text[]) "
                   "  ORDER BY array_position($2::text[], y.agent_type::text), y.agent_id LIMIT 1) a ON true "
                   "WHERE s.service_type = $1 AND s.node_id <> 'pmm-server' ORDER BY s.service_id",
                   2, (const char *[]){ service_type, agent_types });
}
