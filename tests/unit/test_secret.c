/* Unit tests of common/secret: the key file (created 0600 once, reused,
 * refused when damaged) and the "enc:" sealing of stored credentials. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "secret.h"
#include "tests/lib/checkrun.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    ck_assert_int_ge(sodium_init(), 0);
    snprintf(dir, sizeof dir, "/tmp/test_secret.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/pmm-encryption.key", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

START_TEST(key_file_created_private_and_reused)
{
    ck_assert_int_eq(secret_init(path), 0);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    ck_assert_int_eq(sb.st_size, 32);
    char *sealed = secret_encrypt("s3cr3t");
    ck_assert_ptr_nonnull(sealed);
    ck_assert_int_eq(strncmp(sealed, "enc:", 4), 0);
    ck_assert_ptr_null(strstr(sealed, "s3cr3t"));

    /* A second start reads the same key: old values still open. */
    ck_assert_int_eq(secret_init(path), 0);
    char *plain = secret_decrypt(sealed);
    ck_assert_str_eq(plain, "s3cr3t");
    free(plain);
    free(sealed);
}
END_TEST

START_TEST(plain_and_damaged_values)
{
    ck_assert_int_eq(secret_init(path), 0);
    char *plain = secret_decrypt("not sealed");
    ck_assert_str_eq(plain, "not sealed"); /* rows from before encryption */
    free(plain);
    ck_assert_ptr_null(secret_decrypt("enc:"));
    ck_assert_ptr_null(secret_decrypt("enc:!!!"));
    ck_assert_ptr_null(secret_decrypt(NULL));
    char *sealed = secret_encrypt("");
    ck_assert_ptr_nonnull(sealed);
    plain = secret_decrypt(sealed);
    ck_assert_str_eq(plain, "");
    free(plain);
    /* One flipped character (inside the base64, not in padding bits) breaks the MAC. */
    ck_assert_uint_gt(strlen(sealed), 20);
    sealed[10] = sealed[10] == 'A' ? 'Q' : 'A';
    ck_assert_ptr_null(secret_decrypt(sealed));
    free(sealed);
}
END_TEST

START_TEST(damaged_key_file_refused)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "short", 5), 5);
    close(fd);
    ck_assert_int_eq(secret_init(path), -1);
    ck_assert_int_eq(secret_init(""), -1);
    char missing_dir[200];
    snprintf(missing_dir, sizeof missing_dir, "%s/no/such/dir/key", dir);
    ck_assert_int_eq(secret_init(missing_dir), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("secret");
    TCase *tc = tcase_create("secret");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, key_file_created_private_and_reused);
    tcase_add_test(tc, plain_and_damaged_values);
    tcase_add_test(tc, damaged_key_file_refused);
    suite_add_tcase(s, tc);
    return check_run(s);
}
