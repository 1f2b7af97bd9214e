/* fixtures: the initial inventory of a new PMM Server (see fixtures.h). */
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/store/agents.h"
#include "db/store/nodes.h"
#include "db/store/services.h"
#include "log.h"
#include "uuid.h"

#define FIXTURES_LOCK "7201460811405713729"

/* 0, or -1 with st's message logged: what a store call returned. */
static int done(int code, const rpc_status *st)
{
    if (code == RPC_OK)
        return 0;
    log_error("fixtures: %s", st->message);
    return -1;
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

static int insert_node(db *d, const char *id, const char *name, const char *type, const char *address, bool server)
{
    rpc_status st = { 0 };
    return done(store_nodes_add_fixture(d, id, name, type, address, server, &st), &st);
}

static int insert_postgres_agents(db *d, const db_params *p, const char *service_id, bool qan)
{
    const char *mode = p->sslmode && *p->sslmode ? p->sslmode : "disable";
    bool tls = strcmp(mode, "disable") != 0;
    bool skip = strcmp(mode, "disable") == 0 || strcmp(mode, "verify-ca") == 0;
    const char *user = p->user && *p->user ? p->user : NULL;
    char pw[1024];
    if (db_params_password(p, pw, sizeof pw) != 0)
        pw[0] = '\0';
    const char *pass = *pw ? pw : NULL;
    char exporter_id[UUID_STR_LEN], qan_id[UUID_STR_LEN];
    uuid_v4(exporter_id);
    uuid_v4(qan_id);
    rpc_status st = { 0 };
    int rc = done(store_agents_add_server_pg_agent(d, exporter_id, "postgres_exporter", service_id, false, tls, skip,
                                                   user, pass, "{}", &st),
                  &st);
    if (rc == 0)
        rc = done(store_agents_add_server_pg_agent(d, qan_id, "qan-postgresql-pgstatements-agent", service_id, !qan,
                                                   tls, skip, user, pass, "{\"comments_parsing_disabled\": true}", &st),
                  &st);
    explicit_bzero(pw, sizeof pw);
    return rc;
}

static int create_all(db *d, const db_params *p, bool qan)
{
    char exporter_id[UUID_STR_LEN], service_id[UUID_STR_LEN], host[256], port[16];
    uuid_v4(exporter_id);
    uuid_v4(service_id);
    split_addr(p->addr, host, sizeof host, port, sizeof port);

    rpc_status st = { 0 };
    if (insert_node(d, "pmm-server", "pmm-server", "generic", "127.0.0.1", true) ||
        done(store_agents_add_server_pmm_agent(d, &st), &st) ||
        done(store_agents_add_server_node_exporter(d, exporter_id, &st), &st))
        return -1;

    /* A database elsewhere gets a remote node of its own. */
    bool local = strcmp(host, "127.0.0.1") == 0 && strcmp(port, "5432") == 0;
    const char *db_node = "pmm-server";
    char remote_id[UUID_STR_LEN];
    if (!local) {
        uuid_v4(remote_id);
        if (insert_node(d, remote_id, "pmm-server-db", "remote", host, false))
            return -1;
        db_node = remote_id;
    }
    const char *dbname = local ? "postgres" : (p->dbname && *p->dbname ? p->dbname : "postgres");
    if (done(store_services_add_fixture(d, service_id, db_node, host, port, dbname, &st), &st))
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
    char type[64];
    bool made = false;
    if (store_xact_lock(d, FIXTURES_LOCK, &st) != RPC_OK ||
        store_nodes_type(d, "pmm-server", type, sizeof type, &made, &st) != RPC_OK) {
        log_error("fixtures: %s", st.message);
        db_rollback(d);
        return -1;
    }
    if (!made && create_all(d, p, internal_pg_qan) != 0) {
        db_rollback(d);
        return -1;
    }
    if (db_commit(d, &st) != 0) {
        log_error("fixtures: %s", st.message);
        return -1;
    }
    if (!made)
        log_info("created the initial inventory (pmm-server node, agents, PostgreSQL service)");
    return 0;
}
