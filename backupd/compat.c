/* compat: backup compatibility rules (see compat.h). */
#include "compat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VER_SEGS 4

typedef struct {
    long seg[VER_SEGS];
    char pre[64]; /* "" for a release */
} ver;

/* "v1.2.3-4+meta": segments, the pre-release after '-'. */
static bool parse(const char *s, ver *v)
{
    memset(v, 0, sizeof *v);
    if (!s)
        return false;
    if (*s == 'v')
        s++;
    int n = 0;
    while (n < VER_SEGS) {
        if (!isdigit((unsigned char)*s))
            return false;
        char *end;
        v->seg[n++] = strtol(s, &end, 10);
        s = end;
        if (*s != '.')
            break;
        s++;
    }
    if (*s == '-') {
        size_t l = strcspn(s + 1, "+");
        snprintf(v->pre, sizeof v->pre, "%.*s", (int)(l < sizeof v->pre ? l : sizeof v->pre - 1), s + 1);
        s += 1 + l;
    }
    return *s == '\0' || *s == '+';
}

bool compat_ver_valid(const char *s)
{
    ver v;
    return parse(s, &v);
}

/* Pre-release order as semver: dot-separated identifiers, numeric ones
 * numerically and before alphanumeric ones. */
static int pre_cmp(const char *a, const char *b)
{
    if (!*a || !*b)
        return !*a && !*b ? 0 : !*a ? 1 : -1;
    while (*a && *b) {
        size_t la = strcspn(a, "."), lb = strcspn(b, ".");
        bool na = la && strspn(a, "0123456789") >= la, nb = lb && strspn(b, "0123456789") >= lb;
        int c;
        if (na && nb)
            c = (strtol(a, NULL, 10) > strtol(b, NULL, 10)) - (strtol(a, NULL, 10) < strtol(b, NULL, 10));
        else if (na != nb)
            c = na ? -1 : 1;
        else {
            c = strncmp(a, b, la < lb ? la : lb);
            if (!c)
                c = (la > lb) - (la < lb);
        }
        if (c)
            return c;
        a += la + (a[la] == '.');
        b += lb + (b[lb] == '.');
    }
    return (*a != 0) - (*b != 0);
}

static int cmp(const char *a, const char *b, bool core)
{
    ver x, y;
    bool okx = parse(a, &x), oky = parse(b, &y);
    if (!okx || !oky)
        return okx - oky;
    for (int i = 0; i < VER_SEGS; i++)
        if (x.seg[i] != y.seg[i])
            return x.seg[i] < y.seg[i] ? -1 : 1;
    return core ? 0 : pre_cmp(x.pre, y.pre);
}

int compat_ver_cmp(const char *a, const char *b)
{
    return cmp(a, b, false);
}

int compat_core_cmp(const char *a, const char *b)
{
    /* core: x.y.z only */
    ver x, y;
    bool okx = parse(a, &x), oky = parse(b, &y);
    if (!okx || !oky)
        return okx - oky;
    for (int i = 0; i < 3; i++)
        if (x.seg[i] != y.seg[i])
            return x.seg[i] < y.seg[i] ? -1 : 1;
    return 0;
}

static int refuse(rpc_status *st, int *code, int c, const char *msg)
{
    *code = c;
    return rpc_fail(st, RPC_FAILED_PRECONDITION, "%s", msg);
}

static int not_installed(rpc_status *st, int *code, int c, const char *name, const char *cause)
{
    char m[256];
    snprintf(m, sizeof m, "software \"%s\" is not installed: %s", name, cause);
    return refuse(st, code, c, m);
}

/* xtrabackup's range for a MySQL version below 8.0.22 (min included, max excluded). */
static bool in_range(const char *v, const char *min, const char *max)
{
    return compat_core_cmp(v, min) >= 0 && compat_core_cmp(v, max) < 0;
}

int compat_mysql(const char *mysqld, const char *xtrabackup, const char *xbcloud, int *code, rpc_status *st)
{
    *code = COMPAT_OK;
    if (!mysqld || !*mysqld)
        return not_installed(st, code, COMPAT_OK, "mysqld", "incompatible service");
    if (!xtrabackup || !*xtrabackup)
        return not_installed(st, code, COMPAT_XTRABACKUP_NOT_INSTALLED, "xtrabackup", "xtrabackup is not installed");
    if (!xbcloud || !*xbcloud)
        return not_installed(st, code, COMPAT_XTRABACKUP_NOT_INSTALLED, "xbcloud", "xtrabackup is not installed");
    char m[512];
    if (strcmp(xtrabackup, xbcloud) != 0) {
        snprintf(m, sizeof m, "xtrabackup version \"%s\" != xbcloud version \"%s\": invalid installation of the xtrabackup",
                 xtrabackup, xbcloud);
        return refuse(st, code, COMPAT_INVALID_XTRABACKUP, m);
    }
    if (!compat_ver_valid(mysqld) || !compat_ver_valid(xtrabackup)) {
        snprintf(m, sizeof m, "cannot compare software versions: mysql version \"%s\", xtrabackup version \"%s\"", mysqld,
                 xtrabackup);
        return rpc_fail(st, RPC_INTERNAL, "%s", m);
    }
    bool ok;
    if (compat_core_cmp(mysqld, "8.0.22") >= 0)
        ok = compat_core_cmp(xtrabackup, mysqld) >= 0 && compat_core_cmp(xtrabackup, "9.0") < 0;
    else if (in_range(mysqld, "5.5", "5.8"))
        ok = in_range(xtrabackup, "2.4.18", "2.5");
    else if (in_range(mysqld, "8.0", "8.0.20"))
        ok = in_range(xtrabackup, "8.0.6", "9.0");
    else if (in_range(mysqld, "8.0.20", "8.0.21"))
        ok = in_range(xtrabackup, "8.0.12", "9.0");
    else if (in_range(mysqld, "8.0.21", "8.0.22"))
        ok = in_range(xtrabackup, "8.0.14", "9.0");
    else
        ok = false;
    if (!ok) {
        snprintf(m, sizeof m, "xtrabackup version \"%s\" is not compatible with mysql version \"%s\": incompatible xtrabackup",
                 xtrabackup, mysqld);
        return refuse(st, code, COMPAT_INCOMPATIBLE_XTRABACKUP, m);
    }
    return RPC_OK;
}

int compat_mongodb(const char *mongod, const char *pbm, int *code, rpc_status *st)
{
    *code = COMPAT_OK;
    if (!mongod || !*mongod)
        return not_installed(st, code, COMPAT_OK, "mongodb", "incompatible service");
    if (!pbm || !*pbm)
        return not_installed(st, code, COMPAT_OK, "pbm", "incompatible service");
    if (compat_ver_cmp(pbm, "2.0.1") < 0) {
        char m[256];
        snprintf(m, sizeof m, "installed pbm version \"%s\", min required pbm version \"2.0.1\": incompatible pbm", pbm);
        return refuse(st, code, COMPAT_OK, m);
    }
    return RPC_OK;
}

int compat_agent_min(const char *functionality, const char *agent_id, const char *version, const char *min,
                     rpc_status *st)
{
    if (compat_ver_valid(version) && compat_ver_cmp(version, min) >= 0)
        return RPC_OK;
    return rpc_fail(st, RPC_FAILED_PRECONDITION,
                    "'%s' functionality is not supported by pmm-agent \"%s\" version \"%s\". Required minimum version is \"%s\"",
                    functionality, agent_id, version ? version : "", min);
}
