/* Unit tests of backupd/dbhold.c: the scheduler's runners share a few
 * connections, each lent for a database step only. No PostgreSQL is
 * needed: db_new does not connect. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "backupd/dbhold.h"
#include "tests/lib/checkrun.h"

START_TEST(lends_each_connection_once)
{
    dbhold_pool *pl = dbhold_pool_new(NULL, 2);
    ck_assert_ptr_nonnull(pl);
    ck_assert_int_eq(dbhold_pool_size(pl), 2);
    dbhold a = { .pool = pl }, b = { .pool = pl };
    db *da = dbhold_db(&a), *db2 = dbhold_db(&b);
    ck_assert_ptr_nonnull(da);
    ck_assert_ptr_nonnull(db2);
    ck_assert_ptr_ne(da, db2);
    /* held: asked again, the same one */
    ck_assert_ptr_eq(dbhold_db(&a), da);
    dbhold_release(&a);
    ck_assert_ptr_null(a.d);
    dbhold_release(&a); /* twice is harmless */
    /* the one given back is the one lent next */
    dbhold c = { .pool = pl };
    ck_assert_ptr_eq(dbhold_db(&c), da);
    dbhold_release(&c);
    dbhold_release(&b);
    dbhold_pool_free(pl);
    ck_assert_ptr_null(dbhold_pool_new(NULL, 0));
}
END_TEST

START_TEST(own_connection_is_kept)
{
    db *mine = db_new(NULL);
    dbhold h = dbhold_of(mine);
    ck_assert_ptr_eq(dbhold_db(&h), mine);
    dbhold_release(&h); /* not pooled: never given away */
    ck_assert_ptr_eq(h.d, mine);
    ck_assert_ptr_eq(dbhold_db(&h), mine);
    db_destroy(mine);
}
END_TEST

/* Many threads, few connections: never more lent than there are, never
 * one lent twice, and every thread gets its turns. */
enum { THREADS = 16, ROUNDS = 200, CONNS = 3 };
static dbhold_pool *shared;
static atomic_int lent, most;
static _Atomic(db *) in_use[CONNS];
static db *conns_seen[CONNS];

static void *hammer(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        dbhold h = { .pool = shared };
        db *d = dbhold_db(&h);
        int now = atomic_fetch_add(&lent, 1) + 1;
        int m = atomic_load(&most);
        while (now > m && !atomic_compare_exchange_weak(&most, &m, now))
            ;
        int slot = -1;
        for (int i = 0; i < CONNS; i++)
            if (conns_seen[i] == d)
                slot = i;
        ck_assert_int_ge(slot, 0);
        db *expected = NULL;
        ck_assert_msg(atomic_compare_exchange_strong(&in_use[slot], &expected, d), "a connection lent twice");
        struct timespec ts = { 0, 50000 };
        nanosleep(&ts, NULL);
        atomic_store(&in_use[slot], NULL);
        atomic_fetch_sub(&lent, 1);
        dbhold_release(&h);
    }
    return NULL;
}

START_TEST(bounded_under_contention)
{
    shared = dbhold_pool_new(NULL, CONNS);
    ck_assert_ptr_nonnull(shared);
    /* learn the pool's connections */
    dbhold hs[CONNS];
    for (int i = 0; i < CONNS; i++) {
        hs[i] = (dbhold){ .pool = shared };
        conns_seen[i] = dbhold_db(&hs[i]);
    }
    for (int i = 0; i < CONNS; i++)
        dbhold_release(&hs[i]);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_le(atomic_load(&most), CONNS);
    ck_assert_int_ge(atomic_load(&most), 2); /* they were really shared at once */
    ck_assert_int_eq(atomic_load(&lent), 0);
    dbhold_pool_free(shared);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dbhold");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lends_each_connection_once);
    tcase_add_test(tc, own_connection_is_kept);
    tcase_add_test(tc, bounded_under_contention);
    suite_add_tcase(s, tc);
    return check_run(s);
}
