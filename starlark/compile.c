/* compile: the resolved tree to bytecode (opcodes.h), one sl_funcode per
 * def/lambda plus the module's top level.
 *
 * Names were bound to slots by the resolver, so the code never looks a
 * name up at run time: locals and globals are array slots, predeclared
 * and universal names become constants. A small peephole pass fuses the
 * commonest pairs (two loads, compare-and-branch, `i += 1`, the loop
 * variable store) to cut dispatches in hot loops. Source positions are
 * kept per instruction start for error messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "opcodes.h"
#include "syntax.h"

typedef struct comp {
    sl_thread *t;
    sl_diag *d;
    sl_program *prog;
    size_t consts_cap, funcs_cap;
} comp;

typedef struct loopctx {
    size_t head;       /* continue target */
    size_t *breaks;    /* operand positions to patch with the exit */
    int nbreaks, capbreaks;
} loopctx;

typedef struct fcomp {
    comp *c;
    sl_fninfo *fn;
    sl_funcode *code;
    uint32_t *buf;
    size_t len, cap;
    size_t poscap;
    int line, col;  /* current source position */
    int depth, maxdepth;
    long last, prev; /* starts of the last two instructions, -1 if none */
    size_t barrier;  /* no fusing across a jump target */
    loopctx *loops;
    int nloops, caploops;
    int comp_depth; /* iterator pairs of enclosing comprehensions */
} fcomp;

static void oom(comp *c) { sl_syntax_error(c->d, 0, 0, "out of memory"); }

static void *xrealloc(comp *c, void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(c);
    return q;
}

/* ---- constants ---------------------------------------------------------------- */

static uint32_t add_const(comp *c, sl_value v)
{
    sl_program *p = c->prog;
    for (size_t i = 0; i < p->nconsts; i++) {
        sl_value k = p->consts[i];
        if (k.kind != v.kind)
            continue;
        if ((v.kind == SL_INT || v.kind == SL_BOOL) && k.u.i == v.u.i)
            return (uint32_t)i;
        if (v.kind == SL_FLOAT && memcmp(&k.u.f, &v.u.f, sizeof(double)) == 0)
            return (uint32_t)i;
        if (v.kind == SL_NONE)
            return (uint32_t)i;
        if (sl_is_obj(v) && k.u.o == v.u.o)
            return (uint32_t)i;
    }
    if (p->nconsts == c->consts_cap) {
        c->consts_cap = c->consts_cap ? c->consts_cap * 2 : 16;
        p->consts = xrealloc(c, p->consts, c->consts_cap * sizeof(sl_value));
    }
    p->consts[p->nconsts] = v;
    return (uint32_t)p->nconsts++;
}

static sl_value intern(comp *c, const char *s, size_t n)
{
    sl_value v = sl_intern(c->t, s, n);
    if (sl_is_error(v))
        oom(c);
    return v;
}

static uint32_t str_const(comp *c, const char *s, size_t n) { return add_const(c, intern(c, s, n)); }

/* ---- emission -------------------------------------------------------------------- */

static void put(fcomp *f, uint32_t w)
{
    if (f->len == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 64;
        f->buf = xrealloc(f->c, f->buf, f->cap * sizeof(uint32_t));
    }
    f->buf[f->len++] = w;
}

static void setpos(fcomp *f, int line, int col)
{
    f->line = line;
    f->col = col;
}

/* Records the current position for the instruction starting at pc. */
static void mark_pos(fcomp *f, size_t pc)
{
    sl_funcode *code = f->code;
    if (code->npos > 0) {
        sl_posent *last = &code->pos[code->npos - 1];
        if (last->pc == pc) {
            last->line = (uint32_t)f->line;
            last->col = (uint32_t)f->col;
            return;
        }
        if (last->line == (uint32_t)f->line && last->col == (uint32_t)f->col)
            return;
    }
    if (code->npos == f->poscap) {
        f->poscap = f->poscap ? f->poscap * 2 : 32;
        code->pos = xrealloc(f->c, code->pos, f->poscap * sizeof(sl_posent));
    }
    code->pos[code->npos].pc = (uint32_t)pc;
    code->pos[code->npos].line = (uint32_t)f->line;
    code->pos[code->npos].col = (uint32_t)f->col;
    code->npos++;
}

static void adjust(fcomp *f, int delta)
{
    f->depth += delta;
    if (f->depth > f->maxdepth)
        f->maxdepth = f->depth;
}

static size_t begin(fcomp *f, int op)
{
    size_t pc = f->len;
    mark_pos(f, pc);
    put(f, (uint32_t)op);
    f->prev = f->last;
    f->last = (long)pc;
    return pc;
}

static void emit0(fcomp *f, int op, int delta)
{
    begin(f, op);
    adjust(f, delta);
}

static void emit1(fcomp *f, int op, uint32_t a, int delta)
{
    begin(f, op);
    put(f, a);
    adjust(f, delta);
}

static bool fusable(const fcomp *f, long at) { return at >= 0 && (size_t)at >= f->barrier; }

/* Drops position entries at or past pc (the instructions there were fused). */
static void drop_pos(fcomp *f, size_t pc)
{
    while (f->code->npos > 0 && f->code->pos[f->code->npos - 1].pc > pc)
        f->code->npos--;
}

static void emit_local(fcomp *f, uint32_t i)
{
    if (fusable(f, f->last) && f->buf[f->last] == OP_LOCAL && (size_t)f->last + 2 == f->len) {
        f->buf[f->last] = OP_LOCAL_LOCAL;
        put(f, i);
        f->prev = -1;
        adjust(f, 1);
        return;
    }
    emit1(f, OP_LOCAL, i, 1);
}

static void emit_const(fcomp *f, uint32_t k)
{
    if (fusable(f, f->last) && f->buf[f->last] == OP_LOCAL && (size_t)f->last + 2 == f->len) {
        f->buf[f->last] = OP_LOCAL_CONST;
        put(f, k);
        f->prev = -1;
        adjust(f, 1);
        return;
    }
    emit1(f, OP_CONST, k, 1);
}

static void emit_setlocal(fcomp *f, uint32_t i)
{
    /* LOCAL_CONST b k; ADD; SETLOCAL a  =>  ADD_LOCAL_CONST_SET a b k */
    if (fusable(f, f->prev) && fusable(f, f->last) && f->buf[f->last] == OP_ADD && (size_t)f->last + 1 == f->len &&
        f->buf[f->prev] == OP_LOCAL_CONST && (size_t)f->prev + 3 == (size_t)f->last) {
        size_t at = (size_t)f->prev;
        uint32_t b = f->buf[at + 1], k = f->buf[at + 2];
        /* the ADD's position is the one an error reports */
        sl_posent addpos = {0};
        bool have = false;
        for (size_t j = f->code->npos; j-- > 0;) {
            if (f->code->pos[j].pc <= (uint32_t)f->last) {
                addpos = f->code->pos[j];
                have = true;
                break;
            }
        }
        drop_pos(f, at);
        f->len = at;
        int line = f->line, col = f->col;
        if (have)
            setpos(f, (int)addpos.line, (int)addpos.col);
        begin(f, OP_ADD_LOCAL_CONST_SET);
        setpos(f, line, col);
        put(f, i);
        put(f, b);
        put(f, k);
        f->prev = -1;
        adjust(f, -1);
        return;
    }
    emit1(f, OP_SETLOCAL, i, -1);
}

/* A forward jump; returns the operand position to patch. */
static size_t emit_jump(fcomp *f, int op)
{
    if (op == OP_JMPF && fusable(f, f->last) && (size_t)f->last + 1 == f->len) {
        int fused = -1;
        switch (f->buf[f->last]) {
        case OP_LT: fused = OP_LT_JMPF; break;
        case OP_LE: fused = OP_LE_JMPF; break;
        case OP_GT: fused = OP_GT_JMPF; break;
        case OP_GE: fused = OP_GE_JMPF; break;
        case OP_EQ: fused = OP_EQ_JMPF; break;
        case OP_NE: fused = OP_NE_JMPF; break;
        default: break;
        }
        if (fused >= 0) {
            f->buf[f->last] = (uint32_t)fused;
            put(f, 0);
            f->prev = -1;
            adjust(f, -1);
            return f->len - 1;
        }
    }
    int delta = (op == OP_JMPF || op == OP_JMPT) ? -1 : 0;
    emit1(f, op, 0, delta);
    return f->len - 1;
}

static void patch(fcomp *f, size_t at, size_t target) { f->buf[at] = (uint32_t)target; }

/* The current position is a jump target. */
static size_t label(fcomp *f)
{
    f->barrier = f->len;
    return f->len;
}

/* ---- expressions ------------------------------------------------------------------ */

static void expr(fcomp *f, sl_node *e);
static void stmts(fcomp *f, sl_node **v, int n);
static uint32_t function(fcomp *f, sl_fninfo *fn);

static sl_value lookup_value(comp *c, sl_dict *d, const char *name)
{
    sl_value key = intern(c, name, strlen(name)), v = SL_NONEV;
    sl_ht_get(c->t, d, key, &v);
    return v;
}

static void load_ident(fcomp *f, sl_node *id)
{
    sl_binding *b = id->bind;
    setpos(f, id->line, id->col);
    switch (b->scope) {
    case SCOPE_LOCAL:
        emit_local(f, (uint32_t)b->index);
        break;
    case SCOPE_CELL:
        emit1(f, OP_LOCALCELL, (uint32_t)b->index, 1);
        break;
    case SCOPE_FREE:
        emit1(f, OP_FREE, (uint32_t)b->index, 1);
        break;
    case SCOPE_GLOBAL:
        emit1(f, OP_GLOBAL, (uint32_t)b->index, 1);
        break;
    case SCOPE_PREDECLARED:
        emit_const(f, add_const(f->c, lookup_value(f->c, f->c->t->predeclared, id->str)));
        break;
    case SCOPE_UNIVERSAL: {
        sl_value v = lookup_value(f->c, f->c->t->universe, id->str);
        if (v.kind == SL_NONE)
            emit0(f, OP_NONE, 1);
        else if (v.kind == SL_BOOL)
            emit0(f, v.u.i ? OP_TRUE : OP_FALSE, 1);
        else
            emit_const(f, add_const(f->c, v));
        break;
    }
    default:
        sl_syntax_error(f->c->d, id->line, id->col, "undefined: %s", id->str);
    }
}

static void store_ident(fcomp *f, sl_node *id)
{
    sl_binding *b = id->bind;
    switch (b->scope) {
    case SCOPE_LOCAL:
        emit_setlocal(f, (uint32_t)b->index);
        break;
    case SCOPE_CELL:
        emit1(f, OP_SETLOCALCELL, (uint32_t)b->index, -1);
        break;
    case SCOPE_GLOBAL:
        emit1(f, OP_SETGLOBAL, (uint32_t)b->index, -1);
        break;
    default:
        sl_syntax_error(f->c->d, id->line, id->col, "cannot assign to %s", id->str);
    }
}

/* lhs = <top of stack> */
static void assign(fcomp *f, sl_node *lhs, int line, int col)
{
    switch (lhs->kind) {
    case N_PAREN:
        assign(f, lhs->x, line, col);
        break;
    case N_IDENT:
        store_ident(f, lhs);
        break;
    case N_TUPLE:
    case N_LIST:
        setpos(f, line, col);
        emit1(f, OP_UNPACK, (uint32_t)lhs->n, lhs->n - 1);
        for (int i = 0; i < lhs->n; i++)
            assign(f, lhs->list[i], line, col);
        break;
    case N_INDEX:
        /* v x y -> x y v */
        expr(f, lhs->x);
        emit0(f, OP_EXCH, 0);
        expr(f, lhs->y);
        emit0(f, OP_EXCH, 0);
        setpos(f, lhs->line, lhs->col);
        emit0(f, OP_SETINDEX, -3);
        break;
    case N_DOT:
        expr(f, lhs->x);
        setpos(f, lhs->line, lhs->col);
        emit1(f, OP_SETFIELD, str_const(f->c, lhs->y->str, lhs->y->slen), -2);
        break;
    default:
        sl_syntax_error(f->c->d, lhs->line, lhs->col, "can't assign to expression");
    }
}

static int binop_opcode(token op)
{
    switch (op) {
    case T_PLUS: return OP_ADD;
    case T_MINUS: return OP_SUB;
    case T_STAR: return OP_MUL;
    case T_SLASH: return OP_DIV;
    case T_SLASHSLASH: return OP_FLOORDIV;
    case T_PERCENT: return OP_MOD;
    case T_AMP: return OP_BITAND;
    case T_PIPE: return OP_BITOR;
    case T_CIRCUMFLEX: return OP_BITXOR;
    case T_LTLT: return OP_SHL;
    case T_GTGT: return OP_SHR;
    case T_IN: return OP_IN;
    case T_NOT_IN: return OP_NOTIN;
    case T_EQL: return OP_EQ;
    case T_NEQ: return OP_NE;
    case T_LT: return OP_LT;
    case T_LE: return OP_LE;
    case T_GT: return OP_GT;
    case T_GE: return OP_GE;
    default: return -1;
    }
}

/* Jumps to the returned operand position when cond is false. */
static size_t cond_jump_false(fcomp *f, sl_node *cond)
{
    expr(f, cond);
    return emit_jump(f, OP_JMPF);
}

static bool is_const_expr(const sl_node *e)
{
    return e->kind == N_INT || e->kind == N_FLOAT || e->kind == N_STRING;
}

static sl_value const_value(fcomp *f, const sl_node *e)
{
    switch (e->kind) {
    case N_INT: return sl_mkint(e->ival);
    case N_FLOAT: return sl_mkfloat(e->fval);
    default: return intern(f->c, e->str, e->slen);
    }
}

static void call(fcomp *f, sl_node *e)
{
    sl_node *fn = e->x;
    bool method = fn->kind == N_DOT;
    if (method)
        expr(f, fn->x);
    else
        expr(f, fn);
    int npos = 0, nkw = 0;
    uint32_t flags = 0;
    sl_node *varargs = NULL, *kwargs = NULL;
    for (int i = 0; i < e->n; i++) {
        sl_node *a = e->list[i];
        if (a->kind == N_STARARG)
            varargs = a;
        else if (a->kind == N_KWSTAR)
            kwargs = a;
        else if (a->kind == N_KWARG)
            nkw++;
        else {
            expr(f, a);
            npos++;
        }
    }
    uint32_t kwnames = CALL_NOKW;
    if (nkw > 0) {
        sl_value names = sl_tuple_alloc(f->c->t, (size_t)nkw);
        if (sl_is_error(names))
            oom(f->c);
        int k = 0;
        for (int i = 0; i < e->n; i++) {
            sl_node *a = e->list[i];
            if (a->kind == N_KWARG) {
                SL_TUPLE_(names)->items[k++] = intern(f->c, a->x->str, a->x->slen);
                expr(f, a->y);
            }
        }
        names.u.o->frozen = 1;
        kwnames = add_const(f->c, names);
    }
    if (varargs) {
        expr(f, varargs->x);
        flags |= CALL_VARARGS;
    }
    if (kwargs) {
        expr(f, kwargs->x);
        flags |= CALL_KWARGS;
    }
    uint32_t argc = (uint32_t)npos | ((uint32_t)nkw << 8) | flags;
    int popped = npos + nkw + (varargs ? 1 : 0) + (kwargs ? 1 : 0);
    setpos(f, e->line, e->col);
    if (method) {
        begin(f, OP_CALL_METHOD);
        put(f, str_const(f->c, fn->y->str, fn->y->slen));
        put(f, argc);
        put(f, kwnames);
        put(f, 0); /* inline cache */
    } else {
        begin(f, OP_CALL);
        put(f, argc);
        put(f, kwnames);
    }
    /* the callee, its arguments, and room for the keyword pairs a call
     * lays out above them */
    adjust(f, nkw * 2 + 2);
    adjust(f, -popped - nkw * 2 - 2);
}

static void comprehension(fcomp *f, sl_node *e, int clause)
{
    if (clause == e->n2) {
        uint32_t below = (uint32_t)(2 * f->comp_depth);
        if (e->curly) {
            expr(f, e->x->x);
            expr(f, e->x->y);
            setpos(f, e->x->line, e->x->col);
            emit1(f, OP_SETDICT, below, -2);
        } else {
            expr(f, e->x);
            emit1(f, OP_APPEND, below, -1);
        }
        return;
    }
    sl_node *c = e->list2[clause];
    if (c->kind == N_IFCLAUSE) {
        size_t skip = cond_jump_false(f, c->x);
        comprehension(f, e, clause + 1);
        patch(f, skip, label(f));
        return;
    }
    expr(f, c->y);
    setpos(f, c->line, c->col);
    emit0(f, OP_ITERPUSH, 1);
    size_t head = label(f);
    size_t exit;
    if (c->x->kind == N_IDENT && c->x->bind->scope == SCOPE_LOCAL) {
        begin(f, OP_ITERJMP_SETLOCAL);
        put(f, 0);
        put(f, (uint32_t)c->x->bind->index);
        exit = f->len - 2;
    } else {
        begin(f, OP_ITERJMP);
        put(f, 0);
        exit = f->len - 1;
        adjust(f, 1);
        assign(f, c->x, c->line, c->col);
    }
    f->comp_depth++;
    comprehension(f, e, clause + 1);
    f->comp_depth--;
    emit1(f, OP_JMP, (uint32_t)head, 0);
    patch(f, exit, label(f));
    emit0(f, OP_ITERPOP, -2);
}

static void expr(fcomp *f, sl_node *e)
{
    switch (e->kind) {
    case N_PAREN:
        expr(f, e->x);
        return;
    case N_IDENT:
        load_ident(f, e);
        return;
    case N_INT:
    case N_FLOAT:
    case N_STRING:
        emit_const(f, add_const(f->c, const_value(f, e)));
        return;
    case N_LIST:
        for (int i = 0; i < e->n; i++)
            expr(f, e->list[i]);
        emit1(f, OP_MAKELIST, (uint32_t)e->n, 1 - e->n);
        return;
    case N_TUPLE: {
        bool all_const = e->n > 0;
        for (int i = 0; i < e->n && all_const; i++)
            all_const = is_const_expr(e->list[i]);
        if (all_const) {
            sl_value tu = sl_tuple_alloc(f->c->t, (size_t)e->n);
            if (sl_is_error(tu))
                oom(f->c);
            for (int i = 0; i < e->n; i++)
                SL_TUPLE_(tu)->items[i] = const_value(f, e->list[i]);
            tu.u.o->frozen = 1;
            emit_const(f, add_const(f->c, tu));
            return;
        }
        for (int i = 0; i < e->n; i++)
            expr(f, e->list[i]);
        emit1(f, OP_MAKETUPLE, (uint32_t)e->n, 1 - e->n);
        return;
    }
    case N_DICT:
        emit0(f, OP_MAKEDICT, 1);
        for (int i = 0; i < e->n; i++) {
            expr(f, e->list[i]->x);
            expr(f, e->list[i]->y);
            setpos(f, e->list[i]->line, e->list[i]->col);
            emit0(f, OP_SETDICTUNIQ, -2);
        }
        return;
    case N_COMP: {
        if (e->curly)
            emit0(f, OP_MAKEDICT, 1);
        else
            emit1(f, OP_MAKELIST, 0, 1);
        int saved = f->comp_depth;
        f->comp_depth = 0;
        comprehension(f, e, 0);
        f->comp_depth = saved;
        return;
    }
    case N_COND: {
        size_t jf = cond_jump_false(f, e->x);
        expr(f, e->y);
        size_t jend = emit_jump(f, OP_JMP);
        adjust(f, -1);
        patch(f, jf, label(f));
        expr(f, e->z);
        patch(f, jend, label(f));
        return;
    }
    case N_UNARY:
        expr(f, e->x);
        setpos(f, e->line, e->col);
        switch (e->op) {
        case T_NOT: emit0(f, OP_NOT, 0); break;
        case T_MINUS: emit0(f, OP_NEG, 0); break;
        case T_PLUS: emit0(f, OP_POS, 0); break;
        default: emit0(f, OP_INVERT, 0); break;
        }
        return;
    case N_BINARY:
        if (e->op == T_AND || e->op == T_OR) {
            expr(f, e->x);
            size_t j = emit_jump(f, e->op == T_AND ? OP_JMPF_KEEP : OP_JMPT_KEEP);
            adjust(f, -1);
            expr(f, e->y);
            patch(f, j, label(f));
            return;
        }
        expr(f, e->x);
        expr(f, e->y);
        setpos(f, e->line, e->col);
        emit0(f, binop_opcode(e->op), -1);
        return;
    case N_DOT:
        expr(f, e->x);
        setpos(f, e->line, e->col);
        emit1(f, OP_ATTR, str_const(f->c, e->y->str, e->y->slen), 0);
        return;
    case N_INDEX:
        expr(f, e->x);
        expr(f, e->y);
        setpos(f, e->line, e->col);
        emit0(f, OP_INDEX, -1);
        return;
    case N_SLICE:
        expr(f, e->x);
        if (e->y)
            expr(f, e->y);
        else
            emit0(f, OP_NONE, 1);
        if (e->z)
            expr(f, e->z);
        else
            emit0(f, OP_NONE, 1);
        if (e->w)
            expr(f, e->w);
        else
            emit0(f, OP_NONE, 1);
        setpos(f, e->line, e->col);
        emit0(f, OP_SLICE, -3);
        return;
    case N_CALL:
        call(f, e);
        return;
    case N_LAMBDA:
        function(f, e->fn);
        return;
    default:
        sl_syntax_error(f->c->d, e->line, e->col, "unexpected expression");
    }
}

/* ---- statements --------------------------------------------------------------------- */

static void loop_break(fcomp *f)
{
    loopctx *l = &f->loops[f->nloops - 1];
    if (l->nbreaks == l->capbreaks) {
        l->capbreaks = l->capbreaks ? l->capbreaks * 2 : 4;
        l->breaks = xrealloc(f->c, l->breaks, (size_t)l->capbreaks * sizeof(size_t));
    }
    l->breaks[l->nbreaks++] = emit_jump(f, OP_JMP);
}

static void augmented(fcomp *f, sl_node *s)
{
    int op;
    switch (s->op) {
    case T_PLUS_EQ: op = OP_INPLACE_ADD; break;
    case T_PIPE_EQ: op = OP_INPLACE_OR; break;
    default: op = binop_opcode((token)(s->op - T_PLUS_EQ + T_PLUS)); break;
    }
    sl_node *lhs = s->x;
    while (lhs->kind == N_PAREN)
        lhs = lhs->x;
    switch (lhs->kind) {
    case N_IDENT:
        load_ident(f, lhs);
        expr(f, s->y);
        setpos(f, s->line, s->col);
        /* x += <literal>: no literal is iterable, so a list x fails the
         * same way either way, and plain ADD can fuse with the store */
        if (op == OP_INPLACE_ADD && is_const_expr(s->y))
            op = OP_ADD;
        emit0(f, op, -1);
        store_ident(f, lhs);
        break;
    case N_INDEX:
        expr(f, lhs->x);
        expr(f, lhs->y);
        emit0(f, OP_DUP2, 2);
        setpos(f, lhs->line, lhs->col);
        emit0(f, OP_INDEX, -1);
        expr(f, s->y);
        setpos(f, s->line, s->col);
        emit0(f, op, -1);
        setpos(f, lhs->line, lhs->col);
        emit0(f, OP_SETINDEX, -3);
        break;
    case N_DOT: {
        uint32_t name = str_const(f->c, lhs->y->str, lhs->y->slen);
        expr(f, lhs->x);
        emit0(f, OP_DUP, 1);
        setpos(f, lhs->line, lhs->col);
        emit1(f, OP_ATTR, name, 0);
        expr(f, s->y);
        setpos(f, s->line, s->col);
        emit0(f, op, -1);
        emit0(f, OP_EXCH, 0);
        setpos(f, lhs->line, lhs->col);
        emit1(f, OP_SETFIELD, name, -2);
        break;
    }
    default:
        sl_syntax_error(f->c->d, lhs->line, lhs->col, "can't use this expression in augmented assignment");
    }
}

/* a, b = x, y with plain names on the left: the values go on the stack
 * and are stored last to first, without building and unpacking a tuple
 * (every right-hand side is still evaluated before any store). */
static bool parallel_assign(fcomp *f, sl_node *s)
{
    sl_node *lhs = s->x, *rhs = s->y;
    while (lhs->kind == N_PAREN)
        lhs = lhs->x;
    while (rhs->kind == N_PAREN)
        rhs = rhs->x;
    if ((lhs->kind != N_TUPLE && lhs->kind != N_LIST) || rhs->kind != N_TUPLE || lhs->n != rhs->n || lhs->n < 2)
        return false;
    for (int i = 0; i < lhs->n; i++) {
        if (lhs->list[i]->kind != N_IDENT)
            return false;
        for (int j = 0; j < i; j++)
            if (lhs->list[j]->bind == lhs->list[i]->bind)
                return false; /* a, a = ...: keep the general path */
    }
    for (int i = 0; i < rhs->n; i++)
        expr(f, rhs->list[i]);
    for (int i = lhs->n; i-- > 0;)
        store_ident(f, lhs->list[i]);
    return true;
}

static void stmt(fcomp *f, sl_node *s)
{
    switch (s->kind) {
    case N_EXPRSTMT:
        if (s->x->kind == N_STRING)
            return; /* doc string */
        expr(f, s->x);
        emit0(f, OP_POP, -1);
        return;
    case N_ASSIGN:
        if (s->op != T_EQ) {
            augmented(f, s);
            return;
        }
        if (parallel_assign(f, s))
            return;
        expr(f, s->y);
        assign(f, s->x, s->line, s->col);
        return;
    case N_DEF:
        function(f, s->fn);
        store_ident(f, s->x);
        return;
    case N_IF: {
        size_t jf = cond_jump_false(f, s->x);
        stmts(f, s->list, s->n);
        if (s->n2 > 0) {
            size_t jend = emit_jump(f, OP_JMP);
            patch(f, jf, label(f));
            stmts(f, s->list2, s->n2);
            patch(f, jend, label(f));
        } else {
            patch(f, jf, label(f));
        }
        return;
    }
    case N_FOR: {
        expr(f, s->y);
        setpos(f, s->line, s->col);
        emit0(f, OP_ITERPUSH, 1);
        if (f->nloops == f->caploops) {
            f->caploops = f->caploops ? f->caploops * 2 : 4;
            f->loops = xrealloc(f->c, f->loops, (size_t)f->caploops * sizeof(loopctx));
        }
        size_t head = label(f);
        loopctx *l = &f->loops[f->nloops++];
        memset(l, 0, sizeof *l);
        l->head = head;
        size_t exit;
        if (s->x->kind == N_IDENT && s->x->bind->scope == SCOPE_LOCAL) {
            begin(f, OP_ITERJMP_SETLOCAL);
            put(f, 0);
            put(f, (uint32_t)s->x->bind->index);
            exit = f->len - 2;
        } else {
            begin(f, OP_ITERJMP);
            put(f, 0);
            exit = f->len - 1;
            adjust(f, 1);
            assign(f, s->x, s->line, s->col);
        }
        stmts(f, s->list, s->n);
        emit1(f, OP_JMP, (uint32_t)head, 0);
        size_t tail = label(f);
        patch(f, exit, tail);
        l = &f->loops[f->nloops - 1];
        for (int i = 0; i < l->nbreaks; i++)
            patch(f, l->breaks[i], tail);
        free(l->breaks);
        f->nloops--;
        emit0(f, OP_ITERPOP, -2);
        return;
    }
    case N_RETURN:
        if (s->x)
            expr(f, s->x);
        else
            emit0(f, OP_NONE, 1);
        emit0(f, OP_RETURN, -1);
        return;
    case N_BREAK:
        loop_break(f);
        return;
    case N_CONTINUE:
        emit1(f, OP_JMP, (uint32_t)f->loops[f->nloops - 1].head, 0);
        return;
    case N_PASS:
        return;
    case N_LOAD:
        setpos(f, s->line, s->col);
        emit1(f, OP_LOAD, 0, 0);
        return;
    default:
        sl_syntax_error(f->c->d, s->line, s->col, "unexpected statement");
    }
}

static void stmts(fcomp *f, sl_node **v, int n)
{
    for (int i = 0; i < n; i++)
        stmt(f, v[i]);
}

/* ---- functions ---------------------------------------------------------------------------- */

static sl_funcode *compile_body(comp *c, sl_fninfo *fn, uint32_t index)
{
    sl_funcode *code = calloc(1, sizeof *code);
    if (!code)
        oom(c);
    c->prog->funcs[index] = code;
    code->prog = c->prog;
    code->name = strdup(fn->name);
    if (!code->name)
        oom(c);
    code->line = fn->line;
    code->col = fn->col;
    code->nlocals = fn->nlocals;
    code->localnames = calloc((size_t)fn->nlocals + 1, sizeof(sl_value));
    if (!code->localnames)
        oom(c);
    int ncells = 0;
    for (int i = 0; i < fn->nlocals; i++) {
        code->localnames[i] = intern(c, fn->locals[i]->name, strlen(fn->locals[i]->name));
        if (fn->locals[i]->scope == SCOPE_CELL)
            ncells++;
    }
    code->cells = calloc((size_t)ncells + 1, sizeof(int));
    if (!code->cells)
        oom(c);
    for (int i = 0; i < fn->nlocals; i++)
        if (fn->locals[i]->scope == SCOPE_CELL)
            code->cells[code->ncells++] = i;
    code->nparams = fn->nordinary;
    code->nkwonly = fn->nkwonly;
    code->varargs = fn->varargs;
    code->kwargs = fn->kwargs;
    code->nfree = fn->nfree;
    code->freenames = calloc((size_t)fn->nfree + 1, sizeof(sl_value));
    if (!code->freenames)
        oom(c);
    for (int i = 0; i < fn->nfree; i++)
        code->freenames[i] = intern(c, fn->freevars[i]->name, strlen(fn->freevars[i]->name));

    fcomp f = {0};
    f.c = c;
    f.fn = fn;
    f.code = code;
    f.last = f.prev = -1;
    setpos(&f, fn->line, fn->col);
    if (fn->lambda_body) {
        expr(&f, fn->lambda_body);
        emit0(&f, OP_RETURN, -1);
    } else {
        stmts(&f, fn->body, fn->nbody);
        emit0(&f, OP_NONE, 1);
        emit0(&f, OP_RETURN, -1);
    }
    code->code = f.buf;
    code->ncode = f.len;
    code->maxstack = f.maxdepth + 4;
    free(f.loops);
    return code;
}

/* Emits the closure creation in the enclosing function and compiles fn. */
static uint32_t function(fcomp *f, sl_fninfo *fn)
{
    comp *c = f->c;
    setpos(f, fn->line, fn->col);
    int ndefaults = 0;
    bool seen_star = false;
    for (int i = 0; i < fn->nparams; i++) {
        sl_node *p = fn->params[i];
        if (p->kind == N_KWARG) {
            expr(f, p->y);
            ndefaults++;
        } else if (p->kind == N_STARARG || p->kind == N_KWSTAR) {
            seen_star = true;
        } else if (seen_star) {
            emit0(f, OP_MANDATORY, 1);
            ndefaults++;
        }
    }
    for (int i = 0; i < fn->nfree; i++) {
        sl_binding *b = fn->freevars[i];
        emit1(f, b->scope == SCOPE_FREE ? OP_FREEREF : OP_CELLREF, (uint32_t)b->index, 1);
    }
    if (c->prog->nfuncs == c->funcs_cap) {
        c->funcs_cap = c->funcs_cap ? c->funcs_cap * 2 : 8;
        c->prog->funcs = xrealloc(c, c->prog->funcs, c->funcs_cap * sizeof(sl_funcode *));
    }
    uint32_t index = (uint32_t)c->prog->nfuncs++;
    c->prog->funcs[index] = NULL;
    setpos(f, fn->line, fn->col);
    emit1(f, OP_MAKEFUNC, index, 1 - ndefaults - fn->nfree);
    sl_funcode *code = compile_body(c, fn, index);
    code->ndefaults = ndefaults;
    return index;
}

void sl_program_free(sl_program *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nfuncs; i++) {
        sl_funcode *code = p->funcs[i];
        if (!code)
            continue;
        free(code->name);
        free(code->code);
        free(code->pos);
        free(code->localnames);
        free(code->freenames);
        free(code->cells);
        free(code);
    }
    free(p->funcs);
    free(p->consts);
    free(p->globalnames);
    free(p->filename);
    free(p);
}

sl_program *sl_compile(sl_thread *t, const char *filename, sl_file *file, sl_resolved *r, sl_diag *d)
{
    comp c = {0};
    c.t = t;
    c.d = d;
    c.prog = calloc(1, sizeof(sl_program));
    if (!c.prog)
        return NULL;
    c.prog->filename = strdup(filename);
    c.prog->nglobals = (size_t)r->nglobals;
    c.prog->globalnames = calloc((size_t)r->nglobals + 1, sizeof(sl_value));
    if (!c.prog->filename || !c.prog->globalnames) {
        sl_program_free(c.prog);
        return NULL;
    }
    sl_program *prog = c.prog;
    t->progs[t->nprogs++] = prog; /* the caller made room; freed with the thread */
    for (int i = 0; i < r->nglobals; i++)
        prog->globalnames[i] = intern(&c, r->globals[i]->name, strlen(r->globals[i]->name));
    c.funcs_cap = 8;
    prog->funcs = xrealloc(&c, NULL, c.funcs_cap * sizeof(sl_funcode *));
    prog->nfuncs = 1;
    prog->funcs[0] = NULL;
    sl_fninfo *top = r->toplevel;
    top->body = file->stmts;
    top->nbody = file->n;
    compile_body(&c, top, 0);
    return prog;
}
