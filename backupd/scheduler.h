/* scheduler: the cron timetable of the enabled scheduled tasks, run only
 * while this server leads (common/leader.h). One thread keeps every
 * enabled task's next run in memory (loaded from scheduled_tasks at start
 * and again whenever the API changes a task: scheduler_reload) and, at
 * each due time, hands the task to a pool of runner threads (--scheduler-
 * runners, one PostgreSQL connection each, whatever the number of tasks).
 * A task never overlaps itself (singleton): a run still going when the
 * next is due skips that one, as gocron's SingletonMode. A run marks the
 * task running, performs the backup with the schedule's id (backups.c),
 * then stores running = false, the error text ("" on success), last_run
 * and next_run.
 *
 * HA: a run is decided under the raft term this server leads in, and the
 * transaction creating its artifact passes the fence at that term and
 * claims the due time on the task (backups.h), so a deposed leader writes
 * nothing and each due time runs once across failovers. A follower notes
 * the due time it let pass, so that a new leader elected just after it
 * still makes that run (up to 30 s late; the claim stops a second one).
 * With HA on the tasks are re-read every 5 s (they change through every
 * node's API). */
#ifndef BACKUPD_SCHEDULER_H
#define BACKUPD_SCHEDULER_H

#include <stdint.h>

#include "app.h"

int scheduler_start(app *a);
void scheduler_stop(app *a);
/* The tasks changed: re-read them (any thread; cheap, coalesced). */
void scheduler_reload(app *a);

/* For tests and the benchmark: runs started so far and the worst delay
 * between a run's due time and its job's start, in ms. */
void scheduler_stats(app *a, uint64_t *runs, int64_t *worst_delay_ms);

#endif
