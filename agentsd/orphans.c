/* orphans: frames of streams not yet re-announced (see orphans.h). */
#include "orphans.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "loop.h"
#include "protocol.h"
#include "bus/stream_msg.h"

#define ORPHAN_MAX 4096 /* frames kept for streams not yet re-announced */
#define ORPHAN_KEEP_MS 10000

typedef struct orphan {
    uint64_t stream_id;
    int64_t at_ms;
    uint8_t *data;
    size_t len;
    struct orphan *next;
} orphan;

static struct {
    orphan *head;
    int n;
} O;

static int known(uint64_t stream_id)
{
    for (orphan *o = O.head; o; o = o->next)
        if (o->stream_id == stream_id)
            return 1;
    return 0;
}

static void append(uint64_t stream_id, const uint8_t *data, size_t len)
{
    if (O.n >= ORPHAN_MAX)
        return;
    orphan *o = calloc(1, sizeof *o);
    if (!o || !(o->data = malloc(len ? len : 1))) {
        free(o);
        return;
    }
    if (len) /* an empty frame has no data to copy (data may be NULL) */
        memcpy(o->data, data, len);
    o->len = len;
    o->stream_id = stream_id;
    o->at_ms = clock_mono_ms();
    orphan **p = &O.head; /* appended: replayed in order */
    while (*p)
        p = &(*p)->next;
    *p = o;
    O.n++;
}

void orphans_keep(const void *gw, size_t gw_len, uint64_t stream_id, const uint8_t *data, size_t len)
{
    int first = !known(stream_id);
    append(stream_id, data, len);
    if (first) {
        zmq_msg_t z;
        if (stream_msg_make(&z, INTERNAL__V1__STREAM_KIND__STREAM_KIND_UNKNOWN, stream_id, NULL, 0, 0, NULL) == 0)
            loop_send(gw, gw_len, &z);
    }
}

void orphans_replay(conn *c)
{
    for (orphan **p = &O.head; *p;) {
        orphan *o = *p;
        if (o->stream_id != c->stream_id) {
            p = &o->next;
            continue;
        }
        *p = o->next;
        O.n--;
        if (c->state == CONN_LIVE)
            protocol_frame(c, o->data, o->len);
        free(o->data);
        free(o);
    }
}

void orphans_expire(int64_t now)
{
    for (orphan **p = &O.head; *p;) {
        orphan *o = *p;
        if (now - o->at_ms > ORPHAN_KEEP_MS) {
            *p = o->next;
            O.n--;
            free(o->data);
            free(o);
        } else {
            p = &o->next;
        }
    }
}
