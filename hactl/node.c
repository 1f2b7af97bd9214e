/* node: the raft member and its libuv thread (see node.h). */
#include "node.h"

#include <errno.h>
#include <pthread.h>
#include <raft.h>
#include <raft/uv.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "clock.h"
#include "log.h"
#include "members.h"

#define RECONCILE_MS 5000
#define TRANSFER_WAIT_MS 2000

static struct {
    uv_loop_t loop;
    uv_timer_t poll;
    uv_async_t stop;
    struct raft_uv_transport transport;
    struct raft_io io;
    struct raft_fsm fsm;
    struct raft raft;
    struct raft_transfer transfer;
    members m;
    pthread_t thread;
    bool running, stopping, closing;
    int64_t next_reconcile_ms, stop_deadline_ms;
    int last_state;
    pthread_mutex_t mu;
    node_view view;
} n = { .mu = PTHREAD_MUTEX_INITIALIZER };

uint64_t node_raft_id(const char *address)
{
    unsigned long long id = raft_digest(address, 0);
    return id ? id : 1;
}

/* ---- the empty state machine (upstream's FSM only logs) ------------------ */

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    (void)fsm;
    (void)buf;
    *result = NULL;
    return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    (void)fsm;
    *bufs = raft_malloc(sizeof **bufs);
    if (!*bufs)
        return RAFT_NOMEM;
    (*bufs)[0].len = 8; /* a snapshot of nothing: libraft wants some bytes */
    (*bufs)[0].base = raft_calloc(1, 8);
    if (!(*bufs)[0].base) {
        raft_free(*bufs);
        return RAFT_NOMEM;
    }
    *n_bufs = 1;
    return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    (void)fsm;
    raft_free(buf->base);
    return 0;
}

/* ---- the loop thread -------------------------------------------------------- */

static void copy_view(void)
{
    node_view v = { 0 };
    int st = raft_state(&n.raft);
    v.role = st == RAFT_LEADER ? NODE_LEADER : st == RAFT_CANDIDATE ? NODE_CANDIDATE
             : st == RAFT_FOLLOWER                                  ? NODE_FOLLOWER
                                                                    : NODE_UNAVAILABLE;
    v.term = (int64_t)n.raft.current_term;
    raft_id lid = 0;
    const char *laddr = NULL;
    raft_leader(&n.raft, &lid, &laddr);
    if (laddr)
        snprintf(v.leader_address, sizeof v.leader_address, "%s", laddr);
    for (unsigned i = 0; i < n.raft.configuration.n && v.n_members < NODE_MAX_MEMBERS; i++) {
        node_member *m = &v.members[v.n_members++];
        snprintf(m->address, sizeof m->address, "%s", n.raft.configuration.servers[i].address);
        m->voter = n.raft.configuration.servers[i].role == RAFT_VOTER;
    }
    v.updated_ms = clock_mono_ms();
    pthread_mutex_lock(&n.mu);
    n.view = v;
    pthread_mutex_unlock(&n.mu);
}

static void closed_handle(uv_handle_t *h)
{
    (void)h;
}

static void raft_closed(struct raft *r)
{
    (void)r;
    raft_uv_close(&n.io);
    raft_uv_tcp_close(&n.transport);
    uv_close((uv_handle_t *)&n.poll, closed_handle);
    uv_close((uv_handle_t *)&n.stop, closed_handle);
}

static void close_now(void)
{
    if (n.closing)
        return;
    n.closing = true;
    uv_timer_stop(&n.poll);
    raft_close(&n.raft, raft_closed);
}

static void transferred(struct raft_transfer *req)
{
    (void)req;
    if (n.stopping)
        close_now();
}

static void on_poll(uv_timer_t *t)
{
    (void)t;
    if (n.closing)
        return;
    int st = raft_state(&n.raft);
    int64_t now = clock_mono_ms();
    if (st != n.last_state) {
        log_info("HA: this node is now %s (term %llu)",
                 st == RAFT_LEADER ? "the leader" : st == RAFT_CANDIDATE ? "a candidate" : "a follower",
                 (unsigned long long)n.raft.current_term);
        if (st == RAFT_LEADER)
            n.next_reconcile_ms = now; /* on becoming leader, then every 5 s */
        n.last_state = st;
    }
    if (st == RAFT_LEADER && !n.stopping && now >= n.next_reconcile_ms) {
        /* one change per pass: the next starts when it is done (next poll) */
        if (members_reconcile(&n.m) <= 0)
            n.next_reconcile_ms = now + RECONCILE_MS;
    }
    copy_view();
    if (n.stopping && now >= n.stop_deadline_ms)
        close_now();
}

static void on_stop(uv_async_t *a)
{
    (void)a;
    if (n.stopping)
        return;
    n.stopping = true;
    n.stop_deadline_ms = clock_mono_ms() + TRANSFER_WAIT_MS;
    /* shutdown as upstream: a leader hands over first, so the others need not wait for an election */
    if (raft_state(&n.raft) == RAFT_LEADER && n.raft.configuration.n > 1 &&
        raft_transfer(&n.raft, &n.transfer, 0, transferred) == 0) {
        log_info("HA: handing leadership over before stopping");
        return;
    }
    close_now();
}

static void *run(void *arg)
{
    (void)arg;
    uv_run(&n.loop, UV_RUN_DEFAULT);
    uv_loop_close(&n.loop);
    pthread_mutex_lock(&n.mu);
    n.view.role = NODE_UNAVAILABLE;
    pthread_mutex_unlock(&n.mu);
    return NULL;
}

static int mkdirs(const char *dir)
{
    char p[1024];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0750) != 0 && errno != EEXIST)
                return -1;
            *s = '/';
        }
    return mkdir(p, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

int node_start(const node_config *c)
{
    int rv;
    if (mkdirs(c->dir) != 0) {
        log_error("HA: cannot create %s: %s", c->dir, strerror(errno));
        return -1;
    }
    if (uv_loop_init(&n.loop) != 0)
        return -1;
    if ((rv = raft_uv_tcp_init(&n.transport, &n.loop)) != 0 ||
        (rv = raft_uv_tcp_set_bind_address(&n.transport, c->bind_address)) != 0) {
        log_error("HA: raft transport on %s: %s", c->bind_address, raft_strerror(rv));
        return -1;
    }
    if ((rv = raft_uv_init(&n.io, &n.loop, c->dir, &n.transport)) != 0) {
        log_error("HA: raft storage %s: %s", c->dir, raft_strerror(rv));
        return -1;
    }
    n.fsm = (struct raft_fsm){ .version = 1, .apply = fsm_apply, .snapshot = fsm_snapshot, .restore = fsm_restore };
    uint64_t id = node_raft_id(c->address);
    if ((rv = raft_init(&n.raft, &n.io, &n.fsm, id, c->address)) != 0) {
        log_error("HA: raft: %s", raft_errmsg(&n.raft));
        return -1;
    }
    /* every node bootstraps the same configuration; a node with state keeps it */
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    rv = raft_configuration_add(&conf, id, c->address, RAFT_VOTER);
    for (size_t i = 0; rv == 0 && i < c->n_peers; i++)
        rv = raft_configuration_add(&conf, node_raft_id(c->peers[i]), c->peers[i], RAFT_VOTER);
    if (rv == 0) {
        rv = raft_bootstrap(&n.raft, &conf);
        if (rv == 0)
            log_info("HA: bootstrapped raft in %s with %zu voters", c->dir, c->n_peers + 1);
        else if (rv == RAFT_CANTBOOTSTRAP)
            rv = 0; /* "already bootstrapped" */
    }
    raft_configuration_close(&conf);
    if (rv != 0) {
        log_error("HA: raft bootstrap: %s", raft_strerror(rv));
        return -1;
    }
    /* upstream: ElectionTimeout 1 s (libraft randomises 1-2x); heartbeats well inside it */
    raft_set_election_timeout(&n.raft, 1000);
    raft_set_heartbeat_timeout(&n.raft, 100);
    raft_set_snapshot_threshold(&n.raft, 8192);
    raft_set_snapshot_trailing(&n.raft, 10240);
    /* a node back from a pause or partition asks before it disrupts the leader */
    raft_set_pre_vote(&n.raft, true);
    n.m = (members){ .r = &n.raft, .self = c->address, .peers = c->peers, .n_peers = c->n_peers };
    n.last_state = -1;
    if ((rv = raft_start(&n.raft)) != 0) {
        log_error("HA: raft start: %s", raft_errmsg(&n.raft));
        return -1;
    }
    uv_timer_init(&n.loop, &n.poll);
    uv_async_init(&n.loop, &n.stop, on_stop);
    uv_timer_start(&n.poll, on_poll, 0, NODE_POLL_MS);
    copy_view();
    if (pthread_create(&n.thread, NULL, run, NULL) != 0)
        return -1;
    n.running = true;
    log_info("HA: raft member %s (node %s, id %llu) listening on %s", c->address, c->node_id,
             (unsigned long long)id, c->bind_address);
    return 0;
}

void node_view_get(node_view *out)
{
    pthread_mutex_lock(&n.mu);
    *out = n.view;
    pthread_mutex_unlock(&n.mu);
}

void node_stop(void)
{
    if (!n.running)
        return;
    uv_async_send(&n.stop);
    pthread_join(n.thread, NULL);
    n.running = false;
}
