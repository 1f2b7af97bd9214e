/* leader: whether this server is the HA leader, the one place a daemon's
 * singletons (backupd's scheduler; later checks and config rendering) ask
 * before they act. Until HA exists every server leads; hactl will drive
 * this through its `leader` / `follower` bus events (leader_on_event), so
 * the singletons need no change when it does. Any thread may read or set
 * it; readers see a change at their next check (a relaxed atomic: no
 * other memory is published through it). */
#ifndef PMM_LEADER_H
#define PMM_LEADER_H

#include <stdbool.h>

/* True unless leader_set(false) or a `follower` event said otherwise. */
bool leader_is(void);
void leader_set(bool leading);

/* Applies a bus event topic: "leader" -> leading, "follower" -> not;
 * anything else is ignored. Returns 1 when the topic was one of the two. */
int leader_on_event(const char *topic);

#endif
