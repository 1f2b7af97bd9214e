/* daemon: what every bus daemon does the same way: stop on SIGTERM or
 * SIGINT, wait for PostgreSQL and bring the schema up to date, and serve
 * its methods with one PostgreSQL connection per bus worker. */
#ifndef PMM_DAEMON_H
#define PMM_DAEMON_H

#include <signal.h>
#include <stddef.h>

#include "bus.h"
#include "config.h"
#include "db.h"

/* What a handler finds in rpc_ctx.worker. */
typedef struct {
    void *app;   /* the daemon's own state, as given to daemon_serve */
    db *db;      /* this worker's connection */
} daemon_worker;

/* The start every program shares: flags (cfg_parse), --log-level checked
 * (*level is the option's target), logging started as name. Returns -1 to
 * go on; otherwise the exit status to return at once (0 after --help, 2 on
 * a bad flag or level), with the options already freed. */
int daemon_init(const cfg_option *opts, int argc, char **argv, const char *name,
                const char *summary, char *const *level);

/* Installs the SIGTERM/SIGINT handlers (once) and returns the flag they set. */
volatile sig_atomic_t *daemon_stop_flag(void);

/* Applies migrations, retrying every second for up to max_seconds while
 * PostgreSQL is unreachable (upstream retries for 5 minutes). Returns 0,
 * or -1 when it gave up or a stop was asked for. */
int daemon_prepare_db(db *d, int max_seconds, volatile sig_atomic_t *stop);

/* Concatenates method tables: pass pairs (table, count), end with NULL.
 * Returns a malloc'd table and its length in *n. */
rpc_method *daemon_join_methods(size_t *n, const rpc_method *first, size_t first_n, ...);

/* Binds ipc://<run_dir>/<name>.sock and serves until *stop, adding
 * internal.v1.HealthService/Ping to the daemon's methods. Returns 0 on
 * a clean stop, -1 when the endpoint could not be bound. */
int daemon_serve(void *zmq_ctx, const char *run_dir, const char *name, const rpc_method *methods,
                 size_t n_methods, int workers, const db_params *dbp, void *app,
                 volatile sig_atomic_t *stop);

#endif
