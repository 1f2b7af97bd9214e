/* starlark: a Starlark interpreter in C (the dialect of PMM's check
 * scripts: google/starlark-go with floats and sets enabled, no while
 * loops, no top-level if/for, no global reassignment, no recursion),
 * with starlark-go's error texts.
 *
 * Ownership and lifetime
 *   - Everything belongs to one sl_thread: values, modules, builtins.
 *     sl_thread_free releases all of it at once.
 *   - Values are garbage collected (mark and sweep). A collection only
 *     happens inside sl_exec and sl_call (at loop heads and function
 *     entries); it keeps what is reachable from module globals, the
 *     predeclared names, the arguments of the calls in progress and the
 *     pinned values (sl_pin), and may free everything else. So build a
 *     call's arguments right before the call, or pin them; a value a call
 *     returns is valid until the next sl_exec/sl_call on the thread unless
 *     pinned. Outside those two calls nothing is ever freed.
 *   - Strings given to the API are copied; strings read back (sl_str) point
 *     into the value and live as long as it does.
 *
 * Threading
 *   - An sl_thread and everything it owns must be used by one OS thread at
 *     a time. Different sl_threads share no mutable state, so separate
 *     OS threads may each run their own sl_thread concurrently.
 *   - Values never move between sl_threads; convert through C data.
 *
 * Errors
 *   - Calls that can fail return an error value (sl_is_error) or NULL/-1;
 *     sl_last_error then describes it: the message (starlark-go's text),
 *     the innermost Starlark position (file:line:col) and a backtrace.
 *   - Execution limits: a step budget (one step per executed bytecode
 *     instruction, as starlark-go counts) and a memory budget on live
 *     objects; exceeding either is an ordinary error.
 */
#ifndef STARLARK_H
#define STARLARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The kind of a value (sl_kind_of). SL_INVALID is the error value. */
typedef enum sl_kind {
    SL_INVALID = 0,
    SL_NONE,
    SL_BOOL,
    SL_INT,
    SL_FLOAT,
    SL_STRING,
    SL_LIST,
    SL_TUPLE,
    SL_DICT,
    SL_SET,
    SL_FUNCTION,
    SL_BUILTIN,
    SL_RANGE,
    SL_STRITER, /* "abc".elems() and friends */
    SL_CELL,    /* internal: a captured variable */
    SL_NKINDS
} sl_kind;

struct sl_obj;

/* A value: 16 bytes, passed by value. Treat the fields as private and
 * use the functions below. */
typedef struct sl_value {
    uint32_t kind; /* sl_kind */
    uint32_t aux;
    union {
        int64_t i;
        double f;
        struct sl_obj *o;
    } u;
} sl_value;

typedef struct sl_thread sl_thread;
typedef struct sl_module sl_module;

typedef struct sl_options {
    uint64_t max_steps;  /* 0: unlimited */
    size_t max_memory;   /* bytes of live objects; 0: unlimited */
    bool allow_recursion; /* default false: "function f called recursively" */
    /* print(): called with the message; NULL discards it. */
    void (*print)(void *ud, const char *msg, size_t len);
    void *print_ud;
} sl_options;

typedef struct sl_error {
    const char *msg;       /* e.g. "key \"x\" not in dict" */
    const char *file;      /* innermost Starlark frame, "" if none */
    int line, col;         /* 0 when unknown */
    const char *backtrace; /* starlark-go's EvalError.Backtrace() form */
} sl_error;

/* ---- threads ---------------------------------------------------------- */

/* opts may be NULL (defaults). Returns NULL only when out of memory. */
sl_thread *sl_thread_new(const sl_options *opts);
void sl_thread_free(sl_thread *t);
/* The last error of t; valid until the next failing call. */
const sl_error *sl_last_error(const sl_thread *t);
/* Steps executed so far (all calls on t). */
uint64_t sl_steps(const sl_thread *t);
void sl_set_max_steps(sl_thread *t, uint64_t max_steps);

/* ---- host functions ----------------------------------------------------- */

/* What a host (or built-in) function receives. kw holds nkw (name,
 * value) pairs: kw[2*i] is a string, kw[2*i+1] its value. */
typedef struct sl_callinfo {
    const char *name;     /* the function's name */
    sl_value self;        /* receiver of a method, else None */
    const sl_value *args; /* positional arguments */
    int nargs;
    const sl_value *kw;
    int nkw;
    void *ud; /* user data given at registration */
} sl_callinfo;

/* Returns the result, or sl_errorf(...) on failure. It may build values
 * but must not keep pointers into args after it returns. */
typedef sl_value (*sl_cfunc)(sl_thread *t, const sl_callinfo *c);

/* A builtin value calling fn; name is copied. */
sl_value sl_builtin(sl_thread *t, const char *name, sl_cfunc fn, void *ud);
/* Predeclares a global visible to modules executed afterwards (as the
 * predeclared dict of starlark.ExecFile); v is frozen. Returns -1 on
 * error. */
int sl_predeclare(sl_thread *t, const char *name, sl_value v);
/* Fails the current host function: formats the message, records it on t
 * and returns the error value. */
sl_value sl_errorf(sl_thread *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- building values ---------------------------------------------------- */

sl_value sl_none(void);
sl_value sl_bool(bool b);
sl_value sl_int(int64_t i);
sl_value sl_float(double f);
/* Copies len bytes (UTF-8 expected, not checked). */
sl_value sl_strn(sl_thread *t, const char *s, size_t len);
sl_value sl_str_c(sl_thread *t, const char *s);
sl_value sl_list_new(sl_thread *t, size_t cap);
int sl_list_append(sl_thread *t, sl_value list, sl_value v);
sl_value sl_tuple_new(sl_thread *t, const sl_value *items, size_t n);
sl_value sl_dict_new(sl_thread *t);
/* -1 if the key is unhashable or the dict frozen (sl_last_error). */
int sl_dict_set(sl_thread *t, sl_value dict, sl_value key, sl_value v);
int sl_dict_set_str(sl_thread *t, sl_value dict, const char *key, sl_value v);
sl_value sl_set_new(sl_thread *t);
int sl_set_add(sl_thread *t, sl_value set, sl_value v);
/* Freezes v and everything reachable from it. */
void sl_freeze(sl_thread *t, sl_value v);
/* Keeps v (and what it reaches) alive across executions until unpinned. */
void sl_pin(sl_thread *t, sl_value v);
void sl_unpin(sl_thread *t, sl_value v);

/* ---- reading values ------------------------------------------------------ */

static inline sl_kind sl_kind_of(sl_value v) { return (sl_kind)v.kind; }
static inline bool sl_is_error(sl_value v) { return v.kind == SL_INVALID; }
/* Starlark's type(v): "int", "dict", ... */
const char *sl_type_name(sl_value v);
bool sl_truth(sl_value v);
int64_t sl_as_int(sl_value v);   /* ints and bools; 0 otherwise */
double sl_as_float(sl_value v);  /* floats and ints; 0 otherwise */
/* String bytes (not NUL-terminated in general: use len); NULL if not a string. */
const char *sl_str(sl_value v, size_t *len);
/* Length of a string, list, tuple, dict, set or range; -1 otherwise. */
long sl_len(sl_value v);
/* Element i of a list or tuple (no bounds check beyond an invalid value). */
sl_value sl_index(sl_value seq, size_t i);
/* Entry i (0 <= i < sl_len) of a dict in insertion order. */
bool sl_dict_entry(sl_value dict, size_t i, sl_value *key, sl_value *val);
/* dict[key] for a string key; false if absent or not a dict. */
bool sl_dict_get_str(sl_value dict, const char *key, sl_value *val);
/* repr(v) / str(v), malloc'd; the caller frees. */
char *sl_repr(sl_thread *t, sl_value v);
char *sl_tostr(sl_thread *t, sl_value v);

/* ---- executing ----------------------------------------------------------- */

/* Parses, resolves, compiles and runs src as a module, then freezes its
 * globals. NULL on error (sl_last_error: syntax errors carry their
 * position; runtime errors as for sl_call). */
sl_module *sl_exec(sl_thread *t, const char *filename, const char *src, size_t len);
/* A global of m; false if m does not define it. */
bool sl_module_get(const sl_module *m, const char *name, sl_value *v);
/* Calls fn with positional arguments; the error value on failure. */
sl_value sl_call(sl_thread *t, sl_value fn, const sl_value *args, size_t nargs);

#ifdef __cplusplus
}
#endif

#endif
