/* app: backupd's process-wide state and the per-worker state handlers get.
 *
 * Threads and their PostgreSQL connections (a fixed number whatever the
 * number of locations, artifacts or schedules):
 *   - the bus workers (--workers, one connection each) run the API
 *     handlers;
 *   - the job events thread (job_events.c, one connection) stores what
 *     agentsd publishes of the agents' jobs (job.result, job.progress) and
 *     restarts failed jobs that have retries left;
 *   - the watchdog (watchdog.c, one connection) recovers the jobs that were
 *     running when backupd stopped and fails those whose agent no longer
 *     runs them;
 *   - the scheduler (scheduler.c, one connection) keeps the cron timetable
 *     in memory and hands due runs to --scheduler-runners threads, which
 *     share --scheduler-connections connections (dbhold.h): a run holds
 *     one only for its database steps, none while its agent answers, so
 *     many runs are in flight on a few connections;
 *   - dumps (dumps.c) run on one thread of their own (one connection).
 * A thread never shares its connection. Every thread calls agentsd through
 * its own bus clients (common/bus/peers.h). */
#ifndef BACKUPD_APP_H
#define BACKUPD_APP_H

#include <stdbool.h>

#include "bus/bus.h"
#include "db/daemon_db.h"
#include "db/db.h"

typedef struct scheduler scheduler;
typedef struct dumper dumper;

typedef struct {
    db_params db;
    long s3_timeout_ms;        /* each S3 request */
    int job_lost_after_s;      /* a job its agent no longer runs (or whose agent is gone) fails after this */
    int runners;               /* scheduler runner threads (runs in flight) */
    int runner_connections;    /* the connections they share */
    char *var_dir;             /* dumps live in <var_dir>/dumps */
    char *vm_url;              /* VictoriaMetrics (dumps) */
    scheduler *sched;          /* NULL until started */
    dumper *dumps;             /* NULL until started */
} app;

typedef daemon_worker worker;
#define APP(w) ((app *)(w)->app)

#endif
