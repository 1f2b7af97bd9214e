/* admission: how a pmm-agent stream becomes live and how it ends. A new
 * stream is admitted in the database (status_admit: the pmm-agent must
 * exist; its node and version are read and stored), then upstream's rule
 * for a duplicate: the earlier connection of the same pmm-agent is
 * pinged, and if it answers the new one is refused, if not it is kicked
 * and the new one goes live. A stream a gateway re-announces after
 * agentsd restarted (resync) goes live at once. Every end of a stream,
 * whoever causes it, goes through admission_end. Stream loop thread only. */
#ifndef AGENTSD_ADMISSION_H
#define AGENTSD_ADMISSION_H

#include "bus/bus.h"
#include "streams.h"

/* Where admissions publish inventory.changed (a vmagent row made). */
void admission_init(bus_pub *pub);

/* An OPEN of gateway gw. Returns the conn when it went live at once (a
 * resync), for the frames that came before it; NULL otherwise. */
conn *admission_open(const void *gw, size_t gw_len, const Internal__V1__StreamMessage *m);

/* The stream of c is gone (reason for the log and the metrics): out of
 * the table, its requests failed, is_connected stored. */
void admission_end(conn *c, const char *reason);
/* Ends the stream from our side: the gateway answers the agent with code
 * and message. */
void admission_close(conn *c, int code, const char *message, const char *reason);

#endif
