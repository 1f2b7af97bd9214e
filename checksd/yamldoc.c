/* yamldoc: see yamldoc.h. */
#include "yamldoc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Documents per file: a check file holds one list per document. */
#define MAX_DOCS 256

static void parser_error(const yaml_parser_t *p, char *err, size_t errlen)
{
    const char *problem = p->problem ? p->problem : "cannot parse";
    /* yaml.v3 names the line of the problem (its marks are 0-based). */
    size_t line = p->problem_mark.line + 1;
    if (p->error == YAML_READER_ERROR)
        snprintf(err, errlen, "yaml: %s", problem);
    else
        snprintf(err, errlen, "yaml: line %zu: %s", line, problem);
}

int yamldoc_load(yamldoc *y, const char *text, size_t len, char *err, size_t errlen)
{
    memset(y, 0, sizeof *y);
    if (len > YAMLDOC_MAX_BYTES) {
        snprintf(err, errlen, "yaml: input too large (%zu bytes, at most %u)", len, YAMLDOC_MAX_BYTES);
        return -1;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        snprintf(err, errlen, "yaml: out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = 0;
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&p, &doc)) {
            parser_error(&p, err, errlen);
            rc = -1;
            break;
        }
        if (!yaml_document_get_root_node(&doc)) { /* the end of the stream */
            yaml_document_delete(&doc);
            break;
        }
        if (y->n == MAX_DOCS) {
            yaml_document_delete(&doc);
            snprintf(err, errlen, "yaml: more than %d documents", MAX_DOCS);
            rc = -1;
            break;
        }
        yaml_document_t *grown = realloc(y->docs, (y->n + 1) * sizeof *grown);
        if (!grown) {
            yaml_document_delete(&doc);
            snprintf(err, errlen, "yaml: out of memory");
            rc = -1;
            break;
        }
        y->docs = grown;
        y->docs[y->n++] = doc;
    }
    yaml_parser_delete(&p);
    if (rc != 0)
        yamldoc_free(y);
    return rc;
}

void yamldoc_free(yamldoc *y)
{
    for (size_t i = 0; i < y->n; i++)
        yaml_document_delete(&y->docs[i]);
    free(y->docs);
    memset(y, 0, sizeof *y);
}

yaml_node_t *yamldoc_root(yamldoc *y, size_t i)
{
    return i < y->n ? yaml_document_get_root_node(&y->docs[i]) : NULL;
}

yaml_node_t *yamldoc_node(yaml_document_t *d, int id)
{
    return yaml_document_get_node(d, id);
}

const char *yd_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool yd_is_null(const yaml_node_t *n)
{
    const char *s = yd_scalar(n);
    return !n || (s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                  (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
                   strcmp(s, "NULL") == 0));
}

int yd_line(const yaml_node_t *n)
{
    return n ? (int)n->start_mark.line + 1 : 0;
}

yaml_node_t *yd_get(yaml_document_t *d, const yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    yaml_node_t *found = NULL;
    /* the last of duplicate keys wins, as a Go map would keep it */
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = yd_scalar(yamldoc_node(d, p->key));
        if (k && strcmp(k, key) == 0)
            found = yamldoc_node(d, p->value);
    }
    return found;
}

int yd_known_keys(yaml_document_t *d, const yaml_node_t *map, const char *const *known, const char *type_name,
                  char *err, size_t errlen)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return 0;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yamldoc_node(d, p->key);
        const char *k = yd_scalar(kn);
        bool ok = false;
        for (const char *const *f = known; k && *f && !ok; f++)
            ok = strcmp(*f, k) == 0;
        if (!ok) {
            snprintf(err, errlen, "yaml: unmarshal errors:\n  line %d: field %s not found in type %s", yd_line(kn),
                     k ? k : "?", type_name);
            return -1;
        }
    }
    return 0;
}

static const char *tag_of(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SEQUENCE_NODE: return "!!seq";
    case YAML_MAPPING_NODE: return "!!map";
    default: break;
    }
    const char *s = yd_scalar(n);
    if (yd_is_null(n))
        return "!!null";
    char *end;
    errno = 0;
    (void)strtoll(s, &end, 0);
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && *s && !*end)
        return "!!int";
    return "!!str";
}

void yd_type_error(const yaml_node_t *n, const char *go_type, char *err, size_t errlen)
{
    const char *tag = tag_of(n);
    if (n->type == YAML_SCALAR_NODE)
        snprintf(err, errlen, "yaml: unmarshal errors:\n  line %d: cannot unmarshal %s `%.40s` into %s", yd_line(n), tag,
                 yd_scalar(n), go_type);
    else
        snprintf(err, errlen, "yaml: unmarshal errors:\n  line %d: cannot unmarshal %s into %s", yd_line(n), tag,
                 go_type);
}

int yd_string(yaml_document_t *d, const yaml_node_t *map, const char *key, char **out, char *err, size_t errlen)
{
    yaml_node_t *v = yd_get(d, map, key);
    *out = NULL;
    if (v && v->type != YAML_SCALAR_NODE) {
        yd_type_error(v, "string", err, errlen);
        return -1;
    }
    *out = strdup(!v || yd_is_null(v) ? "" : yd_scalar(v));
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int yd_int(yaml_document_t *d, const yaml_node_t *map, const char *key, long long *out, char *err, size_t errlen)
{
    yaml_node_t *v = yd_get(d, map, key);
    *out = 0;
    if (!v || yd_is_null(v))
        return 0;
    const char *s = yd_scalar(v);
    char *end;
    errno = 0;
    long long x = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || x > INT_MAX || x < INT_MIN) {
        yd_type_error(v, "int", err, errlen);
        return -1;
    }
    *out = x;
    return 0;
}
