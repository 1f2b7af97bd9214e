/* golden: expected-output files for tests (golden.h). */
#include "golden.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *golden_path(const char *name)
{
    static __thread char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "tests/golden/%s", name);
    if (access("tests/golden", F_OK) == 0)
        return path;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *d = exe;
        for (int i = 0; i < 5; i++)
            d = dirname(d);
        snprintf(path, sizeof path, "%s/tests/golden/%s", d, name);
    }
    return path;
}

char *golden_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    long n;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (s = malloc((size_t)n + 1)) != NULL) {
        if (fread(s, 1, (size_t)n, f) == (size_t)n) {
            s[n] = '\0';
        } else {
            free(s);
            s = NULL;
        }
    }
    fclose(f);
    return s;
}

int golden_matches(const char *name, const char *actual)
{
    const char *path = golden_path(name);
    const char *update = getenv("PMM_UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0) {
        FILE *f = fopen(path, "wb");
        if (!f || fputs(actual, f) < 0) {
            if (f)
                fclose(f);
            return 0;
        }
        return fclose(f) == 0;
    }
    char *expect = golden_read(path);
    int same = expect && strcmp(expect, actual) == 0;
    if (!same)
        fprintf(stderr, "%s differs; actual:\n%s\n", path, actual);
    free(expect);
    return same;
}
