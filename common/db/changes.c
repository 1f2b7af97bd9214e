/* changes: change events crossing HA nodes through NOTIFY (see changes.h). */
#include "db/changes.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/listen.h"
#include "db/store/store.h"
#include "log.h"

#define MAX_PENDING 8
#define TOPIC_MAX 64

/* ---- sending ------------------------------------------------------------------ */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char pending[MAX_PENDING][TOPIC_MAX];
    int n;
    bool stop, started;
    pthread_t thread;
    db *d;
    char node[128];
} N = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *notifier_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&N.mu);
    while (!N.stop) {
        if (!N.n) {
            pthread_cond_wait(&N.cv, &N.mu);
            continue;
        }
        char topic[TOPIC_MAX], payload[256];
        snprintf(topic, sizeof topic, "%s", N.pending[0]);
        memmove(N.pending[0], N.pending[1], (size_t)(N.n - 1) * sizeof N.pending[0]);
        N.n--;
        pthread_mutex_unlock(&N.mu);
        snprintf(payload, sizeof payload, "%s %s", N.node, topic);
        rpc_status st = { 0 };
        if (store_notify(N.d, CHANGES_CHANNEL, payload, &st))
            log_warn("HA: %s not sent to the other nodes: %s", topic, st.message);
        pthread_mutex_lock(&N.mu);
    }
    pthread_mutex_unlock(&N.mu);
    return NULL;
}

int changes_notifier_start(const db_params *p, const char *node_id)
{
    snprintf(N.node, sizeof N.node, "%s", node_id);
    N.stop = false;
    N.n = 0;
    N.d = db_new(p);
    if (!N.d || pthread_create(&N.thread, NULL, notifier_main, NULL) != 0) {
        db_destroy(N.d);
        N.d = NULL;
        return -1;
    }
    pthread_mutex_lock(&N.mu);
    N.started = true;
    pthread_mutex_unlock(&N.mu);
    return 0;
}

void changes_notify(const char *topic)
{
    pthread_mutex_lock(&N.mu);
    bool queued = !N.started;
    for (int i = 0; !queued && i < N.n; i++)
        queued = strcmp(N.pending[i], topic) == 0;
    if (!queued && N.n < MAX_PENDING) {
        snprintf(N.pending[N.n++], TOPIC_MAX, "%s", topic);
        pthread_cond_signal(&N.cv);
    }
    pthread_mutex_unlock(&N.mu);
}

void changes_notifier_stop(void)
{
    pthread_mutex_lock(&N.mu);
    bool started = N.started;
    N.started = false;
    N.stop = true;
    pthread_cond_broadcast(&N.cv);
    pthread_mutex_unlock(&N.mu);
    if (!started)
        return;
    pthread_join(N.thread, NULL);
    db_destroy(N.d);
    N.d = NULL;
}

/* ---- receiving ---------------------------------------------------------------- */

struct changes_relay {
    changes_relay_config c;
    pg_listen *l;
};

int changes_parse(const char *payload, char *node, size_t node_len, char *topic, size_t topic_len)
{
    const char *sp = strchr(payload, ' ');
    if (!sp || sp == payload || !sp[1] || strchr(sp + 1, ' '))
        return -1;
    snprintf(node, node_len, "%.*s", (int)(sp - payload), payload);
    snprintf(topic, topic_len, "%s", sp + 1);
    return 0;
}

static void relay(changes_relay *r, const char *from)
{
    char source[160];
    snprintf(source, sizeof source, "node:%s", from);
    bus_pub_send_strings(r->c.pub, r->c.topic, 1, (const char *[]){ "source" }, (const char *[]){ source });
    if (r->c.local)
        r->c.local();
}

static void on_notify(void *arg, const char *payload)
{
    changes_relay *r = arg;
    char node[128], topic[TOPIC_MAX];
    if (changes_parse(payload, node, sizeof node, topic, sizeof topic) != 0 || strcmp(node, r->c.node_id) == 0 ||
        strcmp(topic, r->c.topic) != 0)
        return;
    log_debug("HA: %s from node %s", topic, node);
    relay(r, node);
}

static void on_listen(void *arg)
{
    relay(arg, "?"); /* what may have been missed while not listening */
}

changes_relay *changes_relay_start(const changes_relay_config *c)
{
    changes_relay *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->c = *c;
    pg_listen_config lc = { .db = c->db, .app_name = c->app_name, .channel = CHANGES_CHANNEL, .on_notify = on_notify,
                            .on_listen = on_listen, .arg = r };
    if (!(r->l = pg_listen_start(&lc))) {
        free(r);
        return NULL;
    }
    return r;
}

void changes_relay_stop(changes_relay *r)
{
    if (!r)
        return;
    pg_listen_stop(r->l);
    free(r);
}
