/* heap: allocation with a byte budget, a mark-and-sweep collector, and
 * freezing.
 *
 * Why a tracing collector and not refcounts or a per-run arena: a list
 * may contain itself (cycles), loops that build strings would grow an
 * arena without bound, and refcount traffic would slow the interpreter's
 * hot paths. Collections only happen at safe points of the interpreter
 * (loop heads, function entries), where every live value is on the value
 * stack, in a module, pinned, or interned, so C code never has to root
 * its temporaries. C code that calls back into Starlark (sorted's key=)
 * raises gc_inhibit for the duration. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define GC_MIN (16u << 20) /* do not bother collecting below 16 MiB */

/* Small objects (up to 256 bytes: most strings, tuples, dicts, cells)
 * come from per-thread free lists by 16-byte size class, carved from
 * 64 KiB chunks that are returned when the thread is freed: allocation
 * and sweeping then cost a few instructions instead of malloc/free.
 * Under AddressSanitizer a free slot's body is poisoned, so that a use
 * after free is still reported. */
#if defined(__SANITIZE_ADDRESS__)
#define SL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SL_ASAN 1
#endif
#endif
#ifdef SL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif
#define SL_POOL 1
#define POOL_MAX 256
#define POOL_CHUNK (64u << 10)

static size_t obj_size(const sl_obj *o)
{
    switch (o->kind) {
    case SL_STRING:
        return sizeof(sl_string) + ((const sl_string *)o)->len + 1;
    case SL_LIST:
        return sizeof(sl_list);
    case SL_TUPLE:
        return sizeof(sl_tuple) + ((const sl_tuple *)o)->len * sizeof(sl_value);
    case SL_DICT:
    case SL_SET:
        return sizeof(sl_dict);
    case SL_CELL:
        return sizeof(sl_cell);
    case SL_RANGE:
        return sizeof(sl_range);
    case SL_STRITER:
        return sizeof(sl_striter);
    case SL_BUILTIN:
        return sizeof(sl_builtinobj);
    case SL_FUNCTION: {
        const sl_function *f = (const sl_function *)o;
        return sizeof(sl_function) + (size_t)(f->code->ndefaults + f->code->nfree) * sizeof(sl_value);
    }
    default:
        return 0;
    }
}

static bool over_budget(sl_thread *t, size_t size)
{
    if (t->opts.max_memory == 0 || t->bytes + size <= t->opts.max_memory)
        return false;
    sl_errorf(t, "memory limit exceeded (%zu bytes)", t->opts.max_memory);
    return true;
}

void *sl_xmalloc(sl_thread *t, size_t size)
{
    if (over_budget(t, size))
        return NULL;
    void *p = malloc(size ? size : 1);
    if (!p) {
        sl_errorf(t, "out of memory");
        return NULL;
    }
    t->bytes += size;
    return p;
}

void *sl_xrealloc(sl_thread *t, void *p, size_t old, size_t size)
{
    if (size > old && over_budget(t, size - old))
        return NULL;
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        sl_errorf(t, "out of memory");
        return NULL;
    }
    t->bytes = t->bytes - old + size;
    return q;
}

void sl_xfree(sl_thread *t, void *p, size_t size)
{
    if (!p)
        return;
    free(p);
    t->bytes -= size;
}

static size_t pool_class_size(size_t size) { return (size + 15) & ~(size_t)15; }

static void *obj_malloc(sl_thread *t, size_t size)
{
    if (!SL_POOL || size > POOL_MAX)
        return sl_xmalloc(t, size);
    size_t cs = pool_class_size(size);
    if (over_budget(t, cs))
        return NULL;
    void **head = &t->pool_free[cs / 16 - 1];
    void *p = *head;
    if (p) {
        UNPOISON(p, cs);
        *head = *(void **)p;
    } else {
        if (!t->pool_next || (size_t)(t->pool_end - t->pool_next) < cs) {
            char *chunk = malloc(POOL_CHUNK);
            if (!chunk) {
                sl_errorf(t, "out of memory");
                return NULL;
            }
            /* each chunk starts with the next chunk and its used end */
            if (t->pool_chunks)
                ((char **)t->pool_chunks)[1] = t->pool_next;
            ((void **)chunk)[0] = t->pool_chunks;
            ((char **)chunk)[1] = chunk + 16;
            t->pool_chunks = chunk;
            t->pool_next = chunk + 16;
            t->pool_end = chunk + POOL_CHUNK;
        }
        p = t->pool_next;
        t->pool_next += cs;
    }
    t->bytes += cs;
    return p;
}

static void obj_free(sl_thread *t, void *p, size_t size)
{
    if (!SL_POOL || size > POOL_MAX) {
        sl_xfree(t, p, size);
        return;
    }
    size_t cs = pool_class_size(size);
    void **head = &t->pool_free[cs / 16 - 1];
    ((sl_obj *)p)->kind = SL_INVALID; /* a free slot, for the chunk walk */
    ((sl_obj *)p)->flags = (uint8_t)((cs / 16 - 1) << 4);
    *(void **)p = *head;
    *head = p;
    t->bytes -= cs;
    POISON((char *)p + 16, cs - 16);
}

/* Objects owning memory outside themselves are swept through the
 * `objects` list; pooled objects without any are found by walking the
 * chunks, which reads memory in order instead of chasing pointers. */
static bool on_list(sl_kind kind, size_t size)
{
    if (!SL_POOL || size > POOL_MAX)
        return true;
    return kind == SL_LIST || kind == SL_DICT || kind == SL_SET || kind == SL_BUILTIN;
}

void *sl_alloc(sl_thread *t, sl_kind kind, size_t size)
{
    sl_obj *o = obj_malloc(t, size);
    if (!o)
        return NULL;
    /* the fixed part of every object layout fits in 64 bytes; trailing
     * data (string bytes, tuple items) is filled by the caller. Pool
     * slots are whole 16-byte classes, so constant-size stores fit. */
    size_t cs = pool_class_size(size);
    if (SL_POOL && size <= POOL_MAX && cs >= 64)
        memset(o, 0, 64);
    else if (SL_POOL && size <= POOL_MAX && cs == 48)
        memset(o, 0, 48);
    else if (SL_POOL && size <= POOL_MAX && cs == 32)
        memset(o, 0, 32);
    else
        memset(o, 0, size < 64 ? size : 64);
    o->kind = (uint8_t)kind;
    if (on_list(kind, size)) {
        o->next = t->objects;
        t->objects = o;
    } else {
        o->flags = SL_OBJ_POOLED;
        t->pool_slots++;
    }
    return o;
}

/* ---- marking ------------------------------------------------------------ */

typedef struct markstack {
    sl_obj **p;
    size_t len, cap;
    bool oom;
} markstack;

static void push(markstack *ms, sl_value v)
{
    if (!sl_is_obj(v))
        return;
    sl_obj *o = v.u.o;
    if (o->mark)
        return;
    o->mark = 1;
    if (o->kind == SL_STRING || o->kind == SL_RANGE)
        return; /* no children */
    if (ms->len == ms->cap) {
        size_t cap = ms->cap ? ms->cap * 2 : 256;
        sl_obj **p = realloc(ms->p, cap * sizeof *p);
        if (!p) {
            /* Can't record children: keep marking conservatively by
             * failing the sweep (see sl_gc). */
            ms->oom = true;
            return;
        }
        ms->p = p;
        ms->cap = cap;
    }
    ms->p[ms->len++] = o;
}

static void push_values(markstack *ms, const sl_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        push(ms, v[i]);
}

static void scan(markstack *ms, sl_obj *o)
{
    switch (o->kind) {
    case SL_LIST: {
        sl_list *l = (sl_list *)o;
        push_values(ms, l->items, l->len);
        break;
    }
    case SL_TUPLE: {
        sl_tuple *tu = (sl_tuple *)o;
        push_values(ms, tu->items, tu->len);
        break;
    }
    case SL_DICT:
    case SL_SET: {
        sl_dict *d = (sl_dict *)o;
        for (uint32_t i = 0; i < d->ht.used; i++) {
            sl_htentry *e = &d->ht.entries[i];
            if (e->key.kind != SL_INVALID) {
                push(ms, e->key);
                push(ms, e->val);
            }
        }
        break;
    }
    case SL_CELL:
        push(ms, ((sl_cell *)o)->v);
        break;
    case SL_STRITER:
        push(ms, ((sl_striter *)o)->s);
        break;
    case SL_BUILTIN:
        push(ms, ((sl_builtinobj *)o)->self);
        break;
    case SL_FUNCTION: {
        sl_function *f = (sl_function *)o;
        push_values(ms, f->data, (size_t)(f->code->ndefaults + f->code->nfree));
        break;
    }
    default:
        break;
    }
}

static void mark_program(markstack *ms, const sl_program *p)
{
    push_values(ms, p->consts, p->nconsts);
    push_values(ms, p->globalnames, p->nglobals);
    for (size_t i = 0; i < p->nfuncs; i++)
        if (p->funcs[i]) {
            push_values(ms, p->funcs[i]->localnames, (size_t)p->funcs[i]->nlocals);
            push_values(ms, p->funcs[i]->freenames, (size_t)p->funcs[i]->nfree);
        }
}

static void free_obj(sl_thread *t, sl_obj *o)
{
    switch (o->kind) {
    case SL_LIST: {
        sl_list *l = (sl_list *)o;
        sl_xfree(t, l->items, l->cap * sizeof(sl_value));
        break;
    }
    case SL_DICT:
    case SL_SET: {
        sl_dict *d = (sl_dict *)o;
        sl_xfree(t, d->ht.entries, d->ht.cap * sizeof(sl_htentry));
        if (d->ht.index)
            sl_xfree(t, d->ht.index, (d->ht.mask + 1) * sizeof(int32_t));
        break;
    }
    case SL_BUILTIN: {
        sl_builtinobj *b = (sl_builtinobj *)o;
        if (b->owned)
            sl_xfree(t, b->owned, strlen(b->owned) + 1);
        break;
    }
    default:
        break;
    }
    obj_free(t, o, obj_size(o));
}

/* Frees the unmarked pooled objects that are not on the list. */
static void sweep_chunks(sl_thread *t)
{
    if (t->pool_chunks)
        ((char **)t->pool_chunks)[1] = t->pool_next;
    for (char *chunk = t->pool_chunks; chunk; chunk = ((char **)chunk)[0]) {
        char *end = ((char **)chunk)[1];
        for (char *p = chunk + 16; p < end;) {
            sl_obj *o = (sl_obj *)p;
            size_t cs;
            if (o->kind == SL_INVALID) {
                cs = ((size_t)(o->flags >> 4) + 1) * 16; /* a free slot */
            } else {
                cs = pool_class_size(obj_size(o));
                if (o->flags & SL_OBJ_POOLED) {
                    if (o->mark) {
                        o->mark = 0;
                    } else {
                        free_obj(t, o);
                        t->pool_slots--;
                    }
                }
            }
            p += cs;
        }
    }
}

void sl_gc(sl_thread *t)
{
    markstack ms = {0};

    /* roots: the value stack up to the top frame's stack pointer */
    if (t->nframes > 0) {
        sl_value *top = t->frames[t->nframes - 1].sp;
        push_values(&ms, t->stack, (size_t)(top - t->stack));
    }
    for (int i = 0; i < t->nframes; i++)
        if (t->frames[i].fn)
            push(&ms, sl_mkobj(t->frames[i].fn));
    push_values(&ms, t->pins, t->npins);
    for (sl_module *m = t->modules; m; m = m->next)
        push_values(&ms, m->globals, m->prog->nglobals);
    for (size_t i = 0; i < t->nprogs; i++)
        mark_program(&ms, t->progs[i]);
    if (t->predeclared)
        push(&ms, sl_mkobj(t->predeclared));
    if (t->universe)
        push(&ms, sl_mkobj(t->universe));
    for (size_t i = 0; i < t->intern_cap; i++)
        if (t->intern[i])
            push(&ms, sl_mkobj(t->intern[i]));

    while (ms.len > 0 && !ms.oom)
        scan(&ms, ms.p[--ms.len]);

    if (ms.oom) {
        /* Could not finish marking: keep everything this time. */
        for (sl_obj *o = t->objects; o; o = o->next)
            o->mark = 0;
        if (t->pool_chunks)
            ((char **)t->pool_chunks)[1] = t->pool_next;
        for (char *chunk = t->pool_chunks; chunk; chunk = ((char **)chunk)[0]) {
            char *end = ((char **)chunk)[1];
            for (char *p = chunk + 16; p < end;) {
                sl_obj *x = (sl_obj *)p;
                size_t cs = x->kind == SL_INVALID ? ((size_t)(x->flags >> 4) + 1) * 16 : pool_class_size(obj_size(x));
                x->mark = 0;
                p += cs;
            }
        }
        free(ms.p);
        return;
    }
    free(ms.p);

    sl_obj **pp = &t->objects;
    while (*pp) {
        sl_obj *o = *pp;
        if (o->mark) {
            o->mark = 0;
            pp = &o->next;
        } else {
            *pp = o->next;
            free_obj(t, o);
        }
    }
    sweep_chunks(t);
    t->live = t->bytes;
    size_t next = t->live * 2;
    if (next < GC_MIN)
        next = GC_MIN;
    if (t->opts.max_memory) {
        /* collect before half the remaining headroom is used */
        size_t room = t->opts.max_memory > t->live ? t->opts.max_memory - t->live : 0;
        if (next > t->live + room / 2)
            next = t->live + room / 2;
    }
    t->next_gc = next;
}

void sl_free_all(sl_thread *t)
{
    /* pooled objects own no outside memory: their chunks go at once */
    sl_obj *o = t->objects;
    while (o) {
        sl_obj *n = o->next;
        free_obj(t, o);
        o = n;
    }
    t->objects = NULL;
    t->pool_slots = 0;
    void *c = t->pool_chunks;
    while (c) {
        void *n = *(void **)c;
        UNPOISON(c, POOL_CHUNK);
        free(c);
        c = n;
    }
    t->pool_chunks = NULL;
    memset(t->pool_free, 0, sizeof t->pool_free);
    t->pool_next = t->pool_end = NULL;
}

/* ---- freezing -------------------------------------------------------------- */

typedef struct freezestack {
    sl_obj **p;
    size_t len, cap;
    bool oom;
} freezestack;

static void freeze_push(freezestack *fs, sl_value c)
{
    if (!sl_is_obj(c) || c.u.o->frozen)
        return;
    c.u.o->frozen = 1;
    if (fs->len == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 64;
        sl_obj **n = realloc(fs->p, cap * sizeof *n);
        if (!n) {
            fs->oom = true;
            return;
        }
        fs->p = n;
        fs->cap = cap;
    }
    fs->p[fs->len++] = c.u.o;
}

static void freeze_values(freezestack *fs, const sl_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        freeze_push(fs, v[i]);
}

/* Freezes v and everything it reaches (an explicit stack: data may nest
 * deeply). Out of memory while freezing leaves the rest unfrozen, which
 * only loses the immutability guarantee of data nobody can reach then. */
void sl_freeze_value(sl_value v)
{
    freezestack fs = {0};
    freeze_push(&fs, v);
    while (fs.len > 0 && !fs.oom) {
        sl_obj *o = fs.p[--fs.len];
        switch (o->kind) {
        case SL_LIST:
            freeze_values(&fs, ((sl_list *)o)->items, ((sl_list *)o)->len);
            break;
        case SL_TUPLE:
            freeze_values(&fs, ((sl_tuple *)o)->items, ((sl_tuple *)o)->len);
            break;
        case SL_DICT:
        case SL_SET: {
            sl_dict *d = (sl_dict *)o;
            for (uint32_t i = 0; i < d->ht.used; i++) {
                if (d->ht.entries[i].key.kind == SL_INVALID)
                    continue;
                freeze_push(&fs, d->ht.entries[i].key);
                freeze_push(&fs, d->ht.entries[i].val);
            }
            break;
        }
        case SL_CELL:
            freeze_push(&fs, ((sl_cell *)o)->v);
            break;
        case SL_FUNCTION: {
            sl_function *f = (sl_function *)o;
            freeze_values(&fs, f->data, (size_t)(f->code->ndefaults + f->code->nfree));
            break;
        }
        case SL_BUILTIN:
            freeze_push(&fs, ((sl_builtinobj *)o)->self);
            break;
        case SL_STRITER:
            freeze_push(&fs, ((sl_striter *)o)->s);
            break;
        default:
            break;
        }
    }
    free(fs.p);
}
