/* leader: the HA leadership state of this process (see leader.h). */
#include "leader.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <msgpack.h>

#include "clock.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static bool ha_on;          /* leases apply */
static bool leading = true; /* HA off: always */
static int64_t lead_term;
static int64_t last_leader_ms;

static bool truthy(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
                 strcasecmp(v, "on") == 0);
}

bool leader_ha_enabled(void)
{
    const char *v = getenv("PMM_HA_ENABLE");
    if (!v || !*v)
        v = getenv("PMM_TEST_HA_ENABLE");
    return truthy(v);
}

void leader_node_id(char *out, size_t len)
{
    const char *v = getenv("PMM_HA_NODE_ID");
    if (!v || !*v)
        v = getenv("PMM_TEST_HA_NODE_ID");
    if (v && *v) {
        snprintf(out, len, "%s", v);
        return;
    }
    if (len && gethostname(out, len) != 0)
        snprintf(out, len, "%s", "pmm-server");
    if (len)
        out[len - 1] = '\0';
}

void leader_init(void)
{
    pthread_mutex_lock(&mu);
    ha_on = leader_ha_enabled();
    leading = !ha_on;
    lead_term = 0;
    last_leader_ms = 0;
    pthread_mutex_unlock(&mu);
}

bool leader_current(int64_t *term)
{
    pthread_mutex_lock(&mu);
    bool on = leading && (!ha_on || clock_mono_ms() - last_leader_ms <= LEADER_LEASE_MS);
    if (term)
        *term = on ? lead_term : 0;
    pthread_mutex_unlock(&mu);
    return on;
}

bool leader_is(void)
{
    return leader_current(NULL);
}

void leader_set(bool on, int64_t term)
{
    pthread_mutex_lock(&mu);
    leading = on;
    lead_term = term;
    last_leader_ms = clock_mono_ms();
    pthread_mutex_unlock(&mu);
}

int leader_parse(const uint8_t *payload, size_t len, int64_t *term, char *node, size_t node_len)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = -1;
    if (node && node_len)
        node[0] = '\0';
    if (payload && msgpack_unpack_next(&u, (const char *)payload, len, NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR || kv->val.type != MSGPACK_OBJECT_STR)
                continue;
            char val[128];
            snprintf(val, sizeof val, "%.*s", (int)kv->val.via.str.size, kv->val.via.str.ptr);
            if (kv->key.via.str.size == 4 && memcmp(kv->key.via.str.ptr, "term", 4) == 0) {
                char *end;
                long long t = strtoll(val, &end, 10);
                if (*val && !*end && t >= 0) {
                    *term = t;
                    rc = 0;
                }
            } else if (kv->key.via.str.size == 4 && memcmp(kv->key.via.str.ptr, "node", 4) == 0 && node) {
                snprintf(node, node_len, "%s", val);
            }
        }
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}

int leader_on_event(const char *topic, const uint8_t *payload, size_t len)
{
    if (!topic)
        return 0;
    bool is_leader = strcmp(topic, LEADER_TOPIC) == 0;
    if (!is_leader && strcmp(topic, FOLLOWER_TOPIC) != 0)
        return 0;
    int64_t term = 0;
    if (leader_parse(payload, len, &term, NULL, 0) != 0 && is_leader)
        return 1;
    leader_set(is_leader, term);
    return 1;
}

void leader_announce(bus_pub *p, bool on, int64_t term, const char *node)
{
    char t[32];
    snprintf(t, sizeof t, "%" PRId64, term);
    bus_pub_send_strings(p, on ? LEADER_TOPIC : FOLLOWER_TOPIC, 2, (const char *[]){ "term", "node" },
                         (const char *[]){ t, node ? node : "" });
}
