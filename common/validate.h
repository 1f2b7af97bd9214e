/* validate: the request checks protoc-gen-validate (PGV) makes upstream,
 * with its exact texts, and its wrapping of a nested message's failure.
 *
 * pmm-managed's interceptor calls the generated Validate() (not
 * ValidateAll()): fields are checked in declaration order and the first
 * violation is the answer, InvalidArgument with the text
 *   invalid <Message>.<GoField>: <reason>[ | caused by: <cause>]
 * A handler therefore calls these in its message's field order and stops
 * at the first failure. Each check returns RPC_OK or st->code (set).
 * msg is the proto message name, field the protoc-gen-go name of the
 * field (validate_go_name); for a repeated item or map value the field is
 * "Field[idx]" (validate_index); a map key rule's msg is "key for <Msg>"
 * (PGV prints "invalid key for Msg.Field[k]: ..."). */
#ifndef PMM_VALIDATE_H
#define PMM_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc.h"

/* The one renderer every rule below goes through; cause may be NULL. */
int validate_fail(rpc_status *st, const char *msg, const char *field, const char *cause, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* "Field[idx]" of a repeated item or map entry, as PGV names it. */
void validate_index(char *out, size_t outlen, const char *field, const char *idx);

/* ---- strings (lengths count runes: UTF-8 code points, not bytes) ---------- */

/* min_len: "value length must be at least N runes". */
int validate_min_len(rpc_status *st, const char *value, size_t min, const char *msg, const char *field);
/* max_len: "value length must be at most N runes". */
int validate_max_len(rpc_status *st, const char *value, size_t max, const char *msg, const char *field);
/* min_len and max_len together: "value length must be between A and B
 * runes, inclusive", or "value length must be N runes" when equal (len). */
int validate_len_range(rpc_status *st, const char *value, size_t min, size_t max, const char *msg,
                       const char *field);
/* in / not_in (list NULL-terminated): "value must [not ]be in list [a b]". */
int validate_str_in(rpc_status *st, const char *value, const char *const *list, bool not_in, const char *msg,
                    const char *field);
/* uuid: "value must be a valid UUID | caused by: invalid uuid format". */
int validate_uuid(rpc_status *st, const char *value, const char *msg, const char *field);
/* hostname: "value must be a valid hostname | caused by: <why>". */
int validate_hostname(rpc_status *st, const char *value, const char *msg, const char *field);
/* ip (version 0), ipv4 (4), ipv6 (6): "value must be a valid IP[v4|v6]
 * address" as Go's net.ParseIP sees it (an IPv4-mapped IPv6 is IPv4). */
int validate_ip(rpc_status *st, const char *value, int version, const char *msg, const char *field);
/* pattern: "value does not match regex pattern \"<Go %q of pattern>\"".
 * Matched with POSIX extended regexps: only patterns in the subset RE2
 * and POSIX ERE share are checked as upstream does. */
int validate_pattern(rpc_status *st, const char *value, const char *pattern, const char *msg, const char *field);

/* ---- integers (int32/int64/uint32/sint/fixed; uint64 beyond INT64_MAX is not
 * representable) and enums ------------------------------------------------ */

enum {
    VALIDATE_CONST = 1 << 0,
    VALIDATE_GT = 1 << 1,
    VALIDATE_GTE = 1 << 2,
    VALIDATE_LT = 1 << 3,
    VALIDATE_LTE = 1 << 4,
    VALIDATE_IN = 1 << 5,
    VALIDATE_NOT_IN = 1 << 6,
    VALIDATE_DEFINED_ONLY = 1 << 7, /* enums */
};

/* The rules set on one field: `has` says which (a rule of 0 is a rule). */
typedef struct {
    unsigned has;
    int64_t eq, gt, gte, lt, lte;
    const int64_t *list; /* in / not_in */
    size_t n_list;
} validate_int_rules;

/* The rules upstream's protos repeat: listen_port {gt: 0, lt: 65536} of
 * exporters, port {gt: 0} of cloud databases. */
extern const validate_int_rules validate_port_rules;
extern const validate_int_rules validate_gt0_rules;

/* const, then gt/gte/lt/lte (PGV's "greater than", "inside range (a, b]",
 * "outside range [a, b)" ... texts), then in/not_in. */
int validate_int(rpc_status *st, int64_t value, const validate_int_rules *r, const char *msg, const char *field);

/* An enum field: const, in/not_in (rendered with the values' names), then
 * defined_only ("value must be one of the defined enum values"). The
 * names are the enum's proto names, as `names` lists them for values 0..n-1
 * (NULL for a gap). */
int validate_enum(rpc_status *st, int value, const validate_int_rules *r, const char *const *names, size_t n_names,
                  const char *msg, const char *field);

/* ---- repeated and map ----------------------------------------------------- */

#define VALIDATE_NO_MAX SIZE_MAX

/* min_items/max_items (unit "item") or min_pairs/max_pairs (unit "pair"):
 * "value must contain at least N item(s)", "no more than N item(s)",
 * "exactly N item(s)", "between A and B items, inclusive". min 0 is no
 * minimum (as PGV treats it); max VALIDATE_NO_MAX is no maximum. */
int validate_count(rpc_status *st, size_t n, size_t min, size_t max, const char *unit, const char *msg,
                   const char *field);
/* unique: "invalid Msg.Field[idx]: repeated value must contain unique
 * items" at the first repeat. */
int validate_unique(rpc_status *st, const char *const *items, size_t n, const char *msg, const char *field);

/* ---- message fields ------------------------------------------------------- */

/* message.required, a required oneof (field: the oneof's Go name),
 * duration/timestamp required: "value is required". */
int validate_required(rpc_status *st, bool present, const char *msg, const char *field);

/* An embedded message (oneof member or field proto_field of message
 * outer) failed with st's text: PGV reports it as "invalid <outer>.<GoName>:
 * embedded message failed validation | caused by: <text>". Call it on
 * the failure of the nested message's own checks only. Returns st->code. */
int validate_embedded(rpc_status *st, const char *outer, const char *proto_field);

/* ---- google.protobuf.Duration and Timestamp ------------------------------- */

/* A bound is seconds and nanos of the same sign, as in the proto. */
typedef struct {
    int64_t seconds;
    int32_t nanos;
} validate_time;

typedef struct {
    unsigned has; /* VALIDATE_CONST/GT/GTE/LT/LTE */
    validate_time eq, gt, gte, lt, lte;
} validate_time_rules;

/* Duration rules on a set field (an unset one passes, as in PGV; pair with
 * validate_required for `required`). Bounds render as Go's
 * time.Duration.String(): "value must be greater than or equal to 0s". */
int validate_duration(rpc_status *st, validate_time value, const validate_time_rules *r, const char *msg,
                      const char *field);

/* Timestamp rules on a set field: the bounds render as Go's time.Time
 * String() in UTC ("2024-01-02 03:04:05.5 +0000 UTC"). */
int validate_timestamp(rpc_status *st, validate_time value, const validate_time_rules *r, const char *msg,
                       const char *field);

/* lt_now / gt_now (optionally with within), or within alone, against
 * now: "value must be less than now", "value must be greater than now
 * within 1h0m0s", "value must be within 1h0m0s of now". within.seconds
 * and nanos 0 is no `within`. */
int validate_timestamp_now(rpc_status *st, validate_time value, validate_time now, int lt_gt_now /* -1, +1, 0 */,
                           validate_time within, const char *msg, const char *field);

/* Go's time.Duration.String() of ns: "0s", "1.5s", "2m0s", "1h0m0s",
 * "500ms", "1µs". */
void validate_go_duration(char *out, size_t outlen, int64_t ns);

/* protoc-gen-go's Go name of a proto field: "remote_rds" -> "RemoteRds". */
void validate_go_name(const char *proto_name, char *out, size_t outlen);

/* Wraps the failure of an embedded message's check (st as left by it) as
 * protoc-gen-validate does: "invalid <msg>.<field>: embedded message
 * failed validation | caused by: <inner message>". Returns st->code. */
int validate_embedded(rpc_status *st, const char *msg, const char *field);

#endif
