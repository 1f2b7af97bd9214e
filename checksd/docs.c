/* docs: see docs.h. */
#include "docs.h"

#include <stdio.h>
#include <string.h>

#include "agent/v1/agent.pb-c.h"

static void pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_json(msgpack_packer *pk, const json_t *j, bool as_float, int depth)
{
    if (depth > DOCS_MAX_DEPTH) {
        msgpack_pack_nil(pk);
        return;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        msgpack_pack_map(pk, json_object_size(j));
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            pack_str(pk, k, strlen(k));
            pack_json(pk, v, as_float, depth + 1);
        }
        return;
    }
    case JSON_ARRAY: {
        msgpack_pack_array(pk, json_array_size(j));
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) pack_json(pk, v, as_float, depth + 1);
        return;
    }
    case JSON_STRING: pack_str(pk, json_string_value(j), json_string_length(j)); return;
    case JSON_INTEGER:
        if (as_float)
            msgpack_pack_double(pk, (double)json_integer_value(j));
        else
            msgpack_pack_int64(pk, json_integer_value(j));
        return;
    case JSON_REAL: msgpack_pack_double(pk, json_real_value(j)); return;
    case JSON_TRUE: msgpack_pack_true(pk); return;
    case JSON_FALSE: msgpack_pack_false(pk); return;
    default: msgpack_pack_nil(pk); return;
    }
}

int docs_from_json(const json_t *j, bool numbers_as_float, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    pack_json(&pk, j, numbers_as_float, 0);
    return out->data ? 0 : -1;
}

static void pack_value(msgpack_packer *pk, const Agent__V1__QueryActionValue *v, int depth);

static void pack_map(msgpack_packer *pk, const Agent__V1__QueryActionMap *m, int depth)
{
    if (!m || depth > DOCS_MAX_DEPTH) {
        msgpack_pack_nil(pk);
        return;
    }
    msgpack_pack_map(pk, m->n_map);
    for (size_t i = 0; i < m->n_map; i++) {
        const char *k = m->map[i]->key ? m->map[i]->key : "";
        pack_str(pk, k, strlen(k));
        pack_value(pk, m->map[i]->value, depth + 1);
    }
}

static void pack_slice(msgpack_packer *pk, const Agent__V1__QueryActionSlice *s, int depth)
{
    if (!s || depth > DOCS_MAX_DEPTH) {
        msgpack_pack_nil(pk);
        return;
    }
    msgpack_pack_array(pk, s->n_slice);
    for (size_t i = 0; i < s->n_slice; i++)
        pack_value(pk, s->slice[i], depth + 1);
}

static void pack_value(msgpack_packer *pk, const Agent__V1__QueryActionValue *v, int depth)
{
    if (!v || depth > DOCS_MAX_DEPTH) {
        msgpack_pack_nil(pk);
        return;
    }
    switch (v->kind_case) {
    case AGENT__V1__QUERY_ACTION_VALUE__KIND_BOOL: v->bool_ ? msgpack_pack_true(pk) : msgpack_pack_false(pk); return;
    case AGENT__V1__QUERY_ACTION_VALUE__KIND_INT64: msgpack_pack_int64(pk, v->int64); return;
    case AGENT__V1__QUERY_ACTION_VALUE__KIND_UINT64: msgpack_pack_uint64(pk, v->uint64); return;
    case AGENT__V1__QUERY_ACTION_VALUE__KIND_DOUBLE: msgpack_pack_double(pk, v->double_); return;
    case AGENT__V1__QUERY_ACTION_VALUE__KIND_BYTES: pack_str(pk, (const char *)v->bytes.data, v->bytes.len); return;
    case AGENT__V1__QUERY_ACTION_VALUE__KIND_TIMESTAMP:
        msgpack_pack_int64(pk, v->timestamp ? v->timestamp->seconds : 0);
        return;
    case AGENT__V1__QUERY_ACTION_VALUE__KIND_SLICE: pack_slice(pk, v->slice, depth); return;
    case AGENT__V1__QUERY_ACTION_VALUE__KIND_MAP: pack_map(pk, v->map, depth); return;
    case AGENT__V1__QUERY_ACTION_VALUE__KIND_BINARY:
        if (v->binary)
            pack_str(pk, (const char *)v->binary->bytes.data, v->binary->bytes.len);
        else
            msgpack_pack_nil(pk);
        return;
    default: msgpack_pack_nil(pk); return;
    }
}

int docs_from_query_result(const uint8_t *buf, size_t len, msgpack_sbuffer *out, char *err, size_t errlen)
{
    Agent__V1__QueryActionResult *r = agent__v1__query_action_result__unpack(NULL, len, buf);
    if (!r) {
        snprintf(err, errlen, "failed to unmarshal the query action result");
        return -1;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    if (r->n_columns) {
        /* SQL: one dict per row, column -> value */
        msgpack_pack_array(&pk, r->n_rows);
        for (size_t i = 0; i < r->n_rows; i++) {
            const Agent__V1__QueryActionSlice *row = r->rows[i];
            size_t n = row ? row->n_slice : 0;
            size_t cols = n < r->n_columns ? n : r->n_columns;
            msgpack_pack_map(&pk, cols);
            for (size_t c = 0; c < cols; c++) {
                pack_str(&pk, r->columns[c], strlen(r->columns[c]));
                pack_value(&pk, row->slice[c], 1);
            }
        }
    } else {
        msgpack_pack_array(&pk, r->n_docs);
        for (size_t i = 0; i < r->n_docs; i++)
            pack_map(&pk, r->docs[i], 1);
    }
    agent__v1__query_action_result__free_unpacked(r, NULL);
    return out->data ? 0 : -1;
}
