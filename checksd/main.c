/* checksd: Advisors (advisors.v1: check files, Starlark scripts in a
 * sandboxed child, scheduled runs, results) and Percona Alerting
 * (alerting.v1: templates, rules as vmalert rule groups). Wires the
 * script processes' zygote (before any thread), the database, the
 * catalog of checks, the runner and the bus methods. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <zmq.h>

#include "advisors.h"
#include "alerting/alerting.h"
#include "app.h"
#include "bus/leader_events.h"
#include "bus/peers.h"
#include "catalog.h"
#include "child.h"
#include "config.h"
#include "duration.h"
#include "db/daemon_db.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "result_alerts.h"
#include "runner.h"

int main(int argc, char **argv)
{
    app a = { 0 };
    char *run_dir = NULL, *level = NULL, *advisors_dir = NULL, *checks_dir = NULL, *user_advisors = NULL;
    char *user_checks = NULL, *dev_file = NULL, *vm_url = NULL, *am_url = NULL;
    alerting_config acfg = { 0 };
    int workers, check_workers, cpu_s, wall_ms, mem_mb;
    bool no_delay = false;
    const cfg_option opts[] = {
        { "run-dir", "PMM_RUN_DIR", CFG_STRING, "/srv/pmm/run", "directory of the bus sockets", &run_dir },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "info", "trace, debug, info, warn, error or fatal", &level },
        { "workers", NULL, CFG_INT, "2", "threads serving requests, each with one PostgreSQL connection", &workers },
        { "check-workers", NULL, CFG_INT, "8", "checks run at once (each: its queries, then its script process)",
          &check_workers },
        { "advisors-dir", NULL, CFG_STRING, "/usr/local/percona/pmm/advisors", "built-in advisor files",
          &advisors_dir },
        { "checks-dir", NULL, CFG_STRING, "/usr/local/percona/pmm/checks", "built-in check files", &checks_dir },
        { "user-advisors-dir", NULL, CFG_STRING, "/srv/advisors", "the user's advisor files (*.yml, *.yaml)",
          &user_advisors },
        { "user-checks-dir", NULL, CFG_STRING, "/srv/checks", "the user's check files (*.yml, *.yaml)",
          &user_checks },
        { "dev-advisor-checks-file", "PMM_DEV_ADVISOR_CHECKS_FILE", CFG_STRING, "",
          "development: a file of checks of advisor dev", &dev_file },
        { "disable-start-delay", "PMM_ADVISORS_CHECKS_DISABLE_START_DELAY", CFG_BOOL, "false",
          "run the first checks at start, not one minute later", &no_delay },
        { "victoriametrics-url", "PMM_VM_URL", CFG_STRING, "http://127.0.0.1:9090/prometheus/",
          "VictoriaMetrics base URL (METRICS_* queries)", &vm_url },
        { "alertmanager-url", NULL, CFG_STRING, "",
          "Alertmanager base URL: advisor results are posted there as alerts (empty: not)", &am_url },
        { "script-cpu-seconds", NULL, CFG_INT, "4", "RLIMIT_CPU of a check script process", &cpu_s },
        { "script-memory-mb", NULL, CFG_INT, "1024", "RLIMIT_DATA of a check script process (MiB)", &mem_mb },
        { "script-wall-ms", NULL, CFG_INT, "5000", "wall-clock limit of a check script process", &wall_ms },
        { "alerting-templates-dir", NULL, CFG_STRING, "/usr/local/percona/pmm/alerting-templates",
          "built-in alerting rule templates", &acfg.builtin_dir },
        { "user-templates-dir", NULL, CFG_STRING, "/srv/alerting/templates",
          "the user's alerting rule templates (*.yml, *.yaml)", &acfg.user_dir },
        { "grafana-url", "PMM_GRAFANA_URL", CFG_STRING, "",
          "Grafana's URL: CreateRule also creates the Grafana-managed rule there (empty: vmalert only)",
          &acfg.grafana_url },
        { "grafana-auth-header", "PMM_GRAFANA_AUTH_HEADER", CFG_STRING, "",
          "header line CreateRule sends to Grafana (\"Authorization: Bearer <service account token>\")",
          &acfg.grafana_auth },
        { "alert-rules-interval", "PMM_DEV_ALERT_RULES_INTERVAL", CFG_STRING, "1m",
          "evaluation interval of the vmalert rule groups made by CreateRule (upstream's default: 1m)",
          &acfg.rules_interval },
        DB_CFG_OPTIONS(&a.db),
        { NULL },
    };
    int rc = daemon_init(opts, argc, argv, "checksd", "PMM checks daemon: Advisors and Percona Alerting.", &level);
    if (rc >= 0)
        return rc;
    int64_t rules_interval_ns = 0;
    if (workers < 1 || check_workers < 1 || cpu_s < 1 || wall_ms < 100 || mem_mb < 16 ||
        duration_parse(acfg.rules_interval, &rules_interval_ns) != 0 || rules_interval_ns < 1000000000) {
        log_error("invalid --workers, --check-workers, script limits or --alert-rules-interval");
        cfg_free(opts);
        return 2;
    }
    /* the script processes' parent, forked while this process has one thread */
    if (child_init() != 0) {
        log_error("cannot start the script runner");
        cfg_free(opts);
        return 1;
    }
    volatile sig_atomic_t *stop = daemon_stop_flag();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    a.dirs = (files_dirs){ advisors_dir, checks_dir, user_advisors, user_checks, dev_file };
    a.queries = (queries_config){ .vm_url = vm_url, .agent_timeout_ms = 45000, .metrics_timeout_ms = 30000 };
    runner_config rcfg = {
        .db = &a.db, .dirs = &a.dirs, .queries = &a.queries,
        .limits = { .cpu_seconds = cpu_s, .data_bytes = (size_t)mem_mb << 20, .wall_ms = wall_ms },
        .start_delay_ms = no_delay ? 0 : 60000, .workers = check_workers, .run_dir = run_dir,
    };
    catalog_install(files_load(&a.dirs)); /* ListAdvisors answers before the first run */
    leader_init(); /* with HA on, a follower until hactl says otherwise (leader_follow_start) */

    int status = 1;
    size_t n_methods = 0;
    rpc_method *methods = daemon_join_methods(&n_methods, advisors_methods, advisors_methods_count, alerting_methods,
                                              alerting_methods_count, metrics_methods, metrics_methods_count, NULL);
    db *d = db_new(&a.db);
    if (d && methods && daemon_prepare_db(d, 300, stop) == 0) {
        void *zctx = zmq_ctx_new();
        rcfg.zmq_ctx = zctx;
        acfg.db = &a.db;
        result_alerts *ra = *am_url ? result_alerts_start(am_url) : NULL;
        if (*am_url && !ra)
            log_error("cannot start sending advisor results to Alertmanager");
        if (zctx && bus_peers_init(zctx, run_dir) == 0 && leader_follow_start(zctx, run_dir) == 0 &&
            (a.alerting = alerting_start(&acfg, d)) &&
            (a.runner = runner_start(&rcfg)) &&
            daemon_serve(zctx, run_dir, "checksd", methods, n_methods, workers, &a.db, &a, stop) == 0)
            status = 0;
        *stop = 1;
        runner_stop(a.runner);
        leader_follow_stop();
        result_alerts_stop(ra);
        alerting_stop(a.alerting);
        bus_peers_thread_done();
        if (zctx)
            zmq_ctx_term(zctx);
    }
    db_destroy(d);
    free(methods);
    catalog_clear();
    child_shutdown();
    curl_global_cleanup();
    log_info("stopped");
    cfg_free(opts);
    return status;
}
