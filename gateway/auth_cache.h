/* auth_cache: the gateway's memory of inventoryd's answers about
 * credentials, keyed by a BLAKE2b hash of the Authorization header and the
 * caller's address (so a cached password works from where it was checked;
 * from elsewhere inventoryd's lock and delays apply first).
 *
 * An answer is fresh for fresh_ms (upstream's 3 s): used as is. After
 * that the first caller to see it asks inventoryd again while the others
 * keep using it. An accepted credential whose check cannot be repeated
 * (inventoryd restarting or stopped: not a definite answer) keeps being
 * used until max_age_ms after inventoryd last confirmed it (60 s, as
 * upstream raised its cache in PMM-15050), so logins survive a restart of
 * inventoryd; a refusal is never used past fresh_ms. Revocation: inventoryd
 * publishes credentials.changed and the gateway forgets that name at once
 * (auth_cache_forget); whatever happens, no accepted answer is used more
 * than max_age_ms after its last confirmation.
 * Times are CLOCK_MONOTONIC milliseconds, passed in for the tests.
 * Thread-safe. */
#ifndef GATEWAY_AUTH_CACHE_H
#define GATEWAY_AUTH_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"

#define AUTH_CACHE_SLOTS 4096
#define AUTH_CACHE_KEY_BYTES 16
/* After a failed re-check, how long callers use the old answer before the
 * next one tries again (inventoryd down: not every request should try). */
#define AUTH_CACHE_RETRY_MS 1000

typedef struct {
    uint8_t key[AUTH_CACHE_KEY_BYTES];
    uint64_t generation; /* of the cache when the lookup began */
} auth_cache_ticket;

enum {
    AUTH_CACHE_MISS,    /* ask inventoryd; nothing to fall back on */
    AUTH_CACHE_HIT,     /* code and id are the answer */
    AUTH_CACHE_RECHECK  /* ask inventoryd; if it cannot answer, code and id (an
                           accepted credential) still are the answer */
};

void auth_cache_configure(int fresh_ms, int max_age_ms);
void auth_cache_key(const char *authorization, const char *source, auth_cache_ticket *t);

/* Looks t up at now_ms (see the enum). */
int auth_cache_get(auth_cache_ticket *t, int64_t now_ms, int *code, auth_identity *id);
/* inventoryd's definite answer (OK or UNAUTHENTICATED), unless the cache
 * forgot things since t was taken (the answer may predate a revocation). */
void auth_cache_put(const auth_cache_ticket *t, int code, const auth_identity *id, int64_t now_ms);
/* inventoryd gave no definite answer: the next re-check waits a little. */
void auth_cache_recheck_failed(const auth_cache_ticket *t, int64_t now_ms);

/* Forgets every accepted answer for this user or token name (NULL or "":
 * every answer) and every refusal: a change of credentials (a user added,
 * a lock lifted) may have made a refusal wrong. */
void auth_cache_forget(const char *name);
void auth_cache_clear(void);

#endif
