/* promsel: PromQL series selectors, the language of an access-control
 * role's filter (`{service_type="mysql", environment=~"prod|stage"}`,
 * `up{job!="x"}`): an optional metric name, then optionally braces with
 * matchers `label op value` separated by commas (a trailing comma
 * allowed), op one of = != =~ !~, values quoted as PromQL strings ("..."
 * and '...' with Go's escapes, `...` raw). Whitespace may separate tokens.
 * A selector names a metric or has at least one matcher. Regular
 * expressions are not compiled here (VictoriaMetrics refuses a bad one).
 * It needs nothing of the tree but hex.h: the libFuzzer target
 * tests/fuzz/fuzz_promsel.c links this file alone. */
#ifndef PMM_PROMSEL_H
#define PMM_PROMSEL_H

#include <stddef.h>

#define PROMSEL_MAX_INPUT 16384
#define PROMSEL_MAX_MATCHERS 64

enum { PROMSEL_EQ, PROMSEL_NE, PROMSEL_RE, PROMSEL_NRE };

typedef struct {
    char *name;  /* label name; "__name__" for the metric name before braces */
    int op;      /* PROMSEL_* */
    char *value; /* unescaped, malloc'd (may hold any byte but NUL) */
} promsel_matcher;

typedef struct {
    promsel_matcher m[PROMSEL_MAX_MATCHERS];
    size_t n;
} promsel;

/* Parses s[0..len) as one series selector. Returns 0 with *out filled
 * (promsel_free it), or -1 with a short reason in err ("unexpected ','
 * at 7") and nothing to free. */
int promsel_parse(const char *s, size_t len, promsel *out, char *err, size_t errlen);
void promsel_free(promsel *p);

#endif
