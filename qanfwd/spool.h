/* spool: the on-disk FIFO of qan.v1.CollectRequest bodies qan-api2 has
 * not taken yet, one file per request under <var-dir>/qan-spool, named by
 * a sequence number so a restarted qanfwd sends them in the same order.
 * Bounded in bytes and files: when full, the oldest request is deleted
 * and counted (a long outage loses the oldest data, never the disk).
 * Files are written aside and renamed into place, so a crash leaves no
 * half request. One thread only (the forwarder). */
#ifndef QANFWD_SPOOL_H
#define QANFWD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct spool spool;

/* Opens (creates) dir and takes the requests already there. NULL on error. */
spool *spool_open(const char *dir, size_t max_bytes, size_t max_files);
void spool_close(spool *s);

/* Appends a copy of data; deletes the oldest requests beyond the bounds.
 * Returns how many were deleted (0 normally), or -1 when the file could
 * not be written (nothing changed). */
long spool_append(spool *s, const uint8_t *data, size_t len);

/* The oldest request (malloc'd into *data), 1; 0 when empty; -1 when it
 * cannot be read (it is then deleted and counted by the caller as lost). */
int spool_peek(spool *s, uint8_t **data, size_t *len);
/* Deletes the oldest request (after qan-api2 took it). */
void spool_pop(spool *s);

size_t spool_files(const spool *s);
size_t spool_bytes(const spool *s);

#endif
