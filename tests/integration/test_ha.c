/* Integration tests of HA fencing against a real PostgreSQL: the fence
 * (db/store/ha_fence.h) takes a higher term, refuses a lower one in the
 * same transaction and keeps the first node id of a term; two
 * connections racing at different terms end with the higher one and the
 * lower refused once the higher committed; a scheduled run's due time is
 * claimed once (backupd's store_task_claim_due), whatever the term; a
 * change event of one node reaches another node's bus through NOTIFY
 * (db/changes.h) and a node's own events are not relayed back. */
#include <check.h>
#include <msgpack.h>
#include <stdio.h>
#include <unistd.h>
#include <zmq.h>
#include <stdlib.h>
#include <string.h>

#include "backupd/store/store.h"
#include "bus/bus.h"
#include "db/changes.h"
#include "db/store/ha_fence.h"
#include "log.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/pgtest.h"

static db *fresh(const char *name, db_params *p)
{
    ck_assert_msg(pgtest_fresh_db(name, p) == 0, "cannot create database %s", name);
    db *d = db_new(p);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(db_migrate(d), 0);
    return d;
}

/* leader_fence in a transaction of its own: the code, message into msg. */
static int fence_tx(db *d, int64_t term, const char *node, char *msg, size_t len)
{
    rpc_status st = { 0 };
    if (db_begin(d, &st) == RPC_OK && leader_fence(d, term, node, &st) == RPC_OK && db_commit(d, &st) == RPC_OK)
        return RPC_OK;
    db_rollback(d);
    snprintf(msg, len, "%s", st.message);
    return st.code;
}

START_TEST(test_fence_terms)
{
    db_params p = { 0 };
    db *d = fresh("test_ha_fence_terms", &p);
    char msg[256] = "";
    int64_t term = -1;
    char node[64];
    rpc_status st = { 0 };
    ck_assert_int_eq(leader_fence_read(d, &term, node, sizeof node, &st), RPC_OK);
    ck_assert_int_eq(term, 0);
    /* term 0 is HA off: always passes, writes nothing */
    ck_assert_int_eq(fence_tx(d, 0, "x", msg, sizeof msg), RPC_OK);
    ck_assert_int_eq(fence_tx(d, 5, "n1", msg, sizeof msg), RPC_OK);
    ck_assert_int_eq(fence_tx(d, 5, "n1", msg, sizeof msg), RPC_OK);
    ck_assert_int_eq(fence_tx(d, 7, "n2", msg, sizeof msg), RPC_OK);
    ck_assert_int_eq(fence_tx(d, 5, "n1", msg, sizeof msg), RPC_FAILED_PRECONDITION);
    ck_assert_str_eq(msg, "stale leader term 5: term 7 has a leader");
    /* the same term again (another write of that leader) keeps the leader's node id */
    ck_assert_int_eq(fence_tx(d, 7, "", msg, sizeof msg), RPC_OK);
    ck_assert_int_eq(leader_fence_read(d, &term, node, sizeof node, &st), RPC_OK);
    ck_assert_int_eq(term, 7);
    ck_assert_str_eq(node, "n2");
    /* HA off still passes after HA was on */
    ck_assert_int_eq(fence_tx(d, 0, NULL, msg, sizeof msg), RPC_OK);
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

/* A stale leader holding its transaction open while the new leader
 * raises the term: the row lock orders them; the stale write, fenced
 * again after the new term committed, is refused. */
START_TEST(test_fence_race)
{
    db_params p = { 0 };
    db *old = fresh("test_ha_fence_race", &p);
    db *neu = db_new(&p);
    ck_assert_ptr_nonnull(neu);
    char msg[256] = "";
    rpc_status st = { 0 };
    ck_assert_int_eq(fence_tx(old, 3, "old", msg, sizeof msg), RPC_OK);
    /* the old leader's transaction passes the fence and commits before the new term exists */
    ck_assert_int_eq(db_begin(old, &st), RPC_OK);
    ck_assert_int_eq(leader_fence(old, 3, NULL, &st), RPC_OK);
    ck_assert_int_eq(db_commit(old, &st), RPC_OK);
    ck_assert_int_eq(fence_tx(neu, 4, "new", msg, sizeof msg), RPC_OK);
    /* from now on every write of term 3 is refused, in its own transaction */
    ck_assert_int_eq(db_begin(old, &st), RPC_OK);
    ck_assert_int_eq(leader_fence(old, 3, NULL, &st), RPC_FAILED_PRECONDITION);
    db_rollback(old);
    db_destroy(neu);
    db_destroy(old);
    pgtest_params_clear(&p);
}
END_TEST

START_TEST(test_claim_once)
{
    db_params p = { 0 };
    db *d = fresh("test_ha_fence_claim", &p);
    rpc_status st = { 0 };
    sched_task t = { .cron_expression = (char *)"* * * * *", .type = (char *)"mysql_backup",
                     .data = (char *)"{\"mysql_backup_task\":{\"name\":\"n\"}}" };
    ck_assert_int_eq(store_task_insert(d, &t, &st), RPC_OK);
    bool claimed = false;
    int64_t due = 1700000040000LL;
    ck_assert_int_eq(store_task_claim_due(d, t.id, due, &claimed, &st), RPC_OK);
    ck_assert(claimed);
    ck_assert_int_eq(store_task_claim_due(d, t.id, due, &claimed, &st), RPC_OK);
    ck_assert_msg(!claimed, "the same due time is claimed once");
    ck_assert_int_eq(store_task_claim_due(d, t.id, due - 60000, &claimed, &st), RPC_OK);
    ck_assert_msg(!claimed, "an earlier due time after a later one is not run");
    ck_assert_int_eq(store_task_claim_due(d, t.id, due + 60000, &claimed, &st), RPC_OK);
    ck_assert(claimed);
    sched_task got = { 0 };
    ck_assert_int_eq(store_task_get(d, t.id, &got, &st), RPC_OK);
    ck_assert(got.running);
    sched_task_free(&got);
    free(t.id);
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

/* The next event on sub within ms: its topic and "source", or "" on timeout. */
static void next_event(bus_sub *sub, int ms, char *topic, size_t tlen, char *source, size_t slen)
{
    char *t = NULL;
    uint8_t *p = NULL;
    size_t n = 0;
    topic[0] = source[0] = '\0';
    if (bus_sub_recv(sub, ms, &t, &p, &n) != 1)
        return;
    snprintf(topic, tlen, "%s", t);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, (const char *)p, n, NULL) == MSGPACK_UNPACK_SUCCESS && u.data.type == MSGPACK_OBJECT_MAP &&
        u.data.via.map.size == 1 && u.data.via.map.ptr[0].val.type == MSGPACK_OBJECT_STR)
        snprintf(source, slen, "%.*s", (int)u.data.via.map.ptr[0].val.via.str.size,
                 u.data.via.map.ptr[0].val.via.str.ptr);
    msgpack_unpacked_destroy(&u);
    free(t);
    free(p);
}

START_TEST(test_changes_cross_nodes)
{
    db_params p = { 0 };
    db *d = fresh("test_ha_changes", &p);
    void *zctx = zmq_ctx_new();
    char dir[] = "/tmp/test_ha_changes.XXXXXX", ep[600];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    bus_pub_endpoint(ep, sizeof ep, dir, "configd");
    bus_pub *pub = bus_pub_new(zctx, ep);
    bus_sub *sub = bus_sub_new(zctx);
    ck_assert_ptr_nonnull(pub);
    ck_assert_int_eq(bus_sub_connect(sub, ep, ""), 0);
    usleep(200000); /* the SUB joins before anything is published */
    /* node b listens; node a sends */
    changes_relay_config rc = { .db = &p, .app_name = "test", .node_id = "b", .topic = "settings.changed", .pub = pub };
    changes_relay *r = changes_relay_start(&rc);
    ck_assert_ptr_nonnull(r);
    char topic[64], source[64];
    next_event(sub, 5000, topic, sizeof topic, source, sizeof source);
    ck_assert_str_eq(topic, "settings.changed");
    ck_assert_str_eq(source, "node:?"); /* listening began: anything may have been missed */
    ck_assert_int_eq(changes_notifier_start(&p, "a"), 0);
    changes_notify("settings.changed");
    next_event(sub, 5000, topic, sizeof topic, source, sizeof source);
    ck_assert_str_eq(topic, "settings.changed");
    ck_assert_str_eq(source, "node:a");
    /* another topic, and node b's own events, are not relayed here */
    changes_notify("inventory.changed");
    rpc_status st = { 0 };
    PGresult *res = db_exec(d, &st, "SELECT pg_notify('" CHANGES_CHANNEL "', 'b settings.changed')", 0, NULL);
    ck_assert_ptr_nonnull(res);
    PQclear(res);
    next_event(sub, 1500, topic, sizeof topic, source, sizeof source);
    ck_assert_str_eq(topic, "");
    changes_notifier_stop();
    changes_relay_stop(r);
    bus_sub_destroy(sub);
    bus_pub_destroy(pub);
    zmq_ctx_term(zctx);
    char sock[700];
    snprintf(sock, sizeof sock, "%s/configd.pub", dir);
    unlink(sock);
    rmdir(dir);
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

static Suite *ha_suite(void)
{
    Suite *s = suite_create("ha");
    TCase *tc = tcase_create("fence");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fence_terms);
    tcase_add_test(tc, test_fence_race);
    tcase_add_test(tc, test_claim_once);
    tcase_add_test(tc, test_changes_cross_nodes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    log_init("test_ha", LOG_WARN);
    return check_run(ha_suite());
}
