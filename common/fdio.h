/* fdio: writing a whole buffer to a file descriptor (write(2) may write
 * less than asked or be interrupted). */
#ifndef PMM_FDIO_H
#define PMM_FDIO_H

#include <stddef.h>

/* 0, or -1 with errno set. */
int fd_write_all(int fd, const void *buf, size_t n);

#endif
