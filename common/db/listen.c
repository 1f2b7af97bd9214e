/* listen: a LISTEN thread on its own connection (see listen.h). */
#include "db/listen.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db/store/store.h"
#include "log.h"

#define POLL_MS 500

struct pg_listen {
    pg_listen_config c;
    db *d;
    pthread_t thread;
    atomic_int stop;
};

static void pause_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Listens on a (new) connection: true when it does. */
static bool listen_on(pg_listen *l)
{
    rpc_status st;
    char sql[128];
    snprintf(sql, sizeof sql, "LISTEN %s", l->c.channel);
    PGresult *r = db_exec_script(l->d, &st, sql);
    if (!r) {
        log_warn("cannot listen on %s: %s", l->c.channel, st.message);
        return false;
    }
    PQclear(r);
    if (l->c.on_listen)
        l->c.on_listen(l->c.arg); /* what we missed meanwhile */
    return true;
}

static void *listen_main(void *arg)
{
    pg_listen *l = arg;
    int listening_pid = 0; /* the backend that LISTENs; 0 = none */
    while (!atomic_load(&l->stop)) {
        PGconn *c = db_conn(l->d);
        if (!c) {
            listening_pid = 0;
            pause_ms(1000);
            continue;
        }
        if (PQbackendPID(c) != listening_pid) {
            listening_pid = listen_on(l) ? PQbackendPID(c) : 0;
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
            store_ping(l->d, &st);
            listening_pid = 0;
            continue;
        }
        PGnotify *n;
        while ((n = PQnotifies(c)) != NULL) {
            l->c.on_notify(l->c.arg, n->extra ? n->extra : "");
            PQfreemem(n);
        }
    }
    return NULL;
}

pg_listen *pg_listen_start(const pg_listen_config *c)
{
    pg_listen *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->c = *c;
    l->d = db_new(c->db);
    if (!l->d) {
        free(l);
        return NULL;
    }
    if (c->app_name)
        db_set_application_name(l->d, c->app_name);
    if (pthread_create(&l->thread, NULL, listen_main, l) != 0) {
        log_error("cannot start listening on %s", c->channel);
        db_destroy(l->d);
        free(l);
        return NULL;
    }
    return l;
}

void pg_listen_stop(pg_listen *l)
{
    if (!l)
        return;
    atomic_store(&l->stop, 1);
    pthread_join(l->thread, NULL);
    db_destroy(l->d);
    free(l);
}
