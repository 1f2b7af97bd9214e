/* resolve: binds every identifier to a slot before compilation, as
 * starlark-go's resolver with PMM's options (sets allowed; no while, no
 * top-level if/for, no global reassignment):
 *   - an assignment anywhere in a function makes the name local to the
 *     whole function; comprehension variables get their own slots;
 *   - other names are free variables of enclosing functions (their locals
 *     become cells), module globals, predeclared names or universal
 *     builtins, decided once the whole module has been seen (functions
 *     may refer to globals defined after them);
 *   - anything else is "undefined: x". */
#include <stdio.h>
#include <stdlib.h>

#include "syntax.h"

typedef struct use {
    sl_node *id;
    struct block *env;
} use;

typedef struct bentry {
    const char *name;
    sl_binding *b;
} bentry;

typedef struct block {
    struct block *parent;
    sl_fninfo *function; /* function blocks */
    bool comp;           /* comprehension blocks */
    bentry *bindings;
    int nb, capb;
    struct block **children;
    int nchildren, capchildren;
    use *uses;
    int nuses, capuses;
} block;

typedef struct resolver {
    sl_arena *a;
    sl_diag *d;
    block *file, *env;
    sl_fninfo *toplevel;
    sl_binding **globals;
    int nglobals, capglobals;
    int loops, ifstmts;
    bool (*is_predeclared)(void *, const char *);
    bool (*is_universal)(void *, const char *);
    void *ud;
    bool failed;
} resolver;

#define GROW(r, arr, n, cap)                                                                \
    do {                                                                                    \
        if ((n) == (cap)) {                                                                 \
            int c_ = (cap) ? (cap) * 2 : 8;                                                 \
            void *p_ = sl_arena_alloc((r)->a, (size_t)c_ * sizeof(*(arr)));                 \
            if (n)                                                                          \
                memcpy(p_, (arr), (size_t)(n) * sizeof(*(arr)));                            \
            (arr) = p_;                                                                     \
            (cap) = c_;                                                                     \
        }                                                                                   \
    } while (0)

static __attribute__((noreturn, format(printf, 4, 5))) void rerr(resolver *r, int line, int col, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sl_syntax_error(r->d, line, col, "%s", msg);
}

static sl_binding *block_lookup(block *b, const char *name)
{
    for (int i = 0; i < b->nb; i++)
        if (strcmp(b->bindings[i].name, name) == 0)
            return b->bindings[i].b;
    return NULL;
}

static void block_bind(resolver *r, block *b, const char *name, sl_binding *bind)
{
    for (int i = 0; i < b->nb; i++)
        if (strcmp(b->bindings[i].name, name) == 0) {
            b->bindings[i].b = bind;
            return;
        }
    GROW(r, b->bindings, b->nb, b->capb);
    b->bindings[b->nb].name = name;
    b->bindings[b->nb].b = bind;
    b->nb++;
}

static block *new_block(resolver *r, sl_fninfo *fn, bool comp)
{
    block *b = sl_arena_alloc(r->a, sizeof *b);
    b->function = fn;
    b->comp = comp;
    return b;
}

static void push(resolver *r, block *b)
{
    GROW(r, r->env->children, r->env->nchildren, r->env->capchildren);
    r->env->children[r->env->nchildren++] = b;
    b->parent = r->env;
    r->env = b;
}

static void pop(resolver *r) { r->env = r->env->parent; }

static block *container(resolver *r)
{
    for (block *b = r->env;; b = b->parent)
        if (b->function || b == r->file)
            return b;
}

static sl_binding *new_binding(resolver *r, int scope, int index, sl_node *id)
{
    sl_binding *b = sl_arena_alloc(r->a, sizeof *b);
    b->scope = scope;
    b->index = index;
    b->name = id->str;
    b->line = id->line;
    b->col = id->col;
    return b;
}

static sl_binding *find_global(resolver *r, const char *name)
{
    for (int i = 0; i < r->nglobals; i++)
        if (strcmp(r->globals[i]->name, name) == 0)
            return r->globals[i];
    return NULL;
}

static const char *scope_name(int scope)
{
    static const char *const names[] = {"undefined", "local", "cell", "free", "global", "predeclared", "universal"};
    return names[scope];
}

static void use_id(resolver *r, sl_node *id)
{
    block *b = container(r);
    GROW(r, b->uses, b->nuses, b->capuses);
    b->uses[b->nuses].id = id;
    b->uses[b->nuses].env = r->env;
    b->nuses++;
}

/* Binds a local in the current block; true if it was already bound. */
static bool bind_local(resolver *r, sl_node *id)
{
    bool existed = block_lookup(r->env, id->str) != NULL;
    if (!existed) {
        block *c = container(r);
        sl_fninfo *fn = c->function ? c->function : r->toplevel;
        sl_binding *b = new_binding(r, SCOPE_LOCAL, fn->nlocals, id);
        block_bind(r, r->env, id->str, b);
        GROW(r, fn->locals, fn->nlocals, fn->locals_cap);
        fn->locals[fn->nlocals++] = b;
    }
    use_id(r, id);
    return existed;
}

static bool bind(resolver *r, sl_node *id)
{
    if (r->env == r->file) {
        sl_binding *b = block_lookup(r->file, id->str);
        bool existed = b != NULL;
        if (!b)
            b = find_global(r, id->str);
        if (b) {
            existed = true;
        } else {
            b = new_binding(r, SCOPE_GLOBAL, r->nglobals, id);
            GROW(r, r->globals, r->nglobals, r->capglobals);
            r->globals[r->nglobals++] = b;
        }
        if (existed)
            rerr(r, id->line, id->col, "cannot reassign %s %s declared at %s:%d:%d", scope_name(b->scope), id->str,
                 r->d->file, b->line, b->col);
        id->bind = b;
        return existed;
    }
    return bind_local(r, id);
}

static void expr(resolver *r, sl_node *e);
static void stmts(resolver *r, sl_node **v, int n);
static void function(resolver *r, sl_fninfo *fn);

static void assign(resolver *r, sl_node *lhs, bool aug)
{
    switch (lhs->kind) {
    case N_IDENT:
        bind(r, lhs);
        break;
    case N_INDEX:
        expr(r, lhs->x);
        expr(r, lhs->y);
        break;
    case N_DOT:
        expr(r, lhs->x);
        break;
    case N_TUPLE:
        if (aug)
            rerr(r, lhs->line, lhs->col, "can't use tuple expression in augmented assignment");
        for (int i = 0; i < lhs->n; i++)
            assign(r, lhs->list[i], aug);
        break;
    case N_LIST:
        if (aug)
            rerr(r, lhs->line, lhs->col, "can't use list expression in augmented assignment");
        for (int i = 0; i < lhs->n; i++)
            assign(r, lhs->list[i], aug);
        break;
    case N_PAREN:
        assign(r, lhs->x, aug);
        break;
    default: {
        static const char *const names[] = {
            [N_INT] = "literal", [N_FLOAT] = "literal", [N_STRING] = "literal", [N_DICT] = "dictexpr",
            [N_COMP] = "comprehension", [N_COND] = "condexpr", [N_UNARY] = "unaryexpr", [N_BINARY] = "binaryexpr",
            [N_SLICE] = "sliceexpr", [N_CALL] = "callexpr", [N_LAMBDA] = "lambdaexpr",
        };
        const char *name = lhs->kind < sizeof names / sizeof names[0] && names[lhs->kind] ? names[lhs->kind] : "expression";
        rerr(r, lhs->line, lhs->col, "can't assign to %s", name);
    }
    }
}

static void call_args(resolver *r, sl_node *call)
{
    bool seen_varargs = false, seen_kwargs = false;
    int npos = 0, nkw = 0;
    for (int i = 0; i < call->n; i++) {
        sl_node *a = call->list[i];
        switch (a->kind) {
        case N_KWSTAR:
            if (seen_kwargs)
                rerr(r, a->line, a->col, "multiple **kwargs not allowed");
            seen_kwargs = true;
            expr(r, a->x);
            break;
        case N_STARARG:
            if (seen_kwargs)
                rerr(r, a->line, a->col, "*args may not follow **kwargs");
            if (seen_varargs)
                rerr(r, a->line, a->col, "multiple *args not allowed");
            seen_varargs = true;
            expr(r, a->x);
            break;
        case N_KWARG:
            if (seen_kwargs)
                rerr(r, a->line, a->col, "keyword argument may not follow **kwargs");
            if (seen_varargs)
                rerr(r, a->line, a->col, "keyword argument may not follow *args");
            for (int j = 0; j < i; j++)
                if (call->list[j]->kind == N_KWARG && strcmp(call->list[j]->x->str, a->x->str) == 0)
                    rerr(r, a->x->line, a->x->col, "keyword argument \"%s\" is repeated", a->x->str);
            nkw++;
            expr(r, a->y);
            break;
        default:
            if (seen_varargs)
                rerr(r, a->line, a->col, "positional argument may not follow *args");
            if (seen_kwargs)
                rerr(r, a->line, a->col, "positional argument may not follow **kwargs");
            if (nkw > 0)
                rerr(r, a->line, a->col, "positional argument may not follow named");
            npos++;
            expr(r, a);
        }
    }
    if (npos > 255)
        rerr(r, call->line, call->col, "%d positional arguments in call, limit is 255", npos);
    if (nkw > 255)
        rerr(r, call->line, call->col, "%d keyword arguments in call, limit is 255", nkw);
}

static void expr(resolver *r, sl_node *e)
{
    switch (e->kind) {
    case N_IDENT:
        use_id(r, e);
        break;
    case N_INT:
    case N_FLOAT:
    case N_STRING:
        break;
    case N_LIST:
    case N_TUPLE:
        for (int i = 0; i < e->n; i++)
            expr(r, e->list[i]);
        break;
    case N_DICT:
        for (int i = 0; i < e->n; i++) {
            expr(r, e->list[i]->x);
            expr(r, e->list[i]->y);
        }
        break;
    case N_COND:
        expr(r, e->x);
        expr(r, e->y);
        expr(r, e->z);
        break;
    case N_INDEX:
        expr(r, e->x);
        expr(r, e->y);
        break;
    case N_SLICE:
        expr(r, e->x);
        if (e->y)
            expr(r, e->y);
        if (e->z)
            expr(r, e->z);
        if (e->w)
            expr(r, e->w);
        break;
    case N_COMP: {
        /* the first clause's operand is resolved outside: [x for x in x] */
        sl_node *first = e->list2[0];
        expr(r, first->y);
        push(r, new_block(r, NULL, true));
        assign(r, first->x, false);
        for (int i = 1; i < e->n2; i++) {
            sl_node *c = e->list2[i];
            if (c->kind == N_IFCLAUSE) {
                expr(r, c->x);
            } else {
                assign(r, c->x, false);
                expr(r, c->y);
            }
        }
        if (e->curly) {
            expr(r, e->x->x);
            expr(r, e->x->y);
        } else {
            expr(r, e->x);
        }
        pop(r);
        break;
    }
    case N_UNARY:
        expr(r, e->x);
        break;
    case N_BINARY:
        expr(r, e->x);
        expr(r, e->y);
        break;
    case N_DOT:
        expr(r, e->x);
        break;
    case N_CALL:
        expr(r, e->x);
        call_args(r, e);
        break;
    case N_LAMBDA:
        function(r, e->fn);
        break;
    case N_PAREN:
        expr(r, e->x);
        break;
    default:
        rerr(r, e->line, e->col, "unexpected expression");
    }
}

/* Resolves uses of this container's locals, keeping free/global ones. */
static sl_binding *lookup_local(use *u)
{
    for (block *env = u->env; env; env = env->parent) {
        sl_binding *b = block_lookup(env, u->id->str);
        if (b)
            return b;
        if (env->function)
            break;
    }
    return NULL;
}

static void resolve_local_uses(block *b)
{
    int keep = 0;
    for (int i = 0; i < b->nuses; i++) {
        use *u = &b->uses[i];
        sl_binding *bind = lookup_local(u);
        if (bind && (bind->scope == SCOPE_LOCAL || bind->scope == SCOPE_CELL))
            u->id->bind = bind;
        else
            b->uses[keep++] = *u;
    }
    b->nuses = keep;
}

static void function(resolver *r, sl_fninfo *fn)
{
    /* defaults are evaluated in the enclosing environment */
    for (int i = 0; i < fn->nparams; i++)
        if (fn->params[i]->kind == N_KWARG)
            expr(r, fn->params[i]->y);

    block *b = new_block(r, fn, false);
    push(r, b);
    int outer_loops = r->loops;
    r->loops = 0;

    bool seen_optional = false;
    sl_node *star = NULL, *starstar = NULL;
    int nkwonly = 0;
    for (int i = 0; i < fn->nparams; i++) {
        sl_node *p = fn->params[i];
        switch (p->kind) {
        case N_IDENT:
            if (starstar)
                rerr(r, p->line, p->col, "required parameter may not follow **%s", starstar->str);
            else if (star)
                nkwonly++;
            else if (seen_optional)
                rerr(r, p->line, p->col, "required parameter may not follow optional");
            if (bind(r, p))
                rerr(r, p->line, p->col, "duplicate parameter: %s", p->str);
            break;
        case N_KWARG:
            if (starstar)
                rerr(r, p->line, p->col, "optional parameter may not follow **%s", starstar->str);
            else if (star)
                nkwonly++;
            if (bind(r, p->x))
                rerr(r, p->line, p->col, "duplicate parameter: %s", p->x->str);
            seen_optional = true;
            break;
        case N_STARARG:
            if (starstar)
                rerr(r, p->line, p->col, "* parameter may not follow **%s", starstar->str);
            else if (star)
                rerr(r, p->line, p->col, "multiple * parameters not allowed");
            star = p;
            break;
        case N_KWSTAR:
            if (starstar)
                rerr(r, p->line, p->col, "multiple ** parameters not allowed");
            starstar = p->x;
            break;
        default:
            rerr(r, p->line, p->col, "invalid parameter");
        }
    }
    fn->nordinary = fn->nlocals;
    if (star) {
        if (star->x) {
            if (bind(r, star->x))
                rerr(r, star->x->line, star->x->col, "duplicate parameter: %s", star->x->str);
            fn->varargs = true;
        } else if (nkwonly == 0) {
            rerr(r, star->line, star->col, "bare * must be followed by keyword-only parameters");
        }
    }
    if (starstar) {
        if (bind(r, starstar))
            rerr(r, starstar->line, starstar->col, "duplicate parameter: %s", starstar->str);
        fn->kwargs = true;
    }
    fn->nkwonly = nkwonly;

    if (fn->lambda_body)
        expr(r, fn->lambda_body);
    else
        stmts(r, fn->body, fn->nbody);

    resolve_local_uses(b);
    pop(r);
    r->loops = outer_loops;
}

static void stmt(resolver *r, sl_node *s)
{
    switch (s->kind) {
    case N_EXPRSTMT:
        expr(r, s->x);
        break;
    case N_BREAK:
    case N_CONTINUE:
        if (r->loops == 0)
            rerr(r, s->line, s->col, "%s not in a loop", s->kind == N_BREAK ? "break" : "continue");
        break;
    case N_PASS:
        break;
    case N_IF:
        if (!container(r)->function)
            rerr(r, s->line, s->col, "if statement not within a function");
        expr(r, s->x);
        r->ifstmts++;
        stmts(r, s->list, s->n);
        stmts(r, s->list2, s->n2);
        r->ifstmts--;
        break;
    case N_ASSIGN:
        expr(r, s->y);
        assign(r, s->x, s->op != T_EQ);
        break;
    case N_DEF:
        bind(r, s->x);
        function(r, s->fn);
        break;
    case N_FOR:
        if (!container(r)->function)
            rerr(r, s->line, s->col, "for loop not within a function");
        expr(r, s->y);
        assign(r, s->x, false);
        r->loops++;
        stmts(r, s->list, s->n);
        r->loops--;
        break;
    case N_WHILE:
        rerr(r, s->line, s->col, "this Starlark dialect does not support while loops");
    case N_RETURN:
        if (!container(r)->function)
            rerr(r, s->line, s->col, "return statement not within a function");
        if (s->x)
            expr(r, s->x);
        break;
    case N_LOAD:
        if (container(r)->function)
            rerr(r, s->line, s->col, "load statement within a function");
        if (r->loops > 0)
            rerr(r, s->line, s->col, "load statement within a loop");
        if (r->ifstmts > 0)
            rerr(r, s->line, s->col, "load statement within a conditional");
        for (int i = 0; i < s->n; i++) {
            sl_node *id = s->list[i];
            if (id->str[0] == 0)
                rerr(r, id->line, id->col, "load: empty identifier");
            if (id->str[0] == '_')
                rerr(r, id->line, id->col, "load: names with leading underscores are not exported: %s", id->str);
            bind(r, id);
        }
        break;
    default:
        rerr(r, s->line, s->col, "unexpected statement");
    }
}

static void stmts(resolver *r, sl_node **v, int n)
{
    for (int i = 0; i < n; i++)
        stmt(r, v[i]);
}

/* ---- non-local uses, at the end of the module --------------------------------------- */

static sl_binding *use_toplevel(resolver *r, use *u)
{
    sl_node *id = u->id;
    sl_binding *b = block_lookup(r->file, id->str);
    if (!b)
        b = find_global(r, id->str);
    if (b)
        return b;
    if (r->is_predeclared(r->ud, id->str))
        return new_binding(r, SCOPE_PREDECLARED, 0, id);
    if (r->is_universal(r->ud, id->str))
        return new_binding(r, SCOPE_UNIVERSAL, 0, id);
    /* spelling hint over the visible locals and the globals */
    const char **cands = NULL;
    int n = 0, cap = 0;
    for (block *env = u->env; env; env = env->parent)
        for (int i = 0; i < env->nb; i++) {
            GROW(r, cands, n, cap);
            cands[n++] = env->bindings[i].name;
        }
    for (int i = 0; i < r->nglobals; i++) {
        GROW(r, cands, n, cap);
        cands[n++] = r->globals[i]->name;
    }
    /* sorted, as starlark-go, so ties pick the same candidate */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(cands[j - 1], cands[j]) > 0; j--) {
            const char *tmp = cands[j];
            cands[j] = cands[j - 1];
            cands[j - 1] = tmp;
        }
    const char *hint = sl_nearest(id->str, cands, (size_t)n);
    if (hint)
        rerr(r, id->line, id->col, "undefined: %s (did you mean %s?)", id->str, hint);
    rerr(r, id->line, id->col, "undefined: %s", id->str);
}

static sl_binding *lookup_lexical(resolver *r, use *u, block *env)
{
    if (env == r->file)
        return use_toplevel(r, u);
    sl_binding *b = block_lookup(env, u->id->str);
    if (b)
        return b;
    b = lookup_lexical(r, u, env->parent);
    if (env->function && (b->scope == SCOPE_LOCAL || b->scope == SCOPE_FREE || b->scope == SCOPE_CELL)) {
        /* found in an enclosing function: a free variable here, a cell there */
        if (b->scope == SCOPE_LOCAL)
            b->scope = SCOPE_CELL;
        sl_fninfo *fn = env->function;
        GROW(r, fn->freevars, fn->nfree, fn->free_cap);
        fn->freevars[fn->nfree] = b;
        sl_binding *fb = sl_arena_alloc(r->a, sizeof *fb);
        *fb = *b;
        fb->scope = SCOPE_FREE;
        fb->index = fn->nfree++;
        b = fb;
    }
    block_bind(r, env, u->id->str, b);
    return b;
}

static void resolve_nonlocal_uses(resolver *r, block *b)
{
    for (int i = 0; i < b->nchildren; i++)
        resolve_nonlocal_uses(r, b->children[i]);
    for (int i = 0; i < b->nuses; i++)
        b->uses[i].id->bind = lookup_lexical(r, &b->uses[i], b->uses[i].env);
}

sl_resolved *sl_resolve(sl_file *f, sl_arena *a, sl_diag *d, bool (*is_predeclared)(void *, const char *),
                        bool (*is_universal)(void *, const char *), void *ud)
{
    resolver *r = sl_arena_alloc(a, sizeof *r);
    r->a = a;
    r->d = d;
    r->file = new_block(r, NULL, false);
    r->env = r->file;
    r->toplevel = sl_arena_alloc(a, sizeof *r->toplevel);
    r->toplevel->name = "<toplevel>";
    r->toplevel->line = 1;
    r->toplevel->col = 1;
    r->is_predeclared = is_predeclared;
    r->is_universal = is_universal;
    r->ud = ud;
    stmts(r, f->stmts, f->n);
    resolve_local_uses(r->env);
    resolve_nonlocal_uses(r, r->env);
    sl_resolved *res = sl_arena_alloc(a, sizeof *res);
    res->toplevel = r->toplevel;
    res->globals = r->globals;
    res->nglobals = r->nglobals;
    return res;
}
