/* dbpool: a fixed number of threads, each with one PostgreSQL connection,
 * doing the database work of the agent streams (admissions, status
 * updates, SetState builds) off the stream loop, so that the number of
 * connections stays the same whatever the fleet size (ARCHITECTURE.md
 * rule 5). A job runs work(db, arg) on a pool thread, then done(arg) on
 * the stream loop thread. */
#ifndef AGENTSD_DBPOOL_H
#define AGENTSD_DBPOOL_H

#include "db/db.h"

typedef void (*dbpool_work)(db *d, void *arg);
typedef void (*dbpool_done)(void *arg);

int dbpool_start(const db_params *p, int threads);
void dbpool_stop(void);

/* Any thread. done may be NULL. 0, or -1 when stopping or out of memory
 * (then neither runs and arg stays the caller's). Urgent jobs (admissions,
 * status updates) run before bulk ones (SetState builds, digests), and
 * bulk jobs never occupy every thread. */
enum { DBPOOL_URGENT, DBPOOL_BULK };
int dbpool_submit(dbpool_work work, dbpool_done done, void *arg);   /* urgent */
int dbpool_submit_kind(int kind, dbpool_work work, dbpool_done done, void *arg);

/* Jobs waiting (for metrics and for holding back optional work). */
long dbpool_queued(void);

#endif
