/* The Starlark interpreter's fuzz target inside `make test`: every seed
 * of the committed corpus (tests/fuzz/starlark_corpus and the check
 * scripts of tests/starlark) goes through the target function itself,
 * then the libFuzzer binary (built with clang by `make`, ASan+UBSan) runs
 * for STARLARK_FUZZ_SECONDS (default 20) over a copy of that corpus; any
 * crash, leak or sanitizer report fails the test. `make fuzz` runs it
 * longer. */
#include <check.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_starlark.c"
#include "tests/lib/checkrun.h"

static char fuzzer_path[4096];

static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "open %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        static uint8_t buf[65536];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        n++;
    }
    closedir(d);
    return n;
}

START_TEST(replay_corpus)
{
    int n = replay_dir("tests/fuzz/starlark_corpus");
    n += replay_dir("tests/starlark");
    ck_assert_int_ge(n, 10);
}
END_TEST

START_TEST(bounded_fuzz_run)
{
    ck_assert_msg(access(fuzzer_path, X_OK) == 0, "fuzzer not built: %s", fuzzer_path);
    const char *secs = getenv("STARLARK_FUZZ_SECONDS");
    if (!secs || !*secs)
        secs = "20";
    char cmd[8192];
    /* the run script copies the corpus to a scratch directory */
    snprintf(cmd, sizeof cmd, "sh tests/fuzz/run.sh '%s' %s", fuzzer_path, secs);
    int rc = system(cmd);
    ck_assert_msg(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "fuzz run failed (status %d)", rc);
}
END_TEST

int main(int argc, char **argv)
{
    (void)argc;
    /* build/<kind>/tests/unit/test_starlark_fuzz -> build/<kind>/fuzz/fuzz_starlark */
    char self[4096];
    snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(fuzzer_path, sizeof fuzzer_path, "%s/../../fuzz/fuzz_starlark", dirname(self));
    Suite *s = suite_create("starlark_fuzz");
    TCase *tc = tcase_create("fuzz");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, replay_corpus);
    tcase_add_test(tc, bounded_fuzz_run);
    suite_add_tcase(s, tc);
    return check_run(s);
}
