/* listen: one thread with its own PostgreSQL connection that LISTENs on a
 * channel and hands every notification to a callback (on that thread).
 * After each (re)connection it LISTENs again and calls on_listen first:
 * notifications sent while nobody listened are lost, so the caller treats
 * that moment as "anything may have changed". Used for credentials
 * (inventoryd/cred_watch.c) and for the HA change events crossing nodes
 * (db/changes.h). */
#ifndef PMM_DB_LISTEN_H
#define PMM_DB_LISTEN_H

#include "db/db.h"

typedef struct {
    const db_params *db;
    const char *app_name;                 /* application_name of the connection */
    const char *channel;                  /* an identifier: [a-z_]+ */
    void (*on_notify)(void *arg, const char *payload);
    void (*on_listen)(void *arg);         /* may be NULL */
    void *arg;
} pg_listen_config;

typedef struct pg_listen pg_listen;

/* NULL on failure (logged). The config's strings must outlive it. */
pg_listen *pg_listen_start(const pg_listen_config *c);
/* Stops within about half a second. NULL is fine. */
void pg_listen_stop(pg_listen *l);

#endif
