/* docs: query results into what a check script gets (advisors reference
 * §4): each query's result packed as one msgpack object (script.h), from
 * a pmm-agent's QueryActionResult (SQL columns and rows become a list of
 * dicts, MongoDB documents a list of dicts; bytes become strings,
 * timestamps Unix seconds) or from JSON (VictoriaMetrics answers, tests'
 * recorded results). Nesting deeper than DOCS_MAX_DEPTH becomes None. */
#ifndef CHECKSD_DOCS_H
#define CHECKSD_DOCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <msgpack.h>

#define DOCS_MAX_DEPTH 30

/* Packs j into out; numbers_as_float: every JSON number becomes a float
 * (as Go's encoding/json decodes into interface{}). 0 or -1. */
int docs_from_json(const json_t *j, bool numbers_as_float, msgpack_sbuffer *out);
/* Packs a serialized agent.v1.QueryActionResult. 0, or -1 with err. */
int docs_from_query_result(const uint8_t *buf, size_t len, msgpack_sbuffer *out, char *err, size_t errlen);

#endif
