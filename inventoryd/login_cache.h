/* login_cache: passwords verified lately, so that a legitimate caller pays
 * argon2id (tens of ms and 64 MiB) once, not at each of the gateway's
 * refreshes. An entry is a keyed BLAKE2b of login and password (the key is
 * random per process, so nothing here can be checked offline) next to the
 * stored hash it was verified against: a changed password has a new stored
 * hash, so an entry never outlives it; a removed user has no stored hash
 * to match. An entry stays while it is used (LOGIN_CACHE_IDLE_MS since its
 * last use).
 *
 * Each entry also remembers the addresses (LOGIN_CACHE_SOURCES, as keyed
 * hashes) that proved the password: from those, the password keeps working
 * while the user is locked or the address is delayed, so an attacker who
 * floods a login cannot lock out a session already working; from any
 * other address the lock and delays apply first, so they cannot be used
 * to test guesses against a cached password either.
 * Times are CLOCK_MONOTONIC milliseconds, passed in for the tests.
 * Thread-safe. */
#ifndef INVENTORYD_LOGIN_CACHE_H
#define INVENTORYD_LOGIN_CACHE_H

#include <stdint.h>

#include <sodium.h>

#define LOGIN_CACHE_SLOTS 1024
#define LOGIN_CACHE_SOURCES 4
#define LOGIN_CACHE_IDLE_MS (15 * 60 * 1000)
#define LOGIN_CACHE_MAC_BYTES crypto_generichash_BYTES

enum { LOGIN_CACHE_MISS = 0, LOGIN_CACHE_HIT = 1, LOGIN_CACHE_HIT_KNOWN_SOURCE = 2 };

/* The entry key of login and password. */
void login_cache_mac(const char *login, const char *password, unsigned char mac[LOGIN_CACHE_MAC_BYTES]);

/* Whether this password was verified against stored lately: MISS, HIT, or
 * HIT_KNOWN_SOURCE when source (may be "") proved it. A hit counts as use. */
int login_cache_check(const unsigned char mac[LOGIN_CACHE_MAC_BYTES], const char *stored, const char *source,
                      int64_t now_ms);

/* Remembers a verified password (or a hit that passed the lock and the
 * delays) and that source proved it. */
void login_cache_put(const unsigned char mac[LOGIN_CACHE_MAC_BYTES], const char *stored, const char *source,
                     int64_t now_ms);

#endif
