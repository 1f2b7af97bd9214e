/* auth_cache: see auth_cache.h. Direct-mapped by the key: a collision
 * replaces the older answer, which then costs one more question to
 * inventoryd. */
#include "auth_cache.h"

#include <pthread.h>
#include <string.h>

#include <sodium.h>

typedef struct {
    uint8_t key[AUTH_CACHE_KEY_BYTES];
    int64_t confirmed_ms;   /* inventoryd's last definite answer */
    int64_t next_try_ms;    /* no re-check before (after a failed one) */
    int code;
    auth_identity id;
    bool used;
    bool rechecking;        /* a caller is asking inventoryd again */
} slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot cache[AUTH_CACHE_SLOTS];
static uint64_t generation;
static int fresh_ms = 3000, max_age_ms = 60000;

void auth_cache_configure(int fresh, int max_age)
{
    pthread_mutex_lock(&lock);
    if (fresh >= 0)
        fresh_ms = fresh;
    if (max_age >= 0)
        max_age_ms = max_age < fresh_ms ? fresh_ms : max_age;
    pthread_mutex_unlock(&lock);
}

void auth_cache_key(const char *authorization, const char *source, auth_cache_ticket *t)
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, AUTH_CACHE_KEY_BYTES);
    crypto_generichash_update(&h, (const unsigned char *)authorization, strlen(authorization) + 1);
    crypto_generichash_update(&h, (const unsigned char *)(source ? source : ""), source ? strlen(source) : 0);
    crypto_generichash_final(&h, t->key, AUTH_CACHE_KEY_BYTES);
    t->generation = 0;
}

static slot *slot_of(const uint8_t *key)
{
    return &cache[(key[0] | (unsigned)key[1] << 8) % AUTH_CACHE_SLOTS];
}

int auth_cache_get(auth_cache_ticket *t, int64_t now_ms, int *code, auth_identity *id)
{
    int r = AUTH_CACHE_MISS;
    pthread_mutex_lock(&lock);
    t->generation = generation;
    slot *s = slot_of(t->key);
    if (s->used && sodium_memcmp(s->key, t->key, AUTH_CACHE_KEY_BYTES) == 0) {
        int64_t age = now_ms - s->confirmed_ms;
        bool accepted = s->code == 0;
        if (age < fresh_ms) {
            r = AUTH_CACHE_HIT;
        } else if (accepted && age < max_age_ms) {
            if (s->rechecking || now_ms < s->next_try_ms) {
                r = AUTH_CACHE_HIT; /* someone asks, or asked in vain just now */
            } else {
                s->rechecking = true;
                r = AUTH_CACHE_RECHECK;
            }
        }
        if (r != AUTH_CACHE_MISS) {
            *code = s->code;
            *id = s->id;
        }
    }
    pthread_mutex_unlock(&lock);
    return r;
}

void auth_cache_put(const auth_cache_ticket *t, int code, const auth_identity *id, int64_t now_ms)
{
    pthread_mutex_lock(&lock);
    if (t->generation == generation) {
        slot *s = slot_of(t->key);
        memcpy(s->key, t->key, AUTH_CACHE_KEY_BYTES);
        s->code = code;
        s->id = *id;
        s->confirmed_ms = now_ms;
        s->next_try_ms = 0;
        s->used = true;
        s->rechecking = false;
    }
    pthread_mutex_unlock(&lock);
}

void auth_cache_recheck_failed(const auth_cache_ticket *t, int64_t now_ms)
{
    pthread_mutex_lock(&lock);
    slot *s = slot_of(t->key);
    if (s->used && sodium_memcmp(s->key, t->key, AUTH_CACHE_KEY_BYTES) == 0) {
        s->rechecking = false;
        s->next_try_ms = now_ms + AUTH_CACHE_RETRY_MS;
    }
    pthread_mutex_unlock(&lock);
}

void auth_cache_forget(const char *name)
{
    pthread_mutex_lock(&lock);
    generation++;
    for (size_t i = 0; i < AUTH_CACHE_SLOTS; i++) {
        slot *s = &cache[i];
        if (s->used && (!name || !*name || s->code != 0 || strcmp(s->id.user, name) == 0)) {
            sodium_memzero(s, sizeof *s);
        }
    }
    pthread_mutex_unlock(&lock);
}

void auth_cache_clear(void)
{
    auth_cache_forget(NULL);
}
