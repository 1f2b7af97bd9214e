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

typedef struct {
    job *head, *tail;
} fifo;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fifo q[2];          /* DBPOOL_URGENT, DBPOOL_BULK */
    int bulk_running;
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

static job *pop(fifo *f)
{
    job *j = f->head;
    if (j) {
        f->head = j->next;
        if (!f->head)
            f->tail = NULL;
    }
    return j;
}

/* Urgent work first; bulk work never takes the last thread, so an
 * admission never waits behind a thousand SetState builds. P.mu held. */
static int next_kind(void)
{
    if (P.q[DBPOOL_URGENT].head)
        return DBPOOL_URGENT;
    if (P.q[DBPOOL_BULK].head && (P.stop || P.n <= 1 || P.bulk_running < P.n - 1))
        return DBPOOL_BULK;
    return -1;
}

static void *pool_main(void *arg)
{
    (void)arg;
    db *d = db_new(&P.params);
    if (d)
        db_set_application_name(d, "agentsd-streams");
    for (;;) {
        pthread_mutex_lock(&P.mu);
        int kind;
        while ((kind = next_kind()) < 0 && !P.stop)
            pthread_cond_wait(&P.cv, &P.mu);
        job *j = kind >= 0 ? pop(&P.q[kind]) : NULL;
        if (j) {
            P.queued--;
            if (kind == DBPOOL_BULK)
                P.bulk_running++;
        }
        pthread_mutex_unlock(&P.mu);
        if (!j)
            break;
        j->work(d, j->arg);
        if (kind == DBPOOL_BULK) {
            pthread_mutex_lock(&P.mu);
            P.bulk_running--;
            pthread_cond_broadcast(&P.cv);
            pthread_mutex_unlock(&P.mu);
        }
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
    return dbpool_submit_kind(DBPOOL_URGENT, work, done, arg);
}

int dbpool_submit_kind(int kind, dbpool_work work, dbpool_done done, void *arg)
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
    fifo *f = &P.q[kind == DBPOOL_BULK ? DBPOOL_BULK : DBPOOL_URGENT];
    if (f->tail)
        f->tail->next = j;
    else
        f->head = j;
    f->tail = j;
    P.queued++;
    pthread_cond_broadcast(&P.cv);
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
