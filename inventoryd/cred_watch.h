/* cred_watch: relays revocations of credentials to the gateways. A thread
 * with its own PostgreSQL connection (db/listen.h) LISTENs on CRED_CHANNEL, where every
 * change of users and service tokens notifies in its own transaction
 * (inventoryd's and pmmctl's alike, common/db/credentials.c), and
 * publishes each as credentials.changed on inventoryd's bus (see
 * common/bus/credential_events.h); after each (re)connection it publishes
 * "all", since notifications sent while nobody listened are lost. */
#ifndef INVENTORYD_CRED_WATCH_H
#define INVENTORYD_CRED_WATCH_H

#include "bus/bus.h"
#include "db/db.h"

/* pub must outlive cred_watch_stop. 0 or -1. */
int cred_watch_start(const db_params *p, bus_pub *pub);
void cred_watch_stop(void);

#endif
