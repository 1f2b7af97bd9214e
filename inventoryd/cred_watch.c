/* cred_watch: LISTEN for credential changes, publish them (cred_watch.h). */
#include "cred_watch.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bus/credential_events.h"
#include "db/credentials.h"
#include "log.h"

#define POLL_MS 500

static struct {
    db *d;
    bus_pub *pub;
    pthread_t thread;
    bool started;
    atomic_int stop;
} W;

static void pause_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* "user:alice" -> kind "user", name "alice". */
static void relay(const char *payload)
{
    const char *colon = strchr(payload, ':');
    if (!colon || colon == payload) {
        credential_events_changed(W.pub, "all", "");
        return;
    }
    char kind[16];
    snprintf(kind, sizeof kind, "%.*s", (int)(colon - payload), payload);
    credential_events_changed(W.pub, kind, colon + 1);
}

/* Listens on a (new) connection: true when it does. */
static bool listen_on(void)
{
    rpc_status st;
    PGresult *r = db_exec_script(W.d, &st, "LISTEN " CRED_CHANNEL);
    if (!r) {
        log_warn("cannot listen for credential changes: %s", st.message);
        return false;
    }
    PQclear(r);
    credential_events_changed(W.pub, "all", ""); /* what we missed meanwhile */
    return true;
}

static void *watch_main(void *arg)
{
    (void)arg;
    int listening_pid = 0; /* the backend that LISTENs; 0 = none */
    while (!atomic_load(&W.stop)) {
        PGconn *c = db_conn(W.d);
        if (!c) {
            listening_pid = 0;
            pause_ms(1000);
            continue;
        }
        if (PQbackendPID(c) != listening_pid) {
            listening_pid = listen_on() ? PQbackendPID(c) : 0;
            if (!listening_pid) {
                pause_ms(1000);
                continue;
            }
        }
        struct pollfd pfd = { .fd = PQsocket(c), .events = POLLIN };
        if (pfd.fd < 0 || poll(&pfd, 1, POLL_MS) < 0)
            continue;
        if ((pfd.revents & (POLLIN | POLLERR | POLLHUP)) && !PQconsumeInput(c)) {
            /* the connection broke: a statement lets db notice and drop it */
            rpc_status st;
            PGresult *r = db_exec(W.d, &st, "SELECT 1", 0, NULL);
            if (r)
                PQclear(r);
            listening_pid = 0;
            continue;
        }
        PGnotify *n;
        while ((n = PQnotifies(c)) != NULL) {
            relay(n->extra ? n->extra : "");
            PQfreemem(n);
        }
    }
    return NULL;
}

int cred_watch_start(const db_params *p, bus_pub *pub)
{
    W.pub = pub;
    W.d = db_new(p);
    if (!W.d)
        return -1;
    db_set_application_name(W.d, "inventoryd");
    atomic_store(&W.stop, 0);
    if (pthread_create(&W.thread, NULL, watch_main, NULL) != 0) {
        db_destroy(W.d);
        W.d = NULL;
        return -1;
    }
    W.started = true;
    return 0;
}

void cred_watch_stop(void)
{
    if (W.started) {
        atomic_store(&W.stop, 1);
        pthread_join(W.thread, NULL);
        W.started = false;
    }
    db_destroy(W.d);
    W.d = NULL;
}
