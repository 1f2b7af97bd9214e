/* state: full and incremental updates of the scrape file (see
 * state.h). Each agent's jobs are kept rendered; entries stay
 * sorted by (type, id), the file order, so an update touches only the
 * changed entries and writes the file from the parts with writev. */
#include "state.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "scrape.h"
#include "load.h"

#define BASE_MAX (16 << 20)

typedef struct {
    char *type, *id, *pmm_agent_id;
    char *text;                 /* its jobs; NULL for rds_exporter */
    size_t len;
    int jobs;
    /* rds_exporter: what its jobs are grouped by */
    char *host;
    int port;
    scrape_res res;
} entry;

struct scrape_state {
    scrape_state_config cfg;
    bool ready;
    scrape_res res;
    bool nomad;
    char *base;
    struct stat base_sb;
    bool base_seen;             /* base_sb describes the file at the last full update */
    scrape_buf head, tail;
    entry **e;
    size_t n, cap;
    size_t bytes, jobs;
};

static void entry_free(entry *e)
{
    if (!e)
        return;
    free(e->type);
    free(e->id);
    free(e->pmm_agent_id);
    free(e->text);
    free(e->host);
    free(e);
}

static int entry_cmp(const entry *a, const entry *b)
{
    int c = strcmp(a->type, b->type);
    return c ? c : strcmp(a->id, b->id);
}

scrape_state *scrape_state_new(const scrape_state_config *cfg)
{
    scrape_state *s = calloc(1, sizeof *s);
    if (s)
        s->cfg = *cfg;
    return s;
}

static void entries_free(entry **e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        entry_free(e[i]);
    free(e);
}

void scrape_state_destroy(scrape_state *s)
{
    if (!s)
        return;
    entries_free(s->e, s->n);
    sbuf_free(&s->head);
    sbuf_free(&s->tail);
    free(s->base);
    free(s);
}

static void state_input(const scrape_state *s, scrape_input *in, const char *base)
{
    memset(in, 0, sizeof *in);
    in->res = s->res;
    in->vm_url = s->cfg.vm.url ? s->cfg.vm.url : "http://127.0.0.1:9090/prometheus/";
    in->vmalert_url = s->cfg.vmalert_url;
    in->managed_target = s->cfg.managed_target;
    in->nomad = s->nomad;
    in->base = base;
}

/* One entry for a, or NULL when it gets no jobs (or on ENOMEM). */
static entry *entry_new(const scrape_input *in, const scrape_agent *a)
{
    if (!scrape_agent_wanted(a))
        return NULL;
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->type = strdup(a->type);
    e->id = strdup(a->id);
    e->pmm_agent_id = a->pmm_agent_id ? strdup(a->pmm_agent_id) : NULL;
    if (!e->type || !e->id || (a->pmm_agent_id && !e->pmm_agent_id))
        goto fail;
    if (strcmp(a->type, "rds_exporter") == 0) {
        if (!a->host || !(e->host = strdup(a->host)))
            goto fail;
        e->port = a->listen_port;
        e->res = a->res;
        return e;
    }
    scrape_buf b = { 0 };
    e->jobs = scrape_render_agent(in, a, &b);
    if (b.failed || !e->jobs) {
        sbuf_free(&b);
        goto fail;
    }
    e->text = b.data;
    e->len = b.len;
    return e;
fail:
    entry_free(e);
    return NULL;
}

/* The rds_exporter jobs of the entries. */
static void render_rds(const scrape_input *in, entry *const *e, size_t n, scrape_buf *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += e[i]->text == NULL;
    if (!k)
        return;
    scrape_agent *a = calloc(k, sizeof *a);
    const scrape_agent **p = calloc(k, sizeof *p);
    if (!a || !p) {
        out->failed = true;
    } else {
        k = 0;
        for (size_t i = 0; i < n; i++) {
            if (e[i]->text)
                continue;
            a[k] = (scrape_agent){ .id = e[i]->id, .type = e[i]->type, .host = e[i]->host,
                                   .listen_port = e[i]->port, .res = e[i]->res };
            p[k] = &a[k];
            k++;
        }
        scrape_render_rds(in, p, k, out);
    }
    free(a);
    free(p);
}

/* head, every entry's jobs, the rds jobs, tail: as iovecs into *iov. */
static int assemble(const scrape_state *s, const scrape_buf *head, const scrape_buf *tail, entry *const *e, size_t n,
                    const scrape_buf *rds, struct iovec **iov, int *n_iov)
{
    struct iovec *v = malloc((n + 3) * sizeof *v);
    if (!v)
        return -1;
    (void)s;
    int k = 0;
    v[k++] = (struct iovec){ head->data, head->len };
    for (size_t i = 0; i < n; i++)
        if (e[i]->text)
            v[k++] = (struct iovec){ e[i]->text, e[i]->len };
    if (rds->len)
        v[k++] = (struct iovec){ rds->data, rds->len };
    if (tail->len)
        v[k++] = (struct iovec){ tail->data, tail->len };
    *iov = v;
    *n_iov = k;
    return 0;
}

/* The file made of these parts written to a temporary file (tmp). */
static int stage(scrape_state *s, const scrape_buf *head, const scrape_buf *tail, entry *const *e, size_t n,
                 char *tmp, size_t tmplen, rpc_status *st)
{
    scrape_input in;
    state_input(s, &in, NULL);
    scrape_buf rds = { 0 };
    render_rds(&in, e, n, &rds);
    struct iovec *iov = NULL;
    int n_iov = 0;
    int rc;
    if (rds.failed || assemble(s, head, tail, e, n, &rds, &iov, &n_iov) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    else
        rc = vm_stage(&s->cfg.vm, iov, n_iov, tmp, tmplen, st);
    if (rc == RPC_OK) {
        s->bytes = 0;
        for (int i = 0; i < n_iov; i++)
            s->bytes += iov[i].iov_len;
    }
    free(iov);
    sbuf_free(&rds);
    return rc;
}

/* Writes and reloads the file made of these parts (checked first when
 * check). */
static int publish(scrape_state *s, const scrape_buf *head, const scrape_buf *tail, entry *const *e, size_t n,
                   bool check, rpc_status *st)
{
    char tmp[4200];
    int rc = stage(s, head, tail, e, n, tmp, sizeof tmp, st);
    return rc == RPC_OK ? vm_install(&s->cfg.vm, tmp, check, st) : rc;
}

/* ---- the base file ------------------------------------------------------- */

/* Reads the base file into *text (NULL when there is none). */
int scrape_state_read_base(const char *path, char **text, struct stat *sb, rpc_status *st)
{
    *text = NULL;
    memset(sb, 0, sizeof *sb);
    if (!path || !*path)
        return RPC_OK;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return RPC_OK;
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "cannot read base configuration %s: %s", path, strerror(errno));
    }
    if (fstat(fileno(f), sb) != 0 || sb->st_size > BASE_MAX) {
        fclose(f);
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "base configuration %s is not a file of at most %d bytes", path,
                        BASE_MAX);
    }
    char *t = malloc((size_t)sb->st_size + 1);
    size_t got = t ? fread(t, 1, (size_t)sb->st_size, f) : 0;
    fclose(f);
    if (!t || got != (size_t)sb->st_size) {
        free(t);
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "cannot read base configuration %s", path);
    }
    t[got] = '\0';
    *text = t;
    return RPC_OK;
}

bool scrape_state_base_changed(const scrape_state *s)
{
    struct stat sb;
    bool exists = s->cfg.base_path && *s->cfg.base_path && stat(s->cfg.base_path, &sb) == 0;
    if (!s->base_seen)
        return exists;
    bool had = s->base_sb.st_ino != 0;
    if (exists != had)
        return true;
    return exists && (sb.st_ino != s->base_sb.st_ino || sb.st_size != s->base_sb.st_size ||
                      sb.st_mtim.tv_sec != s->base_sb.st_mtim.tv_sec ||
                      sb.st_mtim.tv_nsec != s->base_sb.st_mtim.tv_nsec);
}

/* ---- full update --------------------------------------------------------- */

static int entry_ptr_cmp(const void *a, const void *b)
{
    return entry_cmp(*(entry *const *)a, *(entry *const *)b);
}

static void count(scrape_state *s)
{
    s->jobs = 0;
    for (size_t i = 0; i < s->n; i++)
        s->jobs += (size_t)s->e[i]->jobs; /* rds_exporter jobs are shared, not counted */
}

int scrape_state_full(scrape_state *s, db *d, rpc_status *st)
{
    int64_t t0 = clock_mono_ms();
    char *base = NULL;
    struct stat sb;
    scrape_rows rows = { 0 };
    scrape_buf head = { 0 }, tail = { 0 };
    entry **e = NULL;
    size_t n = 0;
    char err[512];
    scrape_res old_res = s->res;
    bool old_nomad = s->nomad;
    int rc = scrape_load_settings(d, &s->res, &s->nomad, st);
    if (rc != RPC_OK)
        goto out;
    rc = scrape_state_read_base(s->cfg.base_path, &base, &sb, st);
    /* Remembered whatever happens next: a refused base is not tried again
     * until it changes. */
    s->base_sb = sb;
    s->base_seen = true;
    if (rc != RPC_OK)
        goto out;
    scrape_input in;
    state_input(s, &in, base);
    if (scrape_render_head(&in, &head, err, sizeof err) != 0 || scrape_render_tail(&in, &tail, err, sizeof err) != 0) {
        rc = rpc_fail(st, RPC_FAILED_PRECONDITION, "%s", err);
        goto out;
    }
    if ((rc = scrape_load_agents(d, NULL, 0, &rows, st)) != RPC_OK)
        goto out;
    int64_t t1 = clock_mono_ms();
    if (!(e = calloc(rows.n ? rows.n : 1, sizeof *e))) {
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < rows.n; i++) {
        entry *x = entry_new(&in, &rows.agents[i]);
        if (x)
            e[n++] = x;
    }
    qsort(e, n, sizeof *e, entry_ptr_cmp);
    int64_t t2 = clock_mono_ms();
    if ((rc = publish(s, &head, &tail, e, n, true, st)) != RPC_OK)
        goto out;
    /* Swap the new state in. */
    entries_free(s->e, s->n);
    s->e = e;
    s->n = s->cap = n;
    e = NULL;
    n = 0;
    sbuf_free(&s->head);
    sbuf_free(&s->tail);
    s->head = head;
    s->tail = tail;
    memset(&head, 0, sizeof head);
    memset(&tail, 0, sizeof tail);
    s->ready = true;
    count(s);
    log_info("scrape configuration written: %zu agents, %zu jobs, %zu bytes in %lld ms (read %lld ms, render %lld ms, "
             "check and write %lld ms)",
             s->n, s->jobs, s->bytes, (long long)(clock_mono_ms() - t0), (long long)(t1 - t0), (long long)(t2 - t1),
             (long long)(clock_mono_ms() - t2));
out:
    if (rc != RPC_OK) {
        s->res = old_res;
        s->nomad = old_nomad;
    }
    scrape_rows_free(&rows);
    free(base);
    sbuf_free(&head);
    sbuf_free(&tail);
    entries_free(e, n);
    return rc;
}

/* ---- incremental update -------------------------------------------------- */

static bool in_ids(const char *v, const char *const *ids, size_t n)
{
    if (!v)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, ids[i]) == 0)
            return true;
    return false;
}

/* Checks only the new entries' jobs: the rest of the file was checked
 * when it was written, and job names cannot clash (agent ids are
 * unique). */
static int check_new(scrape_state *s, entry *const *e, size_t n, rpc_status *st)
{
    scrape_input in;
    state_input(s, &in, NULL);
    scrape_buf rds = { 0 };
    render_rds(&in, e, n, &rds);
    struct iovec *iov = NULL;
    int n_iov = 0, rc;
    if (rds.failed || assemble(s, &s->head, &s->tail, e, n, &rds, &iov, &n_iov) != 0)
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    else
        rc = vm_check(&s->cfg.vm, iov, n_iov, st);
    free(iov);
    sbuf_free(&rds);
    return rc;
}

/* check_new in a thread of its own, so that the dry run and the writing
 * of the whole file overlap. */
typedef struct {
    scrape_state *s;
    entry *const *e;
    size_t n;
    int rc;
    rpc_status st;
} check_job;

static void *check_thread(void *arg)
{
    check_job *j = arg;
    j->rc = check_new(j->s, j->e, j->n, &j->st);
    return NULL;
}

/* Position of the first entry not ordered before x. */
static size_t lower_bound(entry *const *e, size_t n, const entry *x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (entry_cmp(e[mid], x) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool entry_eq(const entry *a, const entry *b)
{
    if (!str_eq(a->type, b->type) || !str_eq(a->id, b->id) || !str_eq(a->pmm_agent_id, b->pmm_agent_id) ||
        a->jobs != b->jobs || a->len != b->len || !str_eq(a->host, b->host) || a->port != b->port ||
        a->res.hr != b->res.hr || a->res.mr != b->res.mr || a->res.lr != b->res.lr)
        return false;
    return a->text == b->text || (a->text && b->text && memcmp(a->text, b->text, a->len) == 0);
}

/* Whether the fresh entries (sorted) are exactly the ones the file has
 * for these ids: then the file would come out the same, and neither a
 * write nor a reload is owed. Status reports of a whole fleet arrive as
 * inventory changes that change no job. */
static bool unchanged(const scrape_state *s, const char *const *ids, size_t n_ids, entry *const *fresh,
                      size_t n_fresh)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!in_ids(s->e[i]->id, ids, n_ids) && !in_ids(s->e[i]->pmm_agent_id, ids, n_ids))
            continue;
        if (k >= n_fresh || !entry_eq(s->e[i], fresh[k]))
            return false;
        k++;
    }
    return k == n_fresh;
}

int scrape_state_agents(scrape_state *s, db *d, const char *const *ids, size_t n_ids, rpc_status *st)
{
    if (!s->ready)
        return scrape_state_full(s, d, st);
    int64_t t0 = clock_mono_ms();
    scrape_rows rows = { 0 };
    entry **fresh = NULL, **next = NULL;
    size_t n_fresh = 0, n_next = 0;
    int rc = scrape_load_agents(d, ids, n_ids, &rows, st);
    if (rc != RPC_OK)
        return rc;
    scrape_input in;
    state_input(s, &in, NULL);
    fresh = calloc(rows.n ? rows.n : 1, sizeof *fresh);
    next = malloc((s->n + rows.n + 1) * sizeof *next);
    if (!fresh || !next) {
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < rows.n; i++) {
        entry *x = entry_new(&in, &rows.agents[i]);
        if (x)
            fresh[n_fresh++] = x;
    }
    qsort(fresh, n_fresh, sizeof *fresh, entry_ptr_cmp);
    if (unchanged(s, ids, n_ids, fresh, n_fresh)) {
        log_debug("scrape configuration: %zu agents changed, their jobs did not", n_ids);
        goto out;
    }
    int64_t t1 = clock_mono_ms();
    /* Only the fresh jobs are checked (the rest was, when written), while
     * the whole file is written to a temporary file. */
    check_job cj = { .s = s, .e = fresh, .n = n_fresh, .rc = RPC_OK };
    pthread_t checker;
    bool checking = n_fresh && pthread_create(&checker, NULL, check_thread, &cj) == 0;
    if (n_fresh && !checking)
        cj.rc = check_new(s, fresh, n_fresh, &cj.st);
    /* The entries that stay, then the fresh ones inserted in order. */
    for (size_t i = 0; i < s->n; i++)
        if (!in_ids(s->e[i]->id, ids, n_ids) && !in_ids(s->e[i]->pmm_agent_id, ids, n_ids))
            next[n_next++] = s->e[i];
    for (size_t i = 0; i < n_fresh; i++) {
        size_t at = lower_bound(next, n_next, fresh[i]);
        memmove(next + at + 1, next + at, (n_next - at) * sizeof *next);
        next[at] = fresh[i];
        n_next++;
    }
    char tmp[4200];
    rc = stage(s, &s->head, &s->tail, next, n_next, tmp, sizeof tmp, st);
    if (checking)
        pthread_join(checker, NULL);
    int64_t t2 = clock_mono_ms();
    if (cj.rc != RPC_OK) {
        if (rc == RPC_OK)
            unlink(tmp);
        *st = cj.st;
        rc = cj.rc;
        goto out;
    }
    if (rc != RPC_OK || (rc = vm_install(&s->cfg.vm, tmp, false, st)) != RPC_OK)
        goto out;
    for (size_t i = 0; i < s->n; i++)
        if (in_ids(s->e[i]->id, ids, n_ids) || in_ids(s->e[i]->pmm_agent_id, ids, n_ids))
            entry_free(s->e[i]);
    free(s->e);
    s->e = next;
    s->n = s->cap = n_next;
    next = NULL;
    n_fresh = 0;
    count(s);
    log_info("scrape configuration written: %zu agents changed, %zu agents, %zu jobs, %zu bytes in %lld ms (read and "
             "render %lld ms, check and write %lld ms, install %lld ms)",
             n_ids, s->n, s->jobs, s->bytes, (long long)(clock_mono_ms() - t0), (long long)(t1 - t0), (long long)(t2 - t1),
             (long long)(clock_mono_ms() - t2));
out:
    for (size_t i = 0; i < n_fresh; i++)
        entry_free(fresh[i]);
    free(fresh);
    free(next);
    scrape_rows_free(&rows);
    return rc;
}

void scrape_state_stats(const scrape_state *s, size_t *agents, size_t *bytes)
{
    *agents = s->n;
    *bytes = s->bytes;
}
