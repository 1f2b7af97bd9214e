/* leader: whether this server is the HA leader, the one place checksd
 * asks before leader-only work (scheduled advisor runs; config-rendering
 * §8.3). A stand-in for common/leader.h (backupd's branch adds it: the
 * flag hactl drives): once that is on main, checksd_is_leader() returns
 * its leader_is() and nothing else changes. With HA disabled, as now, the
 * server is always the leader. Named apart from common/leader.h's
 * functions so that both link together until then. */
#ifndef CHECKSD_LEADER_H
#define CHECKSD_LEADER_H

#include <stdbool.h>

bool checksd_is_leader(void);
void checksd_set_leader(bool leader);

#endif
