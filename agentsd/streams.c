/* streams: the stream table (see streams.h). */
#include "streams.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "strhash.h"
#include "bus/stream_msg.h"

#define BUCKETS 16384

static struct {
    conn *by_stream[BUCKETS];
    conn *by_agent[BUCKETS];
    long live;
} S;

static size_t hash_id(uint64_t id)
{
    return (size_t)((id ^ (id >> 29)) & (BUCKETS - 1));
}

static size_t hash_str(const char *s)
{
    return (size_t)(strhash(s) & (BUCKETS - 1));
}

conn *streams_add(const void *gw, size_t gw_len, uint64_t stream_id, const Internal__V1__StreamMeta *meta)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->stream_id = stream_id;
    c->gw = malloc(gw_len ? gw_len : 1);
    if (c->gw && gw_len)
        memcpy(c->gw, gw, gw_len);
    c->gw_len = gw_len;
    c->agent_id = strdup(meta && meta->pmm_agent_id ? meta->pmm_agent_id : "");
    c->version = strdup(meta && meta->agent_version ? meta->agent_version : "");
    c->metrics_port = meta ? meta->metrics_port : 0;
    c->refs = 1; /* the table's */
    if (!c->gw || !c->agent_id || !c->version) {
        conn_unref(c);
        return NULL;
    }
    c->next_stream = S.by_stream[hash_id(stream_id)];
    S.by_stream[hash_id(stream_id)] = c;
    return c;
}

conn *streams_find(uint64_t id)
{
    for (conn *c = S.by_stream[hash_id(id)]; c; c = c->next_stream)
        if (c->stream_id == id)
            return c;
    return NULL;
}

conn *streams_find_agent(const char *pmm_agent_id)
{
    for (conn *c = S.by_agent[hash_str(pmm_agent_id)]; c; c = c->next_agent)
        if (strcmp(c->agent_id, pmm_agent_id) == 0)
            return c;
    return NULL;
}

void streams_set_live(conn *c)
{
    if (streams_find_agent(c->agent_id))
        fatal("streams: pmm-agent %s would have two live streams", c->agent_id);
    c->state = CONN_LIVE;
    c->next_agent = S.by_agent[hash_str(c->agent_id)];
    S.by_agent[hash_str(c->agent_id)] = c;
    S.live++;
}

int streams_remove(conn *c)
{
    int found = 0;
    for (conn **p = &S.by_stream[hash_id(c->stream_id)]; *p; p = &(*p)->next_stream)
        if (*p == c) {
            *p = c->next_stream;
            found = 1;
            break;
        }
    if (!found)
        fatal("streams: stream %llu is not in the table", (unsigned long long)c->stream_id);
    for (conn **p = &S.by_agent[hash_str(c->agent_id)]; *p; p = &(*p)->next_agent)
        if (*p == c) {
            *p = c->next_agent;
            S.live--;
            return 1;
        }
    return 0;
}

long streams_live(void)
{
    return S.live;
}

conn **streams_snapshot(size_t *n)
{
    size_t cap = 0;
    *n = 0;
    for (size_t b = 0; b < BUCKETS; b++)
        for (conn *c = S.by_stream[b]; c; c = c->next_stream)
            cap++;
    if (cap == 0)
        return NULL;
    conn **all = malloc(cap * sizeof *all);
    if (!all)
        return NULL;
    for (size_t b = 0; b < BUCKETS; b++)
        for (conn *c = S.by_stream[b]; c; c = c->next_stream) {
            conn_ref(c);
            all[(*n)++] = c;
        }
    return all;
}

void streams_snapshot_free(conn **all, size_t n)
{
    for (size_t i = 0; i < n; i++)
        conn_unref(all[i]);
    free(all);
}

void streams_each(void (*fn)(conn *c, void *arg), void *arg)
{
    size_t n;
    conn **all = streams_snapshot(&n);
    for (size_t k = 0; k < n; k++)
        if (all[k]->state == CONN_LIVE)
            fn(all[k], arg);
    streams_snapshot_free(all, n);
}

void conn_ref(conn *c)
{
    c->refs++;
}

void conn_unref(conn *c)
{
    if (c->refs <= 0)
        fatal("streams: pmm-agent %s: reference count %d", c->agent_id ? c->agent_id : "?", c->refs);
    if (--c->refs > 0)
        return;
    if (c->pendings || c->sched)
        fatal("streams: pmm-agent %s freed with work still attached", c->agent_id ? c->agent_id : "?");
    free(c->gw);
    free(c->agent_id);
    free(c->version);
    free(c->node_id);
    free(c->node_name);
    free(c);
}

void streams_send(const conn *c, Internal__V1__StreamKind kind, const void *payload, size_t len, int code,
                  const char *message)
{
    zmq_msg_t z;
    if (stream_msg_make(&z, kind, c->stream_id, payload, len, code, message) == 0)
        loop_send(c->gw, c->gw_len, &z);
}

void streams_send_frame(const conn *c, const uint8_t *data, size_t len)
{
    streams_send(c, INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME, data, len, 0, NULL);
}
