/* pwcheck: the pool of password verifiers (see pwcheck.h). */
#include "pwcheck.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "internal/v1/auth.pb-c.h"
#include "log.h"
#include "login_throttle.h"

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pwcheck_job **queue; /* ring of queue_max */
    int queue_max, head, len;
    bool stopping;
    pthread_t *threads;
    db **dbs;            /* one per thread, made here: db_new copies the settings */
    int n_threads;
    int running;
    int64_t avg_ms;      /* running average of one verification */
} P = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static atomic_uint_fast64_t verified_ok, verified_refused, queue_full, running_max, locks;

void pwcheck_job_free(pwcheck_job *job)
{
    if (!job)
        return;
    if (job->password) {
        sodium_memzero(job->password, strlen(job->password));
        free(job->password);
    }
    sodium_memzero(job->mac, sizeof job->mac);
    free(job);
}

static void accepted(db *d, const pwcheck_job *j)
{
    atomic_fetch_add(&verified_ok, 1);
    login_cache_put(j->mac, j->stored, j->source, clock_mono_ms());
    rpc_status st;
    if (j->failed_logins > 0 && cred_user_login_ok(d, j->login, &st) != RPC_OK)
        log_warn("cannot clear the failed logins of user %s: %s", j->login, st.message);
}

/* Counts the refusal against the address and the user; says so in the log
 * only when either gets a new delay or lock, so a flood does not flood
 * the log too. */
static void refused(db *d, const pwcheck_job *j)
{
    atomic_fetch_add(&verified_refused, 1);
    char key[THROTTLE_KEY_MAX];
    throttle_key(j->source, key);
    int64_t delay = throttle_failed(j->source, clock_mono_ms());
    if (delay > 0)
        log_info("wrong password for user %s from %s: the address waits %lld ms before its next password is "
                 "checked", j->login, key, (long long)delay);
    rpc_status st;
    bool locked = false;
    if (cred_user_login_failed(d, j->login, LOGIN_LOCK_FAILURES, LOGIN_LOCK_WINDOW_S, LOGIN_LOCK_S, &locked, &st) !=
        RPC_OK) {
        log_warn("cannot count a failed login of user %s: %s", j->login, st.message);
    } else if (locked) {
        atomic_fetch_add(&locks, 1);
        log_warn("user %s locked for %d s after %d wrong passwords within %d s (the last from %s); "
                 "lift it with `pmmctl user unlock %s` or POST /v1/lockouts:unlock",
                 j->login, LOGIN_LOCK_S, LOGIN_LOCK_FAILURES, LOGIN_LOCK_WINDOW_S, key, j->login);
    }
}

int pwcheck_now(db *d, const pwcheck_job *j)
{
    if (crypto_pwhash_str_verify(j->stored, j->password, strlen(j->password)) == 0) {
        accepted(d, j);
        return RPC_OK;
    }
    refused(d, j);
    return RPC_UNAUTHENTICATED;
}

static void note_running(int n)
{
    uint64_t seen = atomic_load(&running_max);
    while ((uint64_t)n > seen && !atomic_compare_exchange_weak(&running_max, &seen, (uint64_t)n))
        ;
}

static void *verifier_main(void *arg)
{
    db *d = arg;
    for (;;) {
        pthread_mutex_lock(&P.mu);
        while (!P.stopping && P.len == 0)
            pthread_cond_wait(&P.cv, &P.mu);
        if (P.stopping) {
            pthread_mutex_unlock(&P.mu);
            break;
        }
        pwcheck_job *j = P.queue[P.head];
        P.head = (P.head + 1) % P.queue_max;
        P.len--;
        note_running(++P.running);
        pthread_mutex_unlock(&P.mu);

        /* waited so long that the caller will have given up: no hash */
        int64_t started = clock_mono_ms();
        if (j->deadline_ms && clock_wall_ms() + P.avg_ms > j->deadline_ms) {
            atomic_fetch_add(&queue_full, 1);
            bus_deferred_reply(j->reply, RPC_UNAVAILABLE, "too many password checks at once; try again", NULL);
            pwcheck_job_free(j);
            started = 0;
        } else if (pwcheck_now(d, j) == RPC_OK) {
            Internal__V1__AuthenticateResponse resp = INTERNAL__V1__AUTHENTICATE_RESPONSE__INIT;
            resp.user = j->login;
            resp.role = j->role;
            bus_deferred_reply(j->reply, RPC_OK, NULL, &resp.base);
            pwcheck_job_free(j);
        } else {
            bus_deferred_reply(j->reply, RPC_UNAUTHENTICATED, "Unauthorized", NULL);
            pwcheck_job_free(j);
        }
        int64_t took = started ? clock_mono_ms() - started : 0;

        pthread_mutex_lock(&P.mu);
        P.running--;
        if (took) /* quick to follow a machine that slows down */
            P.avg_ms = (P.avg_ms + took) / 2;
        pthread_mutex_unlock(&P.mu);
    }
    return NULL;
}

int pwcheck_start(const db_params *p, int threads, int queue_max)
{
    if (threads < 1 || queue_max < 1)
        return -1;
    P.queue = calloc((size_t)queue_max, sizeof *P.queue);
    P.threads = calloc((size_t)threads, sizeof *P.threads);
    P.dbs = calloc((size_t)threads, sizeof *P.dbs);
    if (!P.queue || !P.threads || !P.dbs) {
        pwcheck_stop();
        return -1;
    }
    P.queue_max = queue_max;
    P.stopping = false;
    P.avg_ms = 100; /* argon2id at libsodium's interactive limits, roughly */
    for (int i = 0; i < threads; i++) {
        if (!(P.dbs[i] = db_new(p)) || pthread_create(&P.threads[i], NULL, verifier_main, P.dbs[i]) != 0) {
            db_destroy(P.dbs[i]);
            P.dbs[i] = NULL;
            pwcheck_stop();
            return -1;
        }
        P.n_threads++;
    }
    return 0;
}

int pwcheck_submit(pwcheck_job *job)
{
    pthread_mutex_lock(&P.mu);
    int rc = -1;
    /* the checks running and queued ahead of it, a round of all threads at
     * a time, then its own */
    int64_t wait = P.n_threads ? ((P.len + P.running) / P.n_threads + 1) * P.avg_ms : 0;
    bool in_time = !job->deadline_ms || clock_wall_ms() + wait <= job->deadline_ms;
    if (!P.stopping && P.queue && P.len < P.queue_max && in_time) {
        P.queue[(P.head + P.len) % P.queue_max] = job;
        P.len++;
        rc = 0;
        pthread_cond_signal(&P.cv);
    }
    pthread_mutex_unlock(&P.mu);
    if (rc != 0)
        atomic_fetch_add(&queue_full, 1);
    return rc;
}

void pwcheck_stop(void)
{
    pthread_mutex_lock(&P.mu);
    P.stopping = true;
    pthread_cond_broadcast(&P.cv);
    pthread_mutex_unlock(&P.mu);
    for (int i = 0; i < P.n_threads; i++) {
        pthread_join(P.threads[i], NULL);
        db_destroy(P.dbs[i]);
    }
    /* what no thread took: the callers retry against the next inventoryd */
    while (P.queue && P.len > 0) {
        pwcheck_job *j = P.queue[P.head];
        P.head = (P.head + 1) % P.queue_max;
        P.len--;
        bus_deferred_reply(j->reply, RPC_UNAVAILABLE, "inventoryd is stopping", NULL);
        pwcheck_job_free(j);
    }
    free(P.queue);
    free(P.threads);
    free(P.dbs);
    P.queue = NULL;
    P.threads = NULL;
    P.dbs = NULL;
    P.n_threads = 0;
}

void pwcheck_get_counters(pwcheck_counters *out)
{
    out->verified_ok = atomic_load(&verified_ok);
    out->verified_refused = atomic_load(&verified_refused);
    out->queue_full = atomic_load(&queue_full);
    out->running_max = atomic_load(&running_max);
    out->locks = atomic_load(&locks);
}
