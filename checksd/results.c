/* results: see results.h. */
#include "results.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static result_list stored;
static unsigned long generation; /* bumped by every replace (under lock) */

void check_result_clear(check_result *r)
{
    free(r->check_name);
    free(r->advisor);
    free(r->service_type);
    free(r->service_id);
    free(r->service_name);
    for (size_t i = 0; i < r->n_labels; i++) {
        free(r->label_keys[i]);
        free(r->label_values[i]);
    }
    free(r->label_keys);
    free(r->label_values);
    script_result_clear(&r->r);
    memset(r, 0, sizeof *r);
}

void result_list_clear(result_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        check_result_clear(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int result_list_take(result_list *l, check_result *r)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        check_result *grown = realloc(l->v, cap * sizeof *grown);
        if (!grown) {
            check_result_clear(r);
            return -1;
        }
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = *r;
    memset(r, 0, sizeof *r);
    return 0;
}

static bool replaced(const check_result *r, replace_kind kind, check_interval interval, const char *const *names,
                     size_t n_names)
{
    switch (kind) {
    case REPLACE_ALL: return true;
    case REPLACE_INTERVAL: return r->interval == interval;
    case REPLACE_CHECKS:
        for (size_t i = 0; i < n_names; i++)
            if (strcmp(names[i], r->check_name) == 0)
                return true;
        return false;
    }
    return false;
}

void results_replace(replace_kind kind, check_interval interval, const char *const *names, size_t n_names,
                     result_list *fresh)
{
    pthread_mutex_lock(&lock);
    size_t keep = 0;
    for (size_t i = 0; i < stored.n; i++) {
        if (replaced(&stored.v[i], kind, interval, names, n_names))
            check_result_clear(&stored.v[i]);
        else
            stored.v[keep++] = stored.v[i];
    }
    stored.n = keep;
    for (size_t i = 0; i < fresh->n; i++)
        result_list_take(&stored, &fresh->v[i]);
    fresh->n = 0;
    generation++;
    pthread_mutex_unlock(&lock);
    result_list_clear(fresh);
}

void results_foreach(void (*fn)(const check_result *r, void *arg), void *arg)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < stored.n; i++)
        fn(&stored.v[i], arg);
    pthread_mutex_unlock(&lock);
}

unsigned long results_generation(void)
{
    pthread_mutex_lock(&lock);
    unsigned long g = generation;
    pthread_mutex_unlock(&lock);
    return g;
}

void results_reset(void)
{
    pthread_mutex_lock(&lock);
    result_list_clear(&stored);
    pthread_mutex_unlock(&lock);
}
