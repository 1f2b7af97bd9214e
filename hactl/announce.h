/* announce: tells this server's daemons whether it leads. One thread reads
 * node.h's view every NODE_POLL_MS and publishes `leader` (with the term)
 * or `follower` on hactl's bus PUB at every change and every
 * LEADER_ANNOUNCE_MS (leader.h: the daemons' leadership lapses without
 * it). Before it first says `leader` at a term, and again after any gap
 * (the view or this thread stopped for a second: SIGSTOP, a frozen
 * machine) and every 5 s, it passes the PostgreSQL fence at that term
 * (db/store/ha_fence.h) on its own connection: the term is raised there
 * before any daemon acts on it, and a node that was paused and still
 * believes it leads finds the newer term and announces `follower`. A view
 * older than a second (the raft thread is stuck) is not leading.
 * It also writes the status file (status.h) and this node's row of
 * ha_nodes (its id and raft address, for ListNodes) every second. */
#ifndef HACTL_ANNOUNCE_H
#define HACTL_ANNOUNCE_H

#include "bus/bus.h"
#include "db/db.h"

typedef struct {
    const char *node_id;
    const char *address;
    const db_params *db;
    bus_pub *pub;
    const char *status_path;
} announce_config;

int announce_start(const announce_config *c);
void announce_stop(void);

#endif
