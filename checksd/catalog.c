/* catalog: see catalog.h. */
#include "catalog.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct held {
    check_set *set;
    int refs; /* readers, plus one while current */
    struct held *next;
} held;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static held *current;
static held *retired; /* replaced sets still held by readers */
static check_set empty;

static void drop(held *h)
{
    if (--h->refs > 0)
        return;
    for (held **p = &retired; *p; p = &(*p)->next)
        if (*p == h) {
            *p = h->next;
            break;
        }
    check_set_free(h->set);
    free(h);
}

/* Makes current a retired set (freed once its last reader is done) and
 * h the current one. Under the lock. */
static void replace_current(held *h)
{
    held *old = current;
    current = h;
    if (old) {
        old->next = retired;
        retired = old;
        drop(old);
    }
}

void catalog_install(check_set *s)
{
    held *h = calloc(1, sizeof *h);
    if (!h) {
        check_set_free(s);
        return;
    }
    h->set = s ? s : calloc(1, sizeof *s);
    h->refs = 1;
    pthread_mutex_lock(&lock);
    replace_current(h);
    pthread_mutex_unlock(&lock);
}

const check_set *catalog_acquire(void)
{
    pthread_mutex_lock(&lock);
    const check_set *s = &empty;
    if (current && current->set) {
        current->refs++;
        s = current->set;
    }
    pthread_mutex_unlock(&lock);
    return s;
}

void catalog_release(const check_set *s)
{
    if (!s || s == &empty)
        return;
    pthread_mutex_lock(&lock);
    if (current && current->set == s)
        drop(current);
    else
        for (held *h = retired; h; h = h->next)
            if (h->set == s) {
                drop(h);
                break;
            }
    pthread_mutex_unlock(&lock);
}

void catalog_clear(void)
{
    pthread_mutex_lock(&lock);
    replace_current(NULL);
    pthread_mutex_unlock(&lock);
}
