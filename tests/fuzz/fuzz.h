/* fuzz: what the fuzz targets share (each target is one file,
 * tests/fuzz/fuzz_<name>.c; see tests/fuzz/run.sh). */
#ifndef PMM_TESTS_FUZZ_H
#define PMM_TESTS_FUZZ_H

#include <stdint.h>
#include <stdlib.h>

#include <protobuf-c/protobuf-c.h>

#include "log.h"

/* A property the target checks: failing it is a crash libFuzzer keeps. */
#define FUZZ_CHECK(x)      \
    do {                   \
        if (!(x))          \
            abort();       \
    } while (0)

/* LLVMFuzzerInitialize for a target that needs nothing else: the code's
 * logging off (millions of refusals would only slow it down). */
#define FUZZ_QUIET_INIT                                          \
    int LLVMFuzzerInitialize(int *argc, char ***argv)           \
    {                                                            \
        (void)argc;                                              \
        (void)argv;                                              \
        log_init("fuzz", LOG_FATAL);                             \
        return 0;                                                \
    }

/* m packed into a malloc'd buffer of *len bytes. */
static inline uint8_t *fuzz_pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    FUZZ_CHECK(buf && protobuf_c_message_pack(m, buf) == *len);
    return buf;
}

#endif
