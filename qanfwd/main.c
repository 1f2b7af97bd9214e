/* qanfwd: the QAN forwarder. Takes the QANCollect batches pmm-agents send
 * (agentsd hands them over without waiting), adds the inventory's labels
 * and sends them to qan-api2's qan.v1.CollectorService/Collect; keeps what
 * qan-api2 does not take in a bounded on-disk spool. Also relays the
 * qan.v1.QANService calls agentsd makes for EXPLAIN by query_id. The one
 * daemon that is a gRPC client of qan-api2. */
#include <stdio.h>
#include <stdlib.h>

#include <zmq.h>

#include "bus/peers.h"
#include "config.h"
#include "db/daemon_db.h"
#include "forward.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "qanapi.h"
#include "queue.h"
#include "relay.h"
#include "spool.h"

static qqueue *queue;

static void gauges(size_t *mem_batches, size_t *mem_bytes, size_t *spool_requests, size_t *spool_bytes)
{
    qqueue_stats(queue, mem_batches, mem_bytes);
    forward_spool_stats(spool_requests, spool_bytes);
}

int main(int argc, char **argv)
{
    db_params dbp = { 0 };
    char *run_dir = NULL, *level = NULL, *var_dir = NULL, *qan_addr = NULL;
    int workers, per_agent, mem_mib, spool_mib, spool_files_max, timeout_ms, req_batches;
    const cfg_option opts[] = {
        { "run-dir", "PMM_RUN_DIR", CFG_STRING, "/srv/pmm/run", "directory of the bus sockets", &run_dir },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "info", "trace, debug, info, warn, error or fatal", &level },
        { "workers", NULL, CFG_INT, "2", "threads serving requests (qan.v1 relays, metrics)", &workers },
        { "var-dir", "PMM_VAR_DIR", CFG_STRING, "/srv/pmm", "where the spool is kept (<var-dir>/qan-spool)", &var_dir },
        { "qan-api-addr", NULL, CFG_STRING, "127.0.0.1:9911", "qan-api2 gRPC API address", &qan_addr },
        { "memory-batches-per-agent", NULL, CFG_INT, "64",
          "QANCollect batches of one pmm-agent kept in memory (oldest dropped beyond)", &per_agent },
        { "memory-max-mib", NULL, CFG_INT, "64", "MiB of QANCollect batches kept in memory (oldest dropped beyond)",
          &mem_mib },
        { "spool-max-mib", NULL, CFG_INT, "512",
          "MiB of unsent Collect requests kept on disk while qan-api2 is away (oldest dropped beyond)", &spool_mib },
        { "spool-max-files", NULL, CFG_INT, "100000", "unsent Collect requests kept on disk (oldest dropped beyond)",
          &spool_files_max },
        { "request-max-batches", NULL, CFG_INT, "1000",
          "QANCollect batches merged into one Collect request at most (also at most 4 MiB of them)", &req_batches },
        { "send-timeout-ms", NULL, CFG_INT, "10000", "deadline of one Collect call to qan-api2", &timeout_ms },
        DB_CFG_OPTIONS(&dbp),
        { NULL },
    };
    int rc = daemon_init(opts, argc, argv, "qanfwd", "PMM QAN forwarder: pmm-agents' QAN data to qan-api2.", &level);
    if (rc >= 0)
        return rc;
    if (workers < 1 || per_agent < 1 || mem_mib < 1 || spool_mib < 1 || spool_files_max < 1 || timeout_ms < 1 ||
        req_batches < 1) {
        log_error("--workers, --memory-*, --spool-* and --send-timeout-ms must be positive");
        cfg_free(opts);
        return 2;
    }
    volatile sig_atomic_t *stop = daemon_stop_flag();
    int status = 1;
    char spool_dir[4096];
    snprintf(spool_dir, sizeof spool_dir, "%s/qan-spool", var_dir);
    size_t n_methods = 0;
    rpc_method *methods =
        daemon_join_methods(&n_methods, metrics_methods, metrics_methods_count, relay_methods, relay_methods_count, NULL);
    queue = qqueue_new((size_t)per_agent, (size_t)mem_mib << 20);
    spool *sp = spool_open(spool_dir, (size_t)spool_mib << 20, (size_t)spool_files_max);
    db *d = db_new(&dbp);
    metrics_set_gauges(gauges);
    if (methods && queue && sp && d && daemon_prepare_db(d, 300, stop) == 0 && qanapi_init(qan_addr) == 0) {
        void *zctx = zmq_ctx_new();
        forward_config fc = { .queue = queue, .spool = sp, .db = &dbp, .send_timeout_ms = timeout_ms,
                              .max_request_bytes = 4u << 20,
                              .max_request_batches = (size_t)req_batches };
        if (zctx && bus_peers_init(zctx, run_dir) == 0 && forward_start(&fc) == 0 &&
            intake_start(zctx, run_dir, queue) == 0 &&
            daemon_serve(zctx, run_dir, "qanfwd", methods, n_methods, workers, &dbp, NULL, stop) == 0)
            status = 0;
        /* intake first, then the forwarder spools what memory still holds */
        intake_stop();
        forward_stop();
        bus_peers_thread_done();
        if (zctx)
            zmq_ctx_term(zctx);
        qanapi_shutdown();
    }
    db_destroy(d);
    spool_close(sp);
    qqueue_free(queue);
    free(methods);
    log_info("stopped");
    cfg_free(opts);
    return status;
}
