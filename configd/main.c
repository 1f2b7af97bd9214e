/* configd: server settings and version, readiness. Wires the database
 * and the bus methods. */
#include <stdio.h>

#include <zmq.h>

#include "app.h"
#include "bus_peers.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "server.h"

int main(int argc, char **argv)
{
    app a = { 0 };
    char *run_dir = NULL, *level = NULL;
    int workers;
    const cfg_option opts[] = {
        { "run-dir", "PMM_RUN_DIR", CFG_STRING, "/srv/pmm/run", "directory of the bus sockets", &run_dir },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "info", "trace, debug, info, warn, error or fatal", &level },
        { "workers", NULL, CFG_INT, "2", "threads serving requests, each with one PostgreSQL connection", &workers },
        { "distribution-method", "PMM_DISTRIBUTION_METHOD", CFG_STRING, "", "docker, ovf, ami, azure or do", &a.distribution },
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
    volatile sig_atomic_t *stop = daemon_stop_flag();

    /* Serve at once: Readiness must be able to say why we are not ready.
     * A first migration attempt here; Readiness retries it. */
    db *d = db_new(&a.db);
    if (d && db_migrate(d) != 0)
        log_warn("database not ready yet; Readiness will report it");
    db_destroy(d);

    int status = 1;
    void *zctx = zmq_ctx_new();
    if (zctx && bus_peers_init(zctx, run_dir) == 0 && daemon_serve(zctx, run_dir, "configd", server_methods, server_methods_count, workers, &a.db,
                             &a, stop) == 0)
        status = 0;
    log_info("stopped");
    if (zctx)
        zmq_ctx_term(zctx);
    cfg_free(opts);
    return status;
}
