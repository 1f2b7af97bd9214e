/* dbhold: PostgreSQL connections lent to threads for their database steps
 * only. The scheduler runs many backups at once, and each spends most of
 * its time waiting for a pmm-agent (GetVersions, StartJob through
 * agentsd); holding a connection through those waits would tie the number
 * of runs in flight to the number of connections. A pool of a few
 * connections is shared by all runner threads instead: a run takes one for
 * its reads and writes and gives it back before each agent round trip.
 *
 * A dbhold is what code that may wait for an agent is given: the pool and
 * the connection it holds now. API handlers pass their worker's own
 * connection with no pool (dbhold_of), which is then kept throughout. */
#ifndef BACKUPD_DBHOLD_H
#define BACKUPD_DBHOLD_H

#include "db/db.h"

typedef struct dbhold_pool dbhold_pool;

/* n connections (made now); NULL when none can be made. */
dbhold_pool *dbhold_pool_new(const db_params *p, int n);
void dbhold_pool_free(dbhold_pool *pl);
/* How many connections it has. */
int dbhold_pool_size(const dbhold_pool *pl);
/* A free connection, waiting for one when all are lent. */
db *dbhold_pool_get(dbhold_pool *pl);
void dbhold_pool_put(dbhold_pool *pl, db *d);
/* Connects every connection now (each taken in turn; one that cannot
 * connect tries again when used). */
void dbhold_pool_warm(dbhold_pool *pl);

typedef struct {
    dbhold_pool *pool; /* NULL: d is the caller's own, never given back */
    db *d;        /* the connection held now (NULL between steps) */
} dbhold;

/* A hold on a connection of one's own. */
dbhold dbhold_of(db *d);
/* The held connection, taking one from the pool first if none is held. */
db *dbhold_db(dbhold *h);
/* Gives a pooled connection back (before waiting for an agent); no-op for
 * one's own. */
void dbhold_release(dbhold *h);

#endif
