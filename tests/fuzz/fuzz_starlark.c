/* fuzz_starlark: libFuzzer target of the Starlark interpreter. An input is
 * a script: it is lexed, parsed, resolved, compiled and run with step and
 * memory limits, and, if it defines them, check_context(docs, context) is
 * called with recorded-style query rows and PMM's context (as checksd
 * will) and main() with no arguments. Any crash, leak, sanitizer report
 * or hang is a bug; script errors are expected results.
 * tests/unit/test_starlark_fuzz.c replays the seed corpus through this
 * same function. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "starlark/pmm.h"
#include "starlark/starlark.h"

static sl_value fuzz_docs(sl_thread *t)
{
    sl_value docs = sl_list_new(t, 2);
    sl_value rows = sl_list_new(t, 2);
    sl_value row = sl_dict_new(t);
    sl_dict_set_str(t, row, "name", sl_str_c(t, "fsync"));
    sl_dict_set_str(t, row, "setting", sl_str_c(t, "off"));
    sl_list_append(t, rows, row);
    row = sl_dict_new(t);
    sl_dict_set_str(t, row, "Variable_name", sl_str_c(t, "version"));
    sl_dict_set_str(t, row, "Value", sl_str_c(t, "8.0.36-28"));
    sl_dict_set_str(t, row, "count", sl_int(3));
    sl_dict_set_str(t, row, "ratio", sl_float(0.25));
    sl_dict_set_str(t, row, "none", sl_none());
    sl_list_append(t, rows, row);
    sl_list_append(t, docs, rows);
    sl_list_append(t, docs, sl_list_new(t, 0));
    sl_freeze(t, docs);
    return docs;
}

static void use_error(sl_thread *t)
{
    const sl_error *e = sl_last_error(t);
    /* the error must be well formed: reading it must not fault */
    volatile size_t n = strlen(e->msg) + strlen(e->file) + strlen(e->backtrace);
    (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    sl_options o = {0};
    o.max_steps = 50000;
    o.max_memory = 64u << 20;
    sl_thread *t = sl_thread_new(&o);
    if (!t)
        return 0;
    sl_pmm_predeclare(t);
    sl_module *m = sl_exec(t, "fuzz.star", (const char *)data, size);
    if (!m) {
        use_error(t);
    } else {
        sl_value fn;
        if (sl_module_get(m, "check_context", &fn)) {
            sl_value args[2] = {fuzz_docs(t), sl_pmm_context(t)};
            sl_value r = sl_call(t, fn, args, 2);
            if (sl_is_error(r)) {
                use_error(t);
            } else {
                free(sl_repr(t, r));
                free(sl_tostr(t, r));
            }
        }
        if (sl_module_get(m, "main", &fn)) {
            sl_value r = sl_call(t, fn, NULL, 0);
            if (sl_is_error(r))
                use_error(t);
            else
                free(sl_repr(t, r));
        }
    }
    sl_thread_free(t);
    return 0;
}
