/* pmm: PMM's check-script host functions, written against the public
 * API only (as checksd's own would be). Their arguments go through the
 * conversion upstream's starlark.MakeFunc does (Starlark values to Go
 * values), so type errors name Go types: "got int64 (5)". */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "starlark/pmm.h"

static const sl_value ERR = {.kind = SL_INVALID};

/* ---- Go's %T and %v of a converted argument ------------------------------------------------ */

static const char *go_type(sl_value v)
{
    switch (sl_kind_of(v)) {
    case SL_NONE: return "<nil>";
    case SL_BOOL: return "bool";
    case SL_INT: return "int64";
    case SL_FLOAT: return "float64";
    case SL_STRING: return "string";
    case SL_LIST:
    case SL_TUPLE: return "[]interface {}";
    case SL_DICT: return "map[string]interface {}";
    default: return NULL;
    }
}

static void go_value(char *buf, size_t cap, sl_thread *t, sl_value v)
{
    switch (sl_kind_of(v)) {
    case SL_NONE:
        snprintf(buf, cap, "<nil>");
        return;
    case SL_BOOL:
        snprintf(buf, cap, "%s", sl_truth(v) ? "true" : "false");
        return;
    case SL_INT:
        snprintf(buf, cap, "%lld", (long long)sl_as_int(v));
        return;
    case SL_FLOAT: {
        /* Go's %v of a float64 is %g with the shortest precision; the
         * interpreter's str() is that plus ".0" for integral values */
        char *s = sl_tostr(t, v);
        size_t n = s ? strlen(s) : 0;
        if (n > 2 && strcmp(s + n - 2, ".0") == 0)
            s[n - 2] = 0;
        snprintf(buf, cap, "%s", s ? s : "");
        free(s);
        return;
    }
    case SL_STRING: {
        size_t n;
        const char *s = sl_str(v, &n);
        snprintf(buf, cap, "%.*s", (int)n, s);
        return;
    }
    default: {
        char *s = sl_tostr(t, v);
        snprintf(buf, cap, "%s", s ? s : "");
        free(s);
        return;
    }
    }
}

/* MakeFunc's checks before the Go function runs. */
static int check_call(sl_thread *t, const sl_callinfo *c)
{
    if (c->nkw > 0) {
        sl_errorf(t, "%s: kwargs are not supported", c->name);
        return -1;
    }
    for (int i = 0; i < c->nargs; i++)
        if (!go_type(c->args[i])) {
            sl_errorf(t, "%s: unhandled type %s", c->name, sl_type_name(c->args[i]));
            return -1;
        }
    if (c->nargs != 1) {
        sl_errorf(t, "%s: expected 1 argument, got %d", c->name, c->nargs);
        return -1;
    }
    return 0;
}

static sl_value wrong_type(sl_thread *t, const sl_callinfo *c, const char *want)
{
    char v[256];
    go_value(v, sizeof v, t, c->args[0]);
    return sl_errorf(t, "%s: expected %s argument, got %s (%s)", c->name, want, go_type(c->args[0]), v);
}

/* ---- parse_version ------------------------------------------------------------------------------ */

/* strconv.Atoi of a run of ASCII digits */
static int atoi_go(sl_thread *t, const char *name, const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (v > (INT64_MAX - (s[i] - '0')) / 10) {
            sl_errorf(t, "%s: strconv.Atoi: parsing \"%.*s\": value out of range", name, (int)n, s);
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static size_t digits(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

static sl_value parse_version(sl_thread *t, const sl_callinfo *c)
{
    if (check_call(t, c) < 0)
        return ERR;
    if (sl_kind_of(c->args[0]) != SL_STRING)
        return wrong_type(t, c, "string");
    size_t n;
    const char *s = sl_str(c->args[0], &n);
    /* ^(\d+)\.(\d+)\.(\d+)(.*)$ — "." of the rest does not match newlines */
    const char *part[3];
    size_t plen[3];
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        size_t d = digits(s + i, n - i);
        if (d == 0 || (k < 2 && (i + d >= n || s[i + d] != '.')))
            goto fail;
        part[k] = s + i;
        plen[k] = d;
        i += d + (k < 2 ? 1 : 0);
    }
    if (memchr(s + i, '\n', n - i))
        goto fail;
    int64_t v[3];
    for (int k = 0; k < 3; k++)
        if (atoi_go(t, c->name, part[k], plen[k], &v[k]) < 0)
            return ERR;
    const char *rest = s + i;
    size_t restlen = n - i;
    int64_t numrest = 0;
    /* ^-(\d+)-?(.*)$ */
    if (restlen > 1 && rest[0] == '-') {
        size_t d = digits(rest + 1, restlen - 1);
        if (d > 0 && !memchr(rest + 1 + d, '\n', restlen - 1 - d) &&
            atoi_go(t, c->name, rest + 1, d, &numrest) < 0)
            return ERR;
    }
    /* Go's int arithmetic wraps; so does this */
    int64_t num = (int64_t)((uint64_t)v[0] * 10000u + (uint64_t)v[1] * 100u + (uint64_t)v[2]);
    sl_value d = sl_dict_new(t);
    if (sl_is_error(d))
        return d;
    sl_value reststr = sl_strn(t, rest, restlen);
    if (sl_is_error(reststr) || sl_dict_set_str(t, d, "major", sl_int(v[0])) < 0 ||
        sl_dict_set_str(t, d, "minor", sl_int(v[1])) < 0 || sl_dict_set_str(t, d, "patch", sl_int(v[2])) < 0 ||
        sl_dict_set_str(t, d, "rest", reststr) < 0 || sl_dict_set_str(t, d, "num", sl_int(num)) < 0 ||
        sl_dict_set_str(t, d, "numrest", sl_int(numrest)) < 0)
        return ERR;
    return d;
fail:;
    char *q = sl_repr(t, c->args[0]);
    sl_value e = sl_errorf(t, "%s: failed to parse %s", c->name, q ? q : "");
    free(q);
    return e;
}

/* ---- format_version_num -------------------------------------------------------------------------- */

static sl_value format_version_num(sl_thread *t, const sl_callinfo *c)
{
    if (check_call(t, c) < 0)
        return ERR;
    if (sl_kind_of(c->args[0]) != SL_INT)
        return wrong_type(t, c, "int64");
    int64_t num = sl_as_int(c->args[0]);
    char buf[128];
    if (num > 10000000)
        snprintf(buf, sizeof buf, "%lld.%lld.%lld-%lld", (long long)(num / 10000000), (long long)(num / 100000 % 100),
                 (long long)(num / 1000 % 100), (long long)(num % 1000));
    else
        snprintf(buf, sizeof buf, "%lld.%lld.%lld", (long long)(num / 10000), (long long)(num / 100 % 100),
                 (long long)(num % 100));
    return sl_str_c(t, buf);
}

/* ---- ip_is_private ------------------------------------------------------------------------------------ */

typedef struct ipnet {
    int len; /* 4 or 16 */
    unsigned char ip[16];
    unsigned char mask[16];
} ipnet;

/* net.ParseIP: IPv4 (4 bytes here) or IPv6 (16). */
static bool parse_ip(const char *s, unsigned char out[16], int *len)
{
    if (inet_pton(AF_INET, s, out) == 1) {
        *len = 4;
        return true;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *len = 16;
        return true;
    }
    return false;
}

/* ip.To4() for an IPv4-mapped IPv6 address */
static void to4(unsigned char ip[16], int *len)
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (*len == 16 && memcmp(ip, prefix, 12) == 0) {
        memmove(ip, ip + 12, 4);
        *len = 4;
    }
}

static bool parse_cidr(const char *s, ipnet *n)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash - s >= 64)
        return false;
    char addr[64];
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = 0;
    if (!parse_ip(addr, n->ip, &n->len))
        return false;
    const char *p = slash + 1;
    if (!*p || strlen(p) > 3)
        return false;
    int bits = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        bits = bits * 10 + (*p - '0');
    }
    if (bits > n->len * 8)
        return false;
    memset(n->mask, 0, sizeof n->mask);
    for (int i = 0; i < bits; i++)
        n->mask[i / 8] |= (unsigned char)(0x80 >> (i % 8));
    for (int i = 0; i < n->len; i++)
        n->ip[i] &= n->mask[i];
    return true;
}

static bool contains(const ipnet *n, const unsigned char ipin[16], int len)
{
    unsigned char ip[16];
    memcpy(ip, ipin, 16);
    to4(ip, &len);
    unsigned char nip[16];
    int nlen = n->len;
    memcpy(nip, n->ip, 16);
    if (len != nlen)
        return false;
    for (int i = 0; i < len; i++)
        if ((nip[i] & n->mask[i]) != (ip[i] & n->mask[i]))
            return false;
    return true;
}

static const char *const private_blocks[] = {
    "10.0.0.0/8",     "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15",
    "169.254.0.0/16", "224.0.0.0/24",  "127.0.0.0/8",    "fc00::/7",      "fe80::/10",    "::1/128",
};

static sl_value ip_is_private(sl_thread *t, const sl_callinfo *c)
{
    if (check_call(t, c) < 0)
        return ERR;
    if (sl_kind_of(c->args[0]) != SL_STRING)
        return wrong_type(t, c, "string");
    size_t n;
    const char *s = sl_str(c->args[0], &n);
    char buf[128];
    if (n >= sizeof buf || memchr(s, 0, n))
        return sl_none();
    memcpy(buf, s, n);
    buf[n] = 0;
    size_t nblocks = sizeof private_blocks / sizeof private_blocks[0];
    unsigned char ip[16];
    int len;
    if (parse_ip(buf, ip, &len)) {
        for (size_t i = 0; i < nblocks; i++) {
            ipnet b;
            parse_cidr(private_blocks[i], &b);
            if (contains(&b, ip, len))
                return sl_bool(true);
        }
        return sl_bool(false);
    }
    ipnet net;
    if (!parse_cidr(buf, &net))
        return sl_none(); /* upstream logs "invalid ip/network address" */
    for (size_t i = 0; i < nblocks; i++) {
        ipnet b;
        parse_cidr(private_blocks[i], &b);
        if (contains(&net, b.ip, b.len) || contains(&b, net.ip, net.len))
            return sl_bool(true);
    }
    return sl_bool(false);
}

/* ---- registration ------------------------------------------------------------------------------------- */

int sl_pmm_predeclare(sl_thread *t)
{
    sl_value pv = sl_builtin(t, "parse_version", parse_version, NULL);
    sl_value fv = sl_builtin(t, "format_version_num", format_version_num, NULL);
    if (sl_is_error(pv) || sl_is_error(fv))
        return -1;
    if (sl_predeclare(t, "parse_version", pv) < 0 || sl_predeclare(t, "format_version_num", fv) < 0)
        return -1;
    return 0;
}

sl_value sl_pmm_context(sl_thread *t)
{
    static const struct {
        const char *name;
        sl_cfunc fn;
    } funcs[] = {
        {"ip_is_private", ip_is_private},
        {"parse_version", parse_version},
        {"format_version_num", format_version_num},
    };
    sl_value d = sl_dict_new(t);
    if (sl_is_error(d))
        return d;
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
        sl_value b = sl_builtin(t, funcs[i].name, funcs[i].fn, NULL);
        if (sl_is_error(b) || sl_dict_set_str(t, d, funcs[i].name, b) < 0)
            return ERR;
    }
    sl_freeze(t, d);
    return d;
}
