/* test_ha: common/leader.h (HA off: always leading at term 0; HA on:
 * a follower until a `leader` event with a term, the lease lapsing
 * without announcements, `follower`, payloads that do not decode, the
 * PMM_TEST_HA_ENABLE fallback) and hactl's peer list and PMM_TEST_HA_*
 * fallbacks (hactl/params.h), the cross-node change payloads
 * (db/changes.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>

#include "db/changes.h"
#include "hactl/params.h"
#include "leader.h"
#include "tests/lib/checkrun.h"

/* The payload hactl publishes: {"term": "<t>", "node": "<n>"}. */
static size_t payload(uint8_t *out, size_t cap, const char *term, const char *node)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "term", 4);
    msgpack_pack_str_with_body(&pk, term, strlen(term));
    msgpack_pack_str_with_body(&pk, "node", 4);
    msgpack_pack_str_with_body(&pk, node, strlen(node));
    ck_assert_uint_le(sb.size, cap);
    memcpy(out, sb.data, sb.size);
    size_t n = sb.size;
    msgpack_sbuffer_destroy(&sb);
    return n;
}

static void ha(const char *enable, const char *test_enable)
{
    unsetenv("PMM_HA_ENABLE");
    unsetenv("PMM_TEST_HA_ENABLE");
    if (enable)
        setenv("PMM_HA_ENABLE", enable, 1);
    if (test_enable)
        setenv("PMM_TEST_HA_ENABLE", test_enable, 1);
    leader_init();
}

START_TEST(test_ha_off_leads)
{
    ha(NULL, NULL);
    int64_t term = -1;
    ck_assert(leader_current(&term));
    ck_assert_int_eq(term, 0);
    /* no announcement for a minute changes nothing with HA off */
    ck_assert(leader_is());
    ha("false", "1"); /* PMM_HA_ENABLE wins over the fallback */
    ck_assert(leader_is());
}
END_TEST

START_TEST(test_ha_on_follows_events)
{
    ha(NULL, "true"); /* the PMM_TEST_HA_* fallback */
    ck_assert(leader_ha_enabled());
    ck_assert_msg(!leader_is(), "with HA on a daemon waits for hactl");
    uint8_t buf[128];
    size_t n = payload(buf, sizeof buf, "7", "n1");
    int64_t term = 0;
    char node[16];
    ck_assert_int_eq(leader_parse(buf, n, &term, node, sizeof node), 0);
    ck_assert_int_eq(term, 7);
    ck_assert_str_eq(node, "n1");
    ck_assert_int_eq(leader_on_event("settings.changed", buf, n), 0);
    ck_assert(!leader_is());
    ck_assert_int_eq(leader_on_event("leader", buf, n), 1);
    ck_assert(leader_current(&term));
    ck_assert_int_eq(term, 7);
    /* the lease lapses when hactl stops announcing */
    usleep((LEADER_LEASE_MS + 200) * 1000);
    ck_assert_msg(!leader_current(&term), "leadership lapses without announcements");
    ck_assert_int_eq(term, 0);
    ck_assert_int_eq(leader_on_event("leader", buf, n), 1);
    ck_assert(leader_is());
    n = payload(buf, sizeof buf, "8", "n2");
    ck_assert_int_eq(leader_on_event("follower", buf, n), 1);
    ck_assert(!leader_is());
    /* leading needs a term: a payload that does not decode is ignored */
    ck_assert_int_eq(leader_on_event("leader", (const uint8_t *)"\xc1", 1), 1);
    ck_assert(!leader_is());
    n = payload(buf, sizeof buf, "-3", "n1");
    ck_assert_int_eq(leader_on_event("leader", buf, n), 1);
    ck_assert(!leader_is());
    ha(NULL, NULL);
}
END_TEST

START_TEST(test_peers)
{
    char **p = NULL, err[128];
    int n = params_peers("10.0.0.2:9097, 10.0.0.3,127.0.0.1:9760,,10.0.0.3:9760", 9760, "127.0.0.1:9760", &p, err,
                         sizeof err);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(p[0], "10.0.0.2:9097");
    ck_assert_str_eq(p[1], "10.0.0.3:9760");
    params_peers_free(p, n);
    ck_assert_int_eq(params_peers("", 9760, "a:1", &p, err, sizeof err), 0);
    params_peers_free(p, 0);
    ck_assert_int_eq(params_peers("h:0", 9760, "a:1", &p, err, sizeof err), -1);
    ck_assert_str_eq(err, "invalid peer h:0: want host:port");
    ck_assert_int_eq(params_peers(":99", 9760, "a:1", &p, err, sizeof err), -1);
}
END_TEST

START_TEST(test_env_fallbacks)
{
    unsetenv("PMM_HA_NODE_ID");
    setenv("PMM_TEST_HA_NODE_ID", "pmm-1", 1);
    setenv("PMM_HA_PEERS", "a:1", 1);
    setenv("PMM_TEST_HA_PEERS", "b:2", 1);
    params_env_fallbacks();
    ck_assert_str_eq(getenv("PMM_HA_NODE_ID"), "pmm-1");
    ck_assert_str_eq(getenv("PMM_HA_PEERS"), "a:1");
}
END_TEST

START_TEST(test_change_payloads)
{
    char node[16], topic[32];
    ck_assert_int_eq(changes_parse("pmm-1 settings.changed", node, sizeof node, topic, sizeof topic), 0);
    ck_assert_str_eq(node, "pmm-1");
    ck_assert_str_eq(topic, "settings.changed");
    ck_assert_int_eq(changes_parse("pmm-1", node, sizeof node, topic, sizeof topic), -1);
    ck_assert_int_eq(changes_parse(" x", node, sizeof node, topic, sizeof topic), -1);
    ck_assert_int_eq(changes_parse("a b c", node, sizeof node, topic, sizeof topic), -1);
    ck_assert_int_eq(changes_parse("a ", node, sizeof node, topic, sizeof topic), -1);
    char id[64];
    setenv("PMM_TEST_HA_NODE_ID", "t-2", 1);
    unsetenv("PMM_HA_NODE_ID");
    leader_node_id(id, sizeof id);
    ck_assert_str_eq(id, "t-2");
}
END_TEST

static Suite *leader_suite(void)
{
    Suite *s = suite_create("ha");
    TCase *tc = tcase_create("leader");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_ha_off_leads);
    tcase_add_test(tc, test_ha_on_follows_events);
    tcase_add_test(tc, test_peers);
    tcase_add_test(tc, test_env_fallbacks);
    tcase_add_test(tc, test_change_payloads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(leader_suite());
}
