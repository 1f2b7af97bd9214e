/* gateway: the only client-facing process. Wires the gRPC (7771), REST
 * (7772) and debug (7773) listeners to the bus; see ARCHITECTURE.md. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <grpc/grpc.h>
#include <zmq.h>

#include "agent_stream.h"
#include "auth.h"
#include "auth_revoke.h"
#include "config.h"
#include "daemon.h"
#include "debug.h"
#include "dispatch.h"
#include "grpc_front.h"
#include "log.h"
#include "metrics.h"
#include "rest.h"

/* The bus daemons this tree builds (the Makefile's PROGRAMS): the suite's
 * default when --daemons is not given. */
#ifndef PMM_SUITE_DAEMONS
#error "PMM_SUITE_DAEMONS comes from the Makefile"
#endif

int main(int argc, char **argv)
{
    char *bind = NULL, *run_dir = NULL, *level = NULL, *daemons = NULL;
    int grpc_port, http_port, debug_port, timeout_ms, max_body, grpc_workers, auth_ttl, auth_max_age;
    const cfg_option opts[] = {
        { "interface-to-bind", "PMM_INTERFACE_TO_BIND", CFG_STRING, "127.0.0.1", "address the listeners bind to", &bind },
        { "grpc-port", NULL, CFG_INT, "7771", "gRPC port", &grpc_port },
        { "http-port", NULL, CFG_INT, "7772", "REST/JSON port", &http_port },
        { "debug-port", NULL, CFG_INT, "7773", "debug port (/debug/metrics, /debug/vars)", &debug_port },
        { "run-dir", "PMM_RUN_DIR", CFG_STRING, "/srv/pmm/run", "directory of the bus sockets", &run_dir },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "info", "trace, debug, info, warn, error or fatal", &level },
        { "call-timeout-ms", NULL, CFG_INT, "10000", "deadline of a call relayed to a daemon", &timeout_ms },
        { "rest-max-body-bytes", NULL, CFG_INT, "10485760", "largest REST request body accepted", &max_body },
        { "grpc-workers", NULL, CFG_INT, "32", "threads relaying gRPC calls", &grpc_workers },
        { "auth-cache-ms", NULL, CFG_INT, "3000", "how long an authentication answer is reused as is", &auth_ttl },
        { "auth-cache-max-age-ms", NULL, CFG_INT, "60000",
          "how long an accepted credential is still accepted while inventoryd cannot confirm it (restarting)",
          &auth_max_age },
        { "daemons", NULL, CFG_STRING, PMM_SUITE_DAEMONS,
          "the daemons the suite runs; services of any other answer Unimplemented at once", &daemons },
        { NULL },
    };
    int rc = daemon_init(opts, argc, argv, "gateway", "PMM server gateway: gRPC, REST and debug listeners.", &level);
    if (rc >= 0)
        return rc;

    /* Signals are taken by sigwait below; every thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    grpc_init();
    void *zctx = zmq_ctx_new();
    metrics_init();
    int status = 1;
    rest_server *rest = NULL;
    debug_server *dbg = NULL;
    grpc_front *front = NULL;
    char grpc_addr[300];
    snprintf(grpc_addr, sizeof grpc_addr, "%s:%d", bind, grpc_port);

    if (!zctx || dispatch_init(zctx, run_dir, timeout_ms, daemons) != 0 || auth_init(auth_ttl, auth_max_age) != 0 ||
        auth_revoke_start(zctx, run_dir) != 0) {
        log_error("cannot initialise the bus or the crypto library");
        goto out;
    }
    if (agent_streams_init(zctx, run_dir, PMM_VERSION) != 0) {
        log_error("cannot start the pmm-agent stream relay");
        goto out;
    }
    rest = rest_start(bind, http_port, (size_t)max_body, timeout_ms);
    dbg = debug_start(bind, debug_port);
    front = grpc_front_start(grpc_addr, grpc_workers);
    if (!rest || !dbg || !front)
        goto out;
    log_info("listening: grpc %s, rest %s:%d, debug %s:%d, bus %s", grpc_addr, bind, http_port, bind,
             debug_port, run_dir);

    int sig;
    sigwait(&sigs, &sig);
    log_info("got signal %d, stopping", sig);
    status = 0;
out:
    grpc_front_stop(front);
    agent_streams_stop();
    rest_stop(rest);
    debug_stop(dbg);
    auth_revoke_stop();
    auth_shutdown();
    dispatch_thread_done();
    if (zctx)
        zmq_ctx_term(zctx);
    grpc_shutdown();
    cfg_free(opts);
    return status;
}
