/* yamldoc: the YAML documents of one file (libyaml's document model) and
 * the small reads the strict loaders of check, advisor and template files
 * make of them: scalars, mapping lookups, unknown-key checks, line
 * numbers. Errors read as Go's yaml.v3 reports them ("yaml: line 3: did
 * not find expected key"), since upstream's parsers quote those. Inputs
 * come from users' folders and the API, so sizes and counts are bounded. */
#ifndef CHECKSD_YAMLDOC_H
#define CHECKSD_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

/* Largest file or request text the loaders accept. */
#define YAMLDOC_MAX_BYTES (4u << 20)

typedef struct {
    yaml_document_t *docs;
    size_t n;
} yamldoc;

/* Parses every document of text (documents without content are
 * skipped). 0, or -1 with Go's error text in err. */
int yamldoc_load(yamldoc *y, const char *text, size_t len, char *err, size_t errlen);
void yamldoc_free(yamldoc *y);

/* The root node of document i (NULL for an empty document). */
yaml_node_t *yamldoc_root(yamldoc *y, size_t i);
yaml_node_t *yamldoc_node(yaml_document_t *d, int id);

/* A scalar's text, NULL for other nodes. */
const char *yd_scalar(const yaml_node_t *n);
/* A plain null (~, null, empty). */
bool yd_is_null(const yaml_node_t *n);
/* The 1-based line of n. */
int yd_line(const yaml_node_t *n);
/* The value of key in mapping map, NULL when absent (or map is not one). */
yaml_node_t *yd_get(yaml_document_t *d, const yaml_node_t *map, const char *key);
/* 0 when every key of map is one of known (NULL-terminated); otherwise
 * -1 with yaml.v3's KnownFields text for the first other key:
 * "yaml: unmarshal errors:\n  line 4: field foo not found in type check.Check". */
int yd_known_keys(yaml_document_t *d, const yaml_node_t *map, const char *const *known, const char *type_name,
                  char *err, size_t errlen);
/* yaml.v3's text for a node of the wrong kind:
 * "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!seq into string". */
void yd_type_error(const yaml_node_t *n, const char *go_type, char *err, size_t errlen);
/* A scalar field into a malloc'd string: "" when absent or null; -1 with
 * a type error when it is not a scalar. */
int yd_string(yaml_document_t *d, const yaml_node_t *map, const char *key, char **out, char *err, size_t errlen);
/* An integer field (Go int): 0 when absent; -1 on a type error. */
int yd_int(yaml_document_t *d, const yaml_node_t *map, const char *key, long long *out, char *err, size_t errlen);

#endif
