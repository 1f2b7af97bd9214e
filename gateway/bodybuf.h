/* bodybuf: the buffer of the last large REST answer, kept for the next
 * one. A list of thousands of services is tens of megabytes of JSON; a
 * fresh buffer for each request meant growing it by copies and faulting
 * every page in again (a fifth of the gateway's time on such lists). One
 * spare buffer is kept, the largest seen up to BODYBUF_MAX. Thread-safe. */
#ifndef GATEWAY_BODYBUF_H
#define GATEWAY_BODYBUF_H

#include <stddef.h>

/* The spare buffer (NULL when none), which is now the caller's; *cap its
 * size. */
char *bodybuf_take(size_t *cap);

/* A body that was sent (an MHD free callback): kept as the spare when it
 * is large and larger than the spare, freed otherwise. */
void bodybuf_give(void *body);

#endif
