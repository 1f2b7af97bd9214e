/* script: one check script run (advisors reference §4-§6), the part the
 * sandboxed child process (child.c) executes and the unit tests call
 * directly. The request and the answer are msgpack:
 *   request  {"version": 1|2, "name": s, "script": s, "results": [r, ...]}
 *            one r per query in file order: a list of rows/documents, or
 *            for POSTGRESQL_SELECT with all_dbs a map db -> list;
 *   answer   {"results": [{"summary", "description", "read_more_url",
 *             "severity": 1..8, "labels": {k: v}}], "error": s, "print": s}
 * The script gets parse_version and format_version_num as globals and
 * check_context(docs, context): docs frozen, the first result alone for
 * version 1, the list of all for version 2. */
#ifndef CHECKSD_SCRIPT_H
#define CHECKSD_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

typedef struct {
    char *summary, *description, *read_more_url;
    int severity; /* management.v1.Severity: 1 emergency .. 8 debug */
    char **label_keys, **label_values;
    size_t n_labels;
} script_result;

typedef struct {
    script_result *results;
    size_t n;
    char *error;  /* NULL when the script ran and its results are valid */
    char *print;  /* what print() wrote ("" when nothing) */
} script_output;

/* Limits of the interpreter itself (the child adds rlimits). */
typedef struct {
    size_t max_memory; /* bytes of live Starlark objects; 0: none */
    uint64_t max_steps; /* 0: none */
} script_limits;

/* Packs a request. results[i] are packed objects (msgpack bytes). */
int script_request_pack(msgpack_sbuffer *out, int version, const char *name, const char *script,
                        const msgpack_sbuffer *const *results, size_t n_results);

/* Runs the request in this process and packs the answer into out (a
 * script failure is an answer with "error"). -1 only when out cannot be
 * written (ENOMEM). */
int script_run(const char *req, size_t len, const script_limits *lim, msgpack_sbuffer *out);

/* Reads an answer; 0, or -1 when it is not one (o->error then says so). */
int script_output_parse(const char *buf, size_t len, script_output *o);
void script_output_clear(script_output *o);
void script_result_clear(script_result *r);

/* "emergency" .. "debug" (case-insensitive) -> 1..8; 0 when unknown. */
int severity_parse(const char *s, size_t len);
const char *severity_name(int sev); /* "emergency" .. "debug", "unknown" */

#endif
