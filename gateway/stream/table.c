/* table: the gateway's stream table and its lock (see table.h). */
#include "table.h"

#include <pthread.h>
#include <time.h>

#include "log.h"

#define BUCKETS 16384 /* power of two */

static struct {
    pthread_mutex_t mu;
    astream *buckets[BUCKETS];
    long n;
    uint64_t next_id;
} T = { .mu = PTHREAD_MUTEX_INITIALIZER };

void table_lock(void)
{
    pthread_mutex_lock(&T.mu);
}

void table_unlock(void)
{
    pthread_mutex_unlock(&T.mu);
}

void table_wait(pthread_cond_t *cv)
{
    pthread_cond_wait(cv, &T.mu);
}

static astream **bucket(uint64_t id)
{
    return &T.buckets[(id ^ (id >> 32)) & (BUCKETS - 1)];
}

void table_add(astream *s)
{
    /* stream ids of a restarted gateway must not collide with the old
     * ones agentsd may still hold for a moment */
    if (T.next_id == 0)
        T.next_id = (uint64_t)time(NULL) << 24;
    s->id = ++T.next_id;
    astream **b = bucket(s->id);
    s->hnext = *b;
    *b = s;
    s->in_table = 1;
    T.n++;
}

void table_remove(astream *s)
{
    if (!s->in_table)
        return;
    for (astream **p = bucket(s->id); *p; p = &(*p)->hnext)
        if (*p == s) {
            *p = s->hnext;
            s->in_table = 0;
            T.n--;
            return;
        }
    fatal("agent stream %llu is marked in the table but is not there", (unsigned long long)s->id);
}

astream *table_find(uint64_t id)
{
    for (astream *s = *bucket(id); s; s = s->hnext)
        if (s->id == id)
            return s;
    return NULL;
}

long table_count(void)
{
    return T.n;
}

void table_each(void (*fn)(astream *s, void *arg), void *arg)
{
    for (size_t b = 0; b < BUCKETS; b++)
        for (astream *s = T.buckets[b], *next; s; s = next) {
            next = s->hnext;
            fn(s, arg);
        }
}
