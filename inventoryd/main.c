/* inventoryd: nodes, services, agents, users. Wires the database, the
 * first-start fixtures, the event publisher and the bus methods. */
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <sodium.h>
#include <zmq.h>

#include "accesscontrol.h"
#include "agent_model.h"
#include "agents.h"
#include "app.h"
#include "bus/peers.h"
#include "config.h"
#include "cred_watch.h"
#include "db/daemon_db.h"
#include "fixtures.h"
#include "lockouts.h"
#include "db/changes.h"
#include "leader.h"
#include "log.h"
#include "inventoryd/management/management.h"
#include "nodes.h"
#include "pwcheck.h"
#include "secret.h"
#include "services.h"
#include "user_service.h"
#include "users.h"

int main(int argc, char **argv)
{
    app a = { 0 };
    char *run_dir = NULL, *level = NULL, *key_path = NULL;
    int workers, password_checks, password_queue;
    bool pg_qan;
    const cfg_option opts[] = {
        { "run-dir", "PMM_RUN_DIR", CFG_STRING, "/srv/pmm/run", "directory of the bus sockets", &run_dir },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "info", "trace, debug, info, warn, error or fatal", &level },
        { "workers", NULL, CFG_INT, "4", "threads serving requests, each with one PostgreSQL connection", &workers },
        { "password-checks", NULL, CFG_INT, "2",
          "argon2id password verifications at once, off the request workers (each thread one PostgreSQL connection)",
          &password_checks },
        { "password-check-queue", NULL, CFG_INT, "32",
          "password verifications waiting at most; beyond, a login is answered UNAVAILABLE at once", &password_queue },
        { "admin-password", "PMM_ADMIN_PASSWORD", CFG_STRING, "admin", "password of user admin, set on first start", &a.admin_password },
        { "enable-internal-pg-qan", "PMM_ENABLE_INTERNAL_PG_QAN", CFG_BOOL, "false", "enable QAN for PMM's own PostgreSQL", &pg_qan },
        { "encryption-key-path", "PMM_ENCRYPTION_KEY_PATH", CFG_STRING, "",
          "file with the key of stored agent credentials (default <run-dir>/../pmm-encryption.key)", &key_path },
        { "victoriametrics-url", "PMM_VM_URL", CFG_STRING, "http://127.0.0.1:9090/prometheus/",
          "VictoriaMetrics base URL (node and service statuses)", &a.vm_url },
        { "aws-endpoint", "PMM_DEV_AWS_ENDPOINT", CFG_STRING, "",
          "development: one URL for every AWS region's RDS API (RDS discovery)", &a.aws_endpoint },
        { "azure-login-url", "PMM_DEV_AZURE_LOGIN_URL", CFG_STRING, "",
          "development: Azure AD URL instead of https://login.microsoftonline.com/", &a.azure_login_url },
        { "azure-management-url", "PMM_DEV_AZURE_MANAGEMENT_URL", CFG_STRING, "",
          "development: Azure Resource Manager URL instead of https://management.azure.com/", &a.azure_mgmt_url },
        { "grafana-addr", NULL, CFG_STRING, "",
          "Grafana's host:port: annotations and the pmm-agents' service accounts go there (empty: no Grafana)",
          &a.grafana_addr },
        DB_CFG_OPTIONS(&a.db),
        { NULL },
    };
    int rc = daemon_init(opts, argc, argv, "inventoryd", "PMM inventory daemon: nodes, services, agents, users.", &level);
    if (rc >= 0)
        return rc;
    if (workers < 1 || password_checks < 1 || password_queue < 1 || sodium_init() < 0) {
        log_error("invalid --workers, --password-checks or --password-check-queue, or libsodium cannot start");
        cfg_free(opts);
        return 2;
    }
    if (secret_init_default(key_path, run_dir) != 0) {
        cfg_free(opts);
        return 1;
    }
    volatile sig_atomic_t *stop = daemon_stop_flag();
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before the workers: it is not thread-safe */

    int status = 1;
    void *zctx = zmq_ctx_new();
    db *d = db_new(&a.db);
    size_t n_methods = 0;
    rpc_method *methods = daemon_join_methods(&n_methods, nodes_methods, nodes_methods_count,
                                              services_methods, services_methods_count,
                                              agents_methods, agents_methods_count,
                                              users_methods, users_methods_count,
                                              lockouts_methods, lockouts_methods_count,
                                              accesscontrol_methods, accesscontrol_methods_count,
                                              user_service_methods, user_service_methods_count,
                                              management_methods, management_methods_count, NULL);
    if (!zctx || !d || !methods || daemon_prepare_db(d, 300, stop) != 0)
        goto out;
    if (fixtures_ensure(d, &a.db, pg_qan) != 0 || agent_seal_plaintext(d) != 0 ||
        users_ensure_admin(d, a.admin_password) != 0)
        goto out;
    db_destroy(d);
    d = NULL;

    char ep[512];
    bus_pub_endpoint(ep, sizeof ep, run_dir, "inventoryd");
    a.pub = bus_pub_new(zctx, ep);
    if (!a.pub) {
        log_error("cannot bind %s", ep);
        goto out;
    }
    /* AddService's connection check asks agentsd */
    if (bus_peers_init(zctx, run_dir) != 0)
        goto out;
    if (pwcheck_start(&a.db, password_checks, password_queue) != 0 || cred_watch_start(&a.db, a.pub) != 0) {
        log_error("cannot start the password checks or the credential watch");
        goto out;
    }
    /* HA: every inventory change also reaches the other nodes (db/changes.h) */
    char node[256];
    leader_node_id(node, sizeof node);
    if (leader_ha_enabled() && changes_notifier_start(&a.db, node) != 0) {
        log_error("cannot start the HA change notifications");
        goto out;
    }
    if (daemon_serve(zctx, run_dir, "inventoryd", methods, n_methods, workers, &a.db, &a, stop) == 0)
        status = 0;
    log_info("stopped");
out:
    changes_notifier_stop();
    cred_watch_stop();
    pwcheck_stop();
    bus_pub_destroy(a.pub);
    db_destroy(d);
    free(methods);
    if (zctx)
        zmq_ctx_term(zctx);
    curl_global_cleanup();
    cfg_free(opts);
    return status;
}
