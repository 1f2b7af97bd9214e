/* sock: socket helpers shared by the bus client, server and events
 * (internal to common/bus/). */
#ifndef PMM_BUS_SOCK_H
#define PMM_BUS_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "bus/envelope.h"

/* Largest frame any bus socket accepts: the biggest envelope plus headroom. */
#define BUS_MAX_FRAME ((int64_t)ENVELOPE_MAX_BODY + 2 * ENVELOPE_MAX_MESSAGE)


/* Sets an int option; 0 or -1. */
int bus_sockopt(void *sock, int opt, int value);

/* For an ipc:// endpoint: 1 when a process accepts connections on it,
 * 0 when none does (no file, or a stale one); -1 for other transports. */
int bus_ipc_live(const char *endpoint);

/* Binds sock to endpoint. For ipc:// refuses a path a live process listens
 * on (libzmq would silently unlink and take it over) and removes a stale
 * socket file first. 0 or -1 (logged). */
int bus_bind(void *sock, const char *endpoint);

/* After closing a socket bound (by bus_bind) to an ipc:// endpoint: removes
 * the socket file, which libzmq 4.3 leaves behind. */
void bus_unbind_file(const char *endpoint);

/* Receives one whole multi-part message: keeps the first max frames in
 * frames[] (initialised; caller closes *count of them, capped at max),
 * discards the rest, stores the total number of frames in *total.
 * Returns 0, or -1 with errno (EAGAIN on RCVTIMEO) and nothing to close. */
int bus_recv_frames(void *sock, zmq_msg_t *frames, int max, int *count, int *total, int flags);
void bus_close_frames(zmq_msg_t *frames, int count);

#endif
