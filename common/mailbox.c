/* mailbox: closures from any thread to one owner thread (see mailbox.h). */
#include "mailbox.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct item {
    mailbox_fn fn;
    void *arg;
    struct item *next;
} item;

struct mailbox {
    pthread_mutex_t mu;
    item *head, *tail;
    size_t pending;
    int fd;
};

mailbox *mailbox_new(void)
{
    mailbox *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m->fd < 0) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

void mailbox_destroy(mailbox *m, void (*drop)(mailbox_fn fn, void *arg))
{
    if (!m)
        return;
    for (item *it = m->head, *next; it; it = next) {
        next = it->next;
        if (drop)
            drop(it->fn, it->arg);
        free(it);
    }
    close(m->fd);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

int mailbox_post(mailbox *m, mailbox_fn fn, void *arg)
{
    item *it = malloc(sizeof *it);
    if (!it)
        return -1;
    it->fn = fn;
    it->arg = arg;
    it->next = NULL;
    pthread_mutex_lock(&m->mu);
    int wake = m->head == NULL;
    if (m->tail)
        m->tail->next = it;
    else
        m->head = it;
    m->tail = it;
    m->pending++;
    pthread_mutex_unlock(&m->mu);
    if (wake) {
        uint64_t one = 1;
        /* EAGAIN only when the counter is saturated: it is readable anyway */
        if (write(m->fd, &one, sizeof one) < 0) {
        }
    }
    return 0;
}

int mailbox_fd(const mailbox *m)
{
    return m->fd;
}

size_t mailbox_run(mailbox *m)
{
    uint64_t v;
    if (read(m->fd, &v, sizeof v) < 0) {
        /* nothing signalled: still look, a post may race with the read */
    }
    pthread_mutex_lock(&m->mu);
    item *it = m->head;
    m->head = m->tail = NULL;
    m->pending = 0;
    pthread_mutex_unlock(&m->mu);
    size_t n = 0;
    for (item *next; it; it = next) {
        next = it->next;
        it->fn(it->arg);
        free(it);
        n++;
    }
    return n;
}

size_t mailbox_pending(mailbox *m)
{
    pthread_mutex_lock(&m->mu);
    size_t n = m->pending;
    pthread_mutex_unlock(&m->mu);
    return n;
}
