/* test_login_guard: inventoryd's defences of password logins that need no
 * database: the delays per address (login_throttle) and the cache of
 * verified passwords with the addresses that proved them (login_cache).
 * Times are given, so nothing here sleeps. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "inventoryd/login_cache.h"
#include "inventoryd/login_throttle.h"
#include "tests/lib/checkrun.h"

START_TEST(throttle_keys)
{
    char k[THROTTLE_KEY_MAX];
    throttle_key("", k);
    ck_assert_str_eq(k, "unknown");
    throttle_key(NULL, k);
    ck_assert_str_eq(k, "unknown");
    throttle_key("203.0.113.7", k);
    ck_assert_str_eq(k, "203.0.113.7");
    /* one host owns a /64: its addresses count as one */
    throttle_key("2001:db8:1:2:aaaa::1", k);
    ck_assert_str_eq(k, "2001:db8:1:2::/64");
    throttle_key("2001:0db8:0001:0002:ffff:ffff:ffff:ffff", k);
    ck_assert_str_eq(k, "2001:db8:1:2::/64");
}
END_TEST

START_TEST(throttle_delays_grow_and_cap)
{
    throttle_clear(NULL);
    const char *a = "198.51.100.1";
    int64_t t = 1000000;
    for (int i = 0; i < THROTTLE_FREE; i++) {
        ck_assert_int_eq(throttle_wait_ms(a, t), 0);
        ck_assert_int_eq(throttle_failed(a, t), 0);
    }
    ck_assert_int_eq(throttle_wait_ms(a, t), 0);
    /* 1 s, 2 s, 4 s ... each after the previous delay ran out */
    int64_t want = THROTTLE_BASE_DELAY_MS;
    for (int i = 0; i < 12; i++) {
        ck_assert_int_eq(throttle_failed(a, t), want);
        ck_assert_int_eq(throttle_wait_ms(a, t), want);
        ck_assert_int_eq(throttle_wait_ms(a, t + want - 1), 1);
        t += want;
        ck_assert_int_eq(throttle_wait_ms(a, t), 0);
        want = want * 2 > THROTTLE_MAX_DELAY_MS ? THROTTLE_MAX_DELAY_MS : want * 2;
    }
    ck_assert_int_eq(want, THROTTLE_MAX_DELAY_MS);
    /* other addresses are not concerned */
    ck_assert_int_eq(throttle_wait_ms("198.51.100.2", t), 0);
    ck_assert_int_eq(throttle_failed("198.51.100.2", t), 0);
    /* forgotten after a quiet while */
    ck_assert_int_eq(throttle_failed(a, t), THROTTLE_MAX_DELAY_MS);
    t += THROTTLE_MAX_DELAY_MS + THROTTLE_FORGET_MS;
    ck_assert_int_eq(throttle_wait_ms(a, t), 0);
    ck_assert_int_eq(throttle_failed(a, t), 0);
    throttle_entry e[8];
    int n = throttle_list(e, 8, t);
    ck_assert_int_eq(n, 1); /* 198.51.100.2 was forgotten too */
    ck_assert_str_eq(e[0].key, a);
    ck_assert_int_eq(e[0].failures, 1);
}
END_TEST

START_TEST(throttle_clear_lifts)
{
    throttle_clear(NULL);
    int64_t t = 5000;
    for (int i = 0; i <= THROTTLE_FREE; i++)
        throttle_failed("2001:db8::1", t);
    ck_assert_int_gt(throttle_wait_ms("2001:db8::99", t), 0); /* same /64 */
    throttle_entry e[4];
    ck_assert_int_eq(throttle_list(e, 4, t), 1);
    ck_assert_str_eq(e[0].key, "2001:db8::/64");
    ck_assert_int_eq(e[0].failures, THROTTLE_FREE + 1);
    ck_assert_int_eq(e[0].wait_ms, THROTTLE_BASE_DELAY_MS);
    ck_assert_int_eq(throttle_clear("2001:db8::5"), 1);
    ck_assert_int_eq(throttle_wait_ms("2001:db8::1", t), 0);
    ck_assert_int_eq(throttle_list(e, 4, t), 0);
}
END_TEST

/* Many addresses never make the table refuse new ones: the stalest go. */
START_TEST(throttle_table_full)
{
    throttle_clear(NULL);
    int64_t t = 1;
    char a[32];
    for (int i = 0; i < THROTTLE_SLOTS * 2; i++) {
        snprintf(a, sizeof a, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        throttle_failed(a, t++);
    }
    for (int i = 0; i <= THROTTLE_FREE; i++)
        throttle_failed("192.0.2.1", t);
    ck_assert_int_gt(throttle_wait_ms("192.0.2.1", t), 0);
    throttle_clear(NULL);
}
END_TEST

START_TEST(cache_hits_only_the_verified_password)
{
    ck_assert_int_ge(sodium_init(), 0);
    unsigned char right[LOGIN_CACHE_MAC_BYTES], wrong[LOGIN_CACHE_MAC_BYTES], other[LOGIN_CACHE_MAC_BYTES];
    login_cache_mac("alice", "s3cret", right);
    login_cache_mac("alice", "s3cres", wrong);
    login_cache_mac("alicea", "", other); /* the login ends where the password begins */
    ck_assert(memcmp(right, wrong, sizeof right) != 0);
    login_cache_mac("alices", "3cret", other);
    ck_assert(memcmp(right, other, sizeof right) != 0);
    const char *stored = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
    int64_t t = 1000;
    ck_assert_int_eq(login_cache_check(right, stored, "192.0.2.10", t), LOGIN_CACHE_MISS);
    login_cache_put(right, stored, "192.0.2.10", t);
    ck_assert_int_eq(login_cache_check(right, stored, "192.0.2.10", t), LOGIN_CACHE_HIT_KNOWN_SOURCE);
    ck_assert_int_eq(login_cache_check(right, stored, "192.0.2.11", t), LOGIN_CACHE_HIT);
    ck_assert_int_eq(login_cache_check(wrong, stored, "192.0.2.10", t), LOGIN_CACHE_MISS);
    /* a new password has a new stored hash: the old entry is worthless */
    ck_assert_int_eq(login_cache_check(right, "$argon2id$other", "192.0.2.10", t), LOGIN_CACHE_MISS);
}
END_TEST

START_TEST(cache_idle_expiry_and_sources)
{
    ck_assert_int_ge(sodium_init(), 0);
    unsigned char mac[LOGIN_CACHE_MAC_BYTES];
    login_cache_mac("bob", "pw", mac);
    const char *stored = "$argon2id$bob";
    int64_t t = 10 * LOGIN_CACHE_IDLE_MS;
    login_cache_put(mac, stored, "198.51.100.5", t);
    /* use keeps it: hits just before each idle period ends */
    for (int i = 0; i < 5; i++) {
        t += LOGIN_CACHE_IDLE_MS - 1;
        ck_assert_int_eq(login_cache_check(mac, stored, "198.51.100.5", t), LOGIN_CACHE_HIT_KNOWN_SOURCE);
    }
    /* at most LOGIN_CACHE_SOURCES addresses are remembered, the oldest go */
    for (int i = 0; i < LOGIN_CACHE_SOURCES; i++) {
        char a[32];
        snprintf(a, sizeof a, "203.0.113.%d", i);
        login_cache_put(mac, stored, a, t);
    }
    ck_assert_int_eq(login_cache_check(mac, stored, "198.51.100.5", t), LOGIN_CACHE_HIT);
    ck_assert_int_eq(login_cache_check(mac, stored, "203.0.113.0", t), LOGIN_CACHE_HIT_KNOWN_SOURCE);
    /* an IPv6 /64 proves for all its addresses, as it is throttled as one */
    login_cache_put(mac, stored, "2001:db8:5::1", t);
    ck_assert_int_eq(login_cache_check(mac, stored, "2001:db8:5::2", t), LOGIN_CACHE_HIT_KNOWN_SOURCE);
    /* idle too long: gone */
    t += LOGIN_CACHE_IDLE_MS;
    ck_assert_int_eq(login_cache_check(mac, stored, "203.0.113.0", t), LOGIN_CACHE_MISS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("login_guard");
    TCase *tc = tcase_create("throttle");
    tcase_add_test(tc, throttle_keys);
    tcase_add_test(tc, throttle_delays_grow_and_cap);
    tcase_add_test(tc, throttle_clear_lifts);
    tcase_add_test(tc, throttle_table_full);
    suite_add_tcase(s, tc);
    tc = tcase_create("cache");
    tcase_add_test(tc, cache_hits_only_the_verified_password);
    tcase_add_test(tc, cache_idle_expiry_and_sources);
    suite_add_tcase(s, tc);
    return check_run(s);
}
