/* internal: object layouts, the thread, and the helpers the interpreter's
 * files share. Not for the host (starlark.h is the API). */
#ifndef SL_INTERNAL_H
#define SL_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "starlark.h"

#define SL_LIKELY(x) __builtin_expect(!!(x), 1)
#define SL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Every heap value starts with this header. `next` links all objects of a
 * thread for the sweep; `frozen` is Starlark's freeze bit; `itercount`
 * counts for-loops over a mutable list/dict/set in progress (mutation is
 * then an error, as in starlark-go). */
typedef struct sl_obj {
    struct sl_obj *next;
    uint8_t kind;
    uint8_t mark;
    uint8_t frozen;
    uint8_t flags;
    uint32_t itercount;
} sl_obj;

#define SL_OBJ_INTERNED 1 /* sl_string: in the thread's intern table */
#define SL_OBJ_POOLED 2   /* in a pool chunk (heap.c), swept chunk by chunk */

typedef struct sl_string {
    sl_obj h;
    uint32_t hash; /* 0: not computed yet */
    uint32_t pad;
    size_t len;
    char data[]; /* len bytes + NUL */
} sl_string;

typedef struct sl_list {
    sl_obj h;
    size_t len, cap;
    sl_value *items;
} sl_list;

typedef struct sl_tuple {
    sl_obj h;
    size_t len;
    sl_value items[];
} sl_tuple;

/* Insertion-ordered hash table of dicts and sets: entries in order (a
 * deleted entry has key.kind == SL_INVALID), plus an open-addressing index
 * of entry numbers once the table outgrows a linear scan. */
typedef struct sl_htentry {
    sl_value key;
    sl_value val;
    uint32_t hash;
} sl_htentry;

typedef struct sl_ht {
    sl_htentry *entries;
    uint32_t used;  /* entries[0..used) written, deleted ones included */
    uint32_t cap;   /* entries allocated */
    uint32_t len;   /* live entries */
    uint32_t mask;  /* index size - 1, 0 without an index */
    int32_t *index; /* -1: empty slot */
} sl_ht;

typedef struct sl_dict {
    sl_obj h;
    sl_ht ht;
} sl_dict; /* also the set (kind SL_SET, values unused) */

typedef struct sl_cell {
    sl_obj h;
    sl_value v;
} sl_cell;

typedef struct sl_range {
    sl_obj h;
    int64_t start, stop, step, len;
} sl_range;

enum { SL_ELEMS, SL_ELEM_ORDS, SL_CODEPOINTS, SL_CODEPOINT_ORDS };
typedef struct sl_striter {
    sl_obj h;
    sl_value s;
    int mode;
} sl_striter;

typedef struct sl_builtinobj {
    sl_obj h;
    const char *name;
    sl_cfunc fn;
    void *ud;
    sl_value self; /* bound method receiver, or kind SL_INVALID */
    char *owned;   /* name storage when the host gave it */
} sl_builtinobj;

struct sl_funcode;
struct sl_module;

typedef struct sl_function {
    sl_obj h;
    struct sl_funcode *code;
    struct sl_module *module;
    sl_value *defaults; /* code->ndefaults, kind SL_INVALID = mandatory */
    sl_value *freevars; /* code->nfree cells */
    sl_value data[];
} sl_function;

/* ---- compiled code --------------------------------------------------- */

typedef struct sl_posent {
    uint32_t pc;
    uint32_t line, col;
} sl_posent;

typedef struct sl_funcode {
    struct sl_program *prog;
    char *name;
    int line, col; /* the def / lambda */
    uint32_t *code;
    size_t ncode;
    sl_posent *pos; /* ascending pc */
    size_t npos;
    int nlocals;
    sl_value *localnames; /* interned strings, nlocals */
    int nparams;          /* ordinary parameters (not the * and ** ones) */
    int nkwonly;
    bool varargs, kwargs;
    int ndefaults;
    int *cells; /* locals that are captured, spilled to cells at entry */
    int ncells;
    int nfree;
    sl_value *freenames; /* interned strings, nfree */
    int maxstack;
    int active; /* calls in progress, for the recursion check */
} sl_funcode;

typedef struct sl_program {
    char *filename;
    sl_value *consts;
    size_t nconsts;
    sl_funcode **funcs; /* funcs[0] is the module's top level */
    size_t nfuncs;
    sl_value *globalnames; /* interned strings */
    size_t nglobals;
} sl_program;

struct sl_module {
    sl_program *prog;
    sl_value *globals; /* kind SL_INVALID: not yet assigned */
    struct sl_module *next;
};

/* ---- the thread ------------------------------------------------------ */

typedef struct sl_frame {
    sl_funcode *code;
    sl_function *fn;
    sl_value *locals;
    sl_value *sp;        /* operand stack top, saved across calls */
    const uint32_t *pc;  /* next instruction, saved across calls */
    size_t iter_base;    /* t->iters depth at entry */
    bool entry;          /* returning from it leaves this vm_run */
} sl_frame;

#define SL_STACK_SLOTS (1u << 16)
#define SL_MAX_FRAMES 1024

struct sl_thread {
    sl_options opts;
    /* heap */
    sl_obj *objects;
    size_t bytes;      /* allocated, live or not */
    size_t next_gc;    /* collect at the next safe point past this */
    size_t live;       /* after the last collection */
    int gc_inhibit;    /* >0 while C code holds unrooted values */
    bool oom;
    void *pool_free[16]; /* free small objects by 16-byte size class */
    void *pool_chunks;   /* chunks the small objects are carved from */
    size_t pool_slots;   /* pooled objects not on the `objects` list */
    char *pool_next, *pool_end;
    /* the value stack and frames */
    sl_value *stack, *stack_end;
    sl_frame *frames;
    int nframes;
    sl_obj **iters; /* mutable containers with a loop in progress */
    size_t niters, iters_cap;
    /* roots beside the stack */
    sl_value *pins;
    size_t npins, pins_cap;
    struct sl_module *modules;
    sl_program **progs;
    size_t nprogs, progs_cap;
    sl_dict *predeclared; /* name -> value */
    sl_dict *universe;
    /* interned strings (identifiers, attribute names, constants) */
    sl_string **intern;
    size_t intern_len, intern_cap;
    /* limits */
    uint64_t steps, max_steps;
    /* the last error */
    char *err_msg;
    char *err_file;
    char *err_bt;
    const char *err_builtin; /* name of the failing builtin, if any */
    sl_error err;
    bool err_has_pos;
};

/* ---- value helpers ---------------------------------------------------- */

#define SL_ERR ((sl_value){.kind = SL_INVALID})
#define SL_NONEV ((sl_value){.kind = SL_NONE})

static inline sl_value sl_mkint(int64_t i)
{
    sl_value v = {.kind = SL_INT};
    v.u.i = i;
    return v;
}
static inline sl_value sl_mkfloat(double f)
{
    sl_value v = {.kind = SL_FLOAT};
    v.u.f = f;
    return v;
}
static inline sl_value sl_mkbool(bool b)
{
    sl_value v = {.kind = SL_BOOL};
    v.u.i = b;
    return v;
}
static inline sl_value sl_mkobj(void *o)
{
    sl_value v;
    v.kind = ((sl_obj *)o)->kind;
    v.aux = 0;
    v.u.o = o;
    return v;
}
static inline bool sl_is_obj(sl_value v) { return v.kind >= SL_STRING; }

#define SL_STR(v) ((sl_string *)(v).u.o)
#define SL_LIST_(v) ((sl_list *)(v).u.o)
#define SL_TUPLE_(v) ((sl_tuple *)(v).u.o)
#define SL_DICT_(v) ((sl_dict *)(v).u.o)
#define SL_FUNC(v) ((sl_function *)(v).u.o)
#define SL_BUILTIN_(v) ((sl_builtinobj *)(v).u.o)
#define SL_RANGE_(v) ((sl_range *)(v).u.o)
#define SL_CELL_(v) ((sl_cell *)(v).u.o)

/* ---- heap.c ---------------------------------------------------------- */

void *sl_alloc(sl_thread *t, sl_kind kind, size_t size);
void *sl_xmalloc(sl_thread *t, size_t size); /* plain memory, counted */
void *sl_xrealloc(sl_thread *t, void *p, size_t old, size_t size);
void sl_xfree(sl_thread *t, void *p, size_t size);
void sl_gc(sl_thread *t);
/* At a safe point (every live value is on the stack or rooted). */
static inline bool sl_gc_due(const sl_thread *t) { return t->bytes > t->next_gc && t->gc_inhibit == 0; }
void sl_free_all(sl_thread *t);
void sl_freeze_value(sl_value v);

/* ---- errors (api.c) --------------------------------------------------- */

sl_value sl_verrorf(sl_thread *t, const char *fmt, va_list ap);
/* Prefixes the pending message: "name: msg". */
void sl_error_prefix(sl_thread *t, const char *prefix);
void sl_set_error_pos(sl_thread *t, const char *file, int line, int col);

/* ---- strings (str.c) -------------------------------------------------- */

sl_value sl_str_new(sl_thread *t, const char *s, size_t len);
/* An uninitialized string of len bytes to fill before use. */
sl_string *sl_str_alloc(sl_thread *t, size_t len);
sl_value sl_str_concat(sl_thread *t, sl_value a, sl_value b);
sl_value sl_intern(sl_thread *t, const char *s, size_t len);
uint32_t sl_str_hash(sl_string *s);
static inline bool sl_str_eq(sl_string *a, sl_string *b)
{
    if (a == b)
        return true;
    if (a->len != b->len)
        return false;
    if (a->hash && b->hash && a->hash != b->hash)
        return false;
    return memcmp(a->data, b->data, a->len) == 0;
}
bool sl_str_eqc(sl_value v, const char *s);

/* A growable byte buffer for building strings; short strings stay in
 * the inline array (no malloc). Initialize with {0}; use in place. */
typedef struct sl_buf {
    char *p;
    size_t len, cap;
    bool oom;
    char inl[112];
} sl_buf;
/* The contents as a malloc'd C string (the caller frees); b is reset. */
char *sl_buf_take(sl_buf *b);
void sl_buf_put(sl_buf *b, const char *s, size_t n);
void sl_buf_putc(sl_buf *b, char c);
void sl_buf_puts(sl_buf *b, const char *s);
void sl_buf_printf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_buf_rune(sl_buf *b, uint32_t r);
void sl_buf_int(sl_buf *b, int64_t i);
sl_value sl_buf_finish(sl_thread *t, sl_buf *b); /* frees b's memory */
void sl_buf_free(sl_buf *b);

/* UTF-8: decodes one rune at s[0..n), sets *size (1 for an invalid byte,
 * returning 0xFFFD). */
uint32_t sl_utf8_decode(const char *s, size_t n, int *size);
uint32_t sl_utf8_decode_last(const char *s, size_t n, int *size);
int sl_utf8_encode(uint32_t r, char out[4]);
size_t sl_utf8_count(const char *s, size_t n);
bool sl_rune_isspace(uint32_t r);
bool sl_rune_isdigit(uint32_t r);
bool sl_rune_isletter(uint32_t r);
bool sl_rune_isupper(uint32_t r);
bool sl_rune_islower(uint32_t r);
uint32_t sl_rune_toupper(uint32_t r);
uint32_t sl_rune_tolower(uint32_t r);
bool sl_rune_isprint(uint32_t r);
/* Appends the Starlark quoted form of s (repr). */
void sl_quote(sl_buf *b, const char *s, size_t len);

/* ---- values (value.c) ------------------------------------------------- */

const char *sl_kind_name(sl_value v);
bool sl_truthy(sl_value v);
/* 0 ok, -1 error (unhashable). */
int sl_hash(sl_thread *t, sl_value v, uint32_t *h);
/* Comparison ops for sl_compare. */
enum { SL_CMP_EQ, SL_CMP_NE, SL_CMP_LT, SL_CMP_LE, SL_CMP_GT, SL_CMP_GE };
/* 1 true, 0 false, -1 error. */
int sl_compare(sl_thread *t, int op, sl_value x, sl_value y, int depth);
int sl_equal(sl_thread *t, sl_value x, sl_value y);
/* Appends repr (quote strings) or str form. path guards list/dict cycles. */
void sl_write_value(sl_buf *b, sl_value v, bool repr);
/* str(v) as a value; v itself when it is a string. */
sl_value sl_str_of(sl_thread *t, sl_value v);
long sl_length(sl_value v);
/* Int of a Starlark int within [INT32_MIN, INT32_MAX] as starlark-go's
 * AsInt32: "got T, want int" / "N out of range". 0 ok, -1 error. */
int sl_as_int32(sl_thread *t, sl_value v, int64_t *out);
void sl_format_float(sl_buf *b, double f, char conv);

/* ---- collections (list.c, dict.c) ------------------------------------- */

sl_value sl_list_from(sl_thread *t, const sl_value *items, size_t n);
int sl_list_push(sl_thread *t, sl_list *l, sl_value v);
int sl_list_reserve(sl_thread *t, sl_list *l, size_t n);
/* "cannot <verb> frozen list" / "cannot <verb> list during iteration". */
int sl_list_check_mutable(sl_thread *t, sl_list *l, const char *verb);
sl_value sl_tuple_alloc(sl_thread *t, size_t n);
sl_value sl_dict_alloc(sl_thread *t, sl_kind kind);
/* 1 found, 0 absent, -1 error. */
int sl_ht_get(sl_thread *t, sl_dict *d, sl_value key, sl_value *val);
int sl_ht_set(sl_thread *t, sl_dict *d, sl_value key, sl_value val);
int sl_ht_del(sl_thread *t, sl_dict *d, sl_value key, sl_value *old);
int sl_ht_clear(sl_thread *t, sl_dict *d);
int sl_ht_check_mutable(sl_thread *t, sl_dict *d, const char *verb);
/* Next live entry at or after *i; false at the end. */
static inline bool sl_ht_next(const sl_dict *d, uint32_t *i, sl_htentry **e)
{
    while (*i < d->ht.used) {
        sl_htentry *x = &d->ht.entries[(*i)++];
        if (x->key.kind != SL_INVALID) {
            *e = x;
            return true;
        }
    }
    return false;
}
sl_value sl_range_new(sl_thread *t, int64_t start, int64_t stop, int64_t step);
/* dict(x, **kw) / d.update(...): the caller prefixes errors. */
int sl_dict_update(sl_thread *t, sl_dict *d, const sl_value *args, int nargs, const sl_value *kw, int nkw);
/* A new set of the elements of iterable (kind SL_INVALID: empty). */
sl_value sl_set_of(sl_thread *t, sl_value iterable);
enum { SET_UNION, SET_INTERSECTION, SET_DIFFERENCE, SET_SYMDIFF };
/* x op y for a set x and a set (or, for the methods, an iterable) y. */
sl_value sl_set_op(sl_thread *t, int op, sl_value x, sl_value y);
sl_value sl_dict_union(sl_thread *t, sl_value x, sl_value y);
/* A builtin value for a method bound to self (self kind SL_INVALID: a
 * plain function). */
sl_value sl_builtin_bound(sl_thread *t, const char *name, sl_cfunc fn, sl_value self);

/* Iteration over any iterable, for builtins. */
typedef struct sl_iter {
    sl_value v;
    size_t i;
    size_t len;
    bool counted; /* itercount was raised */
    bool err;     /* next failed (out of memory), error set */
} sl_iter;
/* 0 ok; -1 with "<T> value is not iterable" when v is not iterable. */
int sl_iter_start(sl_thread *t, sl_iter *it, sl_value v);
bool sl_iter_next(sl_thread *t, sl_iter *it, sl_value *out);
void sl_iter_done(sl_iter *it);
bool sl_iterable(sl_value v);
/* Collects an iterable into a fresh list. */
sl_value sl_list_of_iterable(sl_thread *t, sl_value v);

/* ---- evaluation (eval.c, ops.c) -------------------------------------- */

sl_value sl_binary(sl_thread *t, int op, sl_value x, sl_value y);
sl_value sl_unary(sl_thread *t, int op, sl_value x);
sl_value sl_get_index(sl_thread *t, sl_value x, sl_value y);
int sl_set_index(sl_thread *t, sl_value x, sl_value y, sl_value z);
sl_value sl_slice(sl_thread *t, sl_value x, sl_value lo, sl_value hi, sl_value step);
int sl_slice_indices(sl_thread *t, sl_value lo, sl_value hi, int64_t len, int64_t *start, int64_t *end);
sl_value sl_get_attr(sl_thread *t, sl_value x, sl_value name);
/* Calls fn from C (builtins such as sorted). */
sl_value sl_call_value(sl_thread *t, sl_value fn, const sl_value *args, int nargs, const sl_value *kw, int nkw);
sl_value sl_run_toplevel(sl_thread *t, struct sl_module *m);

/* ---- builtins.c, methods ---------------------------------------------- */

void sl_universe_init(sl_thread *t);
/* Methods of the built-in types: tables sorted by name, NULL-terminated. */
typedef struct sl_method {
    const char *name;
    sl_cfunc fn;
} sl_method;
extern const sl_method sl_list_methods[], sl_dict_methods[], sl_set_methods[], sl_str_methods[];
const sl_method *sl_methods_of(sl_kind kind);
/* Index of name in sl_methods_of(kind), -1 if none. */
int sl_method_find(sl_kind kind, const char *name, size_t len);
/* Argument unpacking as starlark-go's UnpackPositionalArgs: fails unless
 * min <= nargs <= max and no keywords. */
int sl_check_args(sl_thread *t, const sl_callinfo *c, int min, int max);
/* Keyword-aware unpacking: names[] lists the parameters ("x", "base?"),
 * out[] receives values (kind SL_INVALID when absent). */
int sl_unpack_args(sl_thread *t, const sl_callinfo *c, const char *const *names, int n, sl_value *out);
/* "spell.Nearest": the closest candidate or NULL. */
const char *sl_nearest(const char *x, const char *const *cands, size_t n);
sl_value sl_interpolate(sl_thread *t, sl_value format, sl_value x);
sl_value sl_str_format(sl_thread *t, const sl_callinfo *c);
sl_value sl_sorted_list(sl_thread *t, sl_value *vals, size_t n, sl_value key, bool reverse);

#endif
