/* validate: protoc-gen-validate's checks and texts (see validate.h). The
 * texts follow PGV's Go templates (templates/goshared/ in its repository):
 * the reason strings, the order in which a field's rules are tried, and
 * Go's printing of the bounds (fmt.Sprint, time.Duration, time.Time). */
#include "validate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "uuid.h"

/* ---- the renderer ------------------------------------------------------------------ */

int validate_fail(rpc_status *st, const char *msg, const char *field, const char *cause, const char *fmt, ...)
{
    char reason[RPC_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (cause)
        return rpc_fail(st, RPC_INVALID_ARGUMENT, "invalid %s.%s: %s | caused by: %s", msg, field, reason, cause);
    return rpc_fail(st, RPC_INVALID_ARGUMENT, "invalid %s.%s: %s", msg, field, reason);
}

void validate_index(char *out, size_t outlen, const char *field, const char *idx)
{
    snprintf(out, outlen, "%s[%s]", field, idx);
}

/* ---- strings ------------------------------------------------------------------- */

/* utf8.RuneCountInString: a byte that starts no valid sequence counts as
 * one rune; continuation bytes are part of the rune before them. */
static size_t runes(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

int validate_min_len(rpc_status *st, const char *value, size_t min, const char *msg, const char *field)
{
    if (runes(value) >= min)
        return RPC_OK;
    return validate_fail(st, msg, field, NULL, "value length must be at least %zu runes", min);
}

int validate_max_len(rpc_status *st, const char *value, size_t max, const char *msg, const char *field)
{
    if (runes(value) <= max)
        return RPC_OK;
    return validate_fail(st, msg, field, NULL, "value length must be at most %zu runes", max);
}

int validate_len_range(rpc_status *st, const char *value, size_t min, size_t max, const char *msg,
                       const char *field)
{
    size_t n = runes(value);
    if (min == max)
        return n == min ? RPC_OK : validate_fail(st, msg, field, NULL, "value length must be %zu runes", min);
    if (n >= min && n <= max)
        return RPC_OK;
    return validate_fail(st, msg, field, NULL, "value length must be between %zu and %zu runes, inclusive", min,
                         max);
}

/* fmt.Sprint of a []string: "[a b c]". */
static void sprint_strings(char *out, size_t outlen, const char *const *list)
{
    size_t n = (size_t)snprintf(out, outlen, "[");
    for (size_t i = 0; list && list[i] && n < outlen; i++)
        n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? " " : "", list[i]);
    if (n < outlen)
        snprintf(out + n, outlen - n, "]");
}

int validate_str_in(rpc_status *st, const char *value, const char *const *list, bool not_in, const char *msg,
                    const char *field)
{
    bool found = false;
    for (size_t i = 0; list && list[i] && !found; i++)
        found = strcmp(list[i], value ? value : "") == 0;
    if (found != not_in)
        return RPC_OK;
    char l[RPC_MESSAGE_MAX / 2];
    sprint_strings(l, sizeof l, list);
    return validate_fail(st, msg, field, NULL, "value must %sbe in list %s", not_in ? "not " : "", l);
}

int validate_uuid(rpc_status *st, const char *value, const char *msg, const char *field)
{
    /* PGV's pattern: 8-4-4-4-12 hex digits of either case */
    if (uuid_valid(value))
        return RPC_OK;
    return validate_fail(st, msg, field, "invalid uuid format", "value must be a valid UUID");
}

/* PGV's _validateHostname; NULL when valid, else its error text in why. */
static const char *hostname_error(const char *host, char *why, size_t whylen)
{
    size_t len = strlen(host);
    if (len > 253)
        return "hostname cannot exceed 253 characters";
    if (len && host[len - 1] == '.')
        len--; /* one trailing dot is the root */
    const char *p = host, *end = host + len;
    do {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *part_end = dot ? dot : end;
        size_t l = (size_t)(part_end - p);
        if (l == 0 || l > 63)
            return "hostname part must be non-empty and cannot exceed 63 characters";
        if (p[0] == '-')
            return "hostname parts cannot begin with hyphens";
        if (part_end[-1] == '-')
            return "hostname parts cannot end with hyphens";
        for (const char *c = p; c < part_end;) {
            unsigned char b = (unsigned char)*c;
            int lower = tolower(b);
            if ((lower >= 'a' && lower <= 'z') || (b >= '0' && b <= '9') || b == '-') {
                c++;
                continue;
            }
            /* the offending rune, Go-quoted (a whole UTF-8 sequence) */
            size_t rl = 1;
            while (b >= 0x80 && c + rl < part_end && ((unsigned char)c[rl] & 0xC0) == 0x80 && rl < 4)
                rl++;
            char rune[8], q[32];
            snprintf(rune, sizeof rune, "%.*s", (int)rl, c);
            rpc_quote(q, sizeof q, rune);
            snprintf(why, whylen, "hostname parts can only contain alphanumeric characters or hyphens, got %s", q);
            return why;
        }
        p = dot ? dot + 1 : end;
        if (!dot)
            break;
    } while (1);
    return NULL;
}

int validate_hostname(rpc_status *st, const char *value, const char *msg, const char *field)
{
    char why[128];
    const char *err = hostname_error(value ? value : "", why, sizeof why);
    return err ? validate_fail(st, msg, field, err, "value must be a valid hostname") : RPC_OK;
}

int validate_ip(rpc_status *st, const char *value, int version, const char *msg, const char *field)
{
    unsigned char a[16];
    const char *v = value ? value : "";
    bool v4 = inet_pton(AF_INET, v, a) == 1, v6 = !v4 && inet_pton(AF_INET6, v, a) == 1;
    if (v6 && memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
        v4 = true, v6 = false; /* net.IP.To4() of an IPv4-mapped address */
    bool ok = version == 4 ? v4 : version == 6 ? v6 : v4 || v6;
    if (ok)
        return RPC_OK;
    return validate_fail(st, msg, field, NULL, "value must be a valid IP%s address",
                         version == 4 ? "v4" : version == 6 ? "v6" : "");
}

int validate_pattern(rpc_status *st, const char *value, const char *pattern, const char *msg, const char *field)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return rpc_fail(st, RPC_INTERNAL, "bad validation pattern %s", pattern);
    int rc = regexec(&re, value ? value : "", 0, NULL, 0);
    regfree(&re);
    if (rc == 0)
        return RPC_OK;
    char q[RPC_MESSAGE_MAX / 2];
    rpc_quote(q, sizeof q, pattern);
    return validate_fail(st, msg, field, NULL, "value does not match regex pattern %s", q);
}

/* ---- integers and enums ------------------------------------------------------------- */

const validate_int_rules validate_port_rules = { .has = VALIDATE_GT | VALIDATE_LT, .gt = 0, .lt = 65536 };
const validate_int_rules validate_gt0_rules = { .has = VALIDATE_GT, .gt = 0 };

/* PGV's ltgt template: which bound pair is set decides the test and text. */
static int check_bounds(rpc_status *st, int64_t v, const validate_int_rules *r, const char *msg, const char *field)
{
    unsigned h = r->has;
    if (h & VALIDATE_LT) {
        if (h & VALIDATE_GT) {
            if (r->lt > r->gt) {
                if (v <= r->gt || v >= r->lt)
                    return validate_fail(st, msg, field, NULL, "value must be inside range (%" PRId64 ", %" PRId64 ")",
                                         r->gt, r->lt);
            } else if (v >= r->lt && v <= r->gt) {
                return validate_fail(st, msg, field, NULL, "value must be outside range [%" PRId64 ", %" PRId64 "]",
                                     r->lt, r->gt);
            }
        } else if (h & VALIDATE_GTE) {
            if (r->lt > r->gte) {
                if (v < r->gte || v >= r->lt)
                    return validate_fail(st, msg, field, NULL, "value must be inside range [%" PRId64 ", %" PRId64 ")",
                                         r->gte, r->lt);
            } else if (v >= r->lt && v < r->gte) {
                return validate_fail(st, msg, field, NULL, "value must be outside range [%" PRId64 ", %" PRId64 ")",
                                     r->lt, r->gte);
            }
        } else if (v >= r->lt) {
            return validate_fail(st, msg, field, NULL, "value must be less than %" PRId64, r->lt);
        }
    } else if (h & VALIDATE_LTE) {
        if (h & VALIDATE_GT) {
            if (r->lte > r->gt) {
                if (v <= r->gt || v > r->lte)
                    return validate_fail(st, msg, field, NULL, "value must be inside range (%" PRId64 ", %" PRId64 "]",
                                         r->gt, r->lte);
            } else if (v > r->lte && v <= r->gt) {
                return validate_fail(st, msg, field, NULL, "value must be outside range (%" PRId64 ", %" PRId64 "]",
                                     r->lte, r->gt);
            }
        } else if (h & VALIDATE_GTE) {
            if (r->lte > r->gte) {
                if (v < r->gte || v > r->lte)
                    return validate_fail(st, msg, field, NULL, "value must be inside range [%" PRId64 ", %" PRId64 "]",
                                         r->gte, r->lte);
            } else if (v > r->lte && v < r->gte) {
                return validate_fail(st, msg, field, NULL, "value must be outside range (%" PRId64 ", %" PRId64 ")",
                                     r->lte, r->gte);
            }
        } else if (v > r->lte) {
            return validate_fail(st, msg, field, NULL, "value must be less than or equal to %" PRId64, r->lte);
        }
    } else if ((h & VALIDATE_GT) && v <= r->gt) {
        return validate_fail(st, msg, field, NULL, "value must be greater than %" PRId64, r->gt);
    } else if (!(h & VALIDATE_GT) && (h & VALIDATE_GTE) && v < r->gte) {
        return validate_fail(st, msg, field, NULL, "value must be greater than or equal to %" PRId64, r->gte);
    }
    return RPC_OK;
}

static bool listed(const validate_int_rules *r, int64_t v)
{
    for (size_t i = 0; i < r->n_list; i++)
        if (r->list[i] == v)
            return true;
    return false;
}

/* fmt.Sprint of the list, each item through name (enums) or as a number. */
static void sprint_list(char *out, size_t outlen, const validate_int_rules *r, const char *const *names,
                        size_t n_names)
{
    size_t n = (size_t)snprintf(out, outlen, "[");
    for (size_t i = 0; i < r->n_list && n < outlen; i++) {
        int64_t v = r->list[i];
        if (names)
            n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? " " : "",
                                  v >= 0 && (size_t)v < n_names && names[v] ? names[v] : "");
        else
            n += (size_t)snprintf(out + n, outlen - n, "%s%" PRId64, i ? " " : "", v);
    }
    if (n < outlen)
        snprintf(out + n, outlen - n, "]");
}

static int check_in(rpc_status *st, int64_t v, const validate_int_rules *r, const char *const *names,
                    size_t n_names, const char *msg, const char *field)
{
    bool not_in = !(r->has & VALIDATE_IN);
    if (!(r->has & (VALIDATE_IN | VALIDATE_NOT_IN)) || listed(r, v) != not_in)
        return RPC_OK;
    char l[RPC_MESSAGE_MAX / 2];
    sprint_list(l, sizeof l, r, names, n_names);
    return validate_fail(st, msg, field, NULL, "value must %sbe in list %s", not_in ? "not " : "", l);
}

int validate_int(rpc_status *st, int64_t value, const validate_int_rules *r, const char *msg, const char *field)
{
    if ((r->has & VALIDATE_CONST) && value != r->eq)
        return validate_fail(st, msg, field, NULL, "value must equal %" PRId64, r->eq);
    if (check_bounds(st, value, r, msg, field) != RPC_OK)
        return st->code;
    return check_in(st, value, r, NULL, 0, msg, field);
}

int validate_enum(rpc_status *st, int value, const validate_int_rules *r, const char *const *names, size_t n_names,
                  const char *msg, const char *field)
{
    bool defined = value >= 0 && (size_t)value < n_names && names[value];
    if ((r->has & VALIDATE_CONST) && value != r->eq)
        return validate_fail(st, msg, field, NULL, "value must equal %s",
                             r->eq >= 0 && (size_t)r->eq < n_names && names[r->eq] ? names[r->eq] : "");
    if (check_in(st, value, r, names, n_names, msg, field) != RPC_OK)
        return st->code;
    if ((r->has & VALIDATE_DEFINED_ONLY) && !defined)
        return validate_fail(st, msg, field, NULL, "value must be one of the defined enum values");
    return RPC_OK;
}

/* ---- repeated and map ------------------------------------------------------------------ */

int validate_count(rpc_status *st, size_t n, size_t min, size_t max, const char *unit, const char *msg,
                   const char *field)
{
    if (min && min == max) {
        if (n != min)
            return validate_fail(st, msg, field, NULL, "value must contain exactly %zu %s(s)", min, unit);
    } else if (min && max != VALIDATE_NO_MAX) {
        if (n < min || n > max)
            return validate_fail(st, msg, field, NULL, "value must contain between %zu and %zu %ss, inclusive", min,
                                 max, unit);
    } else if (min) {
        if (n < min)
            return validate_fail(st, msg, field, NULL, "value must contain at least %zu %s(s)", min, unit);
    } else if (max != VALIDATE_NO_MAX && n > max) {
        return validate_fail(st, msg, field, NULL, "value must contain no more than %zu %s(s)", max, unit);
    }
    return RPC_OK;
}

int validate_unique(rpc_status *st, const char *const *items, size_t n, const char *msg, const char *field)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(items[i], items[j]) == 0) {
                char idx[24], f[256];
                snprintf(idx, sizeof idx, "%zu", i);
                validate_index(f, sizeof f, field, idx);
                return validate_fail(st, msg, f, NULL, "repeated value must contain unique items");
            }
    return RPC_OK;
}

/* ---- message fields ------------------------------------------------------------------- */

int validate_required(rpc_status *st, bool present, const char *msg, const char *field)
{
    return present ? RPC_OK : validate_fail(st, msg, field, NULL, "value is required");
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
    return validate_fail(st, outer, go, cause, "embedded message failed validation");
}

/* ---- Duration and Timestamp --------------------------------------------------------- */

#define NS_PER_S 1000000000LL

/* durationpb.AsDuration: nanoseconds, saturated at the int64 limits. */
static int64_t as_ns(validate_time t)
{
    if (t.seconds > INT64_MAX / NS_PER_S - 1)
        return INT64_MAX;
    if (t.seconds < INT64_MIN / NS_PER_S + 1)
        return INT64_MIN;
    return t.seconds * NS_PER_S + t.nanos;
}

/* Go's fmtFrac: v's last prec digits as a fraction without trailing
 * zeros (nothing when they are all zero) written before *w; returns v
 * without them. */
static uint64_t frac(char *buf, size_t *w, uint64_t v, int prec)
{
    bool print = false;
    for (int i = 0; i < prec; i++) {
        int digit = (int)(v % 10);
        print = print || digit != 0;
        if (print)
            buf[--*w] = (char)('0' + digit);
        v /= 10;
    }
    if (print)
        buf[--*w] = '.';
    return v;
}

static void put_uint(char *buf, size_t *w, uint64_t v)
{
    do {
        buf[--*w] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
}

void validate_go_duration(char *out, size_t outlen, int64_t ns)
{
    char buf[40];
    size_t w = sizeof buf;
    buf[--w] = '\0';
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (u < (uint64_t)NS_PER_S) {
        /* a unit smaller than a second, so that "1.5ms" is not "0.0015s" */
        const char *unit;
        int prec;
        if (u == 0) {
            snprintf(out, outlen, "0s");
            return;
        } else if (u < 1000) {
            unit = "ns", prec = 0;
        } else if (u < 1000000) {
            unit = "\xc2\xb5s", prec = 3; /* U+00B5 as Go prints it */
        } else {
            unit = "ms", prec = 6;
        }
        for (size_t i = strlen(unit); i > 0; i--)
            buf[--w] = unit[i - 1];
        u = frac(buf, &w, u, prec);
        put_uint(buf, &w, u);
    } else {
        buf[--w] = 's';
        u = frac(buf, &w, u, 9);
        put_uint(buf, &w, u % 60);
        u /= 60;
        if (u > 0) {
            buf[--w] = 'm';
            put_uint(buf, &w, u % 60);
            u /= 60;
            if (u > 0) { /* days vary in length: hours are the largest unit */
                buf[--w] = 'h';
                put_uint(buf, &w, u);
            }
        }
    }
    if (ns < 0)
        buf[--w] = '-';
    snprintf(out, outlen, "%s", buf + w);
}

static void dur_str(char *out, size_t outlen, validate_time t)
{
    validate_go_duration(out, outlen, as_ns(t));
}

/* time.Time.String() of a UTC time: "2006-01-02 15:04:05.999999999 +0000 UTC". */
static void ts_str(char *out, size_t outlen, validate_time t)
{
    time_t secs = (time_t)t.seconds;
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(out, outlen, "%" PRId64 "s", t.seconds);
        return;
    }
    char fr[16] = "";
    if (t.nanos > 0) {
        snprintf(fr, sizeof fr, ".%09d", (int)t.nanos);
        for (size_t n = strlen(fr); n > 1 && fr[n - 1] == '0'; n--)
            fr[n - 1] = '\0';
    }
    snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d:%02d%s +0000 UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, fr);
}

static int cmp_time(validate_time a, validate_time b)
{
    if (a.seconds != b.seconds)
        return a.seconds < b.seconds ? -1 : 1;
    return a.nanos < b.nanos ? -1 : a.nanos > b.nanos;
}

/* Durations compare as AsDuration (saturated), timestamps exactly. */
static int cmp_kind(validate_time a, validate_time b, bool dur)
{
    if (!dur)
        return cmp_time(a, b);
    int64_t x = as_ns(a), y = as_ns(b);
    return x < y ? -1 : x > y;
}

/* The ltgt part of PGV's durationcmp / timestampcmp templates. */
static int check_time(rpc_status *st, validate_time v, const validate_time_rules *r, bool dur, const char *msg,
                      const char *field)
{
    void (*str)(char *, size_t, validate_time) = dur ? dur_str : ts_str;
    char a[64], b[64];
    unsigned h = r->has;
#define CMP(x, y) cmp_kind((x), (y), dur)
#define FAIL1(fmt, x) (str(a, sizeof a, (x)), validate_fail(st, msg, field, NULL, fmt, a))
#define FAIL2(fmt, x, y) (str(a, sizeof a, (x)), str(b, sizeof b, (y)), validate_fail(st, msg, field, NULL, fmt, a, b))
    if ((h & VALIDATE_CONST) && CMP(v, r->eq) != 0)
        return FAIL1("value must equal %s", r->eq);
    if (h & VALIDATE_LT) {
        if (h & VALIDATE_GT) {
            if (CMP(r->lt, r->gt) > 0) {
                if (CMP(v, r->gt) <= 0 || CMP(v, r->lt) >= 0)
                    return FAIL2("value must be inside range (%s, %s)", r->gt, r->lt);
            } else if (CMP(v, r->lt) >= 0 && CMP(v, r->gt) <= 0) {
                return FAIL2("value must be outside range [%s, %s]", r->lt, r->gt);
            }
        } else if (h & VALIDATE_GTE) {
            if (CMP(r->lt, r->gte) > 0) {
                if (CMP(v, r->gte) < 0 || CMP(v, r->lt) >= 0)
                    return FAIL2("value must be inside range [%s, %s)", r->gte, r->lt);
            } else if (CMP(v, r->lt) >= 0 && CMP(v, r->gte) < 0) {
                return FAIL2("value must be outside range [%s, %s)", r->lt, r->gte);
            }
        } else if (CMP(v, r->lt) >= 0) {
            return FAIL1("value must be less than %s", r->lt);
        }
    } else if (h & VALIDATE_LTE) {
        if (h & VALIDATE_GT) {
            if (CMP(r->lte, r->gt) > 0) {
                if (CMP(v, r->gt) <= 0 || CMP(v, r->lte) > 0)
                    return FAIL2("value must be inside range (%s, %s]", r->gt, r->lte);
            } else if (CMP(v, r->lte) > 0 && CMP(v, r->gt) <= 0) {
                return FAIL2("value must be outside range (%s, %s]", r->lte, r->gt);
            }
        } else if (h & VALIDATE_GTE) {
            if (CMP(r->lte, r->gte) > 0) {
                if (CMP(v, r->gte) < 0 || CMP(v, r->lte) > 0)
                    return FAIL2("value must be inside range [%s, %s]", r->gte, r->lte);
            } else if (CMP(v, r->lte) > 0 && CMP(v, r->gte) < 0) {
                return FAIL2("value must be outside range (%s, %s)", r->lte, r->gte);
            }
        } else if (CMP(v, r->lte) > 0) {
            return FAIL1("value must be less than or equal to %s", r->lte);
        }
    } else if ((h & VALIDATE_GT) && CMP(v, r->gt) <= 0) {
        return FAIL1("value must be greater than %s", r->gt);
    } else if (!(h & VALIDATE_GT) && (h & VALIDATE_GTE) && CMP(v, r->gte) < 0) {
        return FAIL1("value must be greater than or equal to %s", r->gte);
    }
#undef CMP
#undef FAIL1
#undef FAIL2
    return RPC_OK;
}

int validate_duration(rpc_status *st, validate_time value, const validate_time_rules *r, const char *msg,
                      const char *field)
{
    return check_time(st, value, r, true, msg, field);
}

int validate_timestamp(rpc_status *st, validate_time value, const validate_time_rules *r, const char *msg,
                       const char *field)
{
    return check_time(st, value, r, false, msg, field);
}

static validate_time time_add(validate_time t, validate_time d, int sign)
{
    int64_t s = t.seconds + sign * d.seconds, n = (int64_t)t.nanos + sign * (int64_t)d.nanos;
    while (n < 0)
        n += NS_PER_S, s--;
    while (n >= NS_PER_S)
        n -= NS_PER_S, s++;
    return (validate_time){ s, (int32_t)n };
}

int validate_timestamp_now(rpc_status *st, validate_time value, validate_time now, int lt_gt_now,
                           validate_time within, const char *msg, const char *field)
{
    bool has_within = within.seconds || within.nanos;
    char d[64];
    dur_str(d, sizeof d, within);
    int vs_now = cmp_time(value, now);
    if (lt_gt_now < 0) {
        if (has_within && (vs_now >= 0 || cmp_time(value, time_add(now, within, -1)) < 0))
            return validate_fail(st, msg, field, NULL, "value must be less than now within %s", d);
        if (!has_within && vs_now >= 0)
            return validate_fail(st, msg, field, NULL, "value must be less than now");
    } else if (lt_gt_now > 0) {
        if (has_within && (vs_now <= 0 || cmp_time(value, time_add(now, within, +1)) > 0))
            return validate_fail(st, msg, field, NULL, "value must be greater than now within %s", d);
        if (!has_within && vs_now <= 0)
            return validate_fail(st, msg, field, NULL, "value must be greater than now");
    } else if (has_within && (cmp_time(value, time_add(now, within, +1)) >= 0 ||
                              cmp_time(value, time_add(now, within, -1)) <= 0)) {
        return validate_fail(st, msg, field, NULL, "value must be within %s of now", d);
    }
    return RPC_OK;
}
