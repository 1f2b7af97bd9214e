/* test_auth_cache: the gateway's memory of inventoryd's answers (fresh
 * period, re-checks, use while inventoryd is away up to the maximum age,
 * revocation by name) and the caller's address it is keyed by
 * (source_addr). Times are given, so nothing here sleeps. */
#include <check.h>
#include <netinet/in.h>
#include <string.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "gateway/auth_cache.h"
#include "gateway/source_addr.h"
#include "rpc.h"
#include "tests/lib/checkrun.h"

#define FRESH 3000
#define MAX_AGE 60000

static auth_identity who(const char *user, const char *role)
{
    auth_identity id;
    memset(&id, 0, sizeof id);
    strcpy(id.user, user);
    strcpy(id.role, role);
    return id;
}

static void setup(void)
{
    ck_assert_int_ge(sodium_init(), 0);
    auth_cache_configure(FRESH, MAX_AGE);
    auth_cache_clear();
}

static int get(const char *authz, const char *source, int64_t now, int *code, auth_identity *id,
               auth_cache_ticket *t)
{
    auth_cache_key(authz, source, t);
    return auth_cache_get(t, now, code, id);
}

START_TEST(fresh_then_one_recheck)
{
    setup();
    auth_cache_ticket t;
    int code = -1;
    auth_identity id, alice = who("alice", "admin");
    ck_assert_int_eq(get("Basic a", "192.0.2.1", 0, &code, &id, &t), AUTH_CACHE_MISS);
    auth_cache_put(&t, RPC_OK, &alice, 0);
    ck_assert_int_eq(get("Basic a", "192.0.2.1", FRESH - 1, &code, &id, &t), AUTH_CACHE_HIT);
    ck_assert_int_eq(code, RPC_OK);
    ck_assert_str_eq(id.user, "alice");
    /* keyed by the address too */
    ck_assert_int_eq(get("Basic a", "192.0.2.2", 1, &code, &id, &t), AUTH_CACHE_MISS);
    /* past the fresh period one caller re-checks, the others use the answer */
    ck_assert_int_eq(get("Basic a", "192.0.2.1", FRESH, &code, &id, &t), AUTH_CACHE_RECHECK);
    auth_cache_ticket t2;
    ck_assert_int_eq(get("Basic a", "192.0.2.1", FRESH + 5, &code, &id, &t2), AUTH_CACHE_HIT);
    auth_cache_put(&t, RPC_OK, &alice, FRESH + 10);
    ck_assert_int_eq(get("Basic a", "192.0.2.1", 2 * FRESH + 9, &code, &id, &t), AUTH_CACHE_HIT);
}
END_TEST

/* inventoryd away: an accepted credential keeps working up to the maximum
 * age after its last confirmation, one re-check a second; never after. */
START_TEST(accepted_used_until_max_age_while_inventoryd_away)
{
    setup();
    auth_cache_ticket t;
    int code;
    auth_identity id, bob = who("bob", "viewer");
    get("Bearer x", "", 0, &code, &id, &t);
    auth_cache_put(&t, RPC_OK, &bob, 0);
    int rechecks = 0;
    for (int64_t now = FRESH; now < MAX_AGE; now += 100) {
        int r = get("Bearer x", "", now, &code, &id, &t);
        ck_assert_int_ne(r, AUTH_CACHE_MISS);
        ck_assert_int_eq(code, RPC_OK);
        ck_assert_str_eq(id.user, "bob");
        if (r == AUTH_CACHE_RECHECK) {
            rechecks++;
            auth_cache_recheck_failed(&t, now);
        }
    }
    ck_assert_int_ge(rechecks, (MAX_AGE - FRESH) / AUTH_CACHE_RETRY_MS - 1);
    ck_assert_int_le(rechecks, (MAX_AGE - FRESH) / AUTH_CACHE_RETRY_MS + 1);
    ck_assert_int_eq(get("Bearer x", "", MAX_AGE, &code, &id, &t), AUTH_CACHE_MISS);
}
END_TEST

START_TEST(refusals_only_while_fresh)
{
    setup();
    auth_cache_ticket t;
    int code;
    auth_identity id, none = who("", "");
    get("Basic bad", "", 0, &code, &id, &t);
    auth_cache_put(&t, RPC_UNAUTHENTICATED, &none, 0);
    ck_assert_int_eq(get("Basic bad", "", FRESH - 1, &code, &id, &t), AUTH_CACHE_HIT);
    ck_assert_int_eq(code, RPC_UNAUTHENTICATED);
    ck_assert_int_eq(get("Basic bad", "", FRESH, &code, &id, &t), AUTH_CACHE_MISS);
}
END_TEST

START_TEST(forget_by_name)
{
    setup();
    auth_cache_ticket ta, tb, tc, tn;
    int code;
    auth_identity id, a = who("alice", "admin"), b = who("ci-token", "admin"), none = who("", "");
    get("A", "", 0, &code, &id, &ta);
    auth_cache_put(&ta, RPC_OK, &a, 0);
    get("A2", "", 0, &code, &id, &tc);
    auth_cache_put(&tc, RPC_OK, &a, 0);
    get("B", "", 0, &code, &id, &tb);
    auth_cache_put(&tb, RPC_OK, &b, 0);
    get("N", "", 0, &code, &id, &tn);
    auth_cache_put(&tn, RPC_UNAUTHENTICATED, &none, 0);
    /* an answer asked for before a revocation must not land after it */
    auth_cache_ticket late;
    ck_assert_int_eq(get("L", "", 0, &code, &id, &late), AUTH_CACHE_MISS);
    auth_cache_forget("alice");
    auth_cache_put(&late, RPC_OK, &a, 1);
    ck_assert_int_eq(get("L", "", 2, &code, &id, &late), AUTH_CACHE_MISS);
    ck_assert_int_eq(get("A", "", 1, &code, &id, &ta), AUTH_CACHE_MISS);
    ck_assert_int_eq(get("A2", "", 1, &code, &id, &tc), AUTH_CACHE_MISS);
    ck_assert_int_eq(get("B", "", 1, &code, &id, &tb), AUTH_CACHE_HIT);
    /* a refusal may be wrong after any change (a user added, unlocked) */
    ck_assert_int_eq(get("N", "", 1, &code, &id, &tn), AUTH_CACHE_MISS);
    auth_cache_clear();
    ck_assert_int_eq(get("B", "", 1, &code, &id, &tb), AUTH_CACHE_MISS);
}
END_TEST

START_TEST(sources)
{
    char out[SOURCE_ADDR_MAX];
    ck_assert(source_is_loopback("127.0.0.1"));
    ck_assert(source_is_loopback("127.8.9.10"));
    ck_assert(source_is_loopback("::1"));
    ck_assert(source_is_loopback("::ffff:127.0.0.1"));
    ck_assert(!source_is_loopback("10.0.0.1"));
    ck_assert(!source_is_loopback("::2"));
    ck_assert(!source_is_loopback(""));
    ck_assert(!source_is_loopback(NULL));

    /* the local nginx's last X-Forwarded-For entry is the caller */
    source_pick("127.0.0.1", "203.0.113.9", out);
    ck_assert_str_eq(out, "203.0.113.9");
    source_pick("127.0.0.1", "10.9.9.9, 198.51.100.4", out);
    ck_assert_str_eq(out, "198.51.100.4");
    source_pick("::1", " 2001:DB8::0001 ", out);
    ck_assert_str_eq(out, "2001:db8::1");
    /* not from loopback: the header is the client's own claim */
    source_pick("192.0.2.50", "203.0.113.9", out);
    ck_assert_str_eq(out, "192.0.2.50");
    /* no header, or one that is no address: the peer */
    source_pick("127.0.0.1", NULL, out);
    ck_assert_str_eq(out, "127.0.0.1");
    source_pick("127.0.0.1", "203.0.113.9, unknown", out);
    ck_assert_str_eq(out, "127.0.0.1");
    source_pick("127.0.0.1", "", out);
    ck_assert_str_eq(out, "127.0.0.1");
    source_pick("", "203.0.113.9", out);
    ck_assert_str_eq(out, "");

    source_from_grpc_peer("ipv4:10.1.2.3:51234", out);
    ck_assert_str_eq(out, "10.1.2.3");
    source_from_grpc_peer("ipv6:[::1]:51234", out);
    ck_assert_str_eq(out, "::1");
    source_from_grpc_peer("ipv6:%5B2001:db8::7%5D:443", out);
    ck_assert_str_eq(out, "2001:db8::7");
    source_from_grpc_peer("unix:/tmp/x.sock", out);
    ck_assert_str_eq(out, "");
    source_from_grpc_peer(NULL, out);
    ck_assert_str_eq(out, "");

    struct sockaddr_in in4 = { .sin_family = AF_INET };
    inet_pton(AF_INET, "192.0.2.77", &in4.sin_addr);
    source_from_sockaddr((struct sockaddr *)&in4, out);
    ck_assert_str_eq(out, "192.0.2.77");
    struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
    inet_pton(AF_INET6, "2001:db8::8", &in6.sin6_addr);
    source_from_sockaddr((struct sockaddr *)&in6, out);
    ck_assert_str_eq(out, "2001:db8::8");
    source_from_sockaddr(NULL, out);
    ck_assert_str_eq(out, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("auth_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, fresh_then_one_recheck);
    tcase_add_test(tc, accepted_used_until_max_age_while_inventoryd_away);
    tcase_add_test(tc, refusals_only_while_fresh);
    tcase_add_test(tc, forget_by_name);
    suite_add_tcase(s, tc);
    tc = tcase_create("source");
    tcase_add_test(tc, sources);
    suite_add_tcase(s, tc);
    return check_run(s);
}
