/* queue: the pmm-agents' QANCollect batches waiting in memory for the
 * forwarder, oldest first, bounded per agent (a chatty agent cannot push
 * the others out) and in total bytes. When a bound is hit the oldest
 * batch (of that agent, or of all) is dropped and counted: memory never
 * grows with an outage; the forwarder moves batches to the on-disk spool
 * as soon as qan-api2 does not take them. Thread-safe: intake puts,
 * the forwarder takes. */
#ifndef QANFWD_QUEUE_H
#define QANFWD_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct qitem {
    struct qitem *prev, *next; /* the global order */
    struct qitem *agent_next;  /* the same agent's next (newer) batch */
    struct qagent *agent;
    uint8_t *data; /* agent.v1.QANCollectRequest bytes, owned */
    size_t len;
} qitem;

typedef struct qagent qagent;
typedef struct qqueue qqueue;

/* max_per_agent batches of one agent, max_bytes of all together. */
qqueue *qqueue_new(size_t max_per_agent, size_t max_bytes);
void qqueue_free(qqueue *q);

/* Takes data (malloc'd) of agent_id; drops what the bounds say. Returns
 * the number of batches dropped to make room (0 normally). Never blocks
 * on anything but the short lock. */
size_t qqueue_put(qqueue *q, const char *agent_id, uint8_t *data, size_t len);

/* Takes the oldest batches, up to max_items and max_bytes in total (at
 * least one), as a
 * list linked by ->next (NULL when empty after waiting up to wait_ms).
 * The items keep their agent's id (qitem_agent) until qitem_free. */
qitem *qqueue_take(qqueue *q, size_t max_items, size_t max_bytes, int wait_ms);
/* Puts a taken list back in front, as it was (the forwarder could not
 * convert it: the database is away). Bounds apply to newer batches only. */
void qqueue_unget(qqueue *q, qitem *list);
/* Wakes a waiting qqueue_take (stopping). */
void qqueue_wake(qqueue *q);

const char *qitem_agent(const qitem *it);
/* Frees one taken item (not its list). */
void qitem_free(qqueue *q, qitem *it);

/* Batches and bytes now held. */
void qqueue_stats(qqueue *q, size_t *batches, size_t *bytes);

#endif
