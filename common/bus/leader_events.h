/* leader_events: a daemon follows hactl's `leader` / `follower`
 * announcements (leader.h) on a thread of its own: one SUB socket on
 * ipc://<run_dir>/hactl.pub, every event applied with leader_on_event,
 * changes logged. Start it after leader_init(). */
#ifndef PMM_LEADER_EVENTS_H
#define PMM_LEADER_EVENTS_H

int leader_follow_start(void *zmq_ctx, const char *run_dir);
void leader_follow_stop(void);

#endif
