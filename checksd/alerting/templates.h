/* templates: Percona Alerting rule templates (advisors reference §10.2,
 * percona/saas pkg/alert/template.go): the YAML form (`templates:` list;
 * name, version 1, summary, expr with [[ .param ]] placeholders, params,
 * for, severity, labels, annotations, optional category and tiers),
 * parsed strictly (unknown fields and invalid templates are errors), and
 * the checks each source adds: built-in files (exactly one template named
 * pmm_*, the file named after it without pmm_, exactly the summary and
 * description annotations), user templates (files or the API: no pmm_ or
 * saas_ prefix, expr test-rendered with dummy parameters). */
#ifndef CHECKSD_ALERTING_TEMPLATES_H
#define CHECKSD_ALERTING_TEMPLATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* alerting.v1.TemplateSource numbers; stored as built_in, saas,
 * user_file, user_api. */
typedef enum { SOURCE_UNSPECIFIED = 0, SOURCE_BUILT_IN = 1, SOURCE_SAAS = 2, SOURCE_USER_FILE = 3, SOURCE_USER_API = 4 } template_source;

typedef enum { PARAM_FLOAT, PARAM_BOOL, PARAM_STRING } param_type;

typedef struct {
    char *name, *summary;
    char *unit;             /* "", "%" or "s" */
    param_type type;
    bool has_min, has_max, has_default;
    double min, max, def;   /* float parameters */
    char *value_text;       /* the value as written (bool and string parameters) */
} template_param;

typedef struct {
    char *name, *summary, *expr, *category;
    int version;
    template_param *params;
    size_t n_params;
    int64_t for_ns;
    int severity;           /* 1 emergency .. 8 debug */
    char **label_keys, **label_values;
    size_t n_labels;
    char **annotation_keys, **annotation_values;
    size_t n_annotations;
    template_source source;
    char *yaml;             /* the text it came from */
    int64_t created_at_us;  /* API templates; 0 for the others */
} alert_template;

void alert_template_clear(alert_template *t);
/* Deep copy; 0 or -1 (ENOMEM). */
int alert_template_copy(alert_template *dst, const alert_template *src);

/* Parses every template of text (one or more documents). 0 with *out (n),
 * or -1 with the reason in err (yaml.v3's texts for YAML, the template's
 * validation text otherwise). */
int templates_parse(const char *text, size_t len, alert_template **out, size_t *n, char *err, size_t errlen);
void templates_free(alert_template *v, size_t n);

/* validateUserTemplate: the prefix rule, then expr rendered with dummy
 * parameters. 0, or -1 with the text (no trailing period). */
int templates_validate_user(const alert_template *t, char *err, size_t errlen);
/* The built-in file rules (loadTemplatesFromAssets) for a file at path
 * holding n templates. 0, or -1 with the text. */
int templates_validate_builtin(const char *path, const alert_template *v, size_t n, char *err, size_t errlen);

/* "built_in", "saas", "user_file", "user_api". */
const char *template_source_name(template_source s);
int template_source_parse(const char *s);

#endif
