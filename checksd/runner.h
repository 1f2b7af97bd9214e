/* runner: when and how advisor checks run (advisors reference §4, §7).
 * One thread: after the start delay (1 minute, none with
 * PMM_ADVISORS_CHECKS_DISABLE_START_DELAY=true) a full run, then each
 * interval's group (standard, frequent, rare; the settings' durations,
 * reset when they change) and the runs StartAdvisorChecks asks for. Only
 * on the leader (leader.h) and while advisors are enabled. A run re-reads
 * the check files, leaves out disabled checks, applies the per-check
 * interval overrides, finds the targets, and runs every (check, target)
 * on a pool of threads: its queries (queries.c), then its script in a
 * sandboxed child (child.c). Results replace the stored ones as
 * results.h says. */
#ifndef CHECKSD_RUNNER_H
#define CHECKSD_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "child.h"
#include "db/db.h"
#include "files.h"
#include "queries.h"

typedef struct {
    const db_params *db;
    const files_dirs *dirs;
    const queries_config *queries;
    child_limits limits;
    int start_delay_ms;
    int workers;        /* (check, target) pairs run at once */
    void *zmq_ctx;      /* for configd's settings.changed (NULL: none) */
    const char *run_dir;
} runner_config;

typedef struct runner runner;

runner *runner_start(const runner_config *cfg);
void runner_stop(runner *r);
/* Queues a run of the named checks (n == 0: every check). 0 or -1. */
int runner_request(runner *r, const char *const *names, size_t n);

/* One run in the calling thread (tests, bench): names NULL runs every
 * enabled check. Returns the number of (check, target) pairs run, or -1.
 * Needs child_init and a catalog; counts failures into *failed. */
long runner_run_once(const runner_config *cfg, db *d, const char *const *names, size_t n_names, long *failed);

#endif
