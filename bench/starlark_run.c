/* starlark_run FILE: runs a Starlark module with the interpreter of
 * starlark/ (release build) and prints what it prints, then the CPU time
 * of parsing and running it on stderr as "cpu: S" (seconds; process
 * start-up excluded, as bench/starlark.sh does for python3). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "starlark/starlark.h"

static void out(void *ud, const char *msg, size_t len)
{
    (void)ud;
    fwrite(msg, 1, len, stdout);
    fputc('\n', stdout);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *src = malloc((size_t)n + 1);
    if (!src || fread(src, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return 2;
    }
    fclose(f);
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    sl_options o = {0};
    o.print = out;
    sl_thread *t = sl_thread_new(&o);
    sl_module *m = t ? sl_exec(t, argv[1], src, (size_t)n) : NULL;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    int rc = 0;
    if (!m) {
        fprintf(stderr, "%s\n", t ? sl_last_error(t)->backtrace : "out of memory");
        rc = 1;
    }
    fflush(stdout);
    fprintf(stderr, "cpu: %.3f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    sl_thread_free(t);
    free(src);
    return rc;
}
