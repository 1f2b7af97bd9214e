/* daemon_db: what every daemon with a database does the same way: wait
 * for PostgreSQL and bring the schema up to date, and serve its methods
 * with one PostgreSQL connection per bus worker. */
#ifndef PMM_DAEMON_DB_H
#define PMM_DAEMON_DB_H

#include <signal.h>
#include <stddef.h>

#include "bus/bus.h"
#include "daemon.h"
#include "db/db.h"

/* What a handler finds in rpc_ctx.worker. */
typedef struct {
    void *app;   /* the daemon's own state, as given to daemon_serve */
    db *db;      /* this worker's connection */
} daemon_worker;

/* Applies migrations, retrying every second for up to max_seconds while
 * PostgreSQL is unreachable (upstream retries for 5 minutes). Returns 0,
 * or -1 when it gave up or a stop was asked for. */
int daemon_prepare_db(db *d, int max_seconds, volatile sig_atomic_t *stop);

/* Binds ipc://<run_dir>/<name>.sock and serves until *stop, adding
 * internal.v1.HealthService/Ping to the daemon's methods. Returns 0 on
 * a clean stop, -1 when the endpoint could not be bound. */
int daemon_serve(void *zmq_ctx, const char *run_dir, const char *name, const rpc_method *methods,
                 size_t n_methods, int workers, const db_params *dbp, void *app,
                 volatile sig_atomic_t *stop);

#endif
