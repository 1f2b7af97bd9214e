/* backupd: backup.v1 (locations, backups, artifacts, schedules,
 * restores) and dump.v1beta1. Wires the database, the bus methods, the
 * job events from agentsd, the watchdog, the scheduler and the dumps. */
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <sodium.h>
#include <zmq.h>

#include "app.h"
#include "artifacts.h"
#include "backup_api.h"
#include "dumper.h"
#include "dumps.h"
#include "job_events.h"
#include "restores.h"
#include "scheduler.h"
#include "schedules.h"
#include "watchdog.h"
#include "bus/leader_events.h"
#include "bus/peers.h"
#include "config.h"
#include "db/daemon_db.h"
#include "leader.h"
#include "locations.h"
#include "log.h"
#include "secret.h"
#include "storage.h"

int main(int argc, char **argv)
{
    app a = { 0 };
    char *run_dir = NULL, *level = NULL, *key_path = NULL;
    int workers, s3_timeout_s;
    const cfg_option opts[] = {
        { "run-dir", "PMM_RUN_DIR", CFG_STRING, "/srv/pmm/run", "directory of the bus sockets", &run_dir },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "info", "trace, debug, info, warn, error or fatal", &level },
        { "workers", NULL, CFG_INT, "2", "threads serving requests, each with one PostgreSQL connection", &workers },
        { "encryption-key-path", "PMM_ENCRYPTION_KEY_PATH", CFG_STRING, "",
          "file with the key of stored credentials (default <run-dir>/../pmm-encryption.key)", &key_path },
        { "s3-timeout", NULL, CFG_INT, "30", "seconds each request to a location's S3 may take", &s3_timeout_s },
        { "job-lost-after", NULL, CFG_INT, "60",
          "seconds after which a job its pmm-agent no longer runs (or whose pmm-agent is gone) fails",
          &a.job_lost_after_s },
        { "scheduler-runners", NULL, CFG_INT, "32",
          "threads starting scheduled backups (runs in flight; they wait for agents without a connection)",
          &a.runners },
        { "scheduler-connections", NULL, CFG_INT, "8",
          "PostgreSQL connections the scheduler's runners share", &a.runner_connections },
        { "var-dir", "PMM_VAR_DIR", CFG_STRING, "/srv/pmm", "where dumps are kept (<var-dir>/dumps)", &a.var_dir },
        { "victoriametrics-url", "PMM_VM_URL", CFG_STRING, "http://127.0.0.1:9090/prometheus/",
          "VictoriaMetrics base URL (dumps)", &a.vm_url },
        DB_CFG_OPTIONS(&a.db),
        { NULL },
    };
    int rc = daemon_init(opts, argc, argv, "backupd", "PMM backup daemon: locations, backups, schedules, restores, dumps.",
                         &level);
    if (rc >= 0)
        return rc;
    if (workers < 1 || s3_timeout_s < 1 || a.runners < 1 || a.runner_connections < 1 || a.job_lost_after_s < 1 || sodium_init() < 0) {
        log_error("invalid --workers, --s3-timeout, --scheduler-runners, --scheduler-connections or "
                  "--job-lost-after, or libsodium cannot start");
        cfg_free(opts);
        return 2;
    }
    /* locations' S3 secret keys are sealed at rest */
    if (secret_init_default(key_path, run_dir) != 0) {
        cfg_free(opts);
        return 1;
    }
    storage_timeout_ms = s3_timeout_s * 1000L;
    leader_init(); /* with HA on, a follower until hactl says otherwise */
    volatile sig_atomic_t *stop = daemon_stop_flag();
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: it is not thread-safe */

    int status = 1;
    void *zctx = zmq_ctx_new();
    db *d = db_new(&a.db);
    size_t n_methods = 0;
    rpc_method *methods = daemon_join_methods(&n_methods, locations_methods, locations_methods_count,
                                              backup_api_methods, backup_api_methods_count, artifacts_methods,
                                              artifacts_methods_count, restores_methods, restores_methods_count,
                                              schedules_methods, schedules_methods_count, dumps_methods,
                                              dumps_methods_count, NULL);
    if (!zctx || !d || !methods || daemon_prepare_db(d, 300, stop) != 0 || bus_peers_init(zctx, run_dir) != 0)
        goto out;
    /* hactl's announcements: the scheduler and retention run on the leader only */
    if (leader_follow_start(zctx, run_dir) == 0 && job_events_start(zctx, run_dir, &a) == 0 &&
        watchdog_start(&a) == 0 && scheduler_start(&a) == 0 &&
        dumper_start(&a) == 0 &&
        daemon_serve(zctx, run_dir, "backupd", methods, n_methods, workers, &a.db, &a, stop) == 0)
        status = 0;
    /* the scheduler and the watchdog start jobs through job_events: they stop first */
    dumper_stop(&a);
    scheduler_stop(&a);
    watchdog_stop();
    job_events_stop();
    leader_follow_stop();
    log_info("stopped");
out:
    bus_peers_thread_done();
    db_destroy(d);
    free(methods);
    if (zctx)
        zmq_ctx_term(zctx);
    curl_global_cleanup();
    cfg_free(opts);
    return status;
}
