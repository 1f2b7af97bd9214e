/* node: this server's raft member (canonical raft, libraft 0.15, over
 * libuv TCP), used for leader election and membership only, as upstream
 * (config-rendering §8.1): the state machine is empty, raft keeps the voter
 * configuration itself.
 *
 * Threading rule: libraft is not thread-safe and runs on its own libuv
 * loop. Everything that touches the raft instance, its I/O or the loop
 * runs on the one thread node_start makes (timers and callbacks of that
 * loop). Other threads only read a copy of the state (node_view, under a
 * mutex, refreshed every NODE_POLL_MS) and ask for the stop (uv_async).
 * Nothing on that thread blocks: no PostgreSQL, no bus calls (announce.c
 * does those on its own thread from the view).
 *
 * Bootstrap: every node that has no raft state yet bootstraps with the same
 * configuration, itself and every peer of --ha-peers as voters (raft ids
 * are digests of the addresses, so every node computes the same), and an
 * existing state ("already bootstrapped") is kept. The leader reconciles
 * that configuration with the configured one on becoming leader and every
 * 5 s: missing peers are added as voters, servers no longer configured
 * are removed, one change at a time. A node restarted with its storage
 * deleted bootstraps the same first entry again and catches up from the
 * leader. */
#ifndef HACTL_NODE_H
#define HACTL_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_POLL_MS 50
#define NODE_MAX_MEMBERS 16
#define NODE_ADDR_MAX 128

typedef struct {
    const char *node_id;      /* PMM_HA_NODE_ID */
    const char *address;      /* advertised raft address host:port (this node's identity in raft) */
    const char *bind_address; /* IPv4 ip:port the TCP transport listens on */
    const char *dir;          /* raft storage (created 0750) */
    const char *const *peers; /* other members' raft addresses host:port */
    size_t n_peers;
    bool debug;               /* PMM_DEBUG: more logging */
} node_config;

typedef enum { NODE_UNAVAILABLE, NODE_FOLLOWER, NODE_CANDIDATE, NODE_LEADER } node_role;

typedef struct {
    char address[NODE_ADDR_MAX];
    bool voter;
} node_member;

typedef struct {
    node_role role;
    int64_t term;
    char leader_address[NODE_ADDR_MAX]; /* "" when no leader is known */
    node_member members[NODE_MAX_MEMBERS];
    size_t n_members;
    int64_t updated_ms;                 /* clock_mono_ms of this copy: a stuck loop shows */
} node_view;

/* Opens the storage, bootstraps if new, starts the raft member and its
 * thread. 0, or -1 (logged). */
int node_start(const node_config *c);
/* The latest copy of the state (any thread). */
void node_view_get(node_view *out);
/* The leader hands leadership over (up to 2 s), then raft stops and the
 * thread ends. Any thread; idempotent. */
void node_stop(void);

/* The raft id of an address (the same on every node). */
uint64_t node_raft_id(const char *address);

#endif
