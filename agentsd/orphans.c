/* orphans: frames of streams not yet re-announced (see orphans.h). */
#include "orphans.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "credit.h"
#include "loop.h"
#include "protocol.h"
#include "bus/stream_msg.h"

#define ORPHAN_MAX 4096                      /* frames kept for streams not yet re-announced */
#define ORPHAN_MAX_BYTES ((size_t)64 << 20) /* and their bytes; one larger frame may pass */
#define ORPHAN_KEEP_MS 10000
#define GW_MAX 128

typedef struct orphan {
    uint64_t stream_id;
    int64_t at_ms;
    uint8_t *data;
    size_t len;
    char gw[GW_MAX]; /* to credit a frame that is dropped */
    size_t gw_len;
    struct orphan *next;
} orphan;

static struct {
    orphan *head;
    int n;
    size_t bytes;
} O;

static int known(uint64_t stream_id)
{
    for (orphan *o = O.head; o; o = o->next)
        if (o->stream_id == stream_id)
            return 1;
    return 0;
}

/* Keeps a copy; 0, or -1 when it is dropped instead. */
static int append(const void *gw, size_t gw_len, uint64_t stream_id, const uint8_t *data, size_t len)
{
    if (O.n >= ORPHAN_MAX || (O.bytes > 0 && O.bytes + len > ORPHAN_MAX_BYTES) || gw_len > GW_MAX)
        return -1;
    orphan *o = calloc(1, sizeof *o);
    if (!o || !(o->data = malloc(len ? len : 1))) {
        free(o);
        return -1;
    }
    if (len) /* an empty frame has no data to copy (data may be NULL) */
        memcpy(o->data, data, len);
    o->len = len;
    memcpy(o->gw, gw, gw_len);
    o->gw_len = gw_len;
    o->stream_id = stream_id;
    o->at_ms = clock_mono_ms();
    orphan **p = &O.head; /* appended: replayed in order */
    while (*p)
        p = &(*p)->next;
    *p = o;
    O.n++;
    O.bytes += len;
    return 0;
}

static void drop(orphan *o, int credit)
{
    O.n--;
    O.bytes -= o->len;
    if (credit)
        credit_send(o->gw, o->gw_len, o->stream_id, o->len);
    free(o->data);
    free(o);
}

void orphans_keep(const void *gw, size_t gw_len, uint64_t stream_id, const uint8_t *data, size_t len)
{
    int first = !known(stream_id);
    if (append(gw, gw_len, stream_id, data, len) != 0)
        credit_send(gw, gw_len, stream_id, len); /* dropped: the gateway may go on */
    if (first) {
        zmq_msg_t z;
        if (stream_msg_make(&z, INTERNAL__V1__STREAM_KIND__STREAM_KIND_UNKNOWN, stream_id, NULL, 0, 0, NULL) == 0)
            loop_send(gw, gw_len, &z);
    }
}

void orphans_replay(conn *c)
{
    conn_ref(c); /* a frame may end the stream */
    for (orphan **p = &O.head; *p;) {
        orphan *o = *p;
        if (o->stream_id != c->stream_id) {
            p = &o->next;
            continue;
        }
        *p = o->next;
        protocol_frame(c, o->data, o->len); /* credits it */
        drop(o, 0);
    }
    conn_unref(c);
}

void orphans_expire(int64_t now)
{
    for (orphan **p = &O.head; *p;) {
        orphan *o = *p;
        if (now - o->at_ms > ORPHAN_KEEP_MS) {
            *p = o->next;
            drop(o, 1);
        } else {
            p = &o->next;
        }
    }
}
