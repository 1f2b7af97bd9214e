/* base: the user's base configuration (prometheus.base.yml) merged
 * into the scrape file: its global keys win over the settings' defaults,
 * its jobs come first, its other top-level keys follow. Parsed with
 * libyaml and written back in the file's own style (yaml.v3 indentation),
 * values kept as they were; VictoriaMetrics' dry run then judges the
 * whole, so a base with unknown fields is refused like any bad file. */
#include "scrape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

struct scrape_base {
    yaml_document_t doc;
    bool loaded;
    yaml_node_t *root;        /* a mapping, or NULL for an empty base */
    yaml_node_t *global;      /* mapping or NULL */
    yaml_node_t *jobs;        /* sequence or NULL */
};

static yaml_node_t *node(const scrape_base *b, int id)
{
    return yaml_document_get_node((yaml_document_t *)&b->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Every mapping key must be a scalar: the file is written back in block
 * style, where complex keys have no place. depth bounds the recursion. */
static int check_keys(const scrape_base *b, const yaml_node_t *n, int depth)
{
    if (depth > 64)
        return -1;
    if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
            if (!scalar(node(b, p->key)) || check_keys(b, node(b, p->value), depth + 1) != 0)
                return -1;
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
            if (check_keys(b, node(b, *i), depth + 1) != 0)
                return -1;
    }
    return 0;
}

static yaml_node_t *lookup(const scrape_base *b, const yaml_node_t *map, const char *key)
{
    if (!map)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(b, p->key));
        if (k && strcmp(k, key) == 0)
            return node(b, p->value);
    }
    return NULL;
}

static bool is_null(const yaml_node_t *n)
{
    const char *s = scalar(n);
    return n && s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
            strcmp(s, "NULL") == 0);
}

static scrape_base *fail(scrape_base *b, char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "base configuration: %s", msg);
    scrape_base_free(b);
    return NULL;
}

scrape_base *scrape_base_parse(const char *text, char *err, size_t errlen)
{
    scrape_base *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!text || !*text)
        return b;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return fail(b, err, errlen, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&p, &b->doc)) {
        char msg[512];
        snprintf(msg, sizeof msg, "line %zu: %s", p.problem_mark.line + 1, p.problem ? p.problem : "bad YAML");
        yaml_parser_delete(&p);
        return fail(b, err, errlen, msg);
    }
    yaml_parser_delete(&p);
    b->loaded = true;
    b->root = yaml_document_get_root_node(&b->doc);
    if (!b->root || is_null(b->root)) {
        b->root = NULL;
        return b;
    }
    if (b->root->type != YAML_MAPPING_NODE)
        return fail(b, err, errlen, "the top level is not a mapping");
    if (check_keys(b, b->root, 0) != 0)
        return fail(b, err, errlen, "only plain keys are supported, nested at most 64 deep");
    b->global = lookup(b, b->root, "global");
    if (b->global && is_null(b->global))
        b->global = NULL;
    if (b->global && b->global->type != YAML_MAPPING_NODE)
        return fail(b, err, errlen, "global is not a mapping");
    b->jobs = lookup(b, b->root, "scrape_configs");
    if (b->jobs && is_null(b->jobs))
        b->jobs = NULL;
    if (b->jobs && b->jobs->type != YAML_SEQUENCE_NODE)
        return fail(b, err, errlen, "scrape_configs is not a list");
    return b;
}

void scrape_base_free(scrape_base *b)
{
    if (!b)
        return;
    if (b->loaded)
        yaml_document_delete(&b->doc);
    free(b);
}

/* ---- writing nodes back --------------------------------------------------
 * Logical indentation as yaml.v3's emitter keeps it: a block nested under
 * a key goes 4 deeper than the mapping's logical indent; the mapping that
 * is a list item has the logical indent of its "- ", its keys 2 further. */

static void write_value(const scrape_base *b, const yaml_node_t *n, int logical, scrape_buf *out);

static void write_scalar(const yaml_node_t *n, scrape_buf *out)
{
    const char *s = scalar(n);
    /* A plain scalar on one line reads the same written back plain;
     * anything else is written as the string it is. */
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strchr(s, '\n'))
        sbuf_puts(out, s);
    else
        sbuf_scalar(out, s);
}

static void write_mapping(const scrape_base *b, const yaml_node_t *n, int key_col, int logical, bool inline_first,
                          scrape_buf *out)
{
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        if (p != n->data.mapping.pairs.start || !inline_first)
            sbuf_indent(out, key_col);
        write_scalar(node(b, p->key), out);
        sbuf_puts(out, ":");
        write_value(b, node(b, p->value), logical, out);
    }
}

static bool empty(const yaml_node_t *n)
{
    return (n->type == YAML_MAPPING_NODE && n->data.mapping.pairs.start == n->data.mapping.pairs.top) ||
           (n->type == YAML_SEQUENCE_NODE && n->data.sequence.items.start == n->data.sequence.items.top);
}

static void write_items(const scrape_base *b, const yaml_node_t *n, int col, scrape_buf *out)
{
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        const yaml_node_t *item = node(b, *i);
        sbuf_indent(out, col);
        if (item->type == YAML_SCALAR_NODE) {
            sbuf_puts(out, "- ");
            write_scalar(item, out);
            sbuf_puts(out, "\n");
        } else if (empty(item)) {
            sbuf_puts(out, item->type == YAML_MAPPING_NODE ? "- {}\n" : "- []\n");
        } else if (item->type == YAML_MAPPING_NODE) {
            sbuf_puts(out, "- ");
            write_mapping(b, item, col + 2, col, true, out);
        } else {
            sbuf_puts(out, "-\n");
            write_items(b, item, col + 4, out);
        }
    }
}

/* After "key:": the rest of the line and any nested block. */
static void write_value(const scrape_base *b, const yaml_node_t *n, int logical, scrape_buf *out)
{
    if (n->type == YAML_SCALAR_NODE) {
        sbuf_puts(out, " ");
        write_scalar(n, out);
        sbuf_puts(out, "\n");
    } else if (empty(n)) {
        sbuf_puts(out, n->type == YAML_MAPPING_NODE ? " {}\n" : " []\n");
    } else if (n->type == YAML_MAPPING_NODE) {
        sbuf_puts(out, "\n");
        write_mapping(b, n, logical + 4, logical + 4, false, out);
    } else {
        sbuf_puts(out, "\n");
        write_items(b, n, logical + 4, out);
    }
}

static void write_global_key(const scrape_base *b, const char *key, const char *ours, scrape_buf *out)
{
    const yaml_node_t *v = lookup(b, b->global, key);
    if (v && !is_null(v)) {
        sbuf_printf(out, "    %s:", key);
        write_value(b, v, 4, out);
    } else {
        sbuf_kv(out, 4, key, ours);
    }
}

void scrape_base_global(const scrape_base *b, const char *interval, const char *timeout, scrape_buf *out)
{
    sbuf_puts(out, "global:\n");
    write_global_key(b, "scrape_interval", interval, out);
    write_global_key(b, "scrape_timeout", timeout, out);
    if (!b->global)
        return;
    for (yaml_node_pair_t *p = b->global->data.mapping.pairs.start; p < b->global->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(b, p->key));
        if (strcmp(k, "scrape_interval") == 0 || strcmp(k, "scrape_timeout") == 0)
            continue;
        sbuf_indent(out, 4);
        write_scalar(node(b, p->key), out);
        sbuf_puts(out, ":");
        write_value(b, node(b, p->value), 4, out);
    }
}

void scrape_base_jobs(const scrape_base *b, scrape_buf *out)
{
    if (b->jobs)
        write_items(b, b->jobs, 4, out);
}

void scrape_base_rest(const scrape_base *b, scrape_buf *out)
{
    if (!b->root)
        return;
    for (yaml_node_pair_t *p = b->root->data.mapping.pairs.start; p < b->root->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(b, p->key));
        if (strcmp(k, "global") == 0 || strcmp(k, "scrape_configs") == 0)
            continue;
        write_scalar(node(b, p->key), out);
        sbuf_puts(out, ":");
        write_value(b, node(b, p->value), 0, out);
    }
}
