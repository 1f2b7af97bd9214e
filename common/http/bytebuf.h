/* bytebuf: a growable, always NUL-terminated byte buffer for answers read
 * in pieces (httpc's bodies, xmlwalk's text), with a size limit. */
#ifndef PMM_BYTEBUF_H
#define PMM_BYTEBUF_H

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *data; /* NULL until the first append */
    size_t len, cap;
} bytebuf;

/* Appends n bytes, keeping data NUL-terminated. Returns 0, or -1 when
 * len would pass limit or memory runs out (the buffer is then unchanged). */
static inline int bytebuf_append(bytebuf *b, const void *p, size_t n, size_t limit)
{
    if (n > limit || b->len > limit - n)
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static inline void bytebuf_free(bytebuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

#endif
