/* watchdog: settles the jobs whose result never came. One thread with
 * its own PostgreSQL connection asks agentsd every few seconds whether
 * each unfinished job still runs on its pmm-agent (JobStatus): a job
 * reported alive is left alone; one its agent no longer runs, or whose
 * agent is not connected, for longer than --job-lost-after since its last
 * sign of life fails with the reason (job_events_fail: retried when it has
 * retries left), so no artifact or restore stays pending or in progress
 * forever. At start it recovers the jobs a backupd killed mid-job left:
 * they are checked the same way, from their last update. */
#ifndef BACKUPD_WATCHDOG_H
#define BACKUPD_WATCHDOG_H

#include "app.h"

int watchdog_start(app *a);
void watchdog_stop(void);

#endif
