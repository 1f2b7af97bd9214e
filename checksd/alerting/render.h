/* render: Go text/template as upstream fills alert expressions, labels
 * and annotations (newParamTemplate: delimiters [[ ]], missingkey=error):
 * [[ .name ]] is the parameter's value, a missing one is an error with
 * Go's text; everything outside the delimiters, Grafana's {{ $labels.x }}
 * included, is kept. */
#ifndef CHECKSD_ALERTING_RENDER_H
#define CHECKSD_ALERTING_RENDER_H

#include <stddef.h>

/* text with [[ .k ]] replaced by values[k] (keys/values, n pairs);
 * malloc'd, or NULL with Go's error text in err. */
char *render_params(const char *text, const char *const *keys, const char *const *values, size_t n, char *err,
                    size_t errlen);

/* Go's fmt.Sprint of a float64 ("80", "0.5", "1e+21"). */
void render_float(double v, char *out, size_t outlen);

#endif
