/* table: the pmm-agent streams the gateway holds, and the one mutex that
 * guards every stream. A stream (astream) is one Connect call: its gRPC
 * side (call.h), its place in the admission queue (admit.h) and what
 * agentsd was told (relay.h). The completion-queue thread, the relay
 * thread and the admission threads take the lock for short, non-blocking
 * work only (grpc_call_start_batch never runs a completion inline). */
#ifndef GATEWAY_STREAM_TABLE_H
#define GATEWAY_STREAM_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <pthread.h>

#include <grpc/grpc.h>

#include "gateway/agent_stream.h"
#include "gateway/stream/flow.h"

/* ADMIT: credentials being checked; OPENING: agentsd was sent OPEN and has
 * not answered; OPEN: admitted by agentsd, messages flow; ENDING: the
 * final status is on its way (or the agent went away). */
enum { ST_ADMIT, ST_OPENING, ST_OPEN, ST_ENDING };

typedef struct sendbuf {
    grpc_byte_buffer *bb;
    size_t len;
    struct sendbuf *next;
} sendbuf;

typedef struct astream {
    uint64_t id;
    grpc_call *call;
    agent_tag t_close, t_recv, t_send;
    int refs;               /* outstanding operations + admission queue */
    int state;
    int gone;               /* the close notification came */
    int cancelled;
    int in_table;
    int told_agentsd;       /* agentsd was sent OPEN */
    /* the connect metadata */
    char *method;
    char *authorization;
    int bad_authorization;
    char *agent_id, *version, *metrics_port;
    int loopback;
    /* what agentsd answered, for the response headers and a resync */
    char *node_id, *node_name, *server_version;
    grpc_metadata hdr[3];
    int hdr_set, md_sent;
    /* the gRPC side (call.c) */
    grpc_byte_buffer *recv_buf;
    flow_state flow;        /* how far it is read ahead of agentsd */
    sendbuf *sq_head, *sq_tail;
    size_t sq_n, sq_bytes;
    grpc_byte_buffer *inflight;
    int send_inflight;
    int end_pending, end_code, status_sent;
    char *end_msg;
    grpc_slice details;
    int has_details;
    struct timespec started;
    int64_t open_sent_ms;
    void (*done)(void *);
    void *done_arg;
    struct astream *hnext, *qnext;
} astream;

void table_lock(void);
void table_unlock(void);
/* Waits on cv with the lock (held) given up meanwhile. */
void table_wait(pthread_cond_t *cv);

/* Lock held for all below. */
/* s gets the next stream id and goes in the table. */
void table_add(astream *s);
void table_remove(astream *s);
astream *table_find(uint64_t id);
long table_count(void);
/* Calls fn for every stream in the table; fn may take s out of it. */
void table_each(void (*fn)(astream *s, void *arg), void *arg);

#endif
