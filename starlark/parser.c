/* parser: recursive descent over starlark-go's grammar (syntax/grammar.txt)
 * building the tree in the arena, with its error texts and positions. A
 * nesting limit keeps the recursion of this file, the resolver and the
 * compiler within the C stack whatever the input. */
#include <stdio.h>
#include <stdlib.h>

#include "syntax.h"

#define MAX_DEPTH 400

typedef struct parser {
    sl_lexer lx;
    token tok;
    sl_tokval val;
    sl_arena *a;
    sl_diag *d;
    int depth;
} parser;

static __attribute__((noreturn, format(printf, 2, 3))) void perr(parser *p, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* starlark-go reports parse errors at the scanner's position, just
     * past the lookahead token */
    sl_syntax_error(p->d, p->lx.line, p->lx.col, "%s", msg);
}

static void next(parser *p) { p->tok = sl_lexer_next(&p->lx, &p->val); }

static sl_node *mk(parser *p, nodekind k, int line, int col)
{
    sl_node *n = sl_arena_alloc(p->a, sizeof *n);
    n->kind = k;
    n->line = line;
    n->col = col;
    return n;
}

/* A growable node list in the arena. */
typedef struct nlist {
    sl_node **v;
    int n, cap;
} nlist;

static void nl_push(parser *p, nlist *l, sl_node *x)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        sl_node **v = sl_arena_alloc(p->a, (size_t)cap * sizeof *v);
        if (l->n)
            memcpy(v, l->v, (size_t)l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
}

static void expect(parser *p, token t)
{
    if (p->tok != t) {
        char b1[16], b2[16];
        perr(p, "got %s, want %s", sl_token_desc(p->tok, b1), sl_token_desc(t, b2));
    }
    next(p);
}

static void enter(parser *p)
{
    if (++p->depth > MAX_DEPTH)
        perr(p, "expression nested too deeply");
}

static sl_node *parse_test(parser *p);
static sl_node *parse_test_prec(parser *p, int prec);
static sl_node *parse_primary_suffix(parser *p);
static sl_node **parse_stmts_until_outdent(parser *p, int *n);
static void parse_stmt(parser *p, nlist *out);

static sl_node *parse_ident(parser *p)
{
    if (p->tok != T_IDENT)
        perr(p, "not an identifier");
    sl_node *n = mk(p, N_IDENT, p->val.line, p->val.col);
    n->str = sl_arena_strndup(p->a, p->val.raw, p->val.rawlen);
    n->slen = p->val.rawlen;
    next(p);
    return n;
}

static bool terminates_exprlist(token t)
{
    switch (t) {
    case T_EOF: case T_NEWLINE: case T_EQ: case T_RBRACE: case T_RBRACK: case T_RPAREN: case T_SEMI:
        return true;
    default:
        return false;
    }
}

/* expr = test {',' test} — an unparenthesized tuple when there's a comma */
static sl_node *parse_expr(parser *p, bool in_parens)
{
    sl_node *x = parse_test(p);
    if (p->tok != T_COMMA)
        return x;
    nlist l = {0};
    nl_push(p, &l, x);
    while (p->tok == T_COMMA) {
        int line = p->val.line, col = p->val.col;
        next(p);
        if (terminates_exprlist(p->tok)) {
            if (!in_parens)
                sl_syntax_error(p->d, line, col, "unparenthesized tuple with trailing comma");
            break;
        }
        nl_push(p, &l, parse_test(p));
    }
    sl_node *t = mk(p, N_TUPLE, x->line, x->col);
    t->list = l.v;
    t->n = l.n;
    return t;
}

/* params: x, x=default, *, *args, **kwargs */
static void parse_params(parser *p, nlist *params)
{
    while (p->tok != T_RPAREN && p->tok != T_COLON && p->tok != T_EOF) {
        if (params->n > 0)
            expect(p, T_COMMA);
        if (p->tok == T_RPAREN)
            break;
        if (p->tok == T_STAR || p->tok == T_STARSTAR) {
            token op = p->tok;
            int line = p->val.line, col = p->val.col;
            next(p);
            sl_node *id = NULL;
            if (op == T_STARSTAR || p->tok == T_IDENT)
                id = parse_ident(p);
            sl_node *n = mk(p, op == T_STAR ? N_STARARG : N_KWSTAR, line, col);
            n->x = id;
            nl_push(p, params, n);
            continue;
        }
        sl_node *id = parse_ident(p);
        if (p->tok == T_EQ) {
            sl_node *kw = mk(p, N_KWARG, p->val.line, p->val.col);
            next(p);
            kw->x = id;
            kw->y = parse_test(p);
            nl_push(p, params, kw);
            continue;
        }
        nl_push(p, params, id);
    }
}

static sl_node *parse_lambda(parser *p, bool allow_cond)
{
    sl_node *n = mk(p, N_LAMBDA, p->val.line, p->val.col);
    next(p);
    nlist params = {0};
    if (p->tok != T_COLON)
        parse_params(p, &params);
    expect(p, T_COLON);
    sl_node *body = allow_cond ? parse_test(p) : parse_test_prec(p, 0);
    sl_fninfo *fn = sl_arena_alloc(p->a, sizeof *fn);
    fn->name = "lambda";
    fn->line = n->line;
    fn->col = n->col;
    fn->params = params.v;
    fn->nparams = params.n;
    fn->lambda_body = body;
    n->fn = fn;
    return n;
}

static sl_node *parse_test(parser *p)
{
    enter(p);
    sl_node *x;
    if (p->tok == T_LAMBDA) {
        x = parse_lambda(p, true);
        p->depth--;
        return x;
    }
    x = parse_test_prec(p, 0);
    if (p->tok == T_IF) {
        sl_node *c = mk(p, N_COND, p->val.line, p->val.col);
        int ifline = p->val.line, ifcol = p->val.col;
        next(p);
        c->x = parse_test_prec(p, 0);
        if (p->tok != T_ELSE)
            sl_syntax_error(p->d, ifline, ifcol, "conditional expression without else clause");
        next(p);
        c->y = x;
        c->z = parse_test(p);
        x = c;
    }
    p->depth--;
    return x;
}

static sl_node *parse_test_nocond(parser *p)
{
    if (p->tok == T_LAMBDA)
        return parse_lambda(p, false);
    return parse_test_prec(p, 0);
}

/* precedence levels, lowest first, as starlark-go */
static int precedence(token t)
{
    switch (t) {
    case T_OR: return 0;
    case T_AND: return 1;
    case T_NOT: return 2;
    case T_EQL: case T_NEQ: case T_LT: case T_GT: case T_LE: case T_GE: case T_IN: case T_NOT_IN: return 3;
    case T_PIPE: return 4;
    case T_CIRCUMFLEX: return 5;
    case T_AMP: return 6;
    case T_LTLT: case T_GTGT: return 7;
    case T_MINUS: case T_PLUS: return 8;
    case T_STAR: case T_PERCENT: case T_SLASH: case T_SLASHSLASH: return 9;
    default: return -1;
    }
}
#define NPREC 10

static sl_node *parse_binop(parser *p, int prec)
{
    sl_node *x = parse_test_prec(p, prec + 1);
    for (bool first = true;; first = false) {
        if (p->tok == T_NOT) {
            next(p);
            if (p->tok != T_IN) {
                char b[16];
                perr(p, "got %s, want in", sl_token_desc(p->tok, b));
            }
            p->tok = T_NOT_IN;
        }
        int opprec = precedence(p->tok);
        if (opprec < prec)
            return x;
        if (!first && opprec == 3)
            perr(p, "%s does not associate with %s (use parens)", sl_token_name(x->op), sl_token_name(p->tok));
        sl_node *b = mk(p, N_BINARY, p->val.line, p->val.col);
        b->op = p->tok;
        next(p);
        enter(p);
        b->x = x;
        b->y = parse_test_prec(p, opprec + 1);
        x = b;
    }
}

static sl_node *parse_test_prec(parser *p, int prec)
{
    if (prec >= NPREC)
        return parse_primary_suffix(p);
    if (p->tok == T_NOT && prec == 2) {
        sl_node *n = mk(p, N_UNARY, p->val.line, p->val.col);
        n->op = T_NOT;
        next(p);
        enter(p);
        n->x = parse_test_prec(p, prec);
        p->depth--;
        return n;
    }
    int saved = p->depth;
    sl_node *x = parse_binop(p, prec);
    p->depth = saved;
    return x;
}

static sl_node *parse_args(parser *p, sl_node *call)
{
    nlist args = {0};
    while (p->tok != T_RPAREN && p->tok != T_EOF) {
        if (args.n > 0)
            expect(p, T_COMMA);
        if (p->tok == T_RPAREN)
            break;
        if (p->tok == T_STAR || p->tok == T_STARSTAR) {
            sl_node *n = mk(p, p->tok == T_STAR ? N_STARARG : N_KWSTAR, p->val.line, p->val.col);
            next(p);
            n->x = parse_test(p);
            nl_push(p, &args, n);
            continue;
        }
        sl_node *x = parse_test(p);
        if (p->tok == T_EQ) {
            if (x->kind != N_IDENT)
                perr(p, "keyword argument must have form name=expr");
            sl_node *kw = mk(p, N_KWARG, p->val.line, p->val.col);
            next(p);
            kw->x = x;
            kw->y = parse_test(p);
            x = kw;
        }
        nl_push(p, &args, x);
    }
    call->list = args.v;
    call->n = args.n;
    return call;
}

static sl_node *parse_comprehension(parser *p, sl_node *body, int line, int col, token end)
{
    sl_node *c = mk(p, N_COMP, line, col);
    c->curly = end == T_RBRACE;
    c->x = body;
    nlist clauses = {0};
    while (p->tok != end) {
        if (p->tok == T_FOR) {
            sl_node *f = mk(p, N_FORCLAUSE, p->val.line, p->val.col);
            next(p);
            /* loop variables: primary {',' primary} */
            sl_node *v = parse_primary_suffix(p);
            if (p->tok == T_COMMA) {
                nlist vars = {0};
                nl_push(p, &vars, v);
                while (p->tok == T_COMMA) {
                    next(p);
                    if (terminates_exprlist(p->tok))
                        break;
                    nl_push(p, &vars, parse_primary_suffix(p));
                }
                sl_node *tu = mk(p, N_TUPLE, v->line, v->col);
                tu->list = vars.v;
                tu->n = vars.n;
                v = tu;
            }
            f->x = v;
            expect(p, T_IN);
            f->y = parse_test_prec(p, 0);
            nl_push(p, &clauses, f);
        } else if (p->tok == T_IF) {
            sl_node *f = mk(p, N_IFCLAUSE, p->val.line, p->val.col);
            next(p);
            f->x = parse_test_nocond(p);
            nl_push(p, &clauses, f);
        } else {
            char b[16];
            perr(p, "got %s, want '%s', for, or if", sl_token_desc(p->tok, b), sl_token_name(end));
        }
    }
    next(p);
    c->list2 = clauses.v;
    c->n2 = clauses.n;
    return c;
}

static sl_node *parse_primary(parser *p)
{
    sl_node *n;
    switch (p->tok) {
    case T_IDENT:
        return parse_ident(p);
    case T_INT:
        n = mk(p, N_INT, p->val.line, p->val.col);
        n->ival = p->val.ival;
        next(p);
        return n;
    case T_FLOAT:
        n = mk(p, N_FLOAT, p->val.line, p->val.col);
        n->fval = p->val.fval;
        next(p);
        return n;
    case T_STRING:
        n = mk(p, N_STRING, p->val.line, p->val.col);
        n->str = p->val.sval;
        n->slen = p->val.slen;
        next(p);
        return n;
    case T_BYTES:
        sl_syntax_error(p->d, p->val.line, p->val.col, "bytes literals are not supported");
    case T_LBRACK: {
        int line = p->val.line, col = p->val.col;
        next(p);
        n = mk(p, N_LIST, line, col);
        if (p->tok == T_RBRACK) {
            next(p);
            return n;
        }
        sl_node *x = parse_test(p);
        if (p->tok == T_FOR)
            return parse_comprehension(p, x, line, col, T_RBRACK);
        nlist l = {0};
        nl_push(p, &l, x);
        while (p->tok == T_COMMA) {
            next(p);
            if (terminates_exprlist(p->tok))
                break;
            nl_push(p, &l, parse_test(p));
        }
        expect(p, T_RBRACK);
        n->list = l.v;
        n->n = l.n;
        return n;
    }
    case T_LBRACE: {
        int line = p->val.line, col = p->val.col;
        next(p);
        n = mk(p, N_DICT, line, col);
        if (p->tok == T_RBRACE) {
            next(p);
            return n;
        }
        nlist l = {0};
        for (;;) {
            sl_node *k = parse_test(p);
            sl_node *e = mk(p, N_ENTRY, p->val.line, p->val.col);
            expect(p, T_COLON);
            e->x = k;
            e->y = parse_test(p);
            if (l.n == 0 && p->tok == T_FOR)
                return parse_comprehension(p, e, line, col, T_RBRACE);
            nl_push(p, &l, e);
            if (p->tok != T_COMMA)
                break;
            next(p);
            if (p->tok == T_RBRACE)
                break;
        }
        expect(p, T_RBRACE);
        n->list = l.v;
        n->n = l.n;
        return n;
    }
    case T_LPAREN: {
        int line = p->val.line, col = p->val.col;
        next(p);
        if (p->tok == T_RPAREN) {
            next(p);
            return mk(p, N_TUPLE, line, col);
        }
        n = mk(p, N_PAREN, line, col);
        n->x = parse_expr(p, true);
        expect(p, T_RPAREN);
        return n;
    }
    case T_MINUS:
    case T_PLUS:
    case T_TILDE:
        n = mk(p, N_UNARY, p->val.line, p->val.col);
        n->op = p->tok;
        next(p);
        enter(p);
        n->x = parse_primary_suffix(p);
        p->depth--;
        return n;
    default: {
        char b[16];
        sl_syntax_error(p->d, p->val.line, p->val.col, "got %s, want primary expression",
                        sl_token_desc(p->tok, b));
    }
    }
}

static sl_node *parse_primary_suffix(parser *p)
{
    sl_node *x = parse_primary(p);
    int saved = p->depth;
    for (;;) {
        switch (p->tok) {
        case T_DOT: {
            sl_node *n = mk(p, N_DOT, p->val.line, p->val.col);
            next(p);
            n->x = x;
            n->y = parse_ident(p);
            x = n;
            break;
        }
        case T_LBRACK: {
            int line = p->val.line, col = p->val.col;
            next(p);
            sl_node *lo = NULL, *hi = NULL, *step = NULL;
            if (p->tok != T_COLON) {
                sl_node *y = parse_expr(p, false);
                if (p->tok == T_RBRACK) {
                    next(p);
                    sl_node *n = mk(p, N_INDEX, line, col);
                    n->x = x;
                    n->y = y;
                    x = n;
                    break;
                }
                lo = y;
            }
            if (p->tok == T_COLON) {
                next(p);
                if (p->tok != T_COLON && p->tok != T_RBRACK)
                    hi = parse_test(p);
            }
            if (p->tok == T_COLON) {
                next(p);
                if (p->tok != T_RBRACK)
                    step = parse_test(p);
            }
            expect(p, T_RBRACK);
            sl_node *n = mk(p, N_SLICE, line, col);
            n->x = x;
            n->y = lo;
            n->z = hi;
            n->w = step;
            x = n;
            break;
        }
        case T_LPAREN: {
            sl_node *n = mk(p, N_CALL, p->val.line, p->val.col);
            next(p);
            n->x = x;
            parse_args(p, n);
            expect(p, T_RPAREN);
            x = n;
            break;
        }
        default:
            p->depth = saved;
            return x;
        }
        enter(p);
    }
}

/* ---- statements ------------------------------------------------------------------- */

static sl_node **parse_suite(parser *p, int *n);

static sl_node *parse_small_stmt(parser *p)
{
    sl_node *n;
    switch (p->tok) {
    case T_RETURN:
        n = mk(p, N_RETURN, p->val.line, p->val.col);
        next(p);
        if (p->tok != T_EOF && p->tok != T_NEWLINE && p->tok != T_SEMI)
            n->x = parse_expr(p, false);
        return n;
    case T_BREAK:
    case T_CONTINUE:
    case T_PASS:
        n = mk(p, p->tok == T_BREAK ? N_BREAK : p->tok == T_CONTINUE ? N_CONTINUE : N_PASS, p->val.line,
               p->val.col);
        next(p);
        return n;
    case T_LOAD: {
        n = mk(p, N_LOAD, p->val.line, p->val.col);
        next(p);
        expect(p, T_LPAREN);
        if (p->tok != T_STRING)
            perr(p, "first operand of load statement must be a string literal");
        n->str = p->val.sval;
        next(p);
        int count = 0;
        nlist names = {0};
        while (p->tok != T_RPAREN && p->tok != T_EOF) {
            expect(p, T_COMMA);
            if (p->tok == T_RPAREN)
                break;
            if (p->tok == T_STRING) {
                sl_node *id = mk(p, N_IDENT, p->val.line, p->val.col + 1);
                id->str = p->val.sval;
                id->slen = p->val.slen;
                nl_push(p, &names, id);
                next(p);
            } else if (p->tok == T_IDENT) {
                sl_node *id = parse_ident(p);
                nl_push(p, &names, id);
                if (p->tok != T_EQ)
                    perr(p, "load operand must be \"%s\" or %s=\"originalname\" (want '=' after %s)", id->str,
                         id->str, id->str);
                next(p);
                if (p->tok != T_STRING)
                    perr(p, "original name of loaded symbol must be quoted: %s=\"originalname\"", id->str);
                next(p);
            } else {
                char b[16];
                perr(p, "load operand must be \"name\" or localname=\"name\" (got %s)", sl_token_desc(p->tok, b));
            }
            count++;
        }
        expect(p, T_RPAREN);
        if (count == 0)
            sl_syntax_error(p->d, n->line, n->col + 4, "load statement must import at least 1 symbol");
        n->list = names.v;
        n->n = names.n;
        return n;
    }
    default:
        break;
    }
    sl_node *x = parse_expr(p, false);
    switch (p->tok) {
    case T_EQ: case T_PLUS_EQ: case T_MINUS_EQ: case T_STAR_EQ: case T_SLASH_EQ: case T_SLASHSLASH_EQ:
    case T_PERCENT_EQ: case T_AMP_EQ: case T_PIPE_EQ: case T_CIRCUMFLEX_EQ: case T_LTLT_EQ: case T_GTGT_EQ:
        n = mk(p, N_ASSIGN, p->val.line, p->val.col);
        n->op = p->tok;
        next(p);
        n->x = x;
        n->y = parse_expr(p, false);
        return n;
    default:
        n = mk(p, N_EXPRSTMT, x->line, x->col);
        n->x = x;
        return n;
    }
}

static void parse_simple_stmt(parser *p, nlist *out)
{
    for (;;) {
        nl_push(p, out, parse_small_stmt(p));
        if (p->tok != T_SEMI)
            break;
        next(p);
        if (p->tok == T_NEWLINE || p->tok == T_EOF)
            break;
    }
    if (p->tok != T_EOF)
        expect(p, T_NEWLINE);
}

static sl_node *parse_if(parser *p)
{
    sl_node *n = mk(p, N_IF, p->val.line, p->val.col);
    next(p);
    n->x = parse_test(p);
    expect(p, T_COLON);
    n->list = parse_suite(p, &n->n);
    sl_node *tail = n;
    while (p->tok == T_ELIF) {
        sl_node *e = mk(p, N_IF, p->val.line, p->val.col);
        next(p);
        e->x = parse_test(p);
        expect(p, T_COLON);
        e->list = parse_suite(p, &e->n);
        tail->list2 = sl_arena_alloc(p->a, sizeof(sl_node *));
        tail->list2[0] = e;
        tail->n2 = 1;
        tail = e;
    }
    if (p->tok == T_ELSE) {
        next(p);
        expect(p, T_COLON);
        tail->list2 = parse_suite(p, &tail->n2);
    }
    return n;
}

static sl_node *parse_loop_vars(parser *p)
{
    sl_node *v = parse_primary_suffix(p);
    if (p->tok != T_COMMA)
        return v;
    nlist vars = {0};
    nl_push(p, &vars, v);
    while (p->tok == T_COMMA) {
        next(p);
        if (terminates_exprlist(p->tok))
            break;
        nl_push(p, &vars, parse_primary_suffix(p));
    }
    sl_node *tu = mk(p, N_TUPLE, v->line, v->col);
    tu->list = vars.v;
    tu->n = vars.n;
    return tu;
}

static void parse_stmt(parser *p, nlist *out)
{
    enter(p);
    switch (p->tok) {
    case T_DEF: {
        sl_node *n = mk(p, N_DEF, p->val.line, p->val.col);
        next(p);
        sl_node *name = parse_ident(p);
        expect(p, T_LPAREN);
        nlist params = {0};
        parse_params(p, &params);
        expect(p, T_RPAREN);
        expect(p, T_COLON);
        sl_fninfo *fn = sl_arena_alloc(p->a, sizeof *fn);
        fn->name = name->str;
        fn->line = n->line;
        fn->col = n->col;
        fn->params = params.v;
        fn->nparams = params.n;
        fn->body = parse_suite(p, &fn->nbody);
        n->x = name;
        n->fn = fn;
        nl_push(p, out, n);
        break;
    }
    case T_IF:
        nl_push(p, out, parse_if(p));
        break;
    case T_FOR: {
        sl_node *n = mk(p, N_FOR, p->val.line, p->val.col);
        next(p);
        n->x = parse_loop_vars(p);
        expect(p, T_IN);
        n->y = parse_expr(p, false);
        expect(p, T_COLON);
        n->list = parse_suite(p, &n->n);
        nl_push(p, out, n);
        break;
    }
    case T_WHILE: {
        sl_node *n = mk(p, N_WHILE, p->val.line, p->val.col);
        next(p);
        n->x = parse_test(p);
        expect(p, T_COLON);
        n->list = parse_suite(p, &n->n);
        nl_push(p, out, n);
        break;
    }
    default:
        parse_simple_stmt(p, out);
    }
    p->depth--;
}

static sl_node **parse_stmts_until_outdent(parser *p, int *n)
{
    nlist l = {0};
    while (p->tok != T_OUTDENT && p->tok != T_EOF)
        parse_stmt(p, &l);
    *n = l.n;
    return l.v;
}

static sl_node **parse_suite(parser *p, int *n)
{
    if (p->tok == T_NEWLINE) {
        next(p);
        expect(p, T_INDENT);
        sl_node **v = parse_stmts_until_outdent(p, n);
        expect(p, T_OUTDENT);
        return v;
    }
    nlist l = {0};
    parse_simple_stmt(p, &l);
    *n = l.n;
    return l.v;
}

sl_file *sl_parse(const char *src, size_t len, sl_arena *a, sl_diag *d)
{
    /* CRLF and lone CR read as LF, as starlark-go's scanner */
    char *norm = sl_arena_alloc(a, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') {
            norm[o++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n')
                i++;
        } else {
            norm[o++] = src[i];
        }
    }
    parser *p = sl_arena_alloc(a, sizeof *p);
    p->a = a;
    p->d = d;
    sl_lexer_init(&p->lx, norm, o, a, d);
    next(p);
    nlist stmts = {0};
    while (p->tok != T_EOF) {
        if (p->tok == T_NEWLINE) {
            next(p);
            continue;
        }
        parse_stmt(p, &stmts);
    }
    sl_file *f = sl_arena_alloc(a, sizeof *f);
    f->stmts = stmts.v;
    f->n = stmts.n;
    return f;
}
