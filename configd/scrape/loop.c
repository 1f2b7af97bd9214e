/* loop: the update thread (see loop.h). Events are hints:
 * inventory.changed {kind, op, ids} names what changed, settings.changed
 * says the settings did; the state re-reads the database either way. */
#include "loop.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "bus/bus.h"
#include "log.h"

#define POLL_MS 200
#define RETRY_MS 1000
#define MAX_IDS 4096

struct scrape_loop {
    scrape_loop_config cfg;
    pthread_t thread;
    atomic_int stop;
};

/* What the events since the last update ask for. */
typedef struct {
    bool full;
    char *ids[MAX_IDS];
    size_t n;
} pending;

static void pending_clear(pending *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->ids[i]);
    p->n = 0;
    p->full = false;
}

static void pending_add(pending *p, const char *id, size_t len)
{
    for (size_t i = 0; i < p->n; i++)
        if (strlen(p->ids[i]) == len && memcmp(p->ids[i], id, len) == 0)
            return;
    if (p->n == MAX_IDS) { /* a burst this large is cheaper as one full update */
        p->full = true;
        return;
    }
    char *s = strndup(id, len);
    if (!s) {
        p->full = true;
        return;
    }
    p->ids[p->n++] = s;
}

static bool str_is(const msgpack_object *o, const char *s)
{
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) && memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

/* inventory.changed: agents go by id; a node or service change, or a
 * payload we cannot read, asks for a full update. */
static void take_inventory(pending *p, const uint8_t *payload, size_t len)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    bool agent = false, understood = false;
    const msgpack_object *ids = NULL;
    if (msgpack_unpack_next(&u, (const char *)payload, len, NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
            if (str_is(&kv->key, "kind"))
                agent = str_is(&kv->val, "agent");
            else if (str_is(&kv->key, "ids") && kv->val.type == MSGPACK_OBJECT_ARRAY)
                ids = &kv->val;
        }
        understood = agent && ids;
    }
    if (!understood) {
        p->full = true;
    } else {
        for (uint32_t i = 0; i < ids->via.array.size; i++) {
            const msgpack_object *o = &ids->via.array.ptr[i];
            if (o->type == MSGPACK_OBJECT_STR)
                pending_add(p, o->via.str.ptr, o->via.str.size);
        }
    }
    msgpack_unpacked_destroy(&u);
}

static void take_event(pending *p, const char *topic, const uint8_t *payload, size_t len)
{
    if (strcmp(topic, "inventory.changed") == 0)
        take_inventory(p, payload, len);
    else
        p->full = true; /* settings.changed */
}

/* Waits up to wait_ms for a first event, then takes every event already
 * queued. Returns true when something is pending. */
static bool gather(bus_sub *sub, pending *p, int wait_ms)
{
    char *topic;
    uint8_t *payload;
    size_t len;
    int timeout = wait_ms;
    while (bus_sub_recv(sub, timeout, &topic, &payload, &len) == 1) {
        take_event(p, topic, payload, len);
        free(topic);
        free(payload);
        timeout = 0;
    }
    return p->full || p->n;
}

static bus_sub *subscribe(const scrape_loop_config *cfg)
{
    bus_sub *sub = bus_sub_new(cfg->zmq_ctx);
    if (!sub)
        return NULL;
    static const char *const publishers[] = { "inventoryd", "agentsd", "configd" };
    for (size_t i = 0; i < sizeof publishers / sizeof *publishers; i++) {
        char ep[512];
        bus_pub_endpoint(ep, sizeof ep, cfg->run_dir, publishers[i]);
        /* a subscription applies to every endpoint of the socket */
        if (bus_sub_connect(sub, ep, i == 2 ? "settings.changed" : "inventory.changed") != 0) {
            bus_sub_destroy(sub);
            return NULL;
        }
    }
    return sub;
}

static void *run(void *arg)
{
    scrape_loop *l = arg;
    bus_sub *sub = subscribe(&l->cfg);
    db *d = db_new(l->cfg.db);
    scrape_state *s = scrape_state_new(&l->cfg.scrape);
    if (!sub || !d || !s) {
        log_error("scrape configuration updates cannot start: out of memory or no bus");
        goto out;
    }
    db_set_application_name(d, "configd-scrape");
    pending p = { .full = true };
    bool failed = false;
    while (!atomic_load(&l->stop)) {
        bool work = gather(sub, &p, failed ? RETRY_MS : POLL_MS) || failed;
        if (scrape_state_base_changed(s))
            p.full = work = true;
        if (!work || atomic_load(&l->stop))
            continue;
        rpc_status st = { 0 };
        int rc = p.full ? scrape_state_full(s, d, &st)
                        : scrape_state_agents(s, d, (const char *const *)p.ids, p.n, &st);
        if (rc == RPC_OK) {
            pending_clear(&p);
            failed = false;
            continue;
        }
        log_error("Failed to update configuration, will retry: %s", st.message);
        /* A refused file stays refused until something changes; any
         * other failure (database, reload) is retried as a full update. */
        if (rc == RPC_ABORTED || rc == RPC_FAILED_PRECONDITION) {
            pending_clear(&p);
            failed = false;
        } else {
            pending_clear(&p);
            p.full = true;
            failed = true;
        }
    }
    pending_clear(&p);
out:
    scrape_state_destroy(s);
    db_destroy(d);
    bus_sub_destroy(sub);
    return NULL;
}

scrape_loop *scrape_loop_start(const scrape_loop_config *cfg)
{
    scrape_loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->cfg = *cfg;
    if (pthread_create(&l->thread, NULL, run, l) != 0) {
        free(l);
        return NULL;
    }
    return l;
}

void scrape_loop_stop(scrape_loop *l)
{
    if (!l)
        return;
    atomic_store(&l->stop, 1);
    pthread_join(l->thread, NULL);
    free(l);
}
