/* strhash: the string hash of the daemons' own hash tables (FNV-1a, 64
 * bits): fast on short ids, no allocation. */
#ifndef PMM_STRHASH_H
#define PMM_STRHASH_H

#include <stdint.h>

static inline uint64_t strhash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

#endif
