/* agentsd: the pmm-agent side of the server: connected-agent registry,
 * SetState, pings, actions and jobs. Wires the database and the bus. */
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>
#include <zmq.h>

#include "actions.h"
#include "agent_metrics.h"
#include "agent_logs.h"
#include "app.h"
#include "bus/peers.h"
#include "backup_requests.h"
#include "check.h"
#include "config.h"
#include "conn.h"
#include "db/daemon_db.h"
#include "dbpool.h"
#include "hints.h"
#include "jobs.h"
#include "loop.h"
#include "protocol.h"
#include "query_actions.h"
#include "qan_handoff.h"
#include "registry.h"
#include "secret.h"
#include "webcfg.h"
#include "bus/inventory_events.h"
#include "db/changes.h"
#include "leader.h"
#include "log.h"

int main(int argc, char **argv)
{
    app a = { 0 };
    char *run_dir = NULL, *level = NULL, *key_path = NULL;
    int workers, stream_db;
    const cfg_option opts[] = {
        { "run-dir", "PMM_RUN_DIR", CFG_STRING, "/srv/pmm/run", "directory of the bus sockets", &run_dir },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "info", "trace, debug, info, warn, error or fatal", &level },
        { "workers", NULL, CFG_INT, "2", "threads serving requests, each with one PostgreSQL connection", &workers },
        { "stream-db-connections", NULL, CFG_INT, "4", "PostgreSQL connections of the pmm-agent streams, whatever their number", &stream_db },
        { "encryption-key-path", "PMM_ENCRYPTION_KEY_PATH", CFG_STRING, "",
          "file with the key of stored agent credentials (default <run-dir>/../pmm-encryption.key)", &key_path },
        DB_CFG_OPTIONS(&a.db),
        { NULL },
    };
    int rc = daemon_init(opts, argc, argv, "agentsd", "PMM agents daemon: pmm-agent streams, SetState, actions, jobs.",
                         &level);
    if (rc >= 0)
        return rc;
    if (workers < 1 || stream_db < 1 || sodium_init() < 0) {
        log_error("invalid --workers or --stream-db-connections, or libsodium cannot start");
        cfg_free(opts);
        return 2;
    }
    /* SetState carries the agents' decrypted credentials */
    if (secret_init_default(key_path, run_dir) != 0) {
        cfg_free(opts);
        return 1;
    }
    volatile sig_atomic_t *stop = daemon_stop_flag();

    int status = 1;
    size_t n_methods = 0;
    rpc_method *methods = daemon_join_methods(&n_methods, actions_methods, actions_methods_count, check_methods,
                                              check_methods_count, agent_logs_methods, agent_logs_methods_count,
                                              agent_metrics_methods, agent_metrics_methods_count, jobs_methods,
                                              jobs_methods_count, backup_requests_methods,
                                              backup_requests_methods_count, query_actions_methods,
                                              query_actions_methods_count, NULL);
    db *d = db_new(&a.db);
    if (d && daemon_prepare_db(d, 300, stop) == 0) {
        webcfg_load(d); /* a fleet reconnecting now is not hashed again */
        void *zctx = zmq_ctx_new();
        char ep[600];
        bus_pub_endpoint(ep, sizeof ep, run_dir, "agentsd");
        a.pub = zctx ? bus_pub_new(zctx, ep) : NULL;
        const loop_handler *agents = registry_init(a.pub);
        actions_send = conn_request;
        protocol_set_handler(AGENT__V1__AGENT_MESSAGE__PAYLOAD_ACTION_RESULT, actions_store_result);
        /* HA: inventory changes made through other nodes, re-published here for configd */
        char node[256];
        leader_node_id(node, sizeof node);
        changes_relay_config rc = { .db = &a.db, .app_name = "agentsd-changes", .node_id = node,
                                    .topic = INVENTORY_EVENTS_TOPIC, .pub = a.pub, .local = hints_inventory_changed };
        changes_relay *relay = NULL;
        if (methods && a.pub && bus_peers_init(zctx, run_dir) == 0 && dbpool_start(&a.db, stream_db) == 0 &&
            qan_handoff_init(zctx, run_dir) == 0 &&
            loop_start(zctx, run_dir, agents) == 0 && hints_start(zctx, run_dir) == 0 &&
            (!leader_ha_enabled() || (relay = changes_relay_start(&rc))) &&
            daemon_serve(zctx, run_dir, "agentsd", methods, n_methods, workers, &a.db, &a,
                         stop) == 0)
            status = 0;
        /* producers first, then the loop, then what the loop still owes */
        changes_relay_stop(relay);
        hints_stop();
        loop_stop();
        dbpool_stop();
        loop_finish();
        qan_handoff_close();
        bus_pub_destroy(a.pub);
        bus_peers_thread_done();
        if (zctx)
            zmq_ctx_term(zctx);
    }
    db_destroy(d);
    free(methods);
    log_info("stopped");
    cfg_free(opts);
    return status;
}
