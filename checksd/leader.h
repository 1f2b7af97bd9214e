/* leader: whether this server is the HA leader, the one place checksd
 * asks before leader-only work (scheduled advisor runs; config-rendering
 * §8.3). A stand-in until common/leader.h (the flag hactl drives) is on
 * main: with HA disabled, as now, the server is always the leader; a
 * later hactl flips it through leader_set and checksd's runs follow. */
#ifndef CHECKSD_LEADER_H
#define CHECKSD_LEADER_H

#include <stdbool.h>

bool leader_is(void);
void leader_set(bool leader);

#endif
