/* configd: server settings and version, readiness, updates, logs.zip,
 * platform.v1 and uievents.v1, the bundled tools' supervisord programs and
 * vmalert rules, VictoriaMetrics' scrape configuration. Wires the PMM_* environment check, the database, the
 * event publisher, the bus methods, the supervisord thread and the scrape
 * update thread. */
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <sodium.h>
#include <zmq.h>

#include "app.h"
#include "aws_instance.h"
#include "bus/leader_events.h"
#include "bus/peers.h"
#include "config.h"
#include "db/changes.h"
#include "db/daemon_db.h"
#include "leader.h"
#include "log.h"
#include "logs_service.h"
#include "metrics.h"
#include "platform.h"
#include "rules_service.h"
#include "configd/scrape/scrape.h"
#include "configd/scrape/loop.h"
#include "configd/scrape/service.h"
#include "secret.h"
#include "server.h"
#include "settings_api.h"
#include "settings_env.h"
#include "supervisor_loop.h"
#include "uievents.h"
#include "updates_api.h"

extern char **environ;

int main(int argc, char **argv)
{
    app a = { 0 };
    char *run_dir = NULL, *level = NULL, *vmalert_bin = NULL, *vm_url = NULL, *vmalert_url = NULL;
    char *am_url = NULL, *am_bin = NULL, *am_config = NULL, *am_base = NULL, *am_data = NULL, *amtool = NULL;
    char *key_path = NULL, *vm_config = NULL, *vm_data = NULL, *vm_base = NULL, *vm_binary = NULL, *debug_addr = NULL;
    updater_config upd = { 0 };
    int workers, update_timeout_ms;
    const cfg_option opts[] = {
        { "run-dir", "PMM_RUN_DIR", CFG_STRING, "/srv/pmm/run", "directory of the bus sockets", &run_dir },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "info", "trace, debug, info, warn, error or fatal", &level },
        { "workers", NULL, CFG_INT, "2", "threads serving requests, each with one PostgreSQL connection", &workers },
        { "distribution-method", "PMM_DISTRIBUTION_METHOD", CFG_STRING, "", "docker, ovf, ami, azure or do", &a.distribution },
        { "log-dir", NULL, CFG_STRING, "/srv/logs", "the daemons' logs, for logs.zip", &a.log_dir },
        { "supervisorctl", NULL, CFG_STRING, "supervisorctl", "supervisorctl command", &a.supervisorctl },
        { "supervisord-config", NULL, CFG_STRING, "/etc/supervisord.conf", "supervisord's config file (supervisorctl -c)", &a.supervisord_conf },
        { "supervisord-config-dir", NULL, CFG_STRING, "/etc/supervisord.d", "directory of the program files configd renders", &a.supervisord_dir },
        { "vmalert-user-rules", NULL, CFG_STRING, "/srv/prometheus/rules/pmm.rules.yml",
          "the user's alerting rules: checked with vmalert -dryRun, applied only when valid", &a.vmalert_user_rules },
        { "vmalert-rules-dir", NULL, CFG_STRING, "/srv/vmalert/rules", "directory vmalert loads (configd writes it)",
          &a.vmalert_rules_dir },
        { "vmalert-binary", NULL, CFG_STRING, "/usr/bin/vmalert", "vmalert binary (program and rules check)", &vmalert_bin },
        { "victoriametrics-url", "PMM_VM_URL", CFG_STRING, "http://127.0.0.1:9090/prometheus/", "VictoriaMetrics base URL", &vm_url },
        { "victoriametrics-vmalert-url", "PMM_VM_ALERT_URL", CFG_STRING, "http://127.0.0.1:8880/", "vmalert base URL",
          &vmalert_url },
        { "victoriametrics-config", NULL, CFG_STRING, "/etc/victoriametrics-promscrape.yml",
          "scrape configuration file written for VictoriaMetrics (not when its URL's host is not 127.0.0.1)", &vm_config },
        { "victoriametrics-base-config", NULL, CFG_STRING, "/srv/prometheus/prometheus.base.yml",
          "user's base scrape configuration merged into the file", &vm_base },
        { "victoriametrics-binary", NULL, CFG_STRING, "/usr/bin/victoria-metrics",
          "VictoriaMetrics binary: its program, and the dry run that checks the file", &vm_binary },
        { "victoriametrics-data-dir", NULL, CFG_STRING, "/srv/victoriametrics/data",
          "VictoriaMetrics' storage (-storageDataPath of the program configd renders)", &vm_data },
        { "alertmanager-url", NULL, CFG_STRING, "http://127.0.0.1:9093/",
          "Alertmanager's URL: its program (listening on its port) and vmalert's notifier (empty: none)", &am_url },
        { "alertmanager-binary", NULL, CFG_STRING, "/usr/bin/prometheus-alertmanager", "Alertmanager binary", &am_bin },
        { "alertmanager-config", NULL, CFG_STRING, "/etc/alertmanager.yml", "Alertmanager's configuration (configd writes it)",
          &am_config },
        { "alertmanager-base-config", NULL, CFG_STRING, "/srv/alertmanager/alertmanager.base.yml",
          "the user's Alertmanager configuration, used instead of the default when present", &am_base },
        { "alertmanager-data-dir", NULL, CFG_STRING, "/srv/alertmanager/data", "Alertmanager's storage (silences)",
          &am_data },
        { "amtool", NULL, CFG_STRING, "/usr/bin/amtool", "amtool: checks the configuration before it is applied",
          &amtool },
        { "debug-addr", NULL, CFG_STRING, "127.0.0.1:7773", "the gateway's debug listener, scraped as job pmm-managed",
          &debug_addr },
        { "encryption-key-path", "PMM_ENCRYPTION_KEY_PATH", CFG_STRING, "",
          "file with the key of stored agent credentials (default <run-dir>/../pmm-encryption.key)", &key_path },
        { "update-version-file", NULL, CFG_STRING, "/etc/pmm-server-update-version.json",
          "air-gapped sites: the release to offer, as JSON; when it exists nothing is fetched", &upd.version_file },
        { "percona-platform-address", "PMM_DEV_PERCONA_PLATFORM_ADDRESS", CFG_STRING, "https://check.percona.com",
          "Percona's version service (releases and release notes)", &upd.platform_address },
        { "update-docker-image", "PMM_DEV_UPDATE_DOCKER_IMAGE", CFG_STRING, "",
          "the release to offer as an image name (repo:version), when there is no file", &upd.dev_image },
        { "update-docker-repo", "PMM_DEV_UPDATE_DOCKER_REPO", CFG_STRING, "percona/pmm-server",
          "image repository of releases the version service names without an image", &upd.dev_repo },
        { "update-check-timeout-ms", NULL, CFG_INT, "5000", "each request to the version service", &update_timeout_ms },
        { "aws-metadata-url", NULL, CFG_STRING, AWS_METADATA_URL,
          "EC2 instance metadata service (AWSInstanceCheck on the AMI distribution)", &a.aws_metadata_url },
        DB_CFG_OPTIONS(&a.db),
        { NULL },
    };
    int rc = daemon_init(opts, argc, argv, "configd", "PMM configuration daemon: version, readiness, settings.", &level);
    if (rc >= 0)
        return rc;
    if (workers < 1) {
        log_error("invalid --workers");
        cfg_free(opts);
        return 2;
    }
    /* Bad PMM_* values stop the start, as upstream exits. */
    if (settings_env_check((const char *const *)environ, &a.env) != 0) {
        envvars_free(&a.env);
        cfg_free(opts);
        return 1;
    }
    if (sodium_init() < 0 || secret_init_default(key_path, run_dir) != 0) {
        envvars_free(&a.env);
        cfg_free(opts);
        return 1;
    }
    volatile sig_atomic_t *stop = daemon_stop_flag();
    leader_init(); /* LeaderHealthCheck: with HA on, a follower until hactl says otherwise */

    curl_global_init(CURL_GLOBAL_DEFAULT);
    upd.timeout_ms = update_timeout_ms;
    a.updates = updater_new(&upd);
    const char *bind = getenv("PMM_INTERFACE_TO_BIND");
    supervisor_loop_config sup = {
        .run_dir = run_dir, .db = &a.db, .rules_interval_ms = 2000,
        .sup = { .ctl = a.supervisorctl, .conf = a.supervisord_conf, .dir = a.supervisord_dir, .timeout_ms = 30000 },
        .programs = { .bind = bind && *bind ? bind : "127.0.0.1", .log_dir = a.log_dir, .vm_url = vm_url,
                      .vm_binary = vm_binary, .vm_config = vm_config, .vm_data_dir = vm_data,
                      .vmalert_binary = vmalert_bin, .vmalert_url = vmalert_url, .vmalert_rules_dir = a.vmalert_rules_dir,
                      .alertmanager_binary = am_bin, .alertmanager_url = am_url, .alertmanager_config = am_config,
                      .alertmanager_data_dir = am_data },
        /* upstream skips the program of an external VictoriaMetrics */
        .victoriametrics = !scrape_vm_external(vm_url),
        .vmalert = { .binary = vmalert_bin, .user_rules = a.vmalert_user_rules, .rules_dir = a.vmalert_rules_dir,
                     .url = vmalert_url, .timeout_ms = 3000 },
        .alertmanager = { .url = am_url, .config = am_config, .base_config = am_base, .amtool = amtool,
                          .timeout_ms = 10000 },
    };

    a.vmalert = &sup.vmalert;

    int status = 1;
    size_t n_methods = 0;
    rpc_method *methods = daemon_join_methods(&n_methods, server_methods, server_methods_count, logs_methods,
                                              logs_methods_count, settings_methods, settings_methods_count,
                                              scrape_methods, scrape_methods_count, updates_methods,
                                              updates_methods_count, aws_instance_methods, aws_instance_methods_count,
                                              platform_methods, platform_methods_count, uievents_methods,
                                              uievents_methods_count, configd_metrics_methods,
                                              configd_metrics_methods_count, rules_service_methods,
                                              rules_service_methods_count, NULL);
    void *zctx = zmq_ctx_new();
    char ep[512];
    bus_pub_endpoint(ep, sizeof ep, run_dir, "configd");
    if (zctx && !(a.pub = bus_pub_new(zctx, ep)))
        log_error("cannot bind %s", ep);
    /* Serve at once: Readiness must be able to say why we are not ready.
     * The settings step migrates and applies now, or retries in the
     * background while PostgreSQL is away (Readiness retries too). */
    settings_env_job *job = a.pub ? settings_env_start(&a.db, &a.env, a.pub, stop) : NULL;
    sup.zmq_ctx = zctx;
    supervisor_loop *loop = zctx ? supervisor_loop_start(&sup) : NULL;
    if (!loop)
        log_error("cannot start the supervisord programs thread");
    scrape_loop_config scfg = {
        .zmq_ctx = zctx, .run_dir = run_dir, .db = &a.db,
        .scrape = { .vm = { .binary = vm_binary, .config_path = vm_config, .url = vm_url,
                            .check_timeout_ms = 120000, .http_timeout_ms = 10000 },
                    .base_path = vm_base, .vmalert_url = vmalert_url, .managed_target = debug_addr },
    };
    a.vm = &scfg.scrape.vm;
    a.vm_config = vm_config;
    scrape_loop *scrape = NULL;
    scrape_service_init(&scfg.scrape);
    /* upstream: with an external VictoriaMetrics no file is written */
    if (zctx && scrape_vm_external(vm_url))
        log_info("VictoriaMetrics at %s is external: no scrape configuration is written", vm_url);
    else if (zctx && !(scrape = scrape_loop_start(&scfg)))
        log_error("cannot start the scrape configuration updates");
    /* HA: settings changed through other nodes, re-published on this node's bus; ours sent to them */
    char node[256];
    leader_node_id(node, sizeof node);
    changes_relay_config relay_cfg = { .db = &a.db, .app_name = "configd-changes", .node_id = node,
                                       .topic = SETTINGS_CHANGED_TOPIC, .pub = a.pub };
    changes_relay *relay = NULL;
    bool ha = leader_ha_enabled();
    if (ha && a.pub && (changes_notifier_start(&a.db, node) != 0 || !(relay = changes_relay_start(&relay_cfg))))
        log_error("cannot start the HA change events");
    if (job && methods && a.updates && bus_peers_init(zctx, run_dir) == 0 && leader_follow_start(zctx, run_dir) == 0 &&
        (!ha || relay) &&
        daemon_serve(zctx, run_dir, "configd", methods, n_methods, workers, &a.db, &a, stop) == 0)
        status = 0;
    *stop = 1; /* ends the settings retry thread also when serving failed */
    settings_env_join(job);
    supervisor_loop_stop(loop);
    scrape_loop_stop(scrape);
    leader_follow_stop();
    changes_relay_stop(relay);
    changes_notifier_stop();
    bus_pub_destroy(a.pub);
    free(methods);
    updater_free(a.updates);
    log_info("stopped");
    if (zctx)
        zmq_ctx_term(zctx);
    curl_global_cleanup();
    envvars_free(&a.env);
    cfg_free(opts);
    return status;
}
