/* validate: protoc-gen-validate's checks and texts (see validate.h). */
#include "validate.h"

#include <stdio.h>
#include <string.h>

static size_t runes(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

int validate_min_len(rpc_status *st, const char *value, size_t min, const char *msg, const char *field)
{
    if (value && runes(value) >= min)
        return RPC_OK;
    return rpc_fail(st, RPC_INVALID_ARGUMENT, "invalid %s.%s: value length must be at least %zu runes", msg, field,
                    min);
}

int validate_embedded(rpc_status *st, const char *msg, const char *field)
{
    if (st->code == RPC_OK)
        return RPC_OK;
    char inner[RPC_MESSAGE_MAX / 2];
    size_t n = strnlen(st->message, sizeof inner - 1);
    memcpy(inner, st->message, n);
    inner[n] = '\0';
    return rpc_fail(st, st->code, "invalid %s.%s: embedded message failed validation | caused by: %s", msg, field,
                    inner);
}
