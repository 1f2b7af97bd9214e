/* opcodes: the bytecode shared by compile.c and eval.c. Code is an array
 * of 32-bit words: an opcode followed by its operands (count in the
 * table). The machine is a stack machine; locals live in slots below
 * each frame's operand stack. */
#ifndef SL_OPCODES_H
#define SL_OPCODES_H

/* X(name, operands) */
#define SL_OPCODES(X)                                                                              \
    X(NOP, 0)                                                                                      \
    X(POP, 0)                                                                                      \
    X(DUP, 0)                                                                                      \
    X(DUP2, 0)                                                                                     \
    X(EXCH, 0)                                                                                     \
    X(CONST, 1)          /* push consts[k] */                                                      \
    X(NONE, 0)                                                                                     \
    X(TRUE, 0)                                                                                     \
    X(FALSE, 0)                                                                                    \
    X(MANDATORY, 0)      /* push the "required keyword-only parameter" marker */                   \
    X(LOCAL, 1)          /* push locals[i] */                                                      \
    X(SETLOCAL, 1)                                                                                 \
    X(LOCALCELL, 1)      /* push the value of the cell in locals[i] */                             \
    X(SETLOCALCELL, 1)                                                                             \
    X(CELLREF, 1)        /* push the cell object in locals[i] (for a closure) */                   \
    X(FREE, 1)           /* push the value of free variable i */                                   \
    X(FREEREF, 1)        /* push the cell object of free variable i */                             \
    X(GLOBAL, 1)                                                                                   \
    X(SETGLOBAL, 1)                                                                                \
    X(ADD, 0)                                                                                      \
    X(SUB, 0)                                                                                      \
    X(MUL, 0)                                                                                      \
    X(DIV, 0)                                                                                      \
    X(FLOORDIV, 0)                                                                                 \
    X(MOD, 0)                                                                                      \
    X(BITAND, 0)                                                                                   \
    X(BITOR, 0)                                                                                    \
    X(BITXOR, 0)                                                                                   \
    X(SHL, 0)                                                                                      \
    X(SHR, 0)                                                                                      \
    X(IN, 0)                                                                                       \
    X(NOTIN, 0)                                                                                    \
    X(EQ, 0)                                                                                       \
    X(NE, 0)                                                                                       \
    X(LT, 0)                                                                                       \
    X(LE, 0)                                                                                       \
    X(GT, 0)                                                                                       \
    X(GE, 0)                                                                                       \
    X(INPLACE_ADD, 0)                                                                              \
    X(INPLACE_OR, 0)                                                                               \
    X(NOT, 0)                                                                                      \
    X(NEG, 0)                                                                                      \
    X(POS, 0)                                                                                      \
    X(INVERT, 0)                                                                                   \
    X(JMP, 1)                                                                                      \
    X(JMPF, 1)           /* pop; jump if false */                                                  \
    X(JMPT, 1)           /* pop; jump if true */                                                   \
    X(JMPF_KEEP, 1)      /* jump keeping x if false, else pop (and) */                             \
    X(JMPT_KEEP, 1)      /* jump keeping x if true, else pop (or) */                               \
    X(MAKETUPLE, 1)                                                                                \
    X(MAKELIST, 1)                                                                                 \
    X(MAKEDICT, 0)                                                                                 \
    X(SETDICT, 1)        /* k v -> ; into the dict d slots below k (comprehensions) */             \
    X(SETDICTUNIQ, 0)    /* dict k v -> dict; "duplicate key" if present (dict literals) */        \
    X(APPEND, 1)         /* v -> ; onto the list d slots below v (comprehensions) */               \
    X(INDEX, 0)                                                                                    \
    X(SETINDEX, 0)       /* v x y -> ; x[y] = v */                                                 \
    X(SLICE, 0)          /* x lo hi step -> x[lo:hi:step] */                                       \
    X(ATTR, 1)           /* x -> x.name (consts[k]) */                                             \
    X(SETFIELD, 1)       /* v x -> ; error */                                                      \
    X(UNPACK, 1)         /* seq -> items, last pushed first */                                     \
    X(ITERPUSH, 0)       /* iterable -> iterable state */                                          \
    X(ITERJMP, 1)        /* push the next element, or jump when done */                            \
    X(ITERPOP, 0)                                                                                  \
    X(CALL, 2)           /* argc word, kwnames const (or ~0) */                                    \
    X(CALL_METHOD, 4)    /* name const, argc word, kwnames const, inline cache */                  \
    X(MAKEFUNC, 1)       /* defaults... cells... -> function of funcs[k] */                        \
    X(RETURN, 0)                                                                                   \
    X(LOAD, 1)           /* load statement: not supported */                                      \
    /* fused instructions */                                                                       \
    X(LOCAL_LOCAL, 2)    /* push locals[a], locals[b] */                                           \
    X(LOCAL_CONST, 2)    /* push locals[a], consts[k] */                                           \
    X(ADD_LOCAL_CONST_SET, 3) /* locals[a] = locals[b] + consts[k] (ints fast) */                  \
    X(LT_JMPF, 1)        /* x y -> ; jump unless x < y */                                          \
    X(LE_JMPF, 1)                                                                                  \
    X(GT_JMPF, 1)                                                                                  \
    X(GE_JMPF, 1)                                                                                  \
    X(EQ_JMPF, 1)                                                                                  \
    X(NE_JMPF, 1)                                                                                  \
    X(ITERJMP_SETLOCAL, 2) /* ITERJMP then SETLOCAL a */

enum {
#define X(name, n) OP_##name,
    SL_OPCODES(X)
#undef X
        OP_COUNT
};

/* argc word of CALL / CALL_METHOD */
#define CALL_NPOS(w) ((w)&0xff)
#define CALL_NKW(w) (((w) >> 8) & 0xff)
#define CALL_VARARGS 0x10000u
#define CALL_KWARGS 0x20000u
#define CALL_NOKW 0xffffffffu

#endif
