/* duration: see duration.h. */
#include "duration.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static const struct {
    const char *unit;
    int64_t ns;
} units[] = {
    { "ns", 1 },
    { "us", 1000 },
    { "\xc2\xb5s", 1000 }, /* µs */
    { "\xce\xbcs", 1000 }, /* μs */
    { "ms", 1000000 },
    { "s", 1000000000LL },
    { "m", 60LL * 1000000000LL },
    { "h", 3600LL * 1000000000LL },
    { "d", 86400LL * 1000000000LL },
    { "w", 7 * 86400LL * 1000000000LL },
    { "y", 365 * 86400LL * 1000000000LL },
};

int duration_parse(const char *s, int64_t *ns)
{
    if (!s || !*s)
        return -1;
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    long double total = 0;
    while (*s) {
        if (!isdigit((unsigned char)*s) && *s != '.')
            return -1;
        long double v = 0, scale = 1;
        bool digits = false, dot = false;
        for (; isdigit((unsigned char)*s) || (*s == '.' && !dot); s++) {
            if (*s == '.') {
                dot = true;
                continue;
            }
            digits = true;
            if (dot)
                v += (*s - '0') * (scale /= 10);
            else
                v = v * 10 + (*s - '0');
        }
        if (!digits)
            return -1;
        size_t best = 0;
        int64_t mult = 0;
        for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
            size_t n = strlen(units[i].unit);
            /* the longest unit that matches ("ms" before "m") */
            if (n > best && strncmp(s, units[i].unit, n) == 0) {
                best = n;
                mult = units[i].ns;
            }
        }
        if (!best)
            return -1;
        s += best;
        total += v * (long double)mult;
        if (total > (long double)INT64_MAX)
            return -1;
    }
    *ns = (int64_t)(neg ? -total : total);
    return 0;
}
