/* spell: the "did you mean" hint of starlark-go's internal/spell: the
 * candidate closest in edit distance (ignoring case and underscores),
 * allowing up to 50% typos. */
#include <stdlib.h>

#include "internal.h"

static size_t fold(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++) {
        if (*s == '_')
            continue;
        out[n++] = (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s;
    }
    out[n] = 0;
    return n;
}

static size_t levenshtein(const char *x, size_t nx, const char *y, size_t ny, size_t max)
{
    if (nx > ny) {
        const char *t = x;
        x = y;
        y = t;
        size_t tn = nx;
        nx = ny;
        ny = tn;
    }
    /* drop the common prefix */
    size_t p = 0;
    while (p < nx && x[p] == y[p])
        p++;
    x += p;
    y += p;
    nx -= p;
    ny -= p;
    if (nx == 0)
        return ny;
    if (ny - nx > max)
        return ny - nx;
    size_t *row = malloc((ny + 1) * sizeof *row);
    if (!row)
        return max + 1;
    for (size_t j = 0; j <= ny; j++)
        row[j] = j;
    for (size_t i = 1; i <= nx; i++) {
        row[0] = i;
        size_t best = i, prev = i - 1;
        for (size_t j = 1; j <= ny; j++) {
            size_t a = prev + (x[i - 1] != y[j - 1]);
            size_t b = 1 + row[j - 1];
            size_t c = 1 + row[j];
            size_t k = a < b ? a : b;
            if (c < k)
                k = c;
            prev = row[j];
            row[j] = k;
            if (k < best)
                best = k;
        }
        if (best > max) {
            free(row);
            return best;
        }
    }
    size_t d = row[ny];
    free(row);
    return d;
}

const char *sl_nearest(const char *x, const char *const *cands, size_t n)
{
    char fx[128], fc[128];
    size_t nx = fold(x, fx, sizeof fx);
    const char *best = NULL;
    size_t bestd = (nx + 1) / 2;
    for (size_t i = 0; i < n; i++) {
        size_t nc = fold(cands[i], fc, sizeof fc);
        size_t d = levenshtein(fx, nx, fc, nc, bestd);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    return best;
}
