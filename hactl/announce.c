/* announce: leader / follower on the bus, fenced (see announce.h). */
#include "announce.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db/store/ha_fence.h"
#include "db/store/ha_nodes.h"
#include "leader.h"
#include "log.h"
#include "node.h"
#include "status.h"

#define STATUS_EVERY_MS 1000
/* A view this old means the raft thread is stuck: not leading. As long
 * as raft's own election timeout, so that a loaded machine (a poll late
 * by a few hundred ms) does not flap the announcement. */
#define VIEW_STALE_MS 1000
/* While leading, the fence is passed again this often (a backstop: raft
 * already says no other node leads this term). */
#define FENCE_EVERY_MS 5000

static struct {
    announce_config c;
    db *d;
    pthread_t thread;
    volatile bool stop;
    bool running;
} an;

/* The fence at term, in a transaction of its own. */
static bool fence(int64_t term, char *why, size_t why_len)
{
    rpc_status st = { 0 };
    if (db_begin(an.d, &st) == RPC_OK && leader_fence(an.d, term, an.c.node_id, &st) == RPC_OK &&
        db_commit(an.d, &st) == RPC_OK)
        return true;
    db_rollback(an.d);
    snprintf(why, why_len, "%s", st.message);
    return false;
}

static void *run(void *arg)
{
    (void)arg;
    bool was = false, first = true;
    int64_t was_term = -1, last_sent = 0, last_status = 0, refused_term = -1, last_loop = 0, last_fence = 0;
    int64_t status_term = -1, last_node_read = 0;
    char leader_node[128] = "";
    while (!an.stop) {
        node_view v;
        node_view_get(&v);
        int64_t now = clock_mono_ms();
        /* this thread itself was stopped (SIGSTOP, a frozen machine): what it knew is old */
        bool woke = now - last_loop > VIEW_STALE_MS;
        last_loop = now;
        bool lead = false;
        if (v.role == NODE_LEADER && now - v.updated_ms <= VIEW_STALE_MS && v.term != refused_term) {
            /* the fence on every way into leading (and every FENCE_EVERY_MS as a backstop), not on
             * each announcement: a slow PostgreSQL must not hold the announcements back */
            if (!was || v.term != was_term || woke || now - last_fence >= FENCE_EVERY_MS) {
                char why[RPC_MESSAGE_MAX] = "";
                lead = fence(v.term, why, sizeof why);
                last_fence = now;
                if (!lead) {
                    log_warn("HA: raft says this node leads term %lld but the fence refuses it: %s",
                             (long long)v.term, why);
                    if (strstr(why, "stale leader term"))
                        refused_term = v.term; /* a newer term exists: never again */
                }
            } else {
                lead = true;
            }
        }
        if (first || lead != was || v.term != was_term || now - last_sent >= LEADER_ANNOUNCE_MS) {
            leader_announce(an.c.pub, lead, v.term, an.c.node_id);
            if (first || lead != was)
                log_info("HA: announcing %s (term %lld)", lead ? "leader" : "follower", (long long)v.term);
            last_sent = now;
            was = lead;
            was_term = v.term;
            first = false;
        }
        if (now - last_status >= STATUS_EVERY_MS) {
            /* the leader's node id, from the fence: when the term changed, else every 5 s */
            if (v.term != status_term || now - last_node_read >= FENCE_EVERY_MS) {
                int64_t fterm = 0;
                char fnode[128] = "";
                rpc_status st = { 0 };
                if (leader_fence_read(an.d, &fterm, fnode, sizeof fnode, &st) == RPC_OK)
                    snprintf(leader_node, sizeof leader_node, "%s", fterm == v.term ? fnode : "");
                status_term = v.term;
                last_node_read = now;
            }
            rpc_status bst = { 0 };
            if (ha_nodes_beat(an.d, an.c.node_id, an.c.address, &bst) != RPC_OK)
                log_debug("HA: no heartbeat in ha_nodes: %s", bst.message);
            status_info si = { .node_id = an.c.node_id, .address = an.c.address, .view = &v,
                               .leader_node_id = *v.leader_address ? leader_node : "", .leading = lead,
                               .ha_enabled = true };
            if (status_write(an.c.status_path, &si) != 0)
                log_debug("HA: cannot write %s", an.c.status_path);
            last_status = now;
        }
        struct timespec ts = { 0, NODE_POLL_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
    /* leaving: this node leads no more */
    leader_announce(an.c.pub, false, was_term < 0 ? 0 : was_term, an.c.node_id);
    return NULL;
}

int announce_start(const announce_config *c)
{
    an.c = *c;
    an.stop = false;
    an.d = db_new(c->db);
    if (!an.d || pthread_create(&an.thread, NULL, run, NULL) != 0) {
        db_destroy(an.d);
        an.d = NULL;
        return -1;
    }
    an.running = true;
    return 0;
}

void announce_stop(void)
{
    if (!an.running)
        return;
    an.stop = true;
    pthread_join(an.thread, NULL);
    db_destroy(an.d);
    an.d = NULL;
    an.running = false;
}
