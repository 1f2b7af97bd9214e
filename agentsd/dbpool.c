/* dbpool: database jobs of the stream loop on a fixed thread pool (see
 * dbpool.h). */
#include "dbpool.h"

#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "loop.h"

#define DBPOOL_MAX_THREADS 16

typedef struct job {
    dbpool_work work;
    dbpool_done done;
    void *arg;
    struct job *next;
} job;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *head, *tail;
    long queued;
    int stop;
    pthread_t threads[DBPOOL_MAX_THREADS];
    int n;
    db_params params;
} P = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void run_done(void *arg)
{
    job *j = arg;
    j->done(j->arg);
    free(j);
}

static void *pool_main(void *arg)
{
    (void)arg;
    db *d = db_new(&P.params);
    if (d)
        db_set_application_name(d, "agentsd-streams");
    for (;;) {
        pthread_mutex_lock(&P.mu);
        while (!P.head && !P.stop)
            pthread_cond_wait(&P.cv, &P.mu);
        job *j = P.head;
        if (j) {
            P.head = j->next;
            if (!P.head)
                P.tail = NULL;
            P.queued--;
        }
        pthread_mutex_unlock(&P.mu);
        if (!j)
            break;
        j->work(d, j->arg);
        if (!j->done)
            free(j);
        else if (loop_post(run_done, j) != 0) {
            log_error("stream loop: out of memory, a database result is lost");
            free(j);
        }
    }
    db_destroy(d);
    return NULL;
}

int dbpool_start(const db_params *p, int threads)
{
    P.params = *p;   /* borrowed strings: they outlive the pool */
    if (threads > DBPOOL_MAX_THREADS)
        threads = DBPOOL_MAX_THREADS;
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&P.threads[i], NULL, pool_main, NULL) != 0)
            return -1;
        P.n++;
    }
    return 0;
}

/* Queued jobs still run (their done closures own their args); new ones
 * are refused from now on. */
void dbpool_stop(void)
{
    pthread_mutex_lock(&P.mu);
    P.stop = 1;
    pthread_cond_broadcast(&P.cv);
    pthread_mutex_unlock(&P.mu);
    for (int i = 0; i < P.n; i++)
        pthread_join(P.threads[i], NULL);
    P.n = 0;
}

int dbpool_submit(dbpool_work work, dbpool_done done, void *arg)
{
    job *j = malloc(sizeof *j);
    if (!j)
        return -1;
    *j = (job){ work, done, arg, NULL };
    pthread_mutex_lock(&P.mu);
    if (P.stop) {
        pthread_mutex_unlock(&P.mu);
        free(j);
        return -1;
    }
    if (P.tail)
        P.tail->next = j;
    else
        P.head = j;
    P.tail = j;
    P.queued++;
    pthread_cond_signal(&P.cv);
    pthread_mutex_unlock(&P.mu);
    return 0;
}

long dbpool_queued(void)
{
    pthread_mutex_lock(&P.mu);
    long n = P.queued;
    pthread_mutex_unlock(&P.mu);
    return n;
}
