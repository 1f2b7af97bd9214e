/* webcfg: made-once bcrypt hashes of the exporters' web-config passwords
 * (see webcfg.h). */
#include "webcfg.h"

#include <crypt.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentsd/store/agent_web_hashes.h"
#include "log.h"
#include "strhash.h"

#define DIGEST_LEN crypto_generichash_BYTES
#define MIN_BUCKETS 1024

/* What one hash is of: a digest of (salt setting, password), so that a
 * changed password is noticed without keeping the password. */
typedef struct entry {
    struct entry *next;
    unsigned char digest[DIGEST_LEN];
    char *hash;
    char agent_id[]; /* the key */
} entry;

/* Hashes made here and not stored yet. */
typedef struct pending {
    struct pending *next;
    char agent_id[128];
    char digest_hex[DIGEST_LEN * 2 + 1];
    char hash[64];
} pending;

static struct {
    pthread_mutex_t mu;
    entry **buckets;
    size_t n_buckets, count;
    pending *todo;
    long computed;
} W = { .mu = PTHREAD_MUTEX_INITIALIZER };

static size_t bucket_of(const char *id, size_t n)
{
    return (size_t)(strhash(id) % n);
}

/* Doubles the table when it is as full as it is wide. W.mu held. */
static void grow(void)
{
    if (W.buckets && W.count < W.n_buckets)
        return;
    size_t n = W.n_buckets ? W.n_buckets * 2 : MIN_BUCKETS;
    entry **b = calloc(n, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < W.n_buckets; i++)
        for (entry *e = W.buckets[i], *next; e; e = next) {
            next = e->next;
            size_t k = bucket_of(e->agent_id, n);
            e->next = b[k];
            b[k] = e;
        }
    free(W.buckets);
    W.buckets = b;
    W.n_buckets = n;
}

static entry *find(const char *agent_id)
{
    if (!W.buckets)
        return NULL;
    for (entry *e = W.buckets[bucket_of(agent_id, W.n_buckets)]; e; e = e->next)
        if (strcmp(e->agent_id, agent_id) == 0)
            return e;
    return NULL;
}

/* Remembers hash for agent_id. W.mu held. */
static void put(const char *agent_id, const unsigned char *digest, const char *hash)
{
    entry *e = find(agent_id);
    char *copy = strdup(hash);
    if (!copy)
        return;
    if (e) {
        free(e->hash);
    } else {
        grow();
        size_t len = strlen(agent_id) + 1;
        if (!W.buckets || !(e = malloc(sizeof *e + len))) {
            free(copy);
            return;
        }
        memcpy(e->agent_id, agent_id, len);
        size_t k = bucket_of(agent_id, W.n_buckets);
        e->next = W.buckets[k];
        W.buckets[k] = e;
        W.count++;
    }
    memcpy(e->digest, digest, DIGEST_LEN);
    e->hash = copy;
}

/* bcrypt's base64 (Go's bcrypt base64Encode, padding dropped). */
static void bcrypt_b64(const unsigned char *in, size_t n, char *out)
{
    static const char a[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = a[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = a[v & 63];
    }
    out[o] = '\0';
}

/* "$2a$10$" and the salt: the last 16 bytes of the agent id (upstream's
 * getPasswordSalt), or a fixed one for shorter ids. */
static void salt_setting(const char *agent_id, char *setting)
{
    size_t len = strlen(agent_id);
    const char *salt = len >= 16 ? agent_id + len - 16 : "pmm-salt-magic--";
    strcpy(setting, "$2a$10$");
    bcrypt_b64((const unsigned char *)salt, 16, setting + strlen(setting));
}

static void digest_of(const char *setting, const char *password, unsigned char *out)
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, DIGEST_LEN);
    crypto_generichash_update(&h, (const unsigned char *)setting, strlen(setting) + 1);
    crypto_generichash_update(&h, (const unsigned char *)password, strlen(password));
    crypto_generichash_final(&h, out, DIGEST_LEN);
}

static void queue_pending(const char *agent_id, const unsigned char *digest, const char *hash)
{
    pending *p = calloc(1, sizeof *p);
    if (!p || strlen(agent_id) >= sizeof p->agent_id || strlen(hash) >= sizeof p->hash) {
        free(p);
        return;
    }
    strcpy(p->agent_id, agent_id);
    strcpy(p->hash, hash);
    sodium_bin2hex(p->digest_hex, sizeof p->digest_hex, digest, DIGEST_LEN);
    p->next = W.todo;
    W.todo = p;
}

char *webcfg_hash(const char *agent_id, const char *password)
{
    char setting[64];
    unsigned char digest[DIGEST_LEN];
    salt_setting(agent_id, setting);
    digest_of(setting, password, digest);

    char *out = NULL;
    pthread_mutex_lock(&W.mu);
    entry *e = find(agent_id);
    if (e && sodium_memcmp(e->digest, digest, DIGEST_LEN) == 0)
        out = strdup(e->hash);
    pthread_mutex_unlock(&W.mu);
    if (out)
        return out;

    /* Outside the lock: other builds go on meanwhile. Two builds of the
     * same agent at once may both hash; the result is the same. */
    struct crypt_data *cd = calloc(1, sizeof *cd);
    if (!cd)
        return NULL;
    const char *hash = crypt_r(password, setting, cd);
    if (hash && hash[0] == '$')
        out = strdup(hash);
    explicit_bzero(cd, sizeof *cd);
    free(cd);
    if (out) {
        pthread_mutex_lock(&W.mu);
        W.computed++;
        put(agent_id, digest, out);
        queue_pending(agent_id, digest, out);
        pthread_mutex_unlock(&W.mu);
    }
    return out;
}

int webcfg_load(db *d)
{
    rpc_status st = { 0 };
    PGresult *r = store_agent_web_hashes_all(d, &st);
    if (!r) {
        log_warn("web config hashes not loaded (they are made again as needed): %s", st.message);
        return -1;
    }
    int n = PQntuples(r);
    pthread_mutex_lock(&W.mu);
    for (int i = 0; i < n; i++) {
        unsigned char digest[DIGEST_LEN];
        size_t len = 0;
        const char *hex = PQgetvalue(r, i, 1);
        if (sodium_hex2bin(digest, sizeof digest, hex, strlen(hex), NULL, &len, NULL) == 0 && len == DIGEST_LEN)
            put(PQgetvalue(r, i, 0), digest, PQgetvalue(r, i, 2));
    }
    pthread_mutex_unlock(&W.mu);
    PQclear(r);
    log_info("web config hashes: %d loaded", n);
    return 0;
}

void webcfg_persist(db *d)
{
    pthread_mutex_lock(&W.mu);
    pending *todo = W.todo;
    W.todo = NULL;
    pthread_mutex_unlock(&W.mu);
    while (todo) {
        pending *p = todo;
        todo = p->next;
        rpc_status st = { 0 };
        char digest[DIGEST_LEN * 2 + 3];
        snprintf(digest, sizeof digest, "\\x%s", p->digest_hex);
        /* The agent may have been deleted meanwhile: then nothing to keep. */
        if (store_agent_web_hashes_put(d, p->agent_id, digest, p->hash, &st) != RPC_OK)
            log_debug("web config hash of %s not stored: %s", p->agent_id, st.message);
        free(p);
    }
}

long webcfg_computed(void)
{
    pthread_mutex_lock(&W.mu);
    long n = W.computed;
    pthread_mutex_unlock(&W.mu);
    return n;
}

void webcfg_reset(void)
{
    pthread_mutex_lock(&W.mu);
    for (size_t i = 0; i < W.n_buckets; i++)
        for (entry *e = W.buckets[i], *next; e; e = next) {
            next = e->next;
            free(e->hash);
            free(e);
        }
    free(W.buckets);
    W.buckets = NULL;
    W.n_buckets = W.count = 0;
    while (W.todo) {
        pending *p = W.todo;
        W.todo = p->next;
        free(p);
    }
    pthread_mutex_unlock(&W.mu);
}
