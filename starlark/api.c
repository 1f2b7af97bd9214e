/* api: the host interface of starlark.h: threads, errors, building and
 * reading values, executing modules and calling functions. */
#include <stdio.h>
#include <stdlib.h>

#include "syntax.h"

/* ---- errors -------------------------------------------------------------------------- */

static void set_msg(sl_thread *t, char *msg)
{
    free(t->err_msg);
    t->err_msg = msg;
    t->err.msg = msg ? msg : "out of memory";
    free(t->err_bt);
    t->err_bt = NULL;
    t->err.backtrace = t->err.msg;
}

sl_value sl_verrorf(sl_thread *t, const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    set_msg(t, msg);
    t->err_has_pos = false;
    t->err_builtin = NULL;
    t->err.file = "";
    t->err.line = t->err.col = 0;
    return SL_ERR;
}

sl_value sl_errorf(sl_thread *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_verrorf(t, fmt, ap);
    va_end(ap);
    return SL_ERR;
}

void sl_error_prefix(sl_thread *t, const char *prefix)
{
    char *msg = NULL;
    if (asprintf(&msg, "%s: %s", prefix, t->err_msg ? t->err_msg : "") < 0)
        return;
    set_msg(t, msg);
}

void sl_set_error_pos(sl_thread *t, const char *file, int line, int col)
{
    free(t->err_file);
    t->err_file = strdup(file ? file : "");
    t->err.file = t->err_file ? t->err_file : "";
    t->err.line = line;
    t->err.col = col;
    t->err_has_pos = true;
}

const sl_error *sl_last_error(const sl_thread *t) { return &t->err; }

/* ---- threads ---------------------------------------------------------------------------- */

sl_thread *sl_thread_new(const sl_options *opts)
{
    sl_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (opts)
        t->opts = *opts;
    t->max_steps = t->opts.max_steps;
    t->next_gc = 16u << 20;
    if (t->opts.max_memory && t->next_gc > t->opts.max_memory / 2)
        t->next_gc = t->opts.max_memory / 2;
    t->stack = calloc(SL_STACK_SLOTS, sizeof(sl_value));
    t->frames = calloc(SL_MAX_FRAMES, sizeof(sl_frame));
    t->err.msg = "";
    t->err.file = "";
    t->err.backtrace = "";
    if (!t->stack || !t->frames) {
        sl_thread_free(t);
        return NULL;
    }
    t->stack_end = t->stack + SL_STACK_SLOTS;
    sl_value d = sl_dict_alloc(t, SL_DICT);
    if (sl_is_error(d)) {
        sl_thread_free(t);
        return NULL;
    }
    t->predeclared = SL_DICT_(d);
    sl_universe_init(t);
    if (!t->universe) {
        sl_thread_free(t);
        return NULL;
    }
    return t;
}

void sl_thread_free(sl_thread *t)
{
    if (!t)
        return;
    sl_free_all(t);
    sl_module *m = t->modules;
    while (m) {
        sl_module *n = m->next;
        free(m->globals);
        free(m);
        m = n;
    }
    for (size_t i = 0; i < t->nprogs; i++)
        sl_program_free(t->progs[i]);
    free(t->progs);
    free(t->intern);
    free(t->pins);
    free(t->iters);
    free(t->stack);
    free(t->frames);
    free(t->err_msg);
    free(t->err_file);
    free(t->err_bt);
    free(t);
}

uint64_t sl_steps(const sl_thread *t) { return t->steps; }

void sl_set_max_steps(sl_thread *t, uint64_t max_steps)
{
    t->opts.max_steps = max_steps;
    t->max_steps = max_steps;
}

/* ---- host functions ------------------------------------------------------------------------- */

sl_value sl_builtin(sl_thread *t, const char *name, sl_cfunc fn, void *ud)
{
    sl_builtinobj *b = sl_alloc(t, SL_BUILTIN, sizeof(sl_builtinobj));
    if (!b)
        return SL_ERR;
    size_t n = strlen(name) + 1;
    b->owned = sl_xmalloc(t, n);
    if (!b->owned)
        return SL_ERR;
    memcpy(b->owned, name, n);
    b->name = b->owned;
    b->fn = fn;
    b->ud = ud;
    b->self = SL_ERR;
    b->h.frozen = 1;
    return sl_mkobj(b);
}

int sl_predeclare(sl_thread *t, const char *name, sl_value v)
{
    sl_value k = sl_intern(t, name, strlen(name));
    if (sl_is_error(k))
        return -1;
    sl_freeze_value(v);
    return sl_ht_set(t, t->predeclared, k, v);
}

/* ---- building values -------------------------------------------------------------------------- */

sl_value sl_none(void) { return SL_NONEV; }
sl_value sl_bool(bool b) { return sl_mkbool(b); }
sl_value sl_int(int64_t i) { return sl_mkint(i); }
sl_value sl_float(double f) { return sl_mkfloat(f); }
sl_value sl_strn(sl_thread *t, const char *s, size_t len) { return sl_str_new(t, s, len); }
sl_value sl_str_c(sl_thread *t, const char *s) { return sl_str_new(t, s, strlen(s)); }

sl_value sl_list_new(sl_thread *t, size_t cap)
{
    sl_value l = sl_list_from(t, NULL, 0);
    if (!sl_is_error(l) && cap && sl_list_reserve(t, SL_LIST_(l), cap) < 0)
        return SL_ERR;
    return l;
}

int sl_list_append(sl_thread *t, sl_value list, sl_value v)
{
    if (list.kind != SL_LIST) {
        sl_errorf(t, "append: got %s, want list", sl_kind_name(list));
        return -1;
    }
    if (sl_list_check_mutable(t, SL_LIST_(list), "append to") < 0)
        return -1;
    return sl_list_push(t, SL_LIST_(list), v);
}

sl_value sl_tuple_new(sl_thread *t, const sl_value *items, size_t n)
{
    sl_value tu = sl_tuple_alloc(t, n);
    if (!sl_is_error(tu) && n)
        memcpy(SL_TUPLE_(tu)->items, items, n * sizeof(sl_value));
    return tu;
}

sl_value sl_dict_new(sl_thread *t) { return sl_dict_alloc(t, SL_DICT); }

int sl_dict_set(sl_thread *t, sl_value dict, sl_value key, sl_value v)
{
    if (dict.kind != SL_DICT) {
        sl_errorf(t, "got %s, want dict", sl_kind_name(dict));
        return -1;
    }
    return sl_ht_set(t, SL_DICT_(dict), key, v);
}

int sl_dict_set_str(sl_thread *t, sl_value dict, const char *key, sl_value v)
{
    sl_value k = sl_str_c(t, key);
    if (sl_is_error(k))
        return -1;
    return sl_dict_set(t, dict, k, v);
}

sl_value sl_set_new(sl_thread *t) { return sl_dict_alloc(t, SL_SET); }

int sl_set_add(sl_thread *t, sl_value set, sl_value v)
{
    if (set.kind != SL_SET) {
        sl_errorf(t, "got %s, want set", sl_kind_name(set));
        return -1;
    }
    return sl_ht_set(t, SL_DICT_(set), v, SL_NONEV);
}

void sl_freeze(sl_thread *t, sl_value v)
{
    (void)t;
    sl_freeze_value(v);
}

void sl_pin(sl_thread *t, sl_value v)
{
    if (!sl_is_obj(v))
        return;
    if (t->npins == t->pins_cap) {
        size_t cap = t->pins_cap ? t->pins_cap * 2 : 16;
        sl_value *p = realloc(t->pins, cap * sizeof *p);
        if (!p)
            return;
        t->pins = p;
        t->pins_cap = cap;
    }
    t->pins[t->npins++] = v;
}

void sl_unpin(sl_thread *t, sl_value v)
{
    for (size_t i = t->npins; i-- > 0;)
        if (t->pins[i].u.o == v.u.o && t->pins[i].kind == v.kind) {
            t->pins[i] = t->pins[--t->npins];
            return;
        }
}

/* ---- reading values ----------------------------------------------------------------------------- */

const char *sl_type_name(sl_value v) { return sl_kind_name(v); }
bool sl_truth(sl_value v) { return sl_truthy(v); }

int64_t sl_as_int(sl_value v) { return (v.kind == SL_INT || v.kind == SL_BOOL) ? v.u.i : 0; }

double sl_as_float(sl_value v)
{
    if (v.kind == SL_FLOAT)
        return v.u.f;
    if (v.kind == SL_INT)
        return (double)v.u.i;
    return 0;
}

const char *sl_str(sl_value v, size_t *len)
{
    if (v.kind != SL_STRING) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = SL_STR(v)->len;
    return SL_STR(v)->data;
}

long sl_len(sl_value v) { return sl_length(v); }

sl_value sl_index(sl_value seq, size_t i)
{
    if (seq.kind == SL_LIST && i < SL_LIST_(seq)->len)
        return SL_LIST_(seq)->items[i];
    if (seq.kind == SL_TUPLE && i < SL_TUPLE_(seq)->len)
        return SL_TUPLE_(seq)->items[i];
    return SL_ERR;
}

bool sl_dict_entry(sl_value dict, size_t i, sl_value *key, sl_value *val)
{
    if (dict.kind != SL_DICT && dict.kind != SL_SET)
        return false;
    uint32_t pos = 0;
    sl_htentry *e;
    size_t n = 0;
    while (sl_ht_next(SL_DICT_(dict), &pos, &e)) {
        if (n++ == i) {
            if (key)
                *key = e->key;
            if (val)
                *val = e->val;
            return true;
        }
    }
    return false;
}

bool sl_dict_get_str(sl_value dict, const char *key, sl_value *val)
{
    if (dict.kind != SL_DICT)
        return false;
    size_t n = strlen(key);
    uint32_t pos = 0;
    sl_htentry *e;
    while (sl_ht_next(SL_DICT_(dict), &pos, &e)) {
        if (e->key.kind == SL_STRING && SL_STR(e->key)->len == n && memcmp(SL_STR(e->key)->data, key, n) == 0) {
            if (val)
                *val = e->val;
            return true;
        }
    }
    return false;
}

static char *printed(sl_value v, bool repr)
{
    sl_buf b = {0};
    sl_write_value(&b, v, repr);
    return sl_buf_take(&b);
}

char *sl_repr(sl_thread *t, sl_value v)
{
    (void)t;
    return printed(v, true);
}

char *sl_tostr(sl_thread *t, sl_value v)
{
    (void)t;
    return printed(v, false);
}

/* ---- executing ---------------------------------------------------------------------------------- */

static bool is_predeclared(void *ud, const char *name)
{
    sl_thread *t = ud;
    sl_value k = sl_intern(t, name, strlen(name)), v;
    return !sl_is_error(k) && sl_ht_get(t, t->predeclared, k, &v) > 0;
}

static bool is_universal(void *ud, const char *name)
{
    sl_thread *t = ud;
    sl_value k = sl_intern(t, name, strlen(name)), v;
    return !sl_is_error(k) && sl_ht_get(t, t->universe, k, &v) > 0;
}

/* Parses, resolves and compiles; NULL with the error set. setjmp: the
 * values used after a longjmp live in memory (volatile). */
static sl_program *compile_source(sl_thread *t, const char *file, const char *src, size_t len)
{
    sl_thread *volatile vt = t;
    const char *volatile filename = file;
    sl_arena *arena = sl_arena_new();
    sl_diag *diag = arena ? sl_arena_alloc(arena, sizeof *diag) : NULL;
    if (!diag) {
        sl_arena_free(arena);
        sl_errorf(t, "out of memory");
        return NULL;
    }
    sl_arena *volatile varena = arena;
    diag->file = file;
    if (setjmp(diag->jb)) {
        sl_thread *tt = vt;
        sl_errorf(tt, "%s", diag->msg);
        sl_set_error_pos(tt, filename, diag->line, diag->col);
        free(tt->err_bt);
        if (asprintf(&tt->err_bt, "%s:%d:%d: %s", filename, diag->line, diag->col, diag->msg) < 0)
            tt->err_bt = NULL;
        tt->err.backtrace = tt->err_bt ? tt->err_bt : tt->err.msg;
        sl_arena_free(varena);
        return NULL;
    }
    sl_file *f = sl_parse(src, len, arena, diag);
    sl_resolved *res = sl_resolve(f, arena, diag, is_predeclared, is_universal, t);
    sl_program *prog = sl_compile(t, file, f, res, diag);
    sl_arena_free(arena);
    if (!prog)
        sl_errorf(t, "out of memory");
    return prog;
}

sl_module *sl_exec(sl_thread *t, const char *filename, const char *src, size_t len)
{
    if (!filename)
        filename = "<script>";
    if (t->nprogs == t->progs_cap) {
        size_t cap = t->progs_cap ? t->progs_cap * 2 : 4;
        sl_program **p = realloc(t->progs, cap * sizeof *p);
        if (!p) {
            sl_errorf(t, "out of memory");
            return NULL;
        }
        t->progs = p;
        t->progs_cap = cap;
    }
    sl_program *prog = compile_source(t, filename, src, len);
    if (!prog)
        return NULL;
    sl_module *m = calloc(1, sizeof *m);
    if (!m) {
        sl_errorf(t, "out of memory");
        return NULL;
    }
    m->prog = prog;
    m->globals = calloc(prog->nglobals + 1, sizeof(sl_value));
    if (!m->globals) {
        free(m);
        sl_errorf(t, "out of memory");
        return NULL;
    }
    m->next = t->modules;
    t->modules = m;
    sl_value r = sl_run_toplevel(t, m);
    if (sl_is_error(r))
        return NULL;
    /* module globals are frozen once the module has run */
    for (size_t i = 0; i < prog->nglobals; i++)
        sl_freeze_value(m->globals[i]);
    return m;
}

bool sl_module_get(const sl_module *m, const char *name, sl_value *v)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < m->prog->nglobals; i++) {
        sl_string *s = SL_STR(m->prog->globalnames[i]);
        if (s->len == n && memcmp(s->data, name, n) == 0 && m->globals[i].kind != SL_INVALID) {
            if (v)
                *v = m->globals[i];
            return true;
        }
    }
    return false;
}

sl_value sl_call(sl_thread *t, sl_value fn, const sl_value *args, size_t nargs)
{
    if (nargs > 255)
        return sl_errorf(t, "too many arguments (%zu)", nargs);
    return sl_call_value(t, fn, args, (int)nargs, NULL, 0);
}
