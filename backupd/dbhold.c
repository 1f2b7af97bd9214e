/* dbhold: a few connections lent for database steps (see dbhold.h). */
#include "dbhold.h"

#include <pthread.h>
#include <stdlib.h>

struct dbhold_pool {
    pthread_mutex_t mu;
    pthread_cond_t freed;
    db **all;
    db **free_list; /* a stack of the connections not lent */
    int n, n_free;
};

dbhold_pool *dbhold_pool_new(const db_params *p, int n)
{
    dbhold_pool *pl = calloc(1, sizeof *pl);
    if (!pl || n < 1 || !(pl->all = calloc((size_t)n, sizeof *pl->all)) ||
        !(pl->free_list = calloc((size_t)n, sizeof *pl->free_list))) {
        if (pl)
            free(pl->all);
        free(pl);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if ((pl->all[pl->n] = db_new(p)) != NULL)
            pl->free_list[pl->n_free++] = pl->all[pl->n], pl->n++;
    if (!pl->n) {
        dbhold_pool_free(pl);
        return NULL;
    }
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->freed, NULL);
    return pl;
}

void dbhold_pool_free(dbhold_pool *pl)
{
    if (!pl)
        return;
    for (int i = 0; i < pl->n; i++)
        db_destroy(pl->all[i]);
    if (pl->n) {
        pthread_cond_destroy(&pl->freed);
        pthread_mutex_destroy(&pl->mu);
    }
    free(pl->all);
    free(pl->free_list);
    free(pl);
}

int dbhold_pool_size(const dbhold_pool *pl)
{
    return pl ? pl->n : 0;
}

db *dbhold_pool_get(dbhold_pool *pl)
{
    pthread_mutex_lock(&pl->mu);
    while (!pl->n_free)
        pthread_cond_wait(&pl->freed, &pl->mu);
    db *d = pl->free_list[--pl->n_free];
    pthread_mutex_unlock(&pl->mu);
    return d;
}

void dbhold_pool_put(dbhold_pool *pl, db *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&pl->mu);
    pl->free_list[pl->n_free++] = d;
    pthread_cond_signal(&pl->freed);
    pthread_mutex_unlock(&pl->mu);
}

void dbhold_pool_warm(dbhold_pool *pl)
{
    db *got[pl->n];
    for (int i = 0; i < pl->n; i++)
        got[i] = dbhold_pool_get(pl);
    for (int i = 0; i < pl->n; i++) {
        db_conn(got[i]);
        dbhold_pool_put(pl, got[i]);
    }
}

dbhold dbhold_of(db *d)
{
    return (dbhold){ .pool = NULL, .d = d };
}

db *dbhold_db(dbhold *h)
{
    if (!h->d && h->pool)
        h->d = dbhold_pool_get(h->pool);
    return h->d;
}

void dbhold_release(dbhold *h)
{
    if (!h->pool || !h->d)
        return;
    dbhold_pool_put(h->pool, h->d);
    h->d = NULL;
}
