/* agentsd: the pmm-agent side of the server: connected-agent registry,
 * SetState, pings, actions and jobs. Wires the database and the bus. */
#include <stdio.h>

#include <zmq.h>

#include "app.h"
#include "bus_peers.h"
#include "config.h"
#include "daemon.h"
#include "log.h"

int main(int argc, char **argv)
{
    app a = { 0 };
    char *run_dir = NULL, *level = NULL;
    int workers;
    const cfg_option opts[] = {
        { "run-dir", "PMM_RUN_DIR", CFG_STRING, "/srv/pmm/run", "directory of the bus sockets", &run_dir },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "info", "trace, debug, info, warn, error or fatal", &level },
        { "workers", NULL, CFG_INT, "2", "threads serving requests, each with one PostgreSQL connection", &workers },
        DB_CFG_OPTIONS(&a.db),
        { NULL },
    };
    int rc = daemon_init(opts, argc, argv, "agentsd", "PMM agents daemon: pmm-agent streams, SetState, actions, jobs.",
                         &level);
    if (rc >= 0)
        return rc;
    if (workers < 1) {
        log_error("invalid --workers");
        cfg_free(opts);
        return 2;
    }
    volatile sig_atomic_t *stop = daemon_stop_flag();

    int status = 1;
    db *d = db_new(&a.db);
    if (d && daemon_prepare_db(d, 300, stop) == 0) {
        void *zctx = zmq_ctx_new();
        if (zctx && bus_peers_init(zctx, run_dir) == 0 &&
            daemon_serve(zctx, run_dir, "agentsd", NULL, 0, workers, &a.db, &a, stop) == 0)
            status = 0;
        if (zctx)
            zmq_ctx_term(zctx);
    }
    db_destroy(d);
    log_info("stopped");
    cfg_free(opts);
    return status;
}
