/* hactl: this server's HA member. Wires the PMM_HA_* parameters, the raft
 * member (node.c), the leadership announcements on the bus (announce.c)
 * ha.v1beta1 (ha_api.c) and the operators' `hactl status` (status.c).
 * With HA off it serves only those: every daemon then leads by itself
 * (leader.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "announce.h"
#include "config.h"
#include "ha_api.h"
#include "db/daemon_db.h"
#include "leader.h"
#include "log.h"
#include "node.h"
#include "params.h"
#include "status.h"

/* `hactl status [--json] [--run-dir=DIR]` */
static int status_command(int argc, char **argv)
{
    const char *run_dir = getenv("PMM_RUN_DIR");
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strncmp(argv[i], "--run-dir=", 10) == 0)
            run_dir = argv[i] + 10;
        else {
            fprintf(stderr, "usage: hactl status [--json] [--run-dir=DIR]\n");
            return 2;
        }
    }
    char path[1024];
    status_path(path, sizeof path, run_dir && *run_dir ? run_dir : "/srv/pmm/run");
    return status_print(path, json);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "status") == 0)
        return status_command(argc, argv);
    params_env_fallbacks();
    char *run_dir = NULL, *level = NULL, *var_dir = NULL, *node_id = NULL, *advertise = NULL, *peers_list = NULL,
         *bind = NULL;
    bool enable = false, bootstrap = false, debug = false;
    int raft_port, gossip_port, grafana_port;
    db_params dbp = { 0 };
    const cfg_option opts[] = {
        { "run-dir", "PMM_RUN_DIR", CFG_STRING, "/srv/pmm/run", "directory of the bus sockets", &run_dir },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "info", "trace, debug, info, warn, error or fatal", &level },
        { "debug", "PMM_DEBUG", CFG_BOOL, "false", "log raft's changes in detail", &debug },
        { "var-dir", "PMM_VAR_DIR", CFG_STRING, "/srv", "raft storage lives in <var-dir>/ha/<node id>", &var_dir },
        { "interface-to-bind", "PMM_INTERFACE_TO_BIND", CFG_STRING, "0.0.0.0", "IPv4 address the raft port binds",
          &bind },
        { "ha-enable", "PMM_HA_ENABLE", CFG_BOOL, "false", "enable high availability", &enable },
        { "ha-bootstrap", "PMM_HA_BOOTSTRAP", CFG_BOOL, "false",
          "accepted for older setups: every node bootstraps itself when new", &bootstrap },
        { "ha-node-id", "PMM_HA_NODE_ID", CFG_STRING, "", "this node's id (default: the host name)", &node_id },
        { "ha-advertise-address", "PMM_HA_ADVERTISE_ADDRESS", CFG_STRING, "",
          "address the other nodes reach this one at (default: --interface-to-bind, or 127.0.0.1)", &advertise },
        { "ha-peers", "PMM_HA_PEERS", CFG_STRING, "", "the other nodes' raft addresses, host[:port],...", &peers_list },
        { "ha-raft-port", "PMM_HA_RAFT_PORT", CFG_INT, "9760", "raft TCP port", &raft_port },
        { "ha-gossip-port", "PMM_HA_GOSSIP_PORT", CFG_INT, "9761", "accepted; no gossip layer here", &gossip_port },
        { "ha-grafana-gossip-port", "PMM_HA_GRAFANA_GOSSIP_PORT", CFG_INT, "9762", "accepted; Grafana is not run here",
          &grafana_port },
        DB_CFG_OPTIONS(&dbp),
        { NULL },
    };
    int rc = daemon_init(opts, argc, argv, "hactl", "PMM HA member: raft leader election and membership.", &level);
    if (rc >= 0)
        return rc;
    (void)bootstrap, (void)gossip_port, (void)grafana_port;
    volatile sig_atomic_t *stop = daemon_stop_flag();
    int status = 1;
    char host[256] = "", self[300], bind_addr[300], dir[1200], spath[1100], err[256];
    char **peers = NULL;
    int n_peers = 0;
    if (!*node_id && gethostname(host, sizeof host - 1) == 0) {
        free(node_id);
        node_id = strdup(host);
    }
    const char *adv = *advertise ? advertise : strcmp(bind, "0.0.0.0") ? bind : "127.0.0.1";
    snprintf(self, sizeof self, "%s:%d", adv, raft_port);
    snprintf(bind_addr, sizeof bind_addr, "%s:%d", bind, raft_port);
    snprintf(dir, sizeof dir, "%s/ha/%s", var_dir, node_id);
    status_path(spath, sizeof spath, run_dir);
    if (raft_port < 1 || raft_port > 65535 || !node_id || !*node_id ||
        (n_peers = params_peers(peers_list, raft_port, self, &peers, err, sizeof err)) < 0) {
        log_error("invalid HA parameters: %s", n_peers < 0 ? err : "--ha-raft-port or --ha-node-id");
        cfg_free(opts);
        return 2;
    }

    void *zctx = zmq_ctx_new();
    char ep[600];
    bus_pub_endpoint(ep, sizeof ep, run_dir, "hactl");
    bus_pub *pub = zctx ? bus_pub_new(zctx, ep) : NULL;
    db *d = db_new(&dbp);
    /* hactl's own database work is the fence; migrations first, as every daemon */
    if (!pub || !d || daemon_prepare_db(d, 300, stop) != 0)
        goto out;
    ha_api_app api = { .enabled = enable };
    if (!enable) {
        log_info("HA disabled: this node is the leader, every leader-only service runs here");
        node_view v = { .role = NODE_LEADER };
        status_info si = { .node_id = node_id, .address = "", .view = &v, .leader_node_id = node_id, .leading = true };
        status_write(spath, &si);
        status = daemon_serve(zctx, run_dir, "hactl", ha_api_methods, ha_api_methods_count, 1, &dbp, &api, stop) == 0
                     ? 0
                     : 1;
        goto out;
    }
    node_config nc = { .node_id = node_id, .address = self, .bind_address = bind_addr, .dir = dir,
                       .peers = (const char *const *)peers, .n_peers = (size_t)n_peers, .debug = debug };
    announce_config ac = { .node_id = node_id, .address = self, .db = &dbp, .pub = pub, .status_path = spath };
    if (node_start(&nc) == 0 && announce_start(&ac) == 0 &&
        daemon_serve(zctx, run_dir, "hactl", ha_api_methods, ha_api_methods_count, 1, &dbp, &api, stop) == 0)
        status = 0;
    /* the leader hands over first; then this node says `follower` as it goes */
    node_stop();
    announce_stop();
    log_info("stopped");
out:
    unlink(spath);
    params_peers_free(peers, n_peers);
    db_destroy(d);
    bus_pub_destroy(pub);
    if (zctx)
        zmq_ctx_term(zctx);
    cfg_free(opts);
    return status;
}
