/* pwcheck: argon2id password verifications off the request workers.
 *
 * A wrong-password flood used to run one argon2id hash (tens of ms of CPU
 * and 64 MiB) per guess on inventoryd's request workers, so that every
 * other call queued behind the guesses. Now Authenticate does the cheap
 * part on its worker (one SELECT, the caches, the lock and the delays) and
 * hands a verification that is still needed to this pool: a few threads
 * (--password-checks, the bound on verifications at once) fed by a
 * bounded queue. A login that cannot be checked before its caller's
 * deadline (the queue is full, or the verifications ahead of it would
 * take longer, by a running average of the last few) is answered UNAVAILABLE ("try
 * again") at once rather than hashed for nobody or left to time out.
 * The answer goes back through bus_defer. The
 * pool's threads also record the outcome: a refused password counts
 * against its address (login_throttle) and its user (the lock in the
 * database, common/db/credentials.h); an accepted one is remembered
 * (login_cache) and clears the user's failures. */
#ifndef INVENTORYD_PWCHECK_H
#define INVENTORYD_PWCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "db/credentials.h"
#include "db/db.h"
#include "login_cache.h"

/* The per-user lock: as Grafana's login attempts, 5 refused passwords
 * within 5 minutes lock the user for 5 minutes. */
#define LOGIN_LOCK_FAILURES 5
#define LOGIN_LOCK_WINDOW_S 300
#define LOGIN_LOCK_S 300

typedef struct {
    bus_deferred *reply;
    char login[256];
    char *password;             /* malloc'd; wiped and freed with the job */
    char stored[crypto_pwhash_STRBYTES];
    char role[16];
    unsigned char mac[LOGIN_CACHE_MAC_BYTES];
    char source[64];
    int failed_logins;          /* as read: an accepted password clears them */
    int64_t deadline_ms;        /* the caller's (wall clock), 0 for none */
} pwcheck_job;

/* Starts threads verifiers, each with its own PostgreSQL connection (made
 * at first need), and a queue of at most queue_max jobs. 0 or -1. */
int pwcheck_start(const db_params *p, int threads, int queue_max);
/* Takes job (it is freed by the pool) when there is room and time: 0; -1
 * when the queue is full, the check would end past job->deadline_ms, or
 * the pool stopped (the caller still owns job). */
int pwcheck_submit(pwcheck_job *job);
/* Verifies and records (as the pool does) on the calling thread: RPC_OK or
 * RPC_UNAUTHENTICATED. For callers that cannot defer (no bus server, as
 * in the integration tests). */
int pwcheck_now(db *d, const pwcheck_job *job);
/* Answers what is queued with UNAVAILABLE, lets running checks finish,
 * joins the threads. */
void pwcheck_stop(void);
/* Frees a job the pool did not take (wipes the password). */
void pwcheck_job_free(pwcheck_job *job);

/* Counters for internal.v1.MetricsService (auth_metrics.c). */
typedef struct {
    uint64_t verified_ok, verified_refused;  /* argon2id verifications */
    uint64_t queue_full;                     /* answered UNAVAILABLE: no room or time */
    uint64_t running_max;                    /* most verifications at once seen */
    uint64_t locks;                          /* users locked */
} pwcheck_counters;
void pwcheck_get_counters(pwcheck_counters *out);

#endif
