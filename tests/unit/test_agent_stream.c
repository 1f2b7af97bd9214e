/* Unit tests of the pure pieces of the pmm-agent stream: ping arithmetic
 * (round trip, clock drift as upstream computes it), the connect version
 * check, the StreamMessage frame codec and the mailbox. */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agentsd/drift.h"
#include "mailbox.h"
#include "bus/stream_msg.h"
#include "tests/lib/checkrun.h"

START_TEST(drift_symmetric_and_skewed)
{
    int64_t rtt, drift;
    /* sent at 1 s, pong at 1.2 s, agent clock exactly in the middle */
    drift_compute(1000000, 1200000, 1100000, &rtt, &drift);
    ck_assert_int_eq(rtt, 200000);
    ck_assert_int_eq(drift, 0);
    /* agent 3 s ahead */
    drift_compute(1000000, 1200000, 4100000, &rtt, &drift);
    ck_assert_int_eq(drift, 3000000);
    /* agent 3 s behind: the absolute value */
    drift_compute(10000000, 10200000, 7100000, &rtt, &drift);
    ck_assert_int_eq(drift, 3000000);
    /* the wall clock stepped back during the ping: no negative round trip */
    drift_compute(5000000, 4000000, 5000000, &rtt, &drift);
    ck_assert_int_eq(rtt, 0);
    ck_assert_int_eq(drift, 0);
}
END_TEST

START_TEST(versions)
{
    const char *good[] = { "2.41.0", "3.0.0", "3.0.0-beta", "2.44.0-33-g1234567", "v3.1.2", "10.20.30" };
    const char *bad[] = { "", "3", "3.0", "3.0.", "3.0.x", "a.b.c", "3.0.0-", "3.0.0 ", " 3.0.0", "3..0", NULL };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ck_assert_msg(agent_version_valid(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!agent_version_valid(bad[i]), "%s", bad[i] ? bad[i] : "NULL");
}
END_TEST

START_TEST(frame_round_trip)
{
    const uint8_t payload[] = { 0x08, 0x01, 0x12, 0x00, 0xff };
    zmq_msg_t z;
    ck_assert_int_eq(stream_msg_make(&z, INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME, 1ULL << 40, payload,
                                     sizeof payload, 0, NULL), 0);
    Internal__V1__StreamMessage *m = stream_msg_unpack(zmq_msg_data(&z), zmq_msg_size(&z));
    zmq_msg_close(&z);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->kind, INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME);
    ck_assert_uint_eq(m->stream_id, 1ULL << 40);
    ck_assert_uint_eq(m->payload.len, sizeof payload);
    ck_assert_int_eq(memcmp(m->payload.data, payload, sizeof payload), 0);
    stream_msg_free(m);

    ck_assert_int_eq(stream_msg_make(&z, INTERNAL__V1__STREAM_KIND__STREAM_KIND_CLOSE, 7, NULL, 0, 10, "Kicked."), 0);
    m = stream_msg_unpack(zmq_msg_data(&z), zmq_msg_size(&z));
    zmq_msg_close(&z);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->code, 10);
    ck_assert_str_eq(m->message, "Kicked.");
    ck_assert_uint_eq(m->payload.len, 0);
    stream_msg_free(m);
}
END_TEST

/* stream_msg_frame writes what protobuf-c packs for the same FRAME. */
START_TEST(frame_written_in_place_as_packed)
{
    const uint64_t ids[] = { 0, 1, 127, 128, 1ULL << 40, UINT64_MAX };
    const size_t lens[] = { 0, 1, 127, 128, 300, 70000 };
    uint8_t *data = malloc(70000);
    for (size_t i = 0; i < 70000; i++)
        data[i] = (uint8_t)(i * 7);
    for (size_t a = 0; a < sizeof ids / sizeof *ids; a++)
        for (size_t b = 0; b < sizeof lens / sizeof *lens; b++) {
            zmq_msg_t want, got;
            uint8_t *p;
            ck_assert_int_eq(stream_msg_make(&want, INTERNAL__V1__STREAM_KIND__STREAM_KIND_FRAME, ids[a], data,
                                             lens[b], 0, NULL), 0);
            ck_assert_int_eq(stream_msg_frame(&got, ids[a], lens[b], &p), 0);
            memcpy(p, data, lens[b]);
            ck_assert_uint_eq(zmq_msg_size(&got), zmq_msg_size(&want));
            ck_assert_int_eq(memcmp(zmq_msg_data(&got), zmq_msg_data(&want), zmq_msg_size(&want)), 0);
            zmq_msg_close(&want);
            zmq_msg_close(&got);
        }
    free(data);
}
END_TEST

START_TEST(frame_garbage_refused)
{
    const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff };
    ck_assert_ptr_null(stream_msg_unpack(junk, sizeof junk));
    /* a well-formed message without a kind is no frame either */
    ck_assert_ptr_null(stream_msg_unpack(NULL, 0));
    const uint8_t only_id[] = { 0x10, 0x05 };
    ck_assert_ptr_null(stream_msg_unpack(only_id, sizeof only_id));
    char ep[128];
    stream_msg_endpoint(ep, sizeof ep, "/srv/pmm/run");
    ck_assert_str_eq(ep, "ipc:///srv/pmm/run/agentsd.stream");
}
END_TEST

static void add(void *arg)
{
    (*(int *)arg)++;
}

static void *poster(void *arg)
{
    mailbox *m = arg;
    static int sink;
    for (int i = 0; i < 1000; i++)
        mailbox_post(m, add, &sink);
    return NULL;
}

START_TEST(mailbox_runs_in_order_across_threads)
{
    mailbox *m = mailbox_new();
    ck_assert_ptr_nonnull(m);
    int n = 0;
    ck_assert_int_eq(mailbox_post(m, add, &n), 0);
    ck_assert_int_eq(mailbox_post(m, add, &n), 0);
    struct pollfd p = { mailbox_fd(m), POLLIN, 0 };
    ck_assert_int_eq(poll(&p, 1, 0), 1);
    ck_assert_uint_eq(mailbox_pending(m), 2);
    ck_assert_uint_eq(mailbox_run(m), 2);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(poll(&p, 1, 0), 0);   /* nothing left to wake for */

    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, poster, m);
    size_t ran = 0;
    while (ran < 2000) {
        poll(&p, 1, 1000);
        ran += mailbox_run(m);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(ran, 2000);
    mailbox_destroy(m, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agent_stream");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, drift_symmetric_and_skewed);
    tcase_add_test(tc, versions);
    tcase_add_test(tc, frame_round_trip);
    tcase_add_test(tc, frame_written_in_place_as_packed);
    tcase_add_test(tc, frame_garbage_refused);
    tcase_add_test(tc, mailbox_runs_in_order_across_threads);
    suite_add_tcase(s, tc);
    return check_run(s);
}
