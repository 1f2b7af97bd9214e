/* leader: whether this server is the HA leader, the one place a daemon's
 * singletons (backupd's scheduler and retention; later checks and config
 * rendering) ask before they act, and the raft term their writes carry
 * to PostgreSQL's fence (db/store/ha_fence.h).
 *
 * With HA off (PMM_HA_ENABLE, else PMM_TEST_HA_ENABLE, not true) every
 * server leads, at term 0, as upstream's IsLeader(). With HA on a daemon
 * starts as a follower and leads only while hactl keeps saying so: hactl
 * publishes `leader` / `follower` with the term on its bus PUB at every
 * change and again every LEADER_ANNOUNCE_MS (a late subscriber learns at
 * once), and leadership lapses LEADER_LEASE_MS after the last `leader`
 * event, so a node whose hactl died or was paused stops its leader-only
 * work by itself. That lapse is a courtesy: the fence in PostgreSQL is
 * what refuses a stale leader's writes.
 *
 * Any thread may read or set it (a mutex: term and flag change together). */
#ifndef PMM_LEADER_H
#define PMM_LEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"

#define LEADER_TOPIC "leader"
#define FOLLOWER_TOPIC "follower"
#define LEADER_ANNOUNCE_MS 300
#define LEADER_LEASE_MS 2000

/* PMM_HA_ENABLE, else PMM_TEST_HA_ENABLE: 1/true/yes/on (any case). */
bool leader_ha_enabled(void);
/* This node's id: PMM_HA_NODE_ID, else PMM_TEST_HA_NODE_ID, else the host
 * name, into out. */
void leader_node_id(char *out, size_t len);
/* Reads leader_ha_enabled() once: with HA on, this process is a follower
 * until a fresh `leader` event. Call at start, before any thread asks. */
void leader_init(void);

/* True with HA off; with HA on, while the last event said `leader` and is
 * younger than the lease. *term (may be NULL) gets the term it leads in
 * (0 with HA off). */
bool leader_is(void);
bool leader_current(int64_t *term);
/* Sets the state directly (tests; HA off). */
void leader_set(bool leading, int64_t term);

/* Applies a bus event: topic `leader` / `follower` with its payload
 * {"term": "<n>", "node": "<id>"}. Returns 1 when the topic was one of the
 * two, 0 otherwise (ignored). A payload that does not decode keeps the
 * topic's meaning at term 0 for `follower` and is ignored for `leader`
 * (leading needs a term). */
int leader_on_event(const char *topic, const uint8_t *payload, size_t len);

/* hactl: publishes one announcement (p may be NULL). */
void leader_announce(bus_pub *p, bool leading, int64_t term, const char *node);

/* Decodes an announcement's payload; 0 or -1. node may be NULL. */
int leader_parse(const uint8_t *payload, size_t len, int64_t *term, char *node, size_t node_len);

#endif
