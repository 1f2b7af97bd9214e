/* bodybuf: a spare buffer for large REST answers (see bodybuf.h). */
#include "bodybuf.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#define BODYBUF_MIN ((size_t)1 << 20)   /* smaller: malloc serves them well */
#define BODYBUF_MAX ((size_t)256 << 20) /* larger: not worth holding on to */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char *spare;
static size_t spare_cap;

char *bodybuf_take(size_t *cap)
{
    pthread_mutex_lock(&mu);
    char *p = spare;
    *cap = spare_cap;
    spare = NULL;
    spare_cap = 0;
    pthread_mutex_unlock(&mu);
    return p;
}

void bodybuf_give(void *body)
{
    if (!body)
        return;
    size_t cap = malloc_usable_size(body);
    if (cap < BODYBUF_MIN || cap > BODYBUF_MAX) {
        free(body);
        return;
    }
    pthread_mutex_lock(&mu);
    if (cap > spare_cap) {
        char *old = spare;
        spare = body;
        spare_cap = cap;
        body = old;
    }
    pthread_mutex_unlock(&mu);
    free(body);
}
