/* login_cache: passwords verified lately (see login_cache.h). Direct-mapped
 * by the MAC: a collision replaces the older entry, which then costs one
 * more hash at its next use. */
#include "login_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "login_throttle.h"

typedef struct {
    unsigned char mac[LOGIN_CACHE_MAC_BYTES];
    char stored[crypto_pwhash_STRBYTES];
    int64_t last_used_ms;
    uint64_t sources[LOGIN_CACHE_SOURCES]; /* 0 = none */
    int next_source;                       /* the one to replace next */
    bool used;
} entry;

static entry table[LOGIN_CACHE_SLOTS];
static unsigned char mac_key[crypto_generichash_KEYBYTES];
static unsigned char source_key[crypto_shorthash_KEYBYTES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_keys(void)
{
    if (sodium_init() < 0)
        return;
    randombytes_buf(mac_key, sizeof mac_key);
    randombytes_buf(source_key, sizeof source_key);
}

void login_cache_mac(const char *login, const char *password, unsigned char mac[LOGIN_CACHE_MAC_BYTES])
{
    pthread_once(&once, init_keys);
    crypto_generichash_state h;
    crypto_generichash_init(&h, mac_key, sizeof mac_key, LOGIN_CACHE_MAC_BYTES);
    crypto_generichash_update(&h, (const unsigned char *)login, strlen(login) + 1);
    crypto_generichash_update(&h, (const unsigned char *)password, strlen(password));
    crypto_generichash_final(&h, mac, LOGIN_CACHE_MAC_BYTES);
}

/* Sources count as the throttle counts them (an IPv6 /64 is one). Never 0. */
static uint64_t source_id(const char *source)
{
    pthread_once(&once, init_keys);
    char key[THROTTLE_KEY_MAX];
    throttle_key(source, key);
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)key, strlen(key), source_key);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return v ? v : 1;
}

static entry *slot_of(const unsigned char *mac)
{
    return &table[(mac[0] | (unsigned)mac[1] << 8) % LOGIN_CACHE_SLOTS];
}

static bool matches(const entry *e, const unsigned char *mac, const char *stored, int64_t now_ms)
{
    return e->used && now_ms - e->last_used_ms < LOGIN_CACHE_IDLE_MS &&
           sodium_memcmp(e->mac, mac, LOGIN_CACHE_MAC_BYTES) == 0 && strcmp(e->stored, stored) == 0;
}

int login_cache_check(const unsigned char mac[LOGIN_CACHE_MAC_BYTES], const char *stored, const char *source,
                      int64_t now_ms)
{
    uint64_t sid = source_id(source);
    int hit = LOGIN_CACHE_MISS;
    pthread_mutex_lock(&lock);
    entry *e = slot_of(mac);
    if (matches(e, mac, stored, now_ms)) {
        e->last_used_ms = now_ms;
        hit = LOGIN_CACHE_HIT;
        for (int i = 0; i < LOGIN_CACHE_SOURCES; i++)
            if (e->sources[i] == sid)
                hit = LOGIN_CACHE_HIT_KNOWN_SOURCE;
    }
    pthread_mutex_unlock(&lock);
    return hit;
}

void login_cache_put(const unsigned char mac[LOGIN_CACHE_MAC_BYTES], const char *stored, const char *source,
                     int64_t now_ms)
{
    if (strlen(stored) >= crypto_pwhash_STRBYTES)
        return;
    uint64_t sid = source_id(source);
    pthread_mutex_lock(&lock);
    entry *e = slot_of(mac);
    if (!matches(e, mac, stored, now_ms)) {
        memset(e, 0, sizeof *e);
        memcpy(e->mac, mac, LOGIN_CACHE_MAC_BYTES);
        strcpy(e->stored, stored);
        e->used = true;
    }
    e->last_used_ms = now_ms;
    bool known = false;
    for (int i = 0; i < LOGIN_CACHE_SOURCES; i++)
        known |= e->sources[i] == sid;
    if (!known) {
        e->sources[e->next_source] = sid;
        e->next_source = (e->next_source + 1) % LOGIN_CACHE_SOURCES;
    }
    pthread_mutex_unlock(&lock);
}
