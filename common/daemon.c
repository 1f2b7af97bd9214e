/* daemon: signals, schema and serving, shared by every bus daemon. */
#include "daemon.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/v1/health.pb-c.h"
#include "log.h"
#include "pbutil.h"

int daemon_init(const cfg_option *opts, int argc, char **argv, const char *name,
                const char *summary, char *const *level)
{
    int rc = cfg_parse(opts, argc, argv, name, summary);
    if (rc != 0) {
        cfg_free(opts);
        return rc > 0 ? 0 : 2;
    }
    log_level lvl;
    if (log_level_parse(*level, &lvl) != 0) {
        fprintf(stderr, "%s: invalid --log-level %s\n", name, *level);
        cfg_free(opts);
        return 2;
    }
    log_init(name, lvl);
    /* glibc consolidates its fastbins before every allocation of 1 KiB or
     * more; building a large list frees thousands of small blocks between
     * such allocations, and the consolidation took a tenth of the time.
     * tcache still serves small blocks fast. */
    mallopt(M_MXFAST, 0);
    /* A large list answer (tens of MB of rows, protobuf and JSON) is
     * allocated and freed once per request; with glibc's defaults the freed
     * top of the heap is handed back to the kernel each time and faulted
     * in again on the next request (an eighth of the time). Keep up to
     * 64 MiB of free heap instead. */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    return -1;
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

volatile sig_atomic_t *daemon_stop_flag(void)
{
    static int installed;
    if (!installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        installed = 1;
    }
    return &stop_flag;
}

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

rpc_method *daemon_join_methods(size_t *n, const rpc_method *first, size_t first_n, ...)
{
    size_t total = first_n;
    va_list ap;
    va_start(ap, first_n);
    for (const rpc_method *t; (t = va_arg(ap, const rpc_method *)) != NULL;)
        total += va_arg(ap, size_t);
    va_end(ap);

    rpc_method *all = malloc((total ? total : 1) * sizeof *all);
    if (!all)
        return NULL;
    if (first_n)
        memcpy(all, first, first_n * sizeof *all);
    size_t at = first_n;
    va_start(ap, first_n);
    for (const rpc_method *t; (t = va_arg(ap, const rpc_method *)) != NULL;) {
        size_t tn = va_arg(ap, size_t);
        memcpy(all + at, t, tn * sizeof *all);
        at += tn;
    }
    va_end(ap);
    *n = total;
    return all;
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
