/* util: small tools of the SetState builders: agent versions as
 * upstream compares them (version.Parsed), string lists, collector
 * filters, template delimiters and record accessors. */
#include "internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/agent_row.h"

/* ---- versions ----------------------------------------------------------------- */

static int parse_num(const char **p)
{
    if (!isdigit((unsigned char)**p))
        return -1;
    long v = 0;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        if (v > 99999)
            return -1;
        (*p)++;
    }
    return (int)v;
}

int agent_ver_parse(const char *s, agent_ver *out)
{
    if (!s)
        return -1;
    const char *p = s;
    int major = parse_num(&p);
    if (major < 0 || *p++ != '.')
        return -1;
    int minor = parse_num(&p);
    if (minor < 0 || *p++ != '.')
        return -1;
    int patch = parse_num(&p);
    if (patch < 0 || strlen(p) >= sizeof out->rest)
        return -1;
    out->num = major * 10000 + minor * 100 + patch;
    strcpy(out->rest, p);
    return 0;
}

bool agent_ver_less(const agent_ver *v, const char *min)
{
    agent_ver m;
    if (agent_ver_parse(min, &m) != 0)
        return false;
    if (v->num != m.num)
        return v->num < m.num;
    /* 2.0.0 > 2.0.0-beta4; otherwise the rests compare as strings. */
    if (!*v->rest || !*m.rest)
        return *v->rest && !*m.rest;
    return strcmp(v->rest, m.rest) < 0;
}

/* ---- string lists ---------------------------------------------------------------- */

static void strv_take(strv *l, char *s)
{
    if (!s) {
        l->oom = true;
        return;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            free(s);
            l->oom = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
}

void strv_add(strv *l, const char *s)
{
    strv_take(l, strdup(s));
}

void strv_addf(strv *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    strv_take(l, s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(strv *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, cmp_str);
}

bool strv_has(const strv *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

void strv_free(strv *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (strv){ 0 };
}

static bool is_disabled(json_t *disabled, const char *prefix, const char *flag, size_t flag_len)
{
    size_t plen = strlen(prefix);
    size_t i;
    json_t *v;
    json_array_foreach(disabled, i, v) {
        const char *name = json_string_value(v);
        if (name && flag_len == plen + strlen(name) && strncmp(flag, prefix, plen) == 0 &&
            strncmp(flag + plen, name, flag_len - plen) == 0)
            return true;
    }
    return false;
}

void strv_filter_collectors(strv *l, const char *prefix, json_t *disabled)
{
    if (!json_is_array(disabled))
        return;
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++) {
        const char *eq = strchr(l->v[i], '=');
        size_t flag_len = eq ? (size_t)(eq - l->v[i]) : strlen(l->v[i]);
        if (is_disabled(disabled, prefix, l->v[i], flag_len))
            free(l->v[i]);
        else
            l->v[kept++] = l->v[i];
    }
    l->n = kept;
}

void strv_disable_defaults(strv *l, const char *prefix, const char *const *defaults, json_t *disabled)
{
    size_t i;
    json_t *v;
    json_array_foreach(disabled, i, v) {
        const char *name = json_string_value(v);
        for (const char *const *d = defaults; name && *d; d++)
            if (strcmp(*d, name) == 0)
                strv_addf(l, "%s%s", prefix, name);
    }
}

/* ---- delimiters -------------------------------------------------------------------- */

delims delims_pick(const char *const *values, int n)
{
    static const delims pairs[] = { { "{{", "}}" }, { "[[", "]]" }, { "((", "))" }, { "<<", ">>" }, { "<%", "%>" } };
    for (size_t p = 0; p < sizeof pairs / sizeof *pairs; p++) {
        bool found = false;
        for (int i = 0; i < n && !found; i++)
            found = values[i] && (strstr(values[i], pairs[p].l) || strstr(values[i], pairs[p].r));
        if (!found)
            return pairs[p];
    }
    /* Upstream panics; every pair occurring in the values is beyond any real
     * credential, and the last pair at least keeps the request well formed. */
    return pairs[sizeof pairs / sizeof *pairs - 1];
}

/* ---- record accessors ---------------------------------------------------------------- */

static json_t *rec_v(json_t *rec, const char *col, const char *key)
{
    return rec ? agent_rec_get(rec, col, key) : NULL;
}

const char *rec_s(json_t *rec, const char *col, const char *key)
{
    const char *s = json_string_value(rec_v(rec, col, key));
    return s ? s : "";
}

bool rec_b(json_t *rec, const char *col, const char *key)
{
    return json_is_true(rec_v(rec, col, key));
}

long long rec_i(json_t *rec, const char *col, const char *key)
{
    return json_integer_value(rec_v(rec, col, key));
}

bool rec_has(json_t *rec, const char *col, const char *key)
{
    json_t *v = rec_v(rec, col, key);
    return v && !json_is_null(v);
}
