/* forward: the forwarder thread (see forward.h). */
#include "forward.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "agent/v1/agent.pb-c.h"
#include "clock.h"
#include "convert.h"
#include "labels.h"
#include "log.h"
#include "metrics.h"
#include "qanapi.h"

#define COLLECT_METHOD "/qan.v1.CollectorService/Collect"
#define MAX_BUCKETS 25000 /* upstream's slice of one Collect request */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define LABELS_TTL_MS 10000

static struct {
    forward_config cfg;
    pthread_t thread;
    int started;
    atomic_int stop;
    int stopping; /* the last round: everything to the spool */
    db *db;
    labels_cache *labels;
    int backoff_ms;
    int64_t next_try_ms;
    atomic_size_t spool_requests, spool_bytes;
} F;

void forward_spool_stats(size_t *requests, size_t *bytes)
{
    *requests = atomic_load(&F.spool_requests);
    *bytes = atomic_load(&F.spool_bytes);
}

static void spool_gauges(void)
{
    atomic_store(&F.spool_requests, spool_files(F.cfg.spool));
    atomic_store(&F.spool_bytes, spool_bytes(F.cfg.spool));
}

static void to_spool(const uint8_t *buf, size_t len)
{
    long dropped = spool_append(F.cfg.spool, buf, len);
    if (dropped < 0)
        metrics_add(QM_SPOOL_ERRORS, 1);
    else if (dropped > 0) {
        metrics_add(QM_DROPPED_SPOOL, dropped);
        log_warn("qan spool full: dropped the %ld oldest requests", dropped);
    }
    spool_gauges();
}

/* Buckets in a Collect request, for the counter. */
static size_t count_buckets(const uint8_t *buf, size_t len)
{
    Qan__V1__CollectRequest *r = qan__v1__collect_request__unpack(NULL, len, buf);
    size_t n = r ? r->n_metrics_bucket : 0;
    if (r)
        qan__v1__collect_request__free_unpacked(r, NULL);
    return n;
}

static int send_request(const uint8_t *buf, size_t len)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    rpc_status st = { 0 };
    int rc = qanapi_call(COLLECT_METHOD, buf, len, F.cfg.send_timeout_ms, &out, &out_len, &st);
    free(out);
    if (rc == RPC_OK) {
        metrics_add(QM_REQUESTS_SENT, 1);
        metrics_add(QM_BUCKETS_SENT, (long)count_buckets(buf, len));
        if (F.backoff_ms)
            log_info("qan-api2 takes QAN data again");
        F.backoff_ms = 0;
        return 0;
    }
    metrics_add(QM_SEND_ERRORS, 1);
    if (!F.backoff_ms)
        log_warn("failed to send CollectRequest to QAN: %s (kept in the spool, retried)", st.message);
    F.backoff_ms = F.backoff_ms ? F.backoff_ms * 2 : BACKOFF_MIN_MS;
    if (F.backoff_ms > BACKOFF_MAX_MS)
        F.backoff_ms = BACKOFF_MAX_MS;
    F.next_try_ms = clock_mono_ms() + F.backoff_ms;
    return -1;
}

/* Sends (or spools, when the spool already holds older requests or
 * qan-api2 refuses) one Collect request. */
static void deliver(Qan__V1__MetricsBucket **buckets, size_t n)
{
    Qan__V1__CollectRequest req = QAN__V1__COLLECT_REQUEST__INIT;
    req.n_metrics_bucket = n;
    req.metrics_bucket = buckets;
    size_t len = qan__v1__collect_request__get_packed_size(&req);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        metrics_add(QM_SPOOL_ERRORS, 1);
        return;
    }
    qan__v1__collect_request__pack(&req, buf);
    if (F.stopping || spool_files(F.cfg.spool) || send_request(buf, len) != 0)
        to_spool(buf, len);
    free(buf);
}

/* Converts the taken batches into Collect requests and delivers them.
 * -1 when the inventory cannot be read (the list is untouched). */
static int convert_and_deliver(qitem *list)
{
    size_t cap = 0, n = 0;
    for (qitem *it = list; it; it = it->next)
        cap++;
    Agent__V1__QANCollectRequest **reqs = calloc(cap ? cap : 1, sizeof *reqs);
    if (!reqs)
        return -1;
    size_t i = 0, total = 0;
    for (qitem *it = list; it; it = it->next, i++) {
        reqs[i] = agent__v1__qancollect_request__unpack(NULL, it->len, it->data);
        if (reqs[i])
            total += reqs[i]->n_metrics_bucket;
    }
    qconv **convs = calloc(total ? total : 1, sizeof *convs);
    Qan__V1__MetricsBucket **buckets = calloc(total ? total : 1, sizeof *buckets);
    int rc = convs && buckets ? 0 : -1;
    long unknown = 0;
    for (i = 0; rc == 0 && i < cap; i++) {
        for (size_t b = 0; reqs[i] && b < reqs[i]->n_metrics_bucket && rc == 0; b++) {
            const Agent__V1__MetricsBucket *mb = reqs[i]->metrics_bucket[b];
            const char *agent_id = mb->common ? qconv_agent_id(mb->common->agent_id) : "";
            const qan_target *t = NULL;
            rpc_status st = { 0 };
            int lr = labels_get(F.labels, F.db, agent_id, &t, &st);
            if (lr == RPC_NOT_FOUND) {
                if (!unknown++)
                    log_error("%s for bucket with query_id \"%s\", can't add labels.", st.message,
                              mb->common ? mb->common->queryid : "");
                continue;
            }
            if (lr != RPC_OK) {
                log_warn("QAN data waits: the inventory cannot be read: %s", st.message);
                rc = -1;
                break;
            }
            if (!(convs[n] = qconv_new(mb, t))) {
                rc = -1;
                break;
            }
            buckets[n] = qconv_bucket(convs[n]);
            n++;
        }
    }
    if (rc == 0) {
        metrics_add(QM_BUCKETS_UNKNOWN, unknown);
        for (size_t from = 0; from < n; from += MAX_BUCKETS)
            deliver(buckets + from, n - from < MAX_BUCKETS ? n - from : MAX_BUCKETS);
    }
    for (size_t k = 0; k < n; k++)
        qconv_free(convs[k]);
    free(convs);
    free(buckets);
    for (i = 0; i < cap; i++)
        if (reqs[i])
            agent__v1__qancollect_request__free_unpacked(reqs[i], NULL);
    free(reqs);
    return rc;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* One try at the spool's oldest request, when its pause is over;
 * otherwise, when there was nothing else to do (idle), a short wait. */
static void retry_spool(int idle)
{
    int64_t wait = F.next_try_ms - clock_mono_ms();
    if (wait > 0) {
        if (idle)
            sleep_ms(wait > 100 ? 100 : (int)wait);
        return;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    int r = spool_peek(F.cfg.spool, &buf, &len);
    if (r < 0) {
        metrics_add(QM_SPOOL_ERRORS, 1);
        spool_pop(F.cfg.spool);
    } else if (r > 0 && send_request(buf, len) == 0) {
        spool_pop(F.cfg.spool);
    }
    free(buf);
    spool_gauges();
}

static void free_taken(qitem *list)
{
    while (list) {
        qitem *next = list->next;
        qitem_free(F.cfg.queue, list);
        list = next;
    }
}

static void *forward_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&F.stop)) {
        int spooled = spool_files(F.cfg.spool) > 0;
        /* while the spool holds older data, new batches queue behind it
         * on disk, so memory stays small and the order holds */
        qitem *list = qqueue_take(F.cfg.queue, F.cfg.max_request_batches, F.cfg.max_request_bytes, spooled ? 0 : 200);
        int took = list != NULL;
        if (list) {
            if (convert_and_deliver(list) != 0) {
                qqueue_unget(F.cfg.queue, list);
                sleep_ms(1000);
                continue;
            }
            free_taken(list);
        }
        /* new batches go to disk at once (memory stays small and drops
         * nothing while the disk keeps up); the retries keep their pace */
        if (spool_files(F.cfg.spool) > 0)
            retry_spool(!took);
    }
    /* what memory still holds survives the restart on disk */
    F.stopping = 1;
    qitem *list;
    while ((list = qqueue_take(F.cfg.queue, F.cfg.max_request_batches, F.cfg.max_request_bytes, 0))) {
        int rc = convert_and_deliver(list);
        free_taken(list);
        if (rc != 0) {
            log_warn("QAN batches still in memory are lost: the inventory cannot be read");
            break;
        }
    }
    return NULL;
}

int forward_start(const forward_config *cfg)
{
    F.cfg = *cfg;
    F.db = db_new(cfg->db);
    F.labels = labels_cache_new(LABELS_TTL_MS);
    if (!F.db || !F.labels)
        return -1;
    db_set_application_name(F.db, "qanfwd-forward");
    spool_gauges();
    if (pthread_create(&F.thread, NULL, forward_main, NULL) != 0)
        return -1;
    F.started = 1;
    return 0;
}

void forward_stop(void)
{
    atomic_store(&F.stop, 1);
    if (F.cfg.queue)
        qqueue_wake(F.cfg.queue);
    if (F.started)
        pthread_join(F.thread, NULL);
    F.started = 0;
    labels_cache_free(F.labels);
    F.labels = NULL;
    db_destroy(F.db);
    F.db = NULL;
}
