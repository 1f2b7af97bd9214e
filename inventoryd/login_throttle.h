/* login_throttle: delays per caller address for refused passwords.
 *
 * An address may get THROTTLE_FREE passwords wrong; each further refusal
 * makes it wait before its next password is checked at all, 1 s, then
 * 2 s, 4 s ... up to THROTTLE_MAX_DELAY_MS. While it waits, its passwords
 * are refused without a hash (and without counting, so a legitimate user
 * behind the same address waits at most the longest delay). An address
 * with no refusal for THROTTLE_FORGET_MS is forgotten. IPv6 addresses
 * count by their /64 (one host owns a /64). Memory only: a restart
 * forgets, which the per-user lock in the database does not.
 * Times are CLOCK_MONOTONIC milliseconds, passed in for the tests.
 * Thread-safe. */
#ifndef INVENTORYD_LOGIN_THROTTLE_H
#define INVENTORYD_LOGIN_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_FREE 5
#define THROTTLE_BASE_DELAY_MS 1000
#define THROTTLE_MAX_DELAY_MS 60000
#define THROTTLE_FORGET_MS (15 * 60 * 1000)
#define THROTTLE_SLOTS 4096
#define THROTTLE_KEY_MAX 64

/* The key an address counts under: "" -> "unknown", an IPv6 address ->
 * its /64 ("2001:db8:1:2::/64"), anything else as given (cut). */
void throttle_key(const char *source, char out[THROTTLE_KEY_MAX]);

/* Milliseconds the address must still wait before a password of it is
 * checked; 0 when it may be checked now. */
int64_t throttle_wait_ms(const char *source, int64_t now_ms);

/* A password from the address was refused. Returns the delay it now has
 * to wait (0 while it has free failures left). */
int64_t throttle_failed(const char *source, int64_t now_ms);

/* Forgets the address (NULL or "": every address). Returns how many
 * entries went. */
int throttle_clear(const char *source);

typedef struct {
    char key[THROTTLE_KEY_MAX];
    int failures;
    int64_t wait_ms;  /* still to wait at now_ms; 0 when none */
} throttle_entry;

/* The addresses remembered now, at most max; returns the count. */
int throttle_list(throttle_entry *out, int max, int64_t now_ms);

#endif
