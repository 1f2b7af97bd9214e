/* queue: the in-memory batches of the pmm-agents (see queue.h). */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strhash.h"

struct qagent {
    struct qagent *hnext;
    char *id;
    qitem *oldest, *newest; /* this agent's queued batches */
    size_t n;               /* queued */
    size_t refs;            /* queued + taken and not freed */
};

#define NBUCKETS 4096

struct qqueue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    qitem *head, *tail; /* oldest, newest */
    size_t batches, bytes, max_per_agent, max_bytes;
    qagent *table[NBUCKETS];
    int woken;
};

qqueue *qqueue_new(size_t max_per_agent, size_t max_bytes)
{
    qqueue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    q->max_per_agent = max_per_agent ? max_per_agent : 1;
    q->max_bytes = max_bytes;
    return q;
}

static qagent *agent_ref(qqueue *q, const char *id)
{
    size_t b = strhash(id) % NBUCKETS;
    for (qagent *a = q->table[b]; a; a = a->hnext)
        if (strcmp(a->id, id) == 0) {
            a->refs++;
            return a;
        }
    qagent *a = calloc(1, sizeof *a);
    if (!a || !(a->id = strdup(id))) {
        free(a);
        return NULL;
    }
    a->hnext = q->table[b];
    q->table[b] = a;
    a->refs = 1;
    return a;
}

static void agent_unref(qqueue *q, qagent *a)
{
    if (--a->refs)
        return;
    qagent **p = &q->table[strhash(a->id) % NBUCKETS];
    while (*p != a)
        p = &(*p)->hnext;
    *p = a->hnext;
    free(a->id);
    free(a);
}

static void item_unlink(qqueue *q, qitem *it)
{
    if (it->prev)
        it->prev->next = it->next;
    else
        q->head = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        q->tail = it->prev;
    it->prev = it->next = NULL;
    qagent *a = it->agent;
    /* only ever the agent's oldest: taking and dropping go oldest first */
    a->oldest = it->agent_next;
    if (!a->oldest)
        a->newest = NULL;
    it->agent_next = NULL;
    a->n--;
    q->batches--;
    q->bytes -= it->len;
}

static void item_destroy(qqueue *q, qitem *it)
{
    agent_unref(q, it->agent);
    free(it->data);
    free(it);
}

size_t qqueue_put(qqueue *q, const char *agent_id, uint8_t *data, size_t len)
{
    qitem *it = calloc(1, sizeof *it);
    size_t dropped = 0;
    pthread_mutex_lock(&q->mu);
    qagent *a = it ? agent_ref(q, agent_id) : NULL;
    if (!a) {
        pthread_mutex_unlock(&q->mu);
        free(it);
        free(data);
        return 1;
    }
    it->agent = a;
    it->data = data;
    it->len = len;
    while (a->n >= q->max_per_agent) {
        qitem *old = a->oldest;
        item_unlink(q, old);
        item_destroy(q, old);
        dropped++;
    }
    while (q->head && q->bytes + len > q->max_bytes) {
        qitem *old = q->head;
        item_unlink(q, old);
        item_destroy(q, old);
        dropped++;
    }
    it->prev = q->tail;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    if (a->newest)
        a->newest->agent_next = it;
    else
        a->oldest = it;
    a->newest = it;
    a->n++;
    q->batches++;
    q->bytes += len;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return dropped;
}

qitem *qqueue_take(qqueue *q, size_t max_items, size_t max_bytes, int wait_ms)
{
    pthread_mutex_lock(&q->mu);
    if (!q->head && wait_ms > 0 && !q->woken) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!q->head && !q->woken)
            if (pthread_cond_timedwait(&q->cv, &q->mu, &ts) == ETIMEDOUT)
                break;
    }
    q->woken = 0;
    qitem *first = NULL, *last = NULL;
    size_t bytes = 0, items = 0;
    while (q->head && (!first || (items < max_items && bytes + q->head->len <= max_bytes))) {
        items++;
        qitem *it = q->head;
        bytes += it->len;
        item_unlink(q, it);
        if (last)
            last->next = it;
        else
            first = it;
        it->prev = last;
        last = it;
    }
    pthread_mutex_unlock(&q->mu);
    return first;
}

void qqueue_unget(qqueue *q, qitem *list)
{
    if (!list)
        return;
    pthread_mutex_lock(&q->mu);
    qitem *last = list;
    while (last->next)
        last = last->next;
    /* back in front, newest of the list first so each agent's order holds */
    for (qitem *it = last; it;) {
        qitem *prev = it->prev;
        it->prev = NULL;
        it->next = q->head;
        if (q->head)
            q->head->prev = it;
        else
            q->tail = it;
        q->head = it;
        qagent *a = it->agent;
        it->agent_next = a->oldest;
        a->oldest = it;
        if (!a->newest)
            a->newest = it;
        a->n++;
        q->batches++;
        q->bytes += it->len;
        it = prev;
    }
    pthread_mutex_unlock(&q->mu);
}

void qqueue_wake(qqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->woken = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

const char *qitem_agent(const qitem *it)
{
    return it->agent->id;
}

void qitem_free(qqueue *q, qitem *it)
{
    pthread_mutex_lock(&q->mu);
    item_destroy(q, it);
    pthread_mutex_unlock(&q->mu);
}

void qqueue_stats(qqueue *q, size_t *batches, size_t *bytes)
{
    pthread_mutex_lock(&q->mu);
    *batches = q->batches;
    *bytes = q->bytes;
    pthread_mutex_unlock(&q->mu);
}

void qqueue_free(qqueue *q)
{
    if (!q)
        return;
    while (q->head) {
        qitem *it = q->head;
        item_unlink(q, it);
        item_destroy(q, it);
    }
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}
