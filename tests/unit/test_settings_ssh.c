/* Unit tests of configd/settings_ssh: which authorized_keys texts pass
 * as Go's ssh.ParseAuthorizedKey would take them, and the refusal to
 * write a key outside the AMI/OVF appliances. */
#include <check.h>

#include "configd/settings_ssh.h"
#include "tests/lib/checkrun.h"

/* ssh-ed25519 with key bytes 1..32, base64 of the wire blob. */
#define ED "AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"

START_TEST(keys_accepted)
{
    ck_assert(settings_ssh_key_valid("ssh-ed25519 " ED));
    ck_assert(settings_ssh_key_valid("ssh-ed25519 " ED " user@host"));
    ck_assert(settings_ssh_key_valid("# comment\n\n  ssh-ed25519\t" ED "\n"));
    ck_assert(settings_ssh_key_valid("from=\"10.0.0.1\" ssh-ed25519 " ED " c"));
    ck_assert(settings_ssh_key_valid("garbage line\nssh-ed25519 " ED));
}
END_TEST

START_TEST(keys_refused)
{
    ck_assert(!settings_ssh_key_valid(""));
    ck_assert(!settings_ssh_key_valid("not a key"));
    ck_assert(!settings_ssh_key_valid("ssh-ed25519"));
    ck_assert(!settings_ssh_key_valid("ssh-ed25519 !!!notbase64"));
    /* A blob of another algorithm name, a short ed25519 key, trailing bytes. */
    ck_assert(!settings_ssh_key_valid("ssh-ed25519 AAAAB3NzaC1mb28="));
    ck_assert(!settings_ssh_key_valid("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAwECAw=="));
    ck_assert(!settings_ssh_key_valid("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gAA=="));
    ck_assert(!settings_ssh_key_valid("# ssh-ed25519 " ED));
}
END_TEST

START_TEST(write_only_on_appliances)
{
    rpc_status st;
    ck_assert_int_eq(settings_ssh_write_key("docker", "ssh-ed25519 " ED, &st), RPC_INTERNAL);
    ck_assert_str_eq(st.message, "SSH key can be set only on AMI and OVF distributions");
    ck_assert_int_eq(settings_ssh_write_key("", "ssh-ed25519 " ED, &st), RPC_INTERNAL);
    ck_assert_int_eq(settings_ssh_write_key(NULL, "ssh-ed25519 " ED, &st), RPC_INTERNAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("settings_ssh");
    TCase *tc = tcase_create("settings_ssh");
    tcase_add_test(tc, keys_accepted);
    tcase_add_test(tc, keys_refused);
    tcase_add_test(tc, write_only_on_appliances);
    suite_add_tcase(s, tc);
    return check_run(s);
}
