/* registry: the connected pmm-agents. The stream loop's handler: each
 * StreamMessage a gateway relays goes to the role that owns it (gateways
 * HELLO and SYNC, admission OPEN and CLOSED, the protocol FRAME, orphans a
 * frame of a stream not known yet), and each tick to every live conn's
 * timers (requests' deadlines, pings, SetState retries). The roles:
 * streams.h (the table), admission.h, protocol.h, requests.h, pings.h,
 * connected.h, gateways.h, orphans.h, sched.h. Stream loop thread only. */
#ifndef AGENTSD_REGISTRY_H
#define AGENTSD_REGISTRY_H

#include "bus/bus.h"
#include "loop.h"

/* Sets the roles up (pub: agentsd's events) and returns the loop handler. */
const loop_handler *registry_init(bus_pub *pub);

#endif
