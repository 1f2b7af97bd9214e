/* mailbox: hands work to a thread that sleeps in zmq_poll. Any thread posts
 * a closure; the owner polls mailbox_fd() (an eventfd) with its sockets and
 * runs what was posted with mailbox_run(). Lets one thread own a ZeroMQ
 * socket (they are not thread-safe) while others ask it to send. */
#ifndef PMM_MAILBOX_H
#define PMM_MAILBOX_H

#include <stddef.h>

typedef struct mailbox mailbox;
typedef void (*mailbox_fn)(void *arg);

mailbox *mailbox_new(void);
/* Runs nothing that is still queued: pass a drop function to free the
 * args of closures never run (NULL: leak nothing only if none are left). */
void mailbox_destroy(mailbox *m, void (*drop)(mailbox_fn fn, void *arg));

/* Thread-safe. 0, or -1 on ENOMEM (fn is then not run). */
int mailbox_post(mailbox *m, mailbox_fn fn, void *arg);
/* The fd to poll for POLLIN. */
int mailbox_fd(const mailbox *m);
/* Owner thread: runs every closure posted so far, in order; returns how many. */
size_t mailbox_run(mailbox *m);
/* Closures posted and not yet run. */
size_t mailbox_pending(mailbox *m);

#endif
