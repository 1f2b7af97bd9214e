/* fixtures: the initial inventory of a new PMM Server (see fixtures.h). */
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "uuid.h"

#define FIXTURES_LOCK "7201460811405713729"
#define NOW "now() AT TIME ZONE 'UTC'"

static int exec(db *d, const char *sql, int n, const char *const *params)
{
    rpc_status st;
    PGresult *r = db_exec(d, &st, sql, n, params);
    if (!r) {
        log_error("fixtures: %s", st.message);
        return -1;
    }
    PQclear(r);
    return 0;
}

/* Splits "host:port" (a unix socket directory counts as the local server). */
static void split_addr(const char *addr, char *host, size_t hlen, char *port, size_t plen)
{
    const char *colon = strrchr(addr ? addr : "", ':');
    if (!addr || !*addr || addr[0] == '/' || !colon) {
        snprintf(host, hlen, "127.0.0.1");
        snprintf(port, plen, "5432");
        return;
    }
    snprintf(host, hlen, "%.*s", (int)(colon - addr), addr);
    snprintf(port, plen, "%s", colon + 1);
}

static int insert_node(db *d, const char *id, const char *name, const char *type, const char *address,
                       const char *server)
{
    return exec(d,
                "INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, custom_labels, "
                "address, created_at, updated_at, is_pmm_server_node) "
                "VALUES ($1, $3, $2, '', '', '', '{}', $4, " NOW ", " NOW ", $5)",
                5, (const char *[]){ id, name, type, address, server });
}

static int insert_postgres_agents(db *d, const db_params *p, const char *service_id, bool qan)
{
    const char *mode = p->sslmode && *p->sslmode ? p->sslmode : "disable";
    const char *tls = strcmp(mode, "disable") != 0 ? "t" : "f";
    const char *skip = strcmp(mode, "disable") == 0 || strcmp(mode, "verify-ca") == 0 ? "t" : "f";
    const char *user = p->user && *p->user ? p->user : NULL;
    char pw[1024];
    if (db_params_password(p, pw, sizeof pw) != 0)
        pw[0] = '\0';
    const char *pass = *pw ? pw : NULL;
    char exporter_id[UUID_STR_LEN], qan_id[UUID_STR_LEN];
    uuid_v4(exporter_id);
    uuid_v4(qan_id);
    const char *sql =
        "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, custom_labels, created_at, "
        "updated_at, disabled, status, tls, tls_skip_verify, username, password, qan_options) "
        "VALUES ($1, $2, 'pmm-server', $3, '{}', " NOW ", " NOW ", $4, 'AGENT_STATUS_UNKNOWN', $5, $6, $7, $8, $9)";
    int rc = exec(d, sql, 9, (const char *[]){ exporter_id, "postgres_exporter", service_id, "f", tls, skip, user, pass, "{}" });
    if (rc == 0)
        rc = exec(d, sql, 9,
                  (const char *[]){ qan_id, "qan-postgresql-pgstatements-agent", service_id, qan ? "f" : "t", tls, skip,
                                    user, pass, "{\"comments_parsing_disabled\": true}" });
    explicit_bzero(pw, sizeof pw);
    return rc;
}

static int create_all(db *d, const db_params *p, bool qan)
{
    char exporter_id[UUID_STR_LEN], service_id[UUID_STR_LEN], host[256], port[16];
    uuid_v4(exporter_id);
    uuid_v4(service_id);
    split_addr(p->addr, host, sizeof host, port, sizeof port);

    if (insert_node(d, "pmm-server", "pmm-server", "generic", "127.0.0.1", "t") ||
        exec(d,
             "INSERT INTO agents (agent_id, agent_type, runs_on_node_id, custom_labels, created_at, updated_at, "
             "disabled, status, tls, tls_skip_verify) "
             "VALUES ('pmm-server', 'pmm-agent', 'pmm-server', '{}', " NOW ", " NOW ", false, '', false, false)",
             0, NULL) ||
        exec(d,
             "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, custom_labels, created_at, "
             "updated_at, disabled, status, tls, tls_skip_verify) "
             "VALUES ($1, 'node_exporter', 'pmm-server', 'pmm-server', '{}', " NOW ", " NOW ", false, "
             "'AGENT_STATUS_UNKNOWN', false, false)",
             1, (const char *[]){ exporter_id }))
        return -1;

    /* A database elsewhere gets a remote node of its own. */
    bool local = strcmp(host, "127.0.0.1") == 0 && strcmp(port, "5432") == 0;
    const char *db_node = "pmm-server";
    char remote_id[UUID_STR_LEN];
    if (!local) {
        uuid_v4(remote_id);
        if (insert_node(d, remote_id, "pmm-server-db", "remote", host, "f"))
            return -1;
        db_node = remote_id;
    }
    const char *dbname = local ? "postgres" : (p->dbname && *p->dbname ? p->dbname : "postgres");
    if (exec(d,
             "INSERT INTO services (service_id, service_type, service_name, node_id, environment, cluster, "
             "replication_set, custom_labels, created_at, updated_at, address, port, external_group, database_name) "
             "VALUES ($1, 'postgresql', 'pmm-server-postgresql', $2, '', '', '', '{}', " NOW ", " NOW ", $3, $4, '', $5)",
             5, (const char *[]){ service_id, db_node, host, port, dbname }))
        return -1;
    return insert_postgres_agents(d, p, service_id, qan);
}

int fixtures_ensure(db *d, const db_params *p, bool internal_pg_qan)
{
    rpc_status st;
    if (db_begin(d, &st) != 0) {
        log_error("fixtures: %s", st.message);
        return -1;
    }
    PGresult *r = db_exec(d, &st, "SELECT pg_advisory_xact_lock(" FIXTURES_LOCK ")", 0, NULL);
    if (r) {
        PQclear(r);
        r = db_exec(d, &st, "SELECT 1 FROM nodes WHERE node_id = 'pmm-server'", 0, NULL);
    }
    if (!r) {
        log_error("fixtures: %s", st.message);
        db_rollback(d);
        return -1;
    }
    bool done = PQntuples(r) > 0;
    PQclear(r);
    if (!done && create_all(d, p, internal_pg_qan) != 0) {
        db_rollback(d);
        return -1;
    }
    if (db_commit(d, &st) != 0) {
        log_error("fixtures: %s", st.message);
        return -1;
    }
    if (!done)
        log_info("created the initial inventory (pmm-server node, agents, PostgreSQL service)");
    return 0;
}
