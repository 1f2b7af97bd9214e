/* login_throttle: delays per caller address (see login_throttle.h). A
 * fixed table with linear probing by a keyed hash: an attacker choosing
 * addresses cannot aim at one slot, and a full table gives up its least
 * recently failed entry. */
#include "login_throttle.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#define PROBES 16

typedef struct {
    char key[THROTTLE_KEY_MAX];
    int failures;
    int64_t last_failure_ms;
    int64_t blocked_until_ms;
} slot;

static slot table[THROTTLE_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned char hash_key[crypto_shorthash_KEYBYTES];

static void init_key(void)
{
    if (sodium_init() < 0)
        return; /* a zero key still works, it is only predictable */
    randombytes_buf(hash_key, sizeof hash_key);
}

void throttle_key(const char *source, char out[THROTTLE_KEY_MAX])
{
    struct in6_addr a6;
    if (!source || !*source) {
        snprintf(out, THROTTLE_KEY_MAX, "unknown");
    } else if (strchr(source, ':') && inet_pton(AF_INET6, source, &a6) == 1) {
        memset(a6.s6_addr + 8, 0, 8);
        char text[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &a6, text, sizeof text);
        snprintf(out, THROTTLE_KEY_MAX, "%s/64", text);
    } else {
        snprintf(out, THROTTLE_KEY_MAX, "%s", source);
    }
}

static size_t home_of(const char *key)
{
    pthread_once(&once, init_key);
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)key, strlen(key), hash_key);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return (size_t)(v % THROTTLE_SLOTS);
}

static bool expired(const slot *s, int64_t now_ms)
{
    return s->key[0] && now_ms - s->last_failure_ms >= THROTTLE_FORGET_MS && now_ms >= s->blocked_until_ms;
}

/* The slot of key; with create, a free, expired or the stalest slot of its
 * probe run taken over for it. NULL when absent and !create. Under lock. */
static slot *find(const char *key, bool create, int64_t now_ms)
{
    size_t home = home_of(key);
    slot *victim = NULL;
    for (int i = 0; i < PROBES; i++) {
        slot *s = &table[(home + (size_t)i) % THROTTLE_SLOTS];
        if (s->key[0] && strcmp(s->key, key) == 0) {
            if (!expired(s, now_ms))
                return s;
            memset(s, 0, sizeof *s);
            return create ? (snprintf(s->key, sizeof s->key, "%s", key), s) : NULL;
        }
        if (!s->key[0] || expired(s, now_ms)) {
            if (!victim || victim->key[0])
                victim = s;
        } else if (!victim || (victim->key[0] && s->last_failure_ms < victim->last_failure_ms)) {
            victim = s;
        }
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    snprintf(victim->key, sizeof victim->key, "%s", key);
    return victim;
}

int64_t throttle_wait_ms(const char *source, int64_t now_ms)
{
    char key[THROTTLE_KEY_MAX];
    throttle_key(source, key);
    pthread_mutex_lock(&lock);
    slot *s = find(key, false, now_ms);
    int64_t wait = s && s->blocked_until_ms > now_ms ? s->blocked_until_ms - now_ms : 0;
    pthread_mutex_unlock(&lock);
    return wait;
}

int64_t throttle_failed(const char *source, int64_t now_ms)
{
    char key[THROTTLE_KEY_MAX];
    throttle_key(source, key);
    pthread_mutex_lock(&lock);
    slot *s = find(key, true, now_ms);
    s->failures++;
    s->last_failure_ms = now_ms;
    int64_t delay = 0;
    if (s->failures > THROTTLE_FREE) {
        int shift = s->failures - THROTTLE_FREE - 1;
        delay = shift >= 16 ? THROTTLE_MAX_DELAY_MS : (int64_t)THROTTLE_BASE_DELAY_MS << shift;
        if (delay > THROTTLE_MAX_DELAY_MS)
            delay = THROTTLE_MAX_DELAY_MS;
        s->blocked_until_ms = now_ms + delay;
    }
    pthread_mutex_unlock(&lock);
    return delay;
}

int throttle_clear(const char *source)
{
    int n = 0;
    char key[THROTTLE_KEY_MAX] = "";
    if (source && *source)
        throttle_key(source, key);
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < THROTTLE_SLOTS; i++) {
        if (table[i].key[0] && (!key[0] || strcmp(table[i].key, key) == 0)) {
            memset(&table[i], 0, sizeof table[i]);
            n++;
        }
    }
    pthread_mutex_unlock(&lock);
    return n;
}

int throttle_list(throttle_entry *out, int max, int64_t now_ms)
{
    int n = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < THROTTLE_SLOTS && n < max; i++) {
        const slot *s = &table[i];
        if (!s->key[0] || expired(s, now_ms))
            continue;
        memcpy(out[n].key, s->key, sizeof out[n].key);
        out[n].failures = s->failures;
        out[n].wait_ms = s->blocked_until_ms > now_ms ? s->blocked_until_ms - now_ms : 0;
        n++;
    }
    pthread_mutex_unlock(&lock);
    return n;
}
