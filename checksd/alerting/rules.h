/* rules: the vmalert rules file of the rules made from templates
 * (CreateRule). Upstream makes each a Grafana-managed rule in a folder's
 * group; here every group becomes a vmalert rule group (evaluated every
 * minute, upstream's default evaluation interval) in one file configd
 * checks with `vmalert -dryRun` and loads. */
#ifndef CHECKSD_ALERTING_RULES_H
#define CHECKSD_ALERTING_RULES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The name configd gives the file: <vmalert rules dir>/pmm_alerting.yml. */
#define RULES_FILE_NAME "pmm_alerting"

typedef struct {
    const char *name, *group, *expr;
    int64_t for_ns;
    const json_t *labels, *annotations; /* objects of strings */
} rule_spec;

/* The whole file, groups in the order their first rule comes, each
 * group's rules in order, every group evaluated each interval ("1m");
 * "" (no groups) when n is 0. malloc'd, NULL on ENOMEM. */
char *rules_render_file(const rule_spec *v, size_t n, const char *interval);

/* A vmalert/MetricsQL duration for ns ("300s", "1500ms"). */
void rules_duration(int64_t ns, char *out, size_t outlen);

#endif
