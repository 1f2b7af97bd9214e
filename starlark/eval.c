/* eval: the bytecode interpreter.
 *
 * One loop runs Starlark-to-Starlark calls without C recursion: a call
 * pushes a frame whose locals are the arguments already on the value
 * stack (no copying in the common case), a return pops it. C code that
 * calls back (host calls, sorted's key=) enters the loop anew with an
 * "entry" frame. Ints, floats, comparisons, locals, list/dict/range
 * iteration and method calls on the built-in types have fast paths here;
 * everything else goes through ops.c.
 *
 * Safe points (loop heads, function entries) are the only places the
 * collector runs, so that no C temporaries need rooting. Steps are
 * counted per executed instruction, as starlark-go does. */
#include <stdio.h>
#include <stdlib.h>

#include "opcodes.h"
#include "internal.h"

#define STACK_SLACK 16

/* ---- positions and backtraces ---------------------------------------------------------- */

static const sl_posent *pos_of(const sl_funcode *code, size_t pc)
{
    const sl_posent *best = NULL;
    size_t lo = 0, hi = code->npos;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (code->pos[mid].pc <= pc) {
            best = &code->pos[mid];
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return best;
}

static void frame_pos(const sl_frame *fr, int *line, int *col)
{
    size_t pc = (size_t)(fr->pc - fr->code->code);
    const sl_posent *p = pos_of(fr->code, pc ? pc - 1 : 0);
    *line = p ? (int)p->line : fr->code->line;
    *col = p ? (int)p->col : fr->code->col;
}

/* Records where the pending error happened (the innermost frame) and
 * starlark-go's backtrace, once per error. */
static void locate_error(sl_thread *t)
{
    if (t->err_has_pos || t->nframes == 0)
        return;
    const sl_frame *top = &t->frames[t->nframes - 1];
    int line, col;
    frame_pos(top, &line, &col);
    sl_set_error_pos(t, top->code->prog->filename, line, col);
    sl_buf b = {0};
    sl_buf_puts(&b, "Traceback (most recent call last):\n");
    for (int i = 0; i < t->nframes; i++) {
        const sl_frame *fr = &t->frames[i];
        frame_pos(fr, &line, &col);
        sl_buf_printf(&b, "  %s:%d:%d: in %s\n", fr->code->prog->filename, line, col, fr->code->name);
    }
    if (t->err_builtin)
        sl_buf_printf(&b, "Error in %s: %s", t->err_builtin, t->err_msg ? t->err_msg : "");
    else
        sl_buf_printf(&b, "Error: %s", t->err_msg ? t->err_msg : "");
    free(t->err_bt);
    t->err_bt = sl_buf_take(&b);
    t->err.backtrace = t->err_bt ? t->err_bt : "";
}

/* ---- frames ------------------------------------------------------------------------------------ */

static void pop_iters(sl_thread *t, size_t base)
{
    while (t->niters > base)
        t->iters[--t->niters]->itercount--;
}

static int push_iter(sl_thread *t, sl_obj *o)
{
    if (t->niters == t->iters_cap) {
        size_t cap = t->iters_cap ? t->iters_cap * 2 : 16;
        sl_obj **p = realloc(t->iters, cap * sizeof *p);
        if (!p) {
            sl_errorf(t, "out of memory");
            return -1;
        }
        t->iters = p;
        t->iters_cap = cap;
    }
    o->itercount++;
    t->iters[t->niters++] = o;
    return 0;
}

static int param_index(const sl_funcode *code, sl_value name)
{
    for (int i = 0; i < code->nparams; i++)
        if (code->localnames[i].u.o == name.u.o)
            return i;
    for (int i = 0; i < code->nparams; i++)
        if (sl_str_eq(SL_STR(code->localnames[i]), SL_STR(name)))
            return i;
    return -1;
}

/* Binds arguments to parameters as starlark-go's setArgs. */
static int bind_args(sl_thread *t, sl_function *fn, sl_value *locals, const sl_value *args, int nargs,
                     const sl_value *kw, int nkw)
{
    sl_funcode *code = fn->code;
    int nparams = code->nparams;
    int nonkwonly = nparams - code->nkwonly;
    for (int i = 0; i < code->nlocals; i++)
        locals[i] = SL_ERR;
    if (nparams == 0 && !code->varargs && !code->kwargs) {
        if (nargs + nkw > 0) {
            sl_errorf(t, "function %s accepts no arguments (%d given)", code->name, nargs + nkw);
            return -1;
        }
        return 0;
    }
    sl_dict *kwdict = NULL;
    int extra = nparams;
    if (code->varargs)
        extra++;
    if (code->kwargs) {
        sl_value d = sl_dict_alloc(t, SL_DICT);
        if (sl_is_error(d))
            return -1;
        kwdict = SL_DICT_(d);
        locals[extra] = d;
    }
    int n = nargs;
    if (nargs > nonkwonly) {
        if (!code->varargs) {
            sl_errorf(t, "function %s accepts %s%d positional argument%s (%d given)", code->name,
                      code->ndefaults > code->nkwonly ? "at most " : "", nonkwonly, nonkwonly == 1 ? "" : "s",
                      nargs);
            return -1;
        }
        n = nonkwonly;
    }
    for (int i = 0; i < n; i++)
        locals[i] = args[i];
    if (code->varargs) {
        sl_value tu = sl_tuple_alloc(t, (size_t)(nargs - n));
        if (sl_is_error(tu))
            return -1;
        for (int i = n; i < nargs; i++)
            SL_TUPLE_(tu)->items[i - n] = args[i];
        locals[nparams] = tu;
    }
    for (int i = 0; i < nkw; i++) {
        sl_value k = kw[2 * i], v = kw[2 * i + 1];
        int p = param_index(code, k);
        if (p >= 0) {
            if (locals[p].kind != SL_INVALID) {
                sl_errorf(t, "function %s got multiple values for parameter %s", code->name, SL_STR(k)->data);
                return -1;
            }
            locals[p] = v;
            continue;
        }
        if (!kwdict) {
            sl_errorf(t, "function %s got an unexpected keyword argument %s", code->name, SL_STR(k)->data);
            return -1;
        }
        uint32_t before = kwdict->ht.len;
        if (sl_ht_set(t, kwdict, k, v) < 0)
            return -1;
        if (kwdict->ht.len == before) {
            sl_errorf(t, "function %s got multiple values for parameter %s", code->name, SL_STR(k)->data);
            return -1;
        }
    }
    if (n < nparams || code->nkwonly > 0) {
        int m = nparams - code->ndefaults;
        sl_buf missing = {0};
        int nmissing = 0;
        int i;
        for (i = n; i < m; i++) {
            if (locals[i].kind == SL_INVALID) {
                if (nmissing++)
                    sl_buf_puts(&missing, ", ");
                sl_buf_puts(&missing, SL_STR(code->localnames[i])->data);
            }
        }
        for (; i < nparams; i++) {
            if (locals[i].kind != SL_INVALID)
                continue;
            sl_value d = fn->defaults[i - m];
            if (d.kind == SL_INVALID) {
                if (nmissing++)
                    sl_buf_puts(&missing, ", ");
                sl_buf_puts(&missing, SL_STR(code->localnames[i])->data);
                continue;
            }
            locals[i] = d;
        }
        if (nmissing) {
            sl_errorf(t, "function %s missing %d argument%s (%s)", code->name, nmissing, nmissing > 1 ? "s" : "",
                      missing.p ? missing.p : "");
            sl_buf_free(&missing);
            return -1;
        }
    }
    return 0;
}

/* Pushes a frame for fn. args (and kw pairs) are on the value stack;
 * `free` is the first slot nothing uses. */
static int enter_function(sl_thread *t, sl_function *fn, sl_value *args, int nargs, const sl_value *kw, int nkw,
                          sl_value *free_slot, bool entry)
{
    sl_funcode *code = fn->code;
    if (code->active > 0 && !t->opts.allow_recursion) {
        sl_errorf(t, "function %s called recursively", code->name);
        return -1;
    }
    if (t->nframes >= SL_MAX_FRAMES) {
        sl_errorf(t, "Starlark stack overflow");
        return -1;
    }
    sl_value *locals;
    bool fast = nkw == 0 && nargs == code->nparams && !code->varargs && !code->kwargs && args + nargs == free_slot;
    locals = fast ? args : free_slot;
    if (locals + code->nlocals + code->maxstack + STACK_SLACK > t->stack_end) {
        sl_errorf(t, "Starlark stack overflow");
        return -1;
    }
    if (fast) {
        for (int i = nargs; i < code->nlocals; i++)
            locals[i] = SL_ERR;
    } else if (bind_args(t, fn, locals, args, nargs, kw, nkw) < 0) {
        return -1;
    }
    for (int i = 0; i < code->ncells; i++) {
        sl_cell *c = sl_alloc(t, SL_CELL, sizeof(sl_cell));
        if (!c)
            return -1;
        c->v = locals[code->cells[i]];
        locals[code->cells[i]] = sl_mkobj(c);
    }
    sl_frame *fr = &t->frames[t->nframes++];
    fr->code = code;
    fr->fn = fn;
    fr->locals = locals;
    fr->sp = locals + code->nlocals;
    fr->pc = code->code;
    fr->iter_base = t->niters;
    fr->entry = entry;
    code->active++;
    return 0;
}

static void leave_frame(sl_thread *t)
{
    sl_frame *fr = &t->frames[t->nframes - 1];
    pop_iters(t, fr->iter_base);
    fr->code->active--;
    t->nframes--;
}

/* Lays out positional arguments and keyword pairs for a call with *args,
 * **kwargs or keywords, starting at dst. */
static int spread_args(sl_thread *t, sl_value *base, uint32_t argc, sl_value kwnames, sl_value *dst, int *nargs_out,
                       int *nkw_out)
{
    int npos = CALL_NPOS(argc), nkw = CALL_NKW(argc);
    sl_value *p = base + npos + nkw;
    sl_value star = SL_ERR, starstar = SL_ERR;
    if (argc & CALL_VARARGS)
        star = *p++;
    if (argc & CALL_KWARGS)
        starstar = *p++;
    sl_value *out = dst;
    for (int i = 0; i < npos; i++)
        *out++ = base[i];
    if (star.kind != SL_INVALID) {
        if (!sl_iterable(star)) {
            sl_errorf(t, "argument after * must be iterable, not %s", sl_kind_name(star));
            return -1;
        }
        sl_iter it;
        sl_iter_start(t, &it, star);
        sl_value v;
        while (sl_iter_next(t, &it, &v)) {
            if (out + 2 >= t->stack_end) {
                sl_iter_done(&it);
                sl_errorf(t, "Starlark stack overflow");
                return -1;
            }
            *out++ = v;
        }
        sl_iter_done(&it);
        if (it.err)
            return -1;
    }
    int nargs = (int)(out - dst);
    for (int i = 0; i < nkw; i++) {
        if (out + 3 >= t->stack_end) {
            sl_errorf(t, "Starlark stack overflow");
            return -1;
        }
        *out++ = SL_TUPLE_(kwnames)->items[i];
        *out++ = base[npos + i];
    }
    int kwcount = nkw;
    if (starstar.kind != SL_INVALID) {
        if (starstar.kind != SL_DICT) {
            sl_errorf(t, "argument after ** must be a mapping, not %s", sl_kind_name(starstar));
            return -1;
        }
        uint32_t i = 0;
        sl_htentry *e;
        while (sl_ht_next(SL_DICT_(starstar), &i, &e)) {
            if (e->key.kind != SL_STRING) {
                sl_errorf(t, "keywords must be strings, not %s", sl_kind_name(e->key));
                return -1;
            }
            if (out + 3 >= t->stack_end) {
                sl_errorf(t, "Starlark stack overflow");
                return -1;
            }
            *out++ = e->key;
            *out++ = e->val;
            kwcount++;
        }
    }
    *nargs_out = nargs;
    *nkw_out = kwcount;
    return 0;
}

/* ---- the interpreter loop ------------------------------------------------------------------------- */

static sl_value unbound_local(sl_thread *t, sl_value name)
{
    return sl_errorf(t, "local variable %s referenced before assignment", SL_STR(name)->data);
}

/* Runs from the top frame until the entry frame returns. */
static sl_value vm_run(sl_thread *t)
{
#ifdef __GNUC__
    static const void *const labels[OP_COUNT] = {
#define X(name, n) [OP_##name] = &&L_##name,
        SL_OPCODES(X)
#undef X
    };
#define CASE(name) L_##name:
#define NEXT()                                                                                                         \
    do {                                                                                                               \
        if (SL_UNLIKELY(++steps > max_steps))                                                                          \
            goto steps_exceeded;                                                                                       \
        goto *labels[*pc++];                                                                                           \
    } while (0)
#else
#error "a GNU C compatible compiler is required (computed goto)"
#endif

    sl_frame *fr;
    sl_funcode *code;
    const uint32_t *pc;
    sl_value *sp, *locals, *consts, *globals;
    uint64_t steps = t->steps, max_steps = t->max_steps ? t->max_steps : UINT64_MAX;
    sl_value x, y, z;
    sl_value result;

#define LOAD_FRAME()                                                                                                   \
    do {                                                                                                               \
        fr = &t->frames[t->nframes - 1];                                                                               \
        code = fr->code;                                                                                               \
        pc = fr->pc;                                                                                                   \
        sp = fr->sp;                                                                                                   \
        locals = fr->locals;                                                                                           \
        consts = code->prog->consts;                                                                                   \
        globals = fr->fn->module->globals;                                                                             \
    } while (0)
#define SAVE_FRAME()                                                                                                   \
    do {                                                                                                               \
        fr->pc = pc;                                                                                                   \
        fr->sp = sp;                                                                                                   \
    } while (0)
#define SAFE_POINT()                                                                                                   \
    do {                                                                                                               \
        if (SL_UNLIKELY(sl_gc_due(t))) {                                                                               \
            SAVE_FRAME();                                                                                              \
            sl_gc(t);                                                                                                  \
        }                                                                                                              \
    } while (0)
#define CHECK(v)                                                                                                       \
    do {                                                                                                               \
        if (SL_UNLIKELY((v).kind == SL_INVALID))                                                                       \
            goto error;                                                                                                \
    } while (0)

    LOAD_FRAME();
    SAFE_POINT();
    NEXT();

    CASE(NOP) { NEXT(); }
    CASE(POP) { sp--; NEXT(); }
    CASE(DUP) { sp[0] = sp[-1]; sp++; NEXT(); }
    CASE(DUP2) { sp[0] = sp[-2]; sp[1] = sp[-1]; sp += 2; NEXT(); }
    CASE(EXCH) { x = sp[-1]; sp[-1] = sp[-2]; sp[-2] = x; NEXT(); }
    CASE(CONST) { *sp++ = consts[*pc++]; NEXT(); }
    CASE(NONE) { *sp++ = SL_NONEV; NEXT(); }
    CASE(TRUE) { *sp++ = sl_mkbool(true); NEXT(); }
    CASE(FALSE) { *sp++ = sl_mkbool(false); NEXT(); }
    CASE(MANDATORY) { *sp++ = SL_ERR; NEXT(); }
    CASE(LOCAL) {
        x = locals[*pc++];
        if (SL_UNLIKELY(x.kind == SL_INVALID)) {
            unbound_local(t, code->localnames[pc[-1]]);
            goto error;
        }
        *sp++ = x;
        NEXT();
    }
    CASE(LOCAL_LOCAL) {
        x = locals[pc[0]];
        y = locals[pc[1]];
        pc += 2;
        if (SL_UNLIKELY(x.kind == SL_INVALID || y.kind == SL_INVALID)) {
            unbound_local(t, code->localnames[x.kind == SL_INVALID ? pc[-2] : pc[-1]]);
            goto error;
        }
        sp[0] = x;
        sp[1] = y;
        sp += 2;
        NEXT();
    }
    CASE(LOCAL_CONST) {
        x = locals[pc[0]];
        pc += 2;
        if (SL_UNLIKELY(x.kind == SL_INVALID)) {
            unbound_local(t, code->localnames[pc[-2]]);
            goto error;
        }
        sp[0] = x;
        sp[1] = consts[pc[-1]];
        sp += 2;
        NEXT();
    }
    CASE(SETLOCAL) { locals[*pc++] = *--sp; NEXT(); }
    CASE(LOCALCELL) {
        x = SL_CELL_(locals[*pc++])->v;
        if (SL_UNLIKELY(x.kind == SL_INVALID)) {
            unbound_local(t, code->localnames[pc[-1]]);
            goto error;
        }
        *sp++ = x;
        NEXT();
    }
    CASE(SETLOCALCELL) { SL_CELL_(locals[*pc++])->v = *--sp; NEXT(); }
    CASE(CELLREF) { *sp++ = locals[*pc++]; NEXT(); }
    CASE(FREE) {
        x = SL_CELL_(fr->fn->freevars[*pc++])->v;
        if (SL_UNLIKELY(x.kind == SL_INVALID)) {
            unbound_local(t, code->freenames[pc[-1]]);
            goto error;
        }
        *sp++ = x;
        NEXT();
    }
    CASE(FREEREF) { *sp++ = fr->fn->freevars[*pc++]; NEXT(); }
    CASE(GLOBAL) {
        x = globals[*pc++];
        if (SL_UNLIKELY(x.kind == SL_INVALID)) {
            sl_errorf(t, "global variable %s referenced before assignment",
                      SL_STR(code->prog->globalnames[pc[-1]])->data);
            goto error;
        }
        *sp++ = x;
        NEXT();
    }
    CASE(SETGLOBAL) { globals[*pc++] = *--sp; NEXT(); }

    /* arithmetic: ints and floats inline, the rest in ops.c */
    CASE(ADD) {
        x = sp[-2];
        y = sp[-1];
        if (SL_LIKELY(x.kind == SL_INT && y.kind == SL_INT)) {
            int64_t r;
            if (!__builtin_add_overflow(x.u.i, y.u.i, &r)) {
                sp[-2].u.i = r;
                sp--;
                NEXT();
            }
        } else if (x.kind == SL_FLOAT && y.kind == SL_FLOAT) {
            sp[-2].u.f = x.u.f + y.u.f;
            sp--;
            NEXT();
        }
        z = sl_binary(t, OP_ADD, x, y);
        CHECK(z);
        sp[-2] = z;
        sp--;
        NEXT();
    }
    CASE(SUB) {
        x = sp[-2];
        y = sp[-1];
        if (SL_LIKELY(x.kind == SL_INT && y.kind == SL_INT)) {
            int64_t r;
            if (!__builtin_sub_overflow(x.u.i, y.u.i, &r)) {
                sp[-2].u.i = r;
                sp--;
                NEXT();
            }
        }
        z = sl_binary(t, OP_SUB, x, y);
        CHECK(z);
        sp[-2] = z;
        sp--;
        NEXT();
    }
    CASE(MUL) {
        x = sp[-2];
        y = sp[-1];
        if (SL_LIKELY(x.kind == SL_INT && y.kind == SL_INT)) {
            int64_t r;
            if (!__builtin_mul_overflow(x.u.i, y.u.i, &r)) {
                sp[-2].u.i = r;
                sp--;
                NEXT();
            }
        }
        z = sl_binary(t, OP_MUL, x, y);
        CHECK(z);
        sp[-2] = z;
        sp--;
        NEXT();
    }
    CASE(MOD) {
        x = sp[-2];
        y = sp[-1];
        if (SL_LIKELY(x.kind == SL_INT && y.kind == SL_INT && y.u.i > 0)) {
            int64_t r = x.u.i % y.u.i;
            if (r < 0)
                r += y.u.i;
            sp[-2].u.i = r;
            sp--;
            NEXT();
        }
        z = sl_binary(t, OP_MOD, x, y);
        CHECK(z);
        sp[-2] = z;
        sp--;
        NEXT();
    }
    CASE(FLOORDIV) {
        x = sp[-2];
        y = sp[-1];
        if (SL_LIKELY(x.kind == SL_INT && y.kind == SL_INT && y.u.i > 0)) {
            int64_t q = x.u.i / y.u.i;
            if (x.u.i % y.u.i != 0 && x.u.i < 0)
                q--;
            sp[-2].u.i = q;
            sp--;
            NEXT();
        }
        z = sl_binary(t, OP_FLOORDIV, x, y);
        CHECK(z);
        sp[-2] = z;
        sp--;
        NEXT();
    }
#define INT_BITOP(NAME, OPC, OP)                                                                                       \
    CASE(NAME) {                                                                                                       \
        x = sp[-2];                                                                                                    \
        y = sp[-1];                                                                                                    \
        if (SL_LIKELY(x.kind == SL_INT && y.kind == SL_INT)) {                                                         \
            sp[-2].u.i = x.u.i OP y.u.i;                                                                               \
            sp--;                                                                                                      \
            NEXT();                                                                                                    \
        }                                                                                                              \
        z = sl_binary(t, OPC, x, y);                                                                                   \
        CHECK(z);                                                                                                      \
        sp[-2] = z;                                                                                                    \
        sp--;                                                                                                          \
        NEXT();                                                                                                        \
    }
    INT_BITOP(BITAND, OP_BITAND, &)
    INT_BITOP(BITOR, OP_BITOR, |)
    INT_BITOP(BITXOR, OP_BITXOR, ^)
    CASE(DIV) CASE(SHL) CASE(SHR) CASE(IN) CASE(NOTIN) {
        z = sl_binary(t, (int)pc[-1], sp[-2], sp[-1]);
        CHECK(z);
        sp[-2] = z;
        sp--;
        NEXT();
    }

    /* comparisons */
#define COMPARE(NAME, OPC, CMP, CMPOP)                                                                                 \
    CASE(NAME) {                                                                                                       \
        x = sp[-2];                                                                                                    \
        y = sp[-1];                                                                                                    \
        if (SL_LIKELY(x.kind == SL_INT && y.kind == SL_INT)) {                                                         \
            sp[-2] = sl_mkbool(x.u.i CMP y.u.i);                                                                       \
            sp--;                                                                                                      \
            NEXT();                                                                                                    \
        }                                                                                                              \
        int c = sl_compare(t, CMPOP, x, y, 10);                                                                        \
        if (c < 0)                                                                                                     \
            goto error;                                                                                                \
        sp[-2] = sl_mkbool(c);                                                                                         \
        sp--;                                                                                                          \
        NEXT();                                                                                                        \
    }
    COMPARE(LT, OP_LT, <, SL_CMP_LT)
    COMPARE(LE, OP_LE, <=, SL_CMP_LE)
    COMPARE(GT, OP_GT, >, SL_CMP_GT)
    COMPARE(GE, OP_GE, >=, SL_CMP_GE)
    CASE(EQ) {
        x = sp[-2];
        y = sp[-1];
        int c = sl_equal(t, x, y);
        if (c < 0)
            goto error;
        sp[-2] = sl_mkbool(c);
        sp--;
        NEXT();
    }
    CASE(NE) {
        x = sp[-2];
        y = sp[-1];
        int c = sl_equal(t, x, y);
        if (c < 0)
            goto error;
        sp[-2] = sl_mkbool(!c);
        sp--;
        NEXT();
    }
#define COMPARE_JMPF(NAME, CMP, CMPOP)                                                                                 \
    CASE(NAME) {                                                                                                       \
        x = sp[-2];                                                                                                    \
        y = sp[-1];                                                                                                    \
        sp -= 2;                                                                                                       \
        int c;                                                                                                         \
        if (SL_LIKELY(x.kind == SL_INT && y.kind == SL_INT)) {                                                         \
            c = x.u.i CMP y.u.i;                                                                                       \
        } else {                                                                                                       \
            c = sl_compare(t, CMPOP, x, y, 10);                                                                        \
            if (c < 0)                                                                                                 \
                goto error;                                                                                            \
        }                                                                                                              \
        if (c)                                                                                                         \
            pc++;                                                                                                      \
        else                                                                                                           \
            pc = code->code + *pc;                                                                                     \
        NEXT();                                                                                                        \
    }
    COMPARE_JMPF(LT_JMPF, <, SL_CMP_LT)
    COMPARE_JMPF(LE_JMPF, <=, SL_CMP_LE)
    COMPARE_JMPF(GT_JMPF, >, SL_CMP_GT)
    COMPARE_JMPF(GE_JMPF, >=, SL_CMP_GE)
    CASE(EQ_JMPF) CASE(NE_JMPF) {
        bool ne = pc[-1] == OP_NE_JMPF;
        x = sp[-2];
        y = sp[-1];
        sp -= 2;
        int c;
        if (x.kind == SL_INT && y.kind == SL_INT) {
            c = x.u.i == y.u.i;
        } else {
            c = sl_equal(t, x, y);
            if (c < 0)
                goto error;
        }
        if (c != ne)
            pc++;
        else
            pc = code->code + *pc;
        NEXT();
    }
    CASE(ADD_LOCAL_CONST_SET) {
        x = locals[pc[1]];
        y = consts[pc[2]];
        if (SL_LIKELY(x.kind == SL_INT && y.kind == SL_INT)) {
            int64_t r;
            if (!__builtin_add_overflow(x.u.i, y.u.i, &r)) {
                locals[pc[0]] = sl_mkint(r);
                pc += 3;
                NEXT();
            }
        }
        if (x.kind == SL_INVALID) {
            pc += 3;
            unbound_local(t, code->localnames[pc[-2]]);
            goto error;
        }
        pc += 3;
        z = sl_binary(t, OP_ADD, x, y);
        CHECK(z);
        locals[pc[-3]] = z;
        NEXT();
    }
    CASE(INPLACE_ADD) {
        x = sp[-2];
        y = sp[-1];
        if (x.kind == SL_INT && y.kind == SL_INT) {
            int64_t r;
            if (!__builtin_add_overflow(x.u.i, y.u.i, &r)) {
                sp[-2].u.i = r;
                sp--;
                NEXT();
            }
        }
        if (x.kind == SL_LIST && sl_iterable(y)) {
            sl_list *l = SL_LIST_(x);
            if (sl_list_check_mutable(t, l, "apply += to") < 0)
                goto error;
            sl_iter it;
            sl_iter_start(t, &it, y);
            size_t n = y.kind == SL_LIST ? SL_LIST_(y)->len : (size_t)-1;
            sl_value v;
            /* x += x: the original length only */
            for (size_t i = 0; i < n && sl_iter_next(t, &it, &v); i++) {
                if (sl_list_push(t, l, v) < 0) {
                    sl_iter_done(&it);
                    goto error;
                }
            }
            sl_iter_done(&it);
            if (it.err)
                goto error;
            sp--;
            NEXT();
        }
        z = sl_binary(t, OP_ADD, x, y);
        CHECK(z);
        sp[-2] = z;
        sp--;
        NEXT();
    }
    CASE(INPLACE_OR) {
        x = sp[-2];
        y = sp[-1];
        if (x.kind == SL_DICT && y.kind == SL_DICT) {
            if (sl_ht_check_mutable(t, SL_DICT_(x), "apply |= to") < 0)
                goto error;
            uint32_t i = 0;
            sl_htentry *e;
            while (sl_ht_next(SL_DICT_(y), &i, &e))
                if (sl_ht_set(t, SL_DICT_(x), e->key, e->val) < 0)
                    goto error;
            sp--;
            NEXT();
        }
        z = sl_binary(t, OP_BITOR, x, y);
        CHECK(z);
        sp[-2] = z;
        sp--;
        NEXT();
    }
    CASE(NOT) { sp[-1] = sl_mkbool(!sl_truthy(sp[-1])); NEXT(); }
    CASE(NEG) CASE(POS) CASE(INVERT) {
        z = sl_unary(t, (int)pc[-1], sp[-1]);
        CHECK(z);
        sp[-1] = z;
        NEXT();
    }

    /* jumps */
    CASE(JMP) { pc = code->code + *pc; NEXT(); }
    CASE(JMPF) {
        x = *--sp;
        bool b = x.kind == SL_BOOL ? x.u.i != 0 : sl_truthy(x);
        pc = b ? pc + 1 : code->code + *pc;
        NEXT();
    }
    CASE(JMPT) {
        x = *--sp;
        bool b = x.kind == SL_BOOL ? x.u.i != 0 : sl_truthy(x);
        pc = b ? code->code + *pc : pc + 1;
        NEXT();
    }
    CASE(JMPF_KEEP) {
        if (!sl_truthy(sp[-1])) {
            pc = code->code + *pc;
        } else {
            sp--;
            pc++;
        }
        NEXT();
    }
    CASE(JMPT_KEEP) {
        if (sl_truthy(sp[-1])) {
            pc = code->code + *pc;
        } else {
            sp--;
            pc++;
        }
        NEXT();
    }

    /* collections */
    CASE(MAKETUPLE) {
        uint32_t n = *pc++;
        z = sl_tuple_alloc(t, n);
        CHECK(z);
        memcpy(SL_TUPLE_(z)->items, sp - n, n * sizeof(sl_value));
        sp -= n;
        *sp++ = z;
        NEXT();
    }
    CASE(MAKELIST) {
        uint32_t n = *pc++;
        z = sl_list_from(t, sp - n, n);
        CHECK(z);
        sp -= n;
        *sp++ = z;
        NEXT();
    }
    CASE(MAKEDICT) {
        z = sl_dict_alloc(t, SL_DICT);
        CHECK(z);
        *sp++ = z;
        NEXT();
    }
    CASE(SETDICT) {
        uint32_t below = *pc++;
        if (sl_ht_set(t, SL_DICT_(sp[-3 - (int)below]), sp[-2], sp[-1]) < 0)
            goto error;
        sp -= 2;
        NEXT();
    }
    CASE(SETDICTUNIQ) {
        sl_dict *d = SL_DICT_(sp[-3]);
        uint32_t before = d->ht.len;
        if (sl_ht_set(t, d, sp[-2], sp[-1]) < 0)
            goto error;
        if (d->ht.len == before) {
            sl_buf b = {0};
            sl_write_value(&b, sp[-2], true);
            sl_errorf(t, "duplicate key: %s", b.p ? b.p : "");
            sl_buf_free(&b);
            goto error;
        }
        sp -= 2;
        NEXT();
    }
    CASE(APPEND) {
        uint32_t below = *pc++;
        if (sl_list_push(t, SL_LIST_(sp[-2 - (int)below]), sp[-1]) < 0)
            goto error;
        sp--;
        NEXT();
    }
    CASE(INDEX) {
        x = sp[-2];
        y = sp[-1];
        if (x.kind == SL_LIST && y.kind == SL_INT) {
            int64_t i = y.u.i, n = (int64_t)SL_LIST_(x)->len;
            if (i < 0)
                i += n;
            if (i >= 0 && i < n) {
                sp[-2] = SL_LIST_(x)->items[i];
                sp--;
                NEXT();
            }
        } else if (x.kind == SL_DICT) {
            int r = sl_ht_get(t, SL_DICT_(x), y, &z);
            if (r > 0) {
                sp[-2] = z;
                sp--;
                NEXT();
            }
        }
        z = sl_get_index(t, x, y);
        CHECK(z);
        sp[-2] = z;
        sp--;
        NEXT();
    }
    CASE(SETINDEX) {
        if (sl_set_index(t, sp[-3], sp[-2], sp[-1]) < 0)
            goto error;
        sp -= 3;
        NEXT();
    }
    CASE(SLICE) {
        z = sl_slice(t, sp[-4], sp[-3], sp[-2], sp[-1]);
        CHECK(z);
        sp -= 3;
        sp[-1] = z;
        NEXT();
    }
    CASE(ATTR) {
        z = sl_get_attr(t, sp[-1], consts[*pc++]);
        CHECK(z);
        sp[-1] = z;
        NEXT();
    }
    CASE(SETFIELD) {
        sl_errorf(t, "can't assign to .%s field of %s", SL_STR(consts[*pc++])->data, sl_kind_name(sp[-1]));
        goto error;
    }
    CASE(UNPACK) {
        uint32_t n = *pc++;
        x = *--sp;
        if (!sl_iterable(x)) {
            sl_errorf(t, "got %s in sequence assignment", sl_kind_name(x));
            goto error;
        }
        long len = sl_length(x);
        if (len >= 0 && (uint32_t)len != n) {
            if ((uint32_t)len > n)
                sl_errorf(t, "too many values to unpack (got %ld, want %u)", len, n);
            else
                sl_errorf(t, "too few values to unpack (got %ld, want %u)", len, n);
            goto error;
        }
        if (x.kind == SL_LIST || x.kind == SL_TUPLE) {
            const sl_value *v = x.kind == SL_LIST ? SL_LIST_(x)->items : SL_TUPLE_(x)->items;
            for (uint32_t i = 0; i < n; i++)
                sp[n - 1 - i] = v[i];
            sp += n;
            NEXT();
        }
        sl_iter it;
        sl_iter_start(t, &it, x);
        uint32_t i = 0;
        sl_value v;
        while (i < n && sl_iter_next(t, &it, &v))
            sp[n - 1 - i++] = v;
        bool more = i == n && sl_iter_next(t, &it, &v);
        sl_iter_done(&it);
        if (it.err)
            goto error;
        if (more) {
            sl_errorf(t, "too many values to unpack (got %ld, want %u)", sl_length(x), n);
            goto error;
        }
        if (i < n) {
            sl_errorf(t, "too few values to unpack (got %u, want %u)", i, n);
            goto error;
        }
        sp += n;
        NEXT();
    }

    /* iteration: the iterable and an int cursor occupy two slots */
    CASE(ITERPUSH) {
        x = sp[-1];
        if (!sl_iterable(x)) {
            sl_errorf(t, "%s value is not iterable", sl_kind_name(x));
            goto error;
        }
        if ((x.kind == SL_LIST || x.kind == SL_DICT || x.kind == SL_SET) && !x.u.o->frozen &&
            push_iter(t, x.u.o) < 0)
            goto error;
        *sp++ = sl_mkint(0);
        NEXT();
    }
    CASE(ITERJMP) CASE(ITERJMP_SETLOCAL) {
        bool setlocal = pc[-1] == OP_ITERJMP_SETLOCAL;
        x = sp[-2];
        int64_t i = sp[-1].u.i;
        switch ((sl_kind)x.kind) {
        case SL_LIST:
            if ((size_t)i >= SL_LIST_(x)->len)
                goto iter_done;
            z = SL_LIST_(x)->items[i];
            break;
        case SL_TUPLE:
            if ((size_t)i >= SL_TUPLE_(x)->len)
                goto iter_done;
            z = SL_TUPLE_(x)->items[i];
            break;
        case SL_RANGE: {
            sl_range *r = SL_RANGE_(x);
            if (i >= r->len)
                goto iter_done;
            z = sl_mkint((int64_t)((uint64_t)r->start + (uint64_t)i * (uint64_t)r->step));
            break;
        }
        case SL_DICT:
        case SL_SET: {
            uint32_t k = (uint32_t)i;
            sl_htentry *e;
            if (!sl_ht_next(SL_DICT_(x), &k, &e))
                goto iter_done;
            z = e->key;
            i = (int64_t)k - 1;
            break;
        }
        default: {
            sl_striter *si = (sl_striter *)x.u.o;
            sl_string *s = SL_STR(si->s);
            if ((size_t)i >= s->len)
                goto iter_done;
            int sz = 1;
            uint32_t r = (unsigned char)s->data[i];
            if (si->mode == SL_CODEPOINTS || si->mode == SL_CODEPOINT_ORDS)
                r = sl_utf8_decode(s->data + i, s->len - (size_t)i, &sz);
            if (si->mode == SL_ELEM_ORDS || si->mode == SL_CODEPOINT_ORDS) {
                z = sl_mkint(r);
            } else {
                z = sl_str_new(t, s->data + i, (size_t)sz);
                CHECK(z);
            }
            i += sz - 1;
            break;
        }
        }
        sp[-1].u.i = i + 1;
        if (setlocal) {
            locals[pc[1]] = z;
            pc += 2;
        } else {
            *sp++ = z;
            pc++;
        }
        SAFE_POINT();
        NEXT();
    iter_done:
        pc = code->code + *pc;
        NEXT();
    }
    CASE(ITERPOP) {
        x = sp[-2];
        if (t->niters > fr->iter_base && t->iters[t->niters - 1] == x.u.o && sl_is_obj(x)) {
            t->niters--;
            x.u.o->itercount--;
        }
        sp -= 2;
        NEXT();
    }

    /* calls */
    CASE(CALL) CASE(CALL_METHOD) {
        bool method = pc[-1] == OP_CALL_METHOD;
        uint32_t namek = 0;
        if (method)
            namek = *pc++;
        uint32_t argc = pc[0], kwk = pc[1];
        pc += method ? 3 : 2;
        int nslots = CALL_NPOS(argc) + CALL_NKW(argc) + ((argc & CALL_VARARGS) ? 1 : 0) +
                     ((argc & CALL_KWARGS) ? 1 : 0);
        sl_value *base = sp - nslots;
        sl_value fnv = base[-1];
        sl_value *args = base, *kw = NULL, *top = sp;
        int nargs = CALL_NPOS(argc), nkw = 0;
        if (argc & ~0xffu) {
            if (spread_args(t, base, argc, kwk == CALL_NOKW ? SL_ERR : consts[kwk], sp, &nargs, &nkw) < 0)
                goto error;
            args = sp;
            kw = sp + nargs;
            top = kw + 2 * nkw;
        }
        sl_cfunc cfn;
        const char *name;
        sl_value self;
        void *ud = NULL;
        if (method) {
            uint32_t cache = pc[-1];
            int idx;
            if ((cache & 0xff) == fnv.kind + 1u) {
                idx = (int)(cache >> 8);
            } else {
                sl_string *n = SL_STR(consts[namek]);
                idx = sl_method_find((sl_kind)fnv.kind, n->data, n->len);
                if (idx < 0) {
                    sl_get_attr(t, fnv, consts[namek]); /* sets the error */
                    goto error;
                }
                ((uint32_t *)pc)[-1] = (fnv.kind + 1u) | ((uint32_t)idx << 8);
            }
            const sl_method *m = &sl_methods_of((sl_kind)fnv.kind)[idx];
            cfn = m->fn;
            name = m->name;
            self = fnv;
        } else if (fnv.kind == SL_FUNCTION) {
            fr->pc = pc;
            fr->sp = base; /* the result goes to base[-1], the callee's slot */
            if (enter_function(t, SL_FUNC(fnv), args, nargs, kw, nkw, top, false) < 0) {
                fr->sp = sp;
                goto error;
            }
            LOAD_FRAME();
            SAFE_POINT();
            NEXT();
        } else if (fnv.kind == SL_BUILTIN) {
            sl_builtinobj *b = SL_BUILTIN_(fnv);
            cfn = b->fn;
            name = b->name;
            self = b->self.kind == SL_INVALID ? SL_NONEV : b->self;
            ud = b->ud;
        } else {
            sl_errorf(t, "invalid call of non-function (%s)", sl_kind_name(fnv));
            goto error;
        }
        sl_callinfo c = {name, self, args, nargs, kw, nkw, ud};
        fr->pc = pc;
        fr->sp = top;
        t->steps = steps;
        result = cfn(t, &c);
        steps = t->steps;
        if (SL_UNLIKELY(result.kind == SL_INVALID)) {
            if (!t->err_has_pos)
                t->err_builtin = name;
            goto error;
        }
        sp = base;
        sp[-1] = result;
        NEXT();
    }
    CASE(MAKEFUNC) {
        sl_funcode *fc = code->prog->funcs[*pc++];
        int n = fc->ndefaults + fc->nfree;
        sl_function *f = sl_alloc(t, SL_FUNCTION, sizeof(sl_function) + (size_t)n * sizeof(sl_value));
        if (!f)
            goto error;
        f->code = fc;
        f->module = fr->fn->module;
        f->defaults = f->data;
        f->freevars = f->data + fc->ndefaults;
        memcpy(f->data, sp - n, (size_t)n * sizeof(sl_value));
        sp -= n;
        *sp++ = sl_mkobj(f);
        NEXT();
    }
    CASE(RETURN) {
        result = sp[-1];
        bool entry = fr->entry;
        leave_frame(t);
        if (entry) {
            t->steps = steps;
            return result;
        }
        LOAD_FRAME();
        sp[-1] = result;
        NEXT();
    }
    CASE(LOAD) {
        pc++;
        sl_errorf(t, "load not implemented by this application");
        goto error;
    }

steps_exceeded:
    pc++; /* inside the instruction about to run, for its position */
    sl_errorf(t, "Starlark computation cancelled: too many steps");
    steps--;
    goto error;

error:
    SAVE_FRAME();
    t->steps = steps;
    locate_error(t);
    for (;;) {
        bool entry = t->frames[t->nframes - 1].entry;
        leave_frame(t);
        if (entry)
            break;
    }
    return SL_ERR;
}

/* ---- calls from C ---------------------------------------------------------------------------------- */

sl_value sl_call_value(sl_thread *t, sl_value fn, const sl_value *args, int nargs, const sl_value *kw, int nkw)
{
    if (fn.kind == SL_BUILTIN) {
        sl_builtinobj *b = SL_BUILTIN_(fn);
        sl_callinfo c = {b->name, b->self.kind == SL_INVALID ? SL_NONEV : b->self, args, nargs, kw, nkw, b->ud};
        sl_value r = b->fn(t, &c);
        if (r.kind == SL_INVALID && !t->err_has_pos)
            t->err_builtin = b->name;
        return r;
    }
    if (fn.kind != SL_FUNCTION)
        return sl_errorf(t, "invalid call of non-function (%s)", sl_kind_name(fn));
    sl_value *top = t->nframes > 0 ? t->frames[t->nframes - 1].sp : t->stack;
    if (top + nargs + 2 * nkw + STACK_SLACK > t->stack_end)
        return sl_errorf(t, "Starlark stack overflow");
    if (nargs)
        memcpy(top, args, (size_t)nargs * sizeof(sl_value));
    if (nkw)
        memcpy(top + nargs, kw, (size_t)nkw * 2 * sizeof(sl_value));
    bool nested = t->nframes > 0;
    if (nested)
        t->gc_inhibit++; /* the caller's C temporaries are not rooted */
    sl_value r;
    if (enter_function(t, SL_FUNC(fn), top, nargs, top + nargs, nkw, top + nargs + 2 * nkw, true) < 0)
        r = SL_ERR;
    else
        r = vm_run(t);
    if (nested)
        t->gc_inhibit--;
    return r;
}

sl_value sl_run_toplevel(sl_thread *t, sl_module *m)
{
    sl_funcode *top = m->prog->funcs[0];
    sl_function *f = sl_alloc(t, SL_FUNCTION, sizeof(sl_function));
    if (!f)
        return SL_ERR;
    f->code = top;
    f->module = m;
    f->defaults = f->freevars = f->data;
    return sl_call_value(t, sl_mkobj(f), NULL, 0, NULL, 0);
}
