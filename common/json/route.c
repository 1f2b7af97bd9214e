/* route: matches "VERB /path" against the generated REST route table and
 * maps gRPC methods to their owning daemon.
 *
 * Patterns are the google.api.http templates tools/routegen accepts:
 * literal segments, single-segment {field} / {field.sub} / {field=*}, and a
 * ":verb" suffix on the last segment. Matching follows grpc-gateway's
 * ServeMux in its default (legacy) unescaping mode: the caller passes the
 * path already percent-decoded as a whole (so "%2F" splits segments, as Go's
 * r.URL.Path does), a variable takes any one segment, the empty one too
 * ("/v1/inventory/nodes/" is GetNode with node_id ""), and a ":verb" is cut
 * from the last segment only when something precedes it. The request path is split once onto
 * the stack and each pattern is walked against it segment by segment: no
 * global state (route_find runs on many threads at once) and no allocation
 * until the winner's params are copied out. Specificity: more literal segments (a matched ":verb" counts
 * as one) win; on a tie the route whose first {param} comes later wins;
 * then table order. */
#include "hex.h"
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer request paths never match: no real route needs them, and it bounds
 * the work an attacker can ask for (the gateway answers 404). */
#define ROUTE_MAX_PATH 8192

typedef struct {
    const char *s;
    size_t n;
} span;

typedef struct {
    int literals;     /* literal segments matched, +1 for a ":verb" */
    int first_param;  /* segment index of the first {param}; later is better */
} route_score;

static int is_param(span p)
{
    return p.n >= 2 && p.s[0] == '{' && memchr(p.s, '}', p.n) != NULL;
}

/* The field path of a "{name}" or "{name=*}" segment. */
static span param_name(span p)
{
    size_t i = 1;
    while (i < p.n && p.s[i] != '}' && p.s[i] != '=')
        i++;
    return (span){p.s + 1, i - 1};
}

/* Splits the pattern's last segment into itself and its ":verb" (if any):
 * the verb is the text after the first ':' that follows any "{...}". */
static span split_verb(span *seg)
{
    size_t from = 0;
    if (is_param(*seg))
        from = (size_t)((const char *)memchr(seg->s, '}', seg->n) - seg->s);
    const char *colon = memchr(seg->s + from, ':', seg->n - from);
    if (!colon)
        return (span){NULL, 0};
    span verb = {colon + 1, seg->n - (size_t)(colon + 1 - seg->s)};
    seg->n = (size_t)(colon - seg->s);
    return verb;
}

/* Strips ":verb" from the request's last segment; 0 when it does not end
 * with it or nothing precedes it. */
static int strip_verb(span *seg, span verb)
{
    if (seg->n <= verb.n)
        return 0;
    const char *tail = seg->s + seg->n - verb.n;
    if (tail[-1] != ':' || memcmp(tail, verb.s, verb.n) != 0)
        return 0;
    if (seg->n == verb.n + 1)
        return -1; /* the segment is only ":verb" */
    seg->n -= verb.n + 1;
    return 1;
}

/* The request path split once per call, on the caller's stack. */
#define ROUTE_MAX_SEGMENTS 32

typedef struct {
    span seg[ROUTE_MAX_SEGMENTS];
    int n;
} split_path;

/* "/a/b" -> {"a", "b"}; -1 when there are more segments than any route
 * may have. */
static int split(const char *path, split_path *sp)
{
    sp->n = 0;
    const char *p = path;
    while (*p == '/') {
        if (sp->n == ROUTE_MAX_SEGMENTS)
            return -1;
        p++;
        size_t n = strcspn(p, "/");
        sp->seg[sp->n++] = (span){p, n};
        p += n;
    }
    return 0;
}

/* Visits the segment pairs of pattern and path in lockstep. For each pair
 * calls visit(ctx, index, pattern_segment, path_segment) after the ":verb"
 * was handled; visit returns <0 to stop. Returns -1 when the shapes differ
 * (segment counts, verb, leading '/'), else the number of ":verb" matches
 * (0 or 1). */
typedef int (*seg_visit)(void *ctx, int index, span pat, span seg);

static int walk(const char *pattern, const split_path *sp, seg_visit visit, void *ctx)
{
    const char *pp = pattern;
    for (int index = 0;; index++) {
        if (*pp != '/' || index >= sp->n)
            return -1;
        pp++;
        span pat = {pp, strcspn(pp, "/")};
        span seg = sp->seg[index];
        int pat_last = pp[pat.n] == '\0';
        if (pat_last != (index == sp->n - 1))
            return -1;
        int verbs = 0;
        if (pat_last) {
            span verb = split_verb(&pat);
            if (verb.s) {
                if (strip_verb(&seg, verb) <= 0)
                    return -1;
                verbs = 1;
            }
        }
        if (visit(ctx, index, pat, seg) < 0)
            return -1;
        if (pat_last)
            return verbs;
        pp += pat.n;
    }
}

/* Is the request's last segment exactly ":verb" of this pattern's verb? */
static int bare_verb(const char *pattern, const split_path *sp)
{
    if (sp->n == 0)
        return 0;
    const char *last = strrchr(pattern, '/');
    span pat = {last + 1, strlen(last + 1)};
    span verb = split_verb(&pat);
    span seg = sp->seg[sp->n - 1];
    return verb.s && seg.n == verb.n + 1 && seg.s[0] == ':' && memcmp(seg.s + 1, verb.s, verb.n) == 0;
}

static int score_visit(void *ctx, int index, span pat, span seg)
{
    route_score *sc = ctx;
    if (is_param(pat)) { /* any segment, "" included */
        if (sc->first_param < 0)
            sc->first_param = index;
        return 0;
    }
    if (pat.n != seg.n || memcmp(pat.s, seg.s, seg.n) != 0)
        return -1;
    sc->literals++;
    return 0;
}

/* 1 = a beats b. A route without params ranks its first_param as +inf. */
static int better(route_score a, route_score b)
{
    if (a.literals != b.literals)
        return a.literals > b.literals;
    int fa = a.first_param < 0 ? 1 << 30 : a.first_param;
    int fb = b.first_param < 0 ? 1 << 30 : b.first_param;
    return fa > fb;
}

static char *copy_span(span s)
{
    char *out = malloc(s.n + 1);
    if (out) {
        memcpy(out, s.s, s.n);
        out[s.n] = '\0';
    }
    return out;
}

static int extract_visit(void *ctx, int index, span pat, span seg)
{
    route_match *m = ctx;
    (void)index;
    if (!is_param(pat))
        return 0;
    if (m->n_params >= ROUTE_MAX_PARAMS)
        return -1;
    char *name = copy_span(param_name(pat));
    char *value = copy_span(seg);
    if (!name || !value) {
        free(name);
        free(value);
        return -1;
    }
    m->params[m->n_params].name = name;
    m->params[m->n_params].value = value;
    m->n_params++;
    return 0;
}

int route_find(const route_entry *table, size_t n, const char *verb,
               const char *path, route_match *m)
{
    if (!m)
        return -1;
    memset(m, 0, sizeof *m);
    if (!table || !verb || !path || path[0] != '/' ||
        strnlen(path, ROUTE_MAX_PATH + 1) > ROUTE_MAX_PATH)
        return -1;
    split_path sp;
    if (split(path, &sp) < 0)
        return -1;

    const route_entry *best = NULL;
    route_score best_score = {0, -1};
    for (size_t i = 0; i < n; i++) {
        const route_entry *r = &table[i];
        if (!r->verb || !r->pattern || strcmp(r->verb, verb) != 0)
            continue;
        if (bare_verb(r->pattern, &sp)) {
            /* a last segment that is only ":verb" of a route: grpc-gateway
             * answers 404 at once, looking no further */
            m->bare_verb = 1;
            return -1;
        }
        route_score sc = {0, -1};
        int verbs = walk(r->pattern, &sp, score_visit, &sc);
        if (verbs < 0)
            continue;
        sc.literals += verbs;
        if (!best || better(sc, best_score)) {
            best = r;
            best_score = sc;
        }
    }
    if (!best)
        return -1;

    m->route = best;
    if (walk(best->pattern, &sp, extract_visit, m) < 0) {
        route_match_clear(m);
        return -1;
    }
    return 0;
}

void route_match_clear(route_match *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_params && i < ROUTE_MAX_PARAMS; i++) {
        free(m->params[i].name);
        free(m->params[i].value);
    }
    memset(m, 0, sizeof *m);
}

/* ---- URL paths as Go's net/http sees them ------------------------------------ */

char *route_unescape_path(const char *raw)
{
    size_t n = strlen(raw);
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] != '%') {
            *o++ = raw[i];
            continue;
        }
        int hi = i + 1 < n ? hex_value(raw[i + 1]) : -1, lo = i + 2 < n ? hex_value(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        *o++ = (char)(hi << 4 | lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

char *route_clean_path(const char *p)
{
    size_t n = strlen(p);
    /* worst case: a '/' in front and one put back at the end */
    char *out = malloc(n + 3);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '/';
    /* path.Clean over "/" + p: segments, dropping "" and ".", ".." pops */
    for (size_t i = 0; i < n;) {
        while (i < n && p[i] == '/')
            i++;
        size_t st = i;
        while (i < n && p[i] != '/')
            i++;
        size_t len = i - st;
        if (len == 0 || (len == 1 && p[st] == '.'))
            continue;
        if (len == 2 && p[st] == '.' && p[st + 1] == '.') {
            while (o > 1 && out[o - 1] != '/')
                o--;
            if (o > 1)
                o--; /* the '/' before the popped segment */
            continue;
        }
        if (o > 1)
            out[o++] = '/';
        memcpy(out + o, p + st, len);
        o += len;
    }
    if (n > 0 && p[n - 1] == '/' && !(o == 1 && out[0] == '/'))
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

char *route_escape_path(const char *path)
{
    size_t n = strlen(path);
    char *out = malloc(n * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-_.~$&+,/:;=@", c))
            *o++ = (char)c;
        else
            o += sprintf(o, "%%%02X", c);
    }
    *o = '\0';
    return out;
}

/* ---- method -> daemon ------------------------------------------------------ */

typedef struct {
    const char *prefix; /* "pkg." = any service of the package; else exact service */
    const char *daemon;
} daemon_rule;

static const daemon_rule daemon_rules[] = {
    {"inventory.v1.", "inventoryd"},
    {"management.v1.", "inventoryd"},
    {"user.v1.", "inventoryd"},
    {"accesscontrol.v1beta1.", "inventoryd"},
    {"internal.v1.AuthService", "inventoryd"},
    {"lockout.v1.", "inventoryd"},
    {"internal.v1.LogsService", "configd"},
    {"internal.v1.AgentsService", "agentsd"},
    {"internal.v1.JobsService", "agentsd"},
    {"server.v1.", "configd"},
    {"platform.v1.", "configd"},
    {"uievents.v1.", "configd"},
    {"agent.v1.", "agentsd"},
    {"agent.Agent", "agentsd"},
    {"actions.v1.", "agentsd"},
    {"backup.v1.", "backupd"},
    {"dump.v1beta1.", "backupd"},
    {"ha.v1beta1.", "hactl"},
    {"advisors.v1.", "checksd"},
    {"alerting.v1.", "checksd"},
};

/* Single methods served away from their service's daemon. */
static const daemon_rule method_rules[] = {
    {"inventory.v1.AgentsService/GetAgentLogs", "agentsd"},   /* asks the pmm-agent over its stream */
};

static int service_matches(const char *prefix, const char *svc, size_t svc_len)
{
    size_t pn = strlen(prefix);
    if (prefix[pn - 1] != '.') /* exact service name */
        return svc_len == pn && memcmp(svc, prefix, pn) == 0;
    /* a service directly in the package: "pkg.Name", Name without dots */
    return svc_len > pn && memcmp(svc, prefix, pn) == 0 &&
           memchr(svc + pn, '.', svc_len - pn) == NULL;
}

const char *route_daemon_for_method(const char *method)
{
    if (!method)
        return NULL;
    if (*method == '/')
        method++;
    const char *slash = strchr(method, '/');
    if (!slash || slash == method || slash[1] == '\0' || strchr(slash + 1, '/'))
        return NULL;
    for (size_t i = 0; i < sizeof method_rules / sizeof method_rules[0]; i++)
        if (strcmp(method, method_rules[i].prefix) == 0)
            return method_rules[i].daemon;
    size_t svc_len = (size_t)(slash - method);
    for (size_t i = 0; i < sizeof daemon_rules / sizeof daemon_rules[0]; i++)
        if (service_matches(daemon_rules[i].prefix, method, svc_len))
            return daemon_rules[i].daemon;
    return NULL;
}
