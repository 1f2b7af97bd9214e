/* dumps: a jansson tree as JSON text in protojson's layout
 * (text.c): keys in insertion order, shortest round-trip numbers in
 * Go's layout (1, 0.1, 1e+21, 1e-7; never "1.0"). jansson's own dump
 * cannot do the number part (one fixed precision for all reals). */
#include "internal.h"

#include <stdlib.h>

/* jansson's parser stops at 2048 levels; objects built in code may be
 * deeper, and this writer recurses. */
#define DUMP_MAX_DEPTH 2048

static void dump(pbj_buf *b, const json_t *j, int level)
{
    if (level > DUMP_MAX_DEPTH) {
        b->failed = true;
        return;
    }
    bool first = true;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        pbj_put(b, "{", 1);
        for (void *it = json_object_iter((json_t *)j); it && !b->failed;
             it = json_object_iter_next((json_t *)j, it)) {
            pbj_key(b, level, &first, json_object_iter_key(it), json_object_iter_key_len(it));
            dump(b, json_object_iter_value(it), level + 1);
        }
        pbj_close(b, level, first, '}');
        return;
    case JSON_ARRAY:
        pbj_put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(j) && !b->failed; i++) {
            pbj_next(b, level, &first);
            dump(b, json_array_get(j, i), level + 1);
        }
        pbj_close(b, level, first, ']');
        return;
    case JSON_STRING:
        pbj_put_quoted(b, json_string_value(j), json_string_length(j));
        return;
    case JSON_INTEGER:
        pbj_put_int(b, json_integer_value(j));
        return;
    case JSON_REAL:
        pbj_put_double(b, json_real_value(j));
        return;
    case JSON_TRUE:
        pbj_put_str(b, "true");
        return;
    case JSON_FALSE:
        pbj_put_str(b, "false");
        return;
    case JSON_NULL:
        pbj_put_str(b, "null");
        return;
    }
}

char *pbjson_dumps(const json_t *j)
{
    if (!j)
        return NULL;
    pbj_buf b = {0};
    dump(&b, j, 0);
    return pbj_buf_take(&b, NULL);
}
