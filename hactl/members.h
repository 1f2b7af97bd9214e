/* members: the leader's membership reconcile (config-rendering §8.1): the
 * wanted voters are this node and the configured peers; raft's
 * configuration gets what is missing and loses what is no longer wanted,
 * one change at a time (libraft takes one pending change). Runs on the
 * raft thread (node.h's threading rule). */
#ifndef HACTL_MEMBERS_H
#define HACTL_MEMBERS_H

#include <raft.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    struct raft *r;
    const char *self;
    const char *const *peers;
    size_t n_peers;
    struct raft_change change;
    bool pending;
} members;

/* Starts the next change if one is needed and none is pending. Leader
 * only; returns 1 when a change was started, 0 when the configuration is
 * as wanted (or a change is pending), -1 when libraft refused (logged). */
int members_reconcile(members *m);

#endif
