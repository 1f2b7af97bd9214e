/* daemon_db: the schema and the bus server of a daemon with a database
 * (see daemon_db.h). */
#include "db/daemon_db.h"

#include <stdlib.h>
#include <unistd.h>

#include "internal/v1/health.pb-c.h"
#include "log.h"
#include "pbutil.h"

int daemon_prepare_db(db *d, int max_seconds, volatile sig_atomic_t *stop)
{
    for (int waited = 0; !*stop; waited++) {
        if (db_migrate(d) == 0)
            return 0;
        if (waited >= max_seconds) {
            log_error("giving up: the database is not usable after %d s", max_seconds);
            return -1;
        }
        sleep(1);
    }
    return -1;
}

typedef struct {
    const db_params *dbp;
    void *app;
    const char *name;
} serve_args;

/* internal.v1.HealthService/Ping: this daemon serves (bus_peers_ping). */
static int ping(rpc_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    serve_args *a = ctx->app;
    ProtobufCMessage *resp = pb_new(&internal__v1__ping_response__descriptor);
    if (!resp || pb_set_str(resp, "daemon", a->name) != 0) {
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        return rpc_fail(&ctx->status, RPC_INTERNAL, "out of memory");
    }
    *out = resp;
    return RPC_OK;
}

static const rpc_method ping_method[] = {
    { "/internal.v1.HealthService/Ping", &internal__v1__ping_request__descriptor, ping },
};

static void *worker_init(void *arg)
{
    serve_args *a = arg;
    daemon_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->app = a->app;
    w->db = db_new(a->dbp);
    return w;
}

static void worker_fini(void *arg)
{
    daemon_worker *w = arg;
    if (!w)
        return;
    db_destroy(w->db);
    free(w);
}

int daemon_serve(void *zmq_ctx, const char *run_dir, const char *name, const rpc_method *methods,
                 size_t n_methods, int workers, const db_params *dbp, void *app,
                 volatile sig_atomic_t *stop)
{
    char ep[512];
    bus_endpoint(ep, sizeof ep, run_dir, name);
    serve_args args = { dbp, app, name };
    size_t n_all;
    rpc_method *all = daemon_join_methods(&n_all, methods, n_methods, ping_method, (size_t)1, NULL);
    if (!all)
        return -1;
    bus_server_config cfg = {
        .endpoint = ep,
        .methods = all,
        .n_methods = n_all,
        .workers = workers > 0 ? workers : 1,
        .worker_init = worker_init,
        .worker_fini = worker_fini,
        .app = &args,
    };
    bus_server *s = bus_server_new(zmq_ctx, &cfg);
    if (!s) {
        free(all);
        return -1;
    }
    log_info("serving %zu methods on %s with %d workers", n_all, ep, cfg.workers);
    int rc = bus_server_run(s, stop);
    bus_server_destroy(s);
    free(all);
    return rc;
}
