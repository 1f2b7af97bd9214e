/* Unit tests of the relay's flow control (issue 16, defect 1): the
 * gateway's per-stream and total windows, pausing and resuming on agentsd's
 * credit, ended streams and a new agentsd, the flood rule (gateway/stream/
 * flow.h); and agentsd's side: credits batched per conn and sent for
 * every frame, however it ends (agentsd/credit.h). */
#include <check.h>
#include <string.h>

#include "agentsd/credit.h"
#include "bus/stream_msg.h"
#include "gateway/stream/flow.h"
#include "tests/lib/checkrun.h"

#define MIB ((size_t)1 << 20)

static int resumed[16];

static void on_resume(flow_state *f)
{
    resumed[(int)(intptr_t)f->owner]++;
}

static void setup(void)
{
    memset(resumed, 0, sizeof resumed);
    flow_init(on_resume);
}

/* Charges one message and pauses the stream when it may not read on. */
static int receive(flow_state *f, size_t len, int64_t now_ms)
{
    flow_charge(f, len, now_ms);
    if (flow_may_read(f))
        return 1;
    flow_pause(f);
    return 0;
}

START_TEST(stream_window_pauses_and_credit_resumes)
{
    setup();
    flow_state f;
    flow_start(&f, (void *)1);
    int reads = 0;
    while (receive(&f, 512 << 10, 0))
        reads++;
    /* 4 MiB of 512 KiB messages plus their overhead: the 8th crosses it */
    ck_assert_int_eq(reads, 7);
    ck_assert_uint_eq(f.unacked, 8 * stream_msg_charge(512 << 10));
    ck_assert_uint_eq(flow_in_flight(), f.unacked);
    ck_assert(f.paused);
    /* a credit that leaves it over its window resumes nothing */
    flow_credit(&f, stream_msg_charge(1));
    ck_assert_int_eq(resumed[1], 0);
    flow_credit(&f, stream_msg_charge(512 << 10));
    ck_assert_int_eq(resumed[1], 1);
    ck_assert(!f.paused);
    /* more credit than was charged (a resync's leftovers) stops at zero */
    flow_credit(&f, 1ULL << 40);
    ck_assert_uint_eq(f.unacked, 0);
    ck_assert_uint_eq(flow_in_flight(), 0);
}
END_TEST

START_TEST(one_large_message_passes_alone)
{
    setup();
    flow_state f;
    flow_start(&f, (void *)1);
    ck_assert(flow_may_read(&f));
    ck_assert(!receive(&f, 100 * MIB, 0)); /* read whole, then the stream waits */
    ck_assert(!flow_flooding(&f));
    flow_credit(&f, stream_msg_charge(100 * MIB));
    ck_assert_int_eq(resumed[1], 1);
    ck_assert(flow_may_read(&f));
}
END_TEST

START_TEST(total_window_pauses_everyone)
{
    setup();
    flow_state s[16];
    for (int i = 0; i < 16; i++) {
        flow_start(&s[i], (void *)(intptr_t)i);
        flow_charge(&s[i], 3 * MIB, 0); /* each under its own window */
    }
    ck_assert_uint_eq(flow_in_flight(), 16 * stream_msg_charge(3 * MIB));
    /* 48 MiB: under the total; a 17 MiB message takes it over */
    ck_assert(flow_may_read(&s[0]));
    flow_charge(&s[15], 17 * MIB, 0);
    for (int i = 0; i < 16; i++) {
        ck_assert(!flow_may_read(&s[i]));
        flow_pause(&s[i]);
    }
    /* crediting stream 0 alone brings the total under: all but 15 resume */
    flow_credit(&s[0], stream_msg_charge(3 * MIB));
    for (int i = 0; i < 15; i++)
        ck_assert_int_eq(resumed[i], 1);
    ck_assert_int_eq(resumed[15], 0);
    ck_assert(s[15].paused);
    flow_credit(&s[15], stream_msg_charge(17 * MIB));
    ck_assert_int_eq(resumed[15], 1);
    for (int i = 1; i < 16; i++)
        flow_credit(&s[i], stream_msg_charge(3 * MIB));
    ck_assert_uint_eq(flow_in_flight(), 0);
}
END_TEST

START_TEST(ended_streams_count_until_credited)
{
    setup();
    flow_state a, b;
    flow_start(&a, (void *)1);
    flow_start(&b, (void *)2);
    flow_charge(&a, 60 * MIB, 0);
    flow_pause(&a);
    flow_forget(&a);
    ck_assert(!a.paused);
    ck_assert(!flow_may_read(&a));
    /* what agentsd still holds of it keeps others back */
    flow_charge(&b, 5 * MIB, 0);
    ck_assert(!flow_may_read(&b));
    flow_pause(&b);
    flow_credit(NULL, stream_msg_charge(60 * MIB)); /* the ended stream's credit */
    ck_assert_int_eq(resumed[1], 0);
    ck_assert_int_eq(resumed[2], 0); /* still over its own window */
    flow_credit(&b, stream_msg_charge(5 * MIB));
    ck_assert_int_eq(resumed[2], 1);
    ck_assert_uint_eq(flow_in_flight(), 0);
}
END_TEST

START_TEST(new_agentsd_forgets_what_it_held)
{
    setup();
    flow_state a, b;
    flow_start(&a, (void *)1);
    flow_start(&b, (void *)2);
    receive(&a, 5 * MIB, 0);
    flow_charge(&b, 30 * MIB, 0);
    flow_forget(&b);
    flow_charge(&a, 40 * MIB, 0);
    ck_assert(a.paused);
    flow_reset(&a);
    flow_reset_ended();
    ck_assert_uint_eq(flow_in_flight(), 0);
    ck_assert_int_eq(resumed[1], 1);
    ck_assert(flow_may_read(&a));
}
END_TEST

START_TEST(flood_rule)
{
    setup();
    flow_state f;
    /* 1 MiB a second for a minute: a heavy agent, not a flood */
    flow_start(&f, (void *)1);
    for (int64_t t = 0; t < 60000; t += 1000) {
        flow_charge(&f, MIB, t);
        ck_assert(!flow_flooding(&f));
        flow_credit(&f, stream_msg_charge(MIB));
    }
    /* 1 MiB messages as fast as they are taken: cut once 16 MiB beyond
     * the largest came within 10 s */
    flow_start(&f, (void *)1);
    int n = 0;
    for (int64_t t = 100000; !flow_flooding(&f); t += 300) {
        flow_charge(&f, MIB, t);
        flow_credit(&f, stream_msg_charge(MIB));
        n++;
    }
    ck_assert_int_eq(n, 18);
    /* a 100 MiB result and a few small messages with it pass; the next
     * large one within the window is too much */
    flow_start(&f, (void *)1);
    flow_charge(&f, 100 * MIB, 200000);
    for (int i = 0; i < 100; i++)
        flow_charge(&f, 1000, 200000 + i * 50);
    ck_assert(!flow_flooding(&f));
    flow_charge(&f, 20 * MIB, 205000);
    ck_assert(flow_flooding(&f));
    /* ten quiet seconds later it is all forgotten */
    flow_charge(&f, 1, 216000);
    ck_assert(!flow_flooding(&f));
    /* a long gap in time clears every second */
    flow_charge(&f, 15 * MIB, 216500);
    ck_assert(!flow_flooding(&f));
    flow_charge(&f, 2 * MIB, 10000000);
    ck_assert(!flow_flooding(&f));
    flow_reset(&f);
    flow_reset_ended();
    ck_assert_uint_eq(flow_in_flight(), 0);
}
END_TEST

START_TEST(credits_batched_and_limit)
{
    conn c;
    memset(&c, 0, sizeof c);
    c.state = CONN_LIVE;
    ck_assert_int_eq(credit_hold(&c, 100), 0);
    ck_assert_uint_eq(c.held, stream_msg_charge(100));
    /* not yet due: kept for the next tick (no gateway here, so the flush
     * only clears it) */
    credit_release(&c, 100);
    ck_assert_uint_eq(c.held, 0);
    ck_assert_uint_eq(c.credit_due, stream_msg_charge(100));
    /* a gateway that does not wait for credit */
    ck_assert_int_eq(credit_hold(&c, 200 * MIB), 0);
    ck_assert_int_eq(credit_hold(&c, 100 * MIB), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agent_flow");
    TCase *tc = tcase_create("flow");
    tcase_add_test(tc, stream_window_pauses_and_credit_resumes);
    tcase_add_test(tc, one_large_message_passes_alone);
    tcase_add_test(tc, total_window_pauses_everyone);
    tcase_add_test(tc, ended_streams_count_until_credited);
    tcase_add_test(tc, new_agentsd_forgets_what_it_held);
    tcase_add_test(tc, flood_rule);
    tcase_add_test(tc, credits_batched_and_limit);
    suite_add_tcase(s, tc);
    return check_run(s);
}
