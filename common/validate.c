/* validate: protoc-gen-validate's checks and texts (see validate.h). */
#include "validate.h"

#include <ctype.h>
#include <stdbool.h>
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

int validate_duration_gte0(rpc_status *st, int64_t seconds, int32_t nanos, const char *msg, const char *field)
{
    if (seconds > 0 || (seconds == 0 && nanos >= 0))
        return RPC_OK;
    return rpc_fail(st, RPC_INVALID_ARGUMENT, "invalid %s.%s: value must be greater than or equal to 0s", msg,
                    field);
}

void validate_go_name(const char *p, char *out, size_t outlen)
{
    /* CamelCase as protoc-gen-go: '_' dropped and the next lower-case
     * letter raised; the first letter raised; digits kept */
    size_t o = 0;
    bool up = true;
    for (; *p && o + 1 < outlen; p++) {
        if (*p == '_') {
            if (p[1] >= 'a' && p[1] <= 'z') {
                up = true;
                continue;
            }
            out[o++] = '_';
            continue;
        }
        out[o++] = up && *p >= 'a' && *p <= 'z' ? (char)toupper((unsigned char)*p) : *p;
        up = false;
    }
    out[o] = '\0';
}

int validate_embedded(rpc_status *st, const char *outer, const char *proto_field)
{
    if (st->code != RPC_INVALID_ARGUMENT)
        return st->code;
    char go[128], cause[RPC_MESSAGE_MAX];
    validate_go_name(proto_field, go, sizeof go);
    snprintf(cause, sizeof cause, "%s", st->message);
    return rpc_fail(st, RPC_INVALID_ARGUMENT, "invalid %s.%s: embedded message failed validation | caused by: %s",
                    outer, go, cause);
}
