/* results: the latest advisor check results, in memory (lost on restart,
 * as upstream's), keyed by interval then check name (advisors reference
 * §7, upstream registry.go): a group run replaces that interval's
 * results, a run of named checks replaces those checks' results, a full
 * run replaces everything. Thread-safe. */
#ifndef CHECKSD_RESULTS_H
#define CHECKSD_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "script.h"

/* A script result with the target it is about. */
typedef struct {
    char *check_name, *advisor, *service_type;
    check_interval interval;      /* the check's effective interval at the run */
    char *service_id, *service_name;
    char **label_keys, **label_values; /* the target's labels */
    size_t n_labels;
    script_result r;
} check_result;

typedef struct {
    check_result *v;
    size_t n, cap;
} result_list;

void check_result_clear(check_result *r);
void result_list_clear(result_list *l);
/* Moves *r into l (r is zeroed). 0 or -1 (ENOMEM, r cleared). */
int result_list_take(result_list *l, check_result *r);

typedef enum { REPLACE_ALL, REPLACE_INTERVAL, REPLACE_CHECKS } replace_kind;

/* Replaces stored results by fresh (taken: fresh is emptied). For
 * REPLACE_INTERVAL, interval names the group; for REPLACE_CHECKS, names
 * (n_names) the checks that ran. */
void results_replace(replace_kind kind, check_interval interval, const char *const *names, size_t n_names,
                     result_list *fresh);

/* Calls fn on each stored result under the store's lock (fn must not
 * call back into results). */
void results_foreach(void (*fn)(const check_result *r, void *arg), void *arg);

/* Changes with every results_replace: lets a reader see a run ended. */
unsigned long results_generation(void);

/* Drops everything (tests). */
void results_reset(void);

#endif
