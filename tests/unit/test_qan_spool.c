/* Unit tests of qanfwd's buffers: the on-disk spool (order, bounds with
 * the oldest dropped, survival across a reopen, leftovers of an
 * interrupted write) and the in-memory queue (per-agent and byte bounds,
 * oldest first, taking and putting back in order). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qanfwd/queue.h"
#include "qanfwd/spool.h"
#include "tests/lib/checkrun.h"

static char dir[256];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_qan_spool.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    strcat(dir, "/spool"); /* spool_open makes it */
}

static void remove_dir(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strlen(dir) - 6), dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void append_str(spool *s, const char *v, long want_dropped)
{
    ck_assert_int_eq(spool_append(s, (const uint8_t *)v, strlen(v)), want_dropped);
}

static void expect_head(spool *s, const char *v)
{
    uint8_t *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(spool_peek(s, &data, &len), 1);
    ck_assert_uint_eq(len, strlen(v));
    ck_assert_int_eq(memcmp(data, v, len), 0);
    free(data);
    spool_pop(s);
}

START_TEST(spool_fifo_and_reopen)
{
    make_dir();
    spool *s = spool_open(dir, 1 << 20, 100);
    ck_assert_ptr_nonnull(s);
    uint8_t *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(spool_peek(s, &data, &len), 0);
    append_str(s, "one", 0);
    append_str(s, "two", 0);
    append_str(s, "three", 0);
    ck_assert_uint_eq(spool_files(s), 3);
    ck_assert_uint_eq(spool_bytes(s), 11);
    expect_head(s, "one");
    spool_close(s);
    /* a restarted qanfwd: the rest, in order; a write cut short is gone */
    char tmp[400];
    snprintf(tmp, sizeof tmp, "%s/00000000000000000099.pb.tmp", dir);
    FILE *f = fopen(tmp, "w");
    fputs("half", f);
    fclose(f);
    s = spool_open(dir, 1 << 20, 100);
    ck_assert_uint_eq(spool_files(s), 2);
    ck_assert_int_eq(access(tmp, F_OK), -1);
    append_str(s, "four", 0); /* numbered after what was there */
    expect_head(s, "two");
    expect_head(s, "three");
    expect_head(s, "four");
    ck_assert_uint_eq(spool_files(s), 0);
    ck_assert_uint_eq(spool_bytes(s), 0);
    spool_close(s);
    remove_dir();
}
END_TEST

START_TEST(spool_bounds_drop_oldest)
{
    make_dir();
    spool *s = spool_open(dir, 10, 3); /* 10 bytes, 3 files */
    append_str(s, "aaaa", 0);
    append_str(s, "bbbb", 0);
    append_str(s, "cccc", 1); /* 12 bytes > 10: aaaa goes */
    ck_assert_uint_eq(spool_files(s), 2);
    append_str(s, "d", 0);
    append_str(s, "e", 1); /* a 4th file: bbbb goes */
    ck_assert_uint_eq(spool_files(s), 3);
    /* the newest stays even when it alone is over the bound */
    append_str(s, "ffffffffffffffff", 3);
    ck_assert_uint_eq(spool_files(s), 1);
    expect_head(s, "ffffffffffffffff");
    /* many appends never hold more than the bound on disk */
    long dropped = 0;
    for (int i = 0; i < 1000; i++)
        dropped += spool_append(s, (const uint8_t *)"xy", 2);
    ck_assert_int_eq(dropped, 997);
    ck_assert_uint_eq(spool_files(s), 3);
    spool_close(s);
    s = spool_open(dir, 10, 3);
    ck_assert_uint_eq(spool_files(s), 3);
    spool_close(s);
    remove_dir();
}
END_TEST

static uint8_t *dup_str(const char *v)
{
    return (uint8_t *)strdup(v);
}

static void free_list(qqueue *q, qitem *it)
{
    while (it) {
        qitem *next = it->next;
        qitem_free(q, it);
        it = next;
    }
}

START_TEST(queue_bounds_and_order)
{
    qqueue *q = qqueue_new(3, 1 << 20);
    ck_assert_uint_eq(qqueue_put(q, "a", dup_str("a1"), 2), 0);
    ck_assert_uint_eq(qqueue_put(q, "b", dup_str("b1"), 2), 0);
    ck_assert_uint_eq(qqueue_put(q, "a", dup_str("a2"), 2), 0);
    ck_assert_uint_eq(qqueue_put(q, "a", dup_str("a3"), 2), 0);
    ck_assert_uint_eq(qqueue_put(q, "a", dup_str("a4"), 2), 1); /* a's 4th: a1 goes, b1 stays */
    size_t n, bytes;
    qqueue_stats(q, &n, &bytes);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(bytes, 8);
    qitem *l = qqueue_take(q, 2, 1 << 20, 0);
    ck_assert_str_eq((char *)l->data, "b1");
    ck_assert_str_eq(qitem_agent(l), "b");
    ck_assert_str_eq((char *)l->next->data, "a2");
    ck_assert_ptr_null(l->next->next);
    /* put back (the inventory was away): the same order again */
    qqueue_unget(q, l);
    l = qqueue_take(q, 100, 1 << 20, 0);
    const char *want[] = { "b1", "a2", "a3", "a4" };
    size_t i = 0;
    for (qitem *it = l; it; it = it->next)
        ck_assert_str_eq((char *)it->data, want[i++]);
    ck_assert_uint_eq(i, 4);
    free_list(q, l);
    ck_assert_ptr_null(qqueue_take(q, 100, 1 << 20, 10));
    /* the byte bound drops the oldest of anyone */
    qqueue_free(q);
    q = qqueue_new(100, 6);
    qqueue_put(q, "a", dup_str("a1"), 2);
    qqueue_put(q, "b", dup_str("b1"), 2);
    qqueue_put(q, "c", dup_str("c1"), 2);
    ck_assert_uint_eq(qqueue_put(q, "c", dup_str("c2"), 2), 1);
    l = qqueue_take(q, 100, 3, 0); /* at least one, then by bytes */
    ck_assert_str_eq((char *)l->data, "b1");
    ck_assert_ptr_null(l->next);
    free_list(q, l);
    qqueue_free(q); /* frees what is still queued */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qan_spool");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, spool_fifo_and_reopen);
    tcase_add_test(tc, spool_bounds_drop_oldest);
    tcase_add_test(tc, queue_bounds_and_order);
    suite_add_tcase(s, tc);
    return check_run(s);
}
