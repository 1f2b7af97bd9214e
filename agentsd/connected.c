/* connected: is_connected in batches (see connected.h). */
#include "connected.h"

#include <stdlib.h>
#include <string.h>

#include "dbpool.h"
#include "log.h"
#include "rpc.h"
#include "status.h"
#include "streams.h"

typedef struct {
    char *id;
    int on;
    size_t seq;
} change;

static struct {
    change *v;
    size_t n, cap, seq;
    int busy;
    int reconcile;
} Q;

typedef struct {
    char **on, **off, **live;
    size_t n_on, n_off, n_live;
    int reconcile;
} store_job;

static void store_work(db *d, void *arg)
{
    store_job *j = arg;
    rpc_status st = { 0 };
    int code = j->reconcile ? status_reconcile(d, (const char *const *)j->live, j->n_live, &st)
                            : status_set_connected(d, (const char *const *)j->on, j->n_on,
                                                   (const char *const *)j->off, j->n_off, &st);
    if (code != RPC_OK)
        log_warn("cannot store the connection state of %zu pmm-agents: %s", j->reconcile ? j->n_live : j->n_on + j->n_off,
                 st.message);
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void job_free(store_job *j)
{
    free_strs(j->on, j->n_on);
    free_strs(j->off, j->n_off);
    free_strs(j->live, j->n_live);
    free(j);
}

static void clear(void)
{
    for (size_t i = 0; i < Q.n; i++)
        free(Q.v[i].id);
    Q.n = 0;
}

static void collect_live(conn *c, void *arg)
{
    store_job *j = arg;
    char *id = strdup(c->agent_id);
    if (id)
        j->live[j->n_live++] = id;
}

/* by id, the latest change first */
static int change_cmp(const void *a, const void *b)
{
    const change *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->seq < y->seq) - (x->seq > y->seq);
}

/* The queued changes, the latest per id, moved into j. */
static int take_changes(store_job *j)
{
    qsort(Q.v, Q.n, sizeof *Q.v, change_cmp);
    j->on = calloc(Q.n, sizeof *j->on);
    j->off = calloc(Q.n, sizeof *j->off);
    if (!j->on || !j->off)
        return -1;
    const char *last = NULL; /* the id taken last (sorted: its older changes follow it) */
    for (size_t i = 0; i < Q.n; i++) {
        if (last && strcmp(Q.v[i].id, last) == 0)
            continue;
        last = Q.v[i].id;
        if (Q.v[i].on)
            j->on[j->n_on++] = Q.v[i].id;
        else
            j->off[j->n_off++] = Q.v[i].id;
        Q.v[i].id = NULL;
    }
    return 0;
}

static void store_done(void *arg);

static void flush(void)
{
    if (Q.busy || (!Q.reconcile && Q.n == 0))
        return;
    store_job *j = calloc(1, sizeof *j);
    if (!j)
        return;
    int rc = 0;
    if (Q.reconcile) {
        j->reconcile = 1;
        Q.reconcile = 0;
        j->live = calloc((size_t)streams_live() + 1, sizeof *j->live);
        if (j->live)
            streams_each(collect_live, j);
        else
            rc = -1;
    } else {
        rc = take_changes(j);
    }
    clear();
    if (rc != 0)
        log_warn("out of memory: the connection state of the pmm-agents is not stored");
    if (rc != 0 || dbpool_submit(store_work, store_done, j) != 0) {
        job_free(j); /* or stopping: the streams stay with the gateway */
        return;
    }
    Q.busy = 1;
}

static void store_done(void *arg)
{
    job_free(arg);
    Q.busy = 0;
    flush();
}

void connected_store(const char *agent_id, int connected)
{
    if (Q.n == Q.cap) {
        size_t cap = Q.cap ? Q.cap * 2 : 256;
        change *v = realloc(Q.v, cap * sizeof *v);
        if (!v)
            return;
        Q.v = v;
        Q.cap = cap;
    }
    char *id = strdup(agent_id);
    if (!id)
        return;
    Q.v[Q.n++] = (change){ id, connected, Q.seq++ };
    flush();
}

void connected_reconcile(void)
{
    Q.reconcile = 1;
    flush();
}

void connected_free_all(void)
{
    clear();
    free(Q.v);
    Q.v = NULL;
    Q.cap = 0;
}
