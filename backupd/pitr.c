/* pitr: PITR timeranges from PBM's oplog chunk names (see pitr.h). */
#include "pitr.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage.h"

typedef struct {
    char rs[128];
    int64_t start, end;
    int start_ord, end_ord;
} chunk;

/* "YYYYMMDDhhmmss[-n]" at *p up to stop; Unix seconds and ordinal. */
static bool parse_time(const char *s, size_t len, int64_t *ts, int *ord)
{
    if (len < 14)
        return false;
    for (size_t i = 0; i < 14; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    struct tm tm = { 0 };
    int v[6];
    const int w[6] = { 4, 2, 2, 2, 2, 2 };
    size_t off = 0;
    for (int i = 0; i < 6; i++) {
        v[i] = 0;
        for (int k = 0; k < w[i]; k++)
            v[i] = v[i] * 10 + (s[off++] - '0');
    }
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    *ord = 0;
    if (len > 14) {
        if (s[14] != '-' || len == 15)
            return false;
        for (size_t i = 15; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            *ord = *ord * 10 + (s[i] - '0');
        }
    }
    *ts = (int64_t)timegm(&tm);
    return true;
}

/* A chunk key relative to the pbmPitr/ prefix: "<rs>/.../<start>.<end>.oplog[.<ext>]". */
static bool parse_chunk(const char *rel, chunk *c)
{
    const char *slash = strchr(rel, '/');
    const char *base = strrchr(rel, '/');
    if (!slash || !base || slash == rel || (size_t)(slash - rel) >= sizeof c->rs)
        return false;
    snprintf(c->rs, sizeof c->rs, "%.*s", (int)(slash - rel), rel);
    base++;
    const char *dot1 = strchr(base, '.');
    if (!dot1)
        return false;
    const char *dot2 = strchr(dot1 + 1, '.');
    if (!dot2 || strncmp(dot2, ".oplog", 6) != 0 || (dot2[6] != '\0' && dot2[6] != '.'))
        return false;
    if (dot2[6] == '.') {
        /* gz (pgzip), lz4, snappy, s2, zst (zstd) or anything else: no compression */
        if (!dot2[7] || strchr(dot2 + 7, '.'))
            return false;
    }
    return parse_time(base, (size_t)(dot1 - base), &c->start, &c->start_ord) &&
           parse_time(dot1 + 1, (size_t)(dot2 - dot1 - 1), &c->end, &c->end_ord);
}

static int chunk_cmp(const void *a, const void *b)
{
    const chunk *x = a, *y = b;
    int c = strcmp(x->rs, y->rs);
    if (c)
        return c;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->start_ord > y->start_ord) - (x->start_ord < y->start_ord);
}

typedef struct {
    pitr_range *v;
    size_t n, cap;
} ranges;

static int push(ranges *r, int64_t s, int64_t e)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        pitr_range *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return -1;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = (pitr_range){ s, e };
    return 0;
}

/* Intersection of two sorted lists of disjoint ranges. */
static int intersect(const ranges *a, const ranges *b, ranges *out)
{
    size_t i = 0, j = 0;
    while (i < a->n && j < b->n) {
        int64_t s = a->v[i].start > b->v[j].start ? a->v[i].start : b->v[j].start;
        int64_t e = a->v[i].end < b->v[j].end ? a->v[i].end : b->v[j].end;
        if (s <= e && push(out, s, e) != 0)
            return -1;
        if (a->v[i].end < b->v[j].end)
            i++;
        else
            j++;
    }
    return 0;
}

int pitr_from_keys(const char *prefix, const char *const *keys, size_t n_keys, pitr_range **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t plen = strlen(prefix), count = 0;
    chunk *c = calloc(n_keys ? n_keys : 1, sizeof *c);
    if (!c)
        return -1;
    for (size_t i = 0; i < n_keys; i++)
        if (strncmp(keys[i], prefix, plen) == 0 && parse_chunk(keys[i] + plen, &c[count]))
            count++;
    qsort(c, count, sizeof *c, chunk_cmp);
    ranges all = { 0 };
    bool first_rs = true;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0;) {
        /* the timelines of one replica set */
        ranges mine = { 0 };
        size_t k = i;
        int64_t s = c[k].start, e = c[k].end;
        for (k = i + 1; k < count && strcmp(c[k].rs, c[i].rs) == 0 && rc == 0; k++) {
            if (e < c[k].start) {
                rc = push(&mine, s, e);
                s = c[k].start;
            }
            if (c[k].end > e)
                e = c[k].end;
        }
        if (rc == 0)
            rc = push(&mine, s, e);
        if (rc == 0 && first_rs) {
            all = mine;
            mine = (ranges){ 0 };
            first_rs = false;
        } else if (rc == 0) {
            ranges both = { 0 };
            rc = intersect(&all, &mine, &both);
            free(all.v);
            all = both;
        }
        free(mine.v);
        i = k;
    }
    free(c);
    if (rc != 0) {
        free(all.v);
        return -1;
    }
    /* PBM reports a timeline from one second after its first write */
    for (size_t i = 0; i < all.n; i++)
        all.v[i].start += 1;
    *out = all.v;
    *n = all.n;
    return 0;
}

int pitr_contains(const pitr_range *r, size_t n, int64_t ts)
{
    for (size_t i = 0; i < n; i++)
        if (ts >= r[i].start && ts <= r[i].end)
            return 1;
    return 0;
}

void pitr_prefix(const artifact *a, char *out, size_t len)
{
    bool has_meta = a->metadata_list && strcmp(a->metadata_list, "[]") != 0;
    const char *base = has_meta ? a->folder : a->name;
    if (base && *base)
        snprintf(out, len, "%s/pbmPitr/", base);
    else
        snprintf(out, len, "pbmPitr/");
}

int pitr_timeranges(const artifact *a, const location *l, pitr_range **out, size_t *n, rpc_status *st)
{
    *out = NULL;
    *n = 0;
    if (strcmp(a->mode, "pitr") != 0)
        return rpc_fail(st, RPC_FAILED_PRECONDITION,
                        "Artifact is not a PITR artifact: artifact backup mode is not compatible with other parameters");
    if (a->is_sharded_cluster)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "Getting PITR timeranges is not supported for sharded cluster");
    if (strcmp(l->type, "s3") != 0)
        return rpc_fail(st, RPC_FAILED_PRECONDITION,
                        "the specified location type is not compatible with other parameters");
    char prefix[2048];
    pitr_prefix(a, prefix, sizeof prefix);
    s3_object *objs;
    size_t no;
    if (storage_list(l, prefix, &objs, &no, st))
        return st->code;
    const char **keys = calloc(no ? no : 1, sizeof *keys);
    if (!keys) {
        s3_objects_free(objs, no);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < no; i++)
        keys[i] = objs[i].key;
    int rc = pitr_from_keys(prefix, keys, no, out, n);
    free(keys);
    s3_objects_free(objs, no);
    return rc == 0 ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}
