/* Unit tests of common/credentials' client side: the Basic authorization
 * value the benchmarks and tools send (RFC 7617's example and each
 * padding length). */
#include <check.h>
#include <stdlib.h>

#include <sodium.h>

#include "db/credentials.h"
#include "tests/lib/checkrun.h"

static void expect(const char *user, const char *pass, const char *want)
{
    char *got = cred_basic_auth(user, pass);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(basic_auth_values)
{
    ck_assert_int_ge(sodium_init(), 0);
    expect("Aladdin", "open sesame", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    expect("admin", "admin", "Basic YWRtaW46YWRtaW4=");
    expect("a", "", "Basic YTo=");
    expect("ab", "c", "Basic YWI6Yw==");
    expect("service_token", "x:y", "Basic c2VydmljZV90b2tlbjp4Onk=");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("credentials");
    TCase *tc = tcase_create("basic_auth");
    tcase_add_test(tc, basic_auth_values);
    suite_add_tcase(s, tc);
    return check_run(s);
}
