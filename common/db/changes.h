/* changes: the inventory.changed and settings.changed events of one node
 * of an HA server reaching the daemons of the others. Every node serves
 * its own agents, so a change made through any node must reach agentsd
 * and configd everywhere; the shared PostgreSQL carries it: the daemon
 * that publishes the event on its bus also NOTIFYs CHANGES_CHANNEL with
 * "<node id> <topic>" (small: listeners read the data from the tables),
 * and on every node a listener re-publishes the topics of other nodes on
 * its own daemon's bus PUB (and tells its own daemon, `local`), so the
 * daemons keep subscribing only to their bus. A listener (re)connecting
 * does the same once: it may have missed events meanwhile.
 * Only with HA on (leader_ha_enabled()); a single server has its bus. */
#ifndef PMM_DB_CHANGES_H
#define PMM_DB_CHANGES_H

#include "bus/bus.h"
#include "db/db.h"

#define CHANGES_CHANNEL "pmm_changes"

/* ---- sending: inventoryd (inventory.changed), configd (settings.changed) ---- */

/* One thread with its own connection sends what changes_notify queued.
 * 0 or -1. */
int changes_notifier_start(const db_params *p, const char *node_id);
/* Never blocks: a topic already waiting is not queued twice. Nothing
 * happens when the notifier was not started (HA off). */
void changes_notify(const char *topic);
void changes_notifier_stop(void);

/* ---- receiving: agentsd (inventory.changed), configd (settings.changed) ---- */

typedef struct {
    const db_params *db;
    const char *app_name;
    const char *node_id;   /* events of this node are not relayed: its bus had them */
    const char *topic;     /* the one topic relayed */
    bus_pub *pub;          /* where it is re-published, as {"source": "node:<id>"} */
    void (*local)(void);   /* may be NULL; on the listener's thread */
} changes_relay_config;

typedef struct changes_relay changes_relay;
changes_relay *changes_relay_start(const changes_relay_config *c);
void changes_relay_stop(changes_relay *r);

/* "<node> <topic>" -> its parts; 0 or -1 (tests). */
int changes_parse(const char *payload, char *node, size_t node_len, char *topic, size_t topic_len);

#endif
