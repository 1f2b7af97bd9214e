/* members: membership reconcile on the leader (see members.h). */
#include "members.h"

#include <string.h>

#include "log.h"
#include "node.h"

static void changed(struct raft_change *req, int status)
{
    members *m = req->data;
    m->pending = false;
    if (status != 0)
        log_warn("HA: membership change failed: %s", raft_strerror(status));
}

static bool wanted(const members *m, const char *address)
{
    if (strcmp(address, m->self) == 0)
        return true;
    for (size_t i = 0; i < m->n_peers; i++)
        if (strcmp(address, m->peers[i]) == 0)
            return true;
    return false;
}

static const struct raft_server *find(const struct raft *r, const char *address)
{
    for (unsigned i = 0; i < r->configuration.n; i++)
        if (strcmp(r->configuration.servers[i].address, address) == 0)
            return &r->configuration.servers[i];
    return NULL;
}

static int started(members *m, int rv, const char *what, const char *address)
{
    if (rv != 0) {
        log_warn("HA: cannot %s %s: %s", what, address, raft_strerror(rv));
        return -1;
    }
    m->pending = true;
    log_info("HA: %s %s", what, address);
    return 1;
}

int members_reconcile(members *m)
{
    if (m->pending || raft_state(m->r) != RAFT_LEADER)
        return 0;
    m->change.data = m;
    /* removals first: a server no longer configured must not count towards quorum */
    for (unsigned i = 0; i < m->r->configuration.n; i++) {
        const struct raft_server *s = &m->r->configuration.servers[i];
        if (!wanted(m, s->address))
            return started(m, raft_remove(m->r, &m->change, s->id, changed), "removing", s->address);
    }
    const char *const *all = m->peers;
    for (size_t i = 0; i <= m->n_peers; i++) {
        const char *address = i == m->n_peers ? m->self : all[i];
        const struct raft_server *s = find(m->r, address);
        if (!s)
            return started(m, raft_add(m->r, &m->change, node_raft_id(address), address, changed), "adding",
                           address);
        if (s->role != RAFT_VOTER)
            return started(m, raft_assign(m->r, &m->change, s->id, RAFT_VOTER, changed), "promoting to voter",
                           address);
    }
    return 0;
}
