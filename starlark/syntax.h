/* syntax: tokens, the syntax tree, and the lexer/parser/resolver/compiler
 * entry points. The tree and every string in it live in one arena that
 * is freed when compilation ends. */
#ifndef SL_SYNTAX_H
#define SL_SYNTAX_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Tokens, in starlark-go's order where it matters: PLUS..GTGT parallel
 * PLUS_EQ..GTGT_EQ. */
typedef enum {
    T_ILLEGAL, T_EOF, T_NEWLINE, T_INDENT, T_OUTDENT,
    T_IDENT, T_INT, T_FLOAT, T_STRING, T_BYTES,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_SLASHSLASH, T_PERCENT, T_AMP, T_PIPE, T_CIRCUMFLEX, T_LTLT, T_GTGT,
    T_TILDE, T_DOT, T_COMMA, T_EQ, T_SEMI, T_COLON, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_LBRACE, T_RBRACE,
    T_LT, T_GT, T_GE, T_LE, T_EQL, T_NEQ,
    T_PLUS_EQ, T_MINUS_EQ, T_STAR_EQ, T_SLASH_EQ, T_SLASHSLASH_EQ, T_PERCENT_EQ, T_AMP_EQ, T_PIPE_EQ,
    T_CIRCUMFLEX_EQ, T_LTLT_EQ, T_GTGT_EQ, T_STARSTAR,
    T_AND, T_BREAK, T_CONTINUE, T_DEF, T_ELIF, T_ELSE, T_FOR, T_IF, T_IN, T_LAMBDA, T_LOAD, T_NOT, T_NOT_IN,
    T_OR, T_PASS, T_RETURN, T_WHILE,
    T_AS, T_ASYNC, T_AWAIT, T_CLASS, T_DEL, T_EXCEPT, T_FINALLY, T_FROM, T_GLOBAL, T_IMPORT, T_IS, T_NONLOCAL,
    T_RAISE, T_TRY, T_WITH, T_YIELD,
    T_MAX
} token;

/* starlark-go's Token.GoString: punctuation quoted. */
const char *sl_token_desc(token t, char buf[16]);
const char *sl_token_name(token t);

typedef struct sl_arena sl_arena;
void *sl_arena_alloc(sl_arena *a, size_t n);
sl_arena *sl_arena_new(void);
void sl_arena_free(sl_arena *a);
char *sl_arena_strndup(sl_arena *a, const char *s, size_t n);

/* A compile error: the first one found aborts (longjmp). */
typedef struct sl_diag {
    jmp_buf jb;
    char msg[512];
    int line, col;
    const char *file; /* for "declared at file:line:col" */
} sl_diag;
__attribute__((noreturn, format(printf, 4, 5))) void sl_syntax_error(sl_diag *d, int line, int col, const char *fmt,
                                                                      ...);

/* ---- lexer -------------------------------------------------------------- */

typedef struct sl_tokval {
    token tok;
    int line, col;         /* start */
    const char *raw;       /* source text of the token */
    size_t rawlen;
    int64_t ival;
    double fval;
    char *sval;            /* decoded string (arena) */
    size_t slen;
} sl_tokval;

typedef struct sl_lexer {
    const char *src;
    size_t len, pos;
    int line, col;          /* of src[pos] */
    int depth;              /* open brackets */
    int indent[256];
    int nindent;
    int dents;              /* pending INDENT (>0) / OUTDENT (<0) tokens */
    bool line_start;
    sl_arena *arena;
    sl_diag *diag;
} sl_lexer;

void sl_lexer_init(sl_lexer *lx, const char *src, size_t len, sl_arena *a, sl_diag *d);
token sl_lexer_next(sl_lexer *lx, sl_tokval *val);

/* ---- syntax tree ----------------------------------------------------------- */

typedef enum {
    N_IDENT, N_INT, N_FLOAT, N_STRING, N_LIST, N_TUPLE, N_DICT, N_ENTRY, N_COMP, N_COND, N_UNARY,
    N_BINARY, N_DOT, N_INDEX, N_SLICE, N_CALL, N_LAMBDA, N_PAREN,
    N_FORCLAUSE, N_IFCLAUSE,
    N_EXPRSTMT, N_ASSIGN, N_DEF, N_IF, N_FOR, N_WHILE, N_RETURN, N_BREAK, N_CONTINUE, N_PASS, N_LOAD,
    /* call arguments / parameters */
    N_KWARG,   /* name=value (x: N_IDENT, y: value) */
    N_STARARG, /* *x in a call or parameter list (x may be NULL for bare *) */
    N_KWSTAR,  /* **x */
} nodekind;

enum { SCOPE_UNDEFINED, SCOPE_LOCAL, SCOPE_CELL, SCOPE_FREE, SCOPE_GLOBAL, SCOPE_PREDECLARED, SCOPE_UNIVERSAL };

typedef struct sl_binding {
    int scope;
    int index;
    const char *name;
    int line, col; /* first binding occurrence */
} sl_binding;

struct sl_fninfo;

typedef struct sl_node {
    nodekind kind;
    int line, col; /* the node's position for errors (operator, '(', '[', '.', name) */
    token op;      /* unary/binary operator; assignment operator (T_EQ or T_PLUS_EQ...) */
    struct sl_node *x, *y, *z, *w;
    struct sl_node **list; /* elements, arguments, parameters, body, clauses */
    int n;
    struct sl_node **list2; /* else branch; comprehension clauses */
    int n2;
    int64_t ival;
    double fval;
    const char *str; /* identifier name, string value */
    size_t slen;
    bool curly;  /* N_COMP: dict comprehension */
    int end_line, end_col; /* N_IDENT etc: for "declared at" */
    sl_binding *bind;        /* N_IDENT after resolving */
    struct sl_fninfo *fn;    /* N_DEF, N_LAMBDA */
} sl_node;

typedef struct sl_fninfo {
    const char *name;
    int line, col;
    sl_node **params;
    int nparams;
    sl_node **body;
    int nbody;
    sl_node *lambda_body; /* lambda: the expression */
    /* resolver results */
    sl_binding **locals;
    int nlocals, locals_cap;
    sl_binding **freevars; /* bindings of the enclosing function */
    int nfree, free_cap;
    int nkwonly;
    bool varargs, kwargs;
    int nordinary; /* ordinary parameters */
} sl_fninfo;

typedef struct sl_file {
    sl_node **stmts;
    int n;
} sl_file;

sl_file *sl_parse(const char *src, size_t len, sl_arena *a, sl_diag *d);

/* ---- resolver ------------------------------------------------------------------ */

typedef struct sl_resolved {
    sl_fninfo *toplevel; /* module-level locals (comprehension variables) */
    sl_binding **globals;
    int nglobals;
} sl_resolved;

/* is_predeclared(name) tells predeclared names apart from undefined ones. */
sl_resolved *sl_resolve(sl_file *f, sl_arena *a, sl_diag *d, bool (*is_predeclared)(void *, const char *),
                        bool (*is_universal)(void *, const char *), void *ud);

/* ---- compiler --------------------------------------------------------------------- */

sl_program *sl_compile(sl_thread *t, const char *filename, sl_file *f, sl_resolved *r, sl_diag *d);
void sl_program_free(sl_program *p);

#endif
