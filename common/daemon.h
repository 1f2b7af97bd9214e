/* daemon: what every program does the same way at start: flags, logging,
 * the heap's settings, a stop on SIGTERM or SIGINT, and its method tables
 * joined. Nothing here speaks SQL: a daemon with a database adds
 * daemon_db.h, so the gateway does not link libpq. */
#ifndef PMM_DAEMON_H
#define PMM_DAEMON_H

#include <signal.h>
#include <stddef.h>

#include "bus/bus.h"
#include "config.h"
#include "rpc.h"

/* The start every program shares: flags (cfg_parse), --log-level checked
 * (*level is the option's target), logging started as name. Returns -1 to
 * go on; otherwise the exit status to return at once (0 after --help, 2 on
 * a bad flag or level), with the options already freed. */
int daemon_init(const cfg_option *opts, int argc, char **argv, const char *name,
                const char *summary, char *const *level);

/* Installs the SIGTERM/SIGINT handlers (once) and returns the flag they set. */
volatile sig_atomic_t *daemon_stop_flag(void);

/* Concatenates method tables: pass pairs (table, count), end with NULL.
 * Returns a malloc'd table and its length in *n. */
rpc_method *daemon_join_methods(size_t *n, const rpc_method *first, size_t first_n, ...);

#endif
