/* dumper: metrics dumps from VictoriaMetrics into .tar.gz (see dumper.h). */
#include "dumper.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/httpc.h"
#include "log.h"
#include "metadata.h"
#include "tarball.h"

#define EXPORT_TIMEOUT_MS (30L * 60 * 1000)

struct dumper {
    app *a;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, busy, has_work;
    char running_id[64]; /* the dump submitted or running ("" when none) */
    dump_row work;
    db *d;
};

void dumper_path(app *a, const char *dump_id, char *out, size_t len)
{
    snprintf(out, len, "%s/dumps/%s.tar.gz", a->var_dir, dump_id);
}

/* A log line of the dump (chunk ids in order, the last one marks the end). */
typedef struct {
    dumper *dp;
    const char *id;
    uint32_t next;
} dump_log;

static void say(dump_log *l, bool last, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(dump_log *l, bool last, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    rpc_status st = { 0 };
    if (store_dump_log_add(l->dp->d, l->id, l->next++, line, last, &st))
        log_warn("dump %s: log not stored: %s", l->id, st.message);
}

/* service_name=~"^(?:a|b)$" with the names' regex characters escaped. */
static char *selector(const dump_row *r)
{
    if (!r->n_service_names)
        return strdup("{__name__=~\".+\"}");
    size_t len = 64;
    for (size_t i = 0; i < r->n_service_names; i++)
        len += strlen(r->service_names[i]) * 3 + 1;
    char *s = malloc(len), *o = s;
    if (!s)
        return NULL;
    o += sprintf(o, "{service_name=~\"^(?:");
    for (size_t i = 0; i < r->n_service_names; i++) {
        if (i)
            *o++ = '|';
        for (const char *p = r->service_names[i]; *p; p++) {
            if (strchr("\\.+*?()|[]{}^$", *p))
                *o++ = '\\', *o++ = '\\'; /* a regex escape, itself escaped in the PromQL string */
            else if (*p == '"')
                *o++ = '\\';
            *o++ = *p;
        }
    }
    o += sprintf(o, ")$\"}");
    return s;
}

static int export_metrics(dumper *dp, const dump_row *r, const char *file, long *lines, char *err, size_t errlen)
{
    char *sel = selector(r);
    CURL *h = curl_easy_init();
    char *enc = sel && h ? curl_easy_escape(h, sel, 0) : NULL;
    char *url = NULL;
    const char *base = dp->a->vm_url;
    size_t bl = strlen(base);
    if (!enc || asprintf(&url, "%s%sapi/v1/export?match[]=%s&start=%lld&end=%lld", base,
                         bl && base[bl - 1] == '/' ? "" : "/", enc, (long long)(r->start_time / 1000),
                         (long long)(r->end_time / 1000)) < 0)
        url = NULL;
    curl_free(enc);
    if (h)
        curl_easy_cleanup(h);
    free(sel);
    if (!url) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    FILE *f = fopen(file, "w+");
    if (!f) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        free(url);
        return -1;
    }
    httpc_request req = { .method = "GET", .url = url, .timeout_ms = EXPORT_TIMEOUT_MS, .sink = f };
    httpc_call *c = httpc_call_new(&req);
    int rc = -1;
    if (!c)
        snprintf(err, errlen, "cannot make a request for %s", url);
    else if (httpc_call_run(c) != HTTPC_DONE)
        snprintf(err, errlen, "%s", httpc_error(c));
    else if (httpc_status(c) != 200)
        snprintf(err, errlen, "VictoriaMetrics answered %s: %.512s", httpc_status_text(c), httpc_body(c));
    else
        rc = 0;
    httpc_call_free(c);
    free(url);
    *lines = 0;
    if (rc == 0) {
        rewind(f);
        int ch, last = '\n';
        while ((ch = fgetc(f)) != EOF) {
            if (ch == '\n')
                (*lines)++;
            last = ch;
        }
        if (last != '\n')
            (*lines)++;
    }
    fclose(f);
    return rc;
}

/* The services of the dump, without anything secret. */
static char *inventory_json(dumper *dp, const dump_row *r, size_t *found)
{
    service_rec *s = NULL;
    size_t n = 0;
    rpc_status st = { 0 };
    *found = 0;
    if (r->n_service_names ? store_service_by_names(dp->d, r->service_names, r->n_service_names, &s, &n, &st)
                           : store_service_list_all(dp->d, &s, &n, &st))
        return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "service_id",
                                             s[i].service_id, "service_type", s[i].service_type, "service_name",
                                             s[i].service_name, "node_id", s[i].node_id, "address", s[i].address,
                                             "port", s[i].port, "cluster", s[i].cluster, "replication_set",
                                             s[i].replication_set, "environment", s[i].environment, "version",
                                             s[i].version));
    char *text = json_dumps(arr, JSON_INDENT(2));
    json_decref(arr);
    *found = n;
    service_recs_free(s, n);
    return text;
}

static void run_dump(dumper *dp, const dump_row *r)
{
    dump_log l = { dp, r->id, 0 };
    char dir[4096], path[4096], tmp[4200], err[8192] = "", from[64], to[64];
    snprintf(dir, sizeof dir, "%s/dumps", dp->a->var_dir);
    dumper_path(dp->a, r->id, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s/%s.export.jsonl", dir, r->id);
    metadata_format_rfc3339(r->start_time / 1000, from, sizeof from);
    metadata_format_rfc3339(r->end_time / 1000, to, sizeof to);
    say(&l, false, "dump %s: metrics of %zu service(s) from %s to %s\n", r->id, r->n_service_names, from, to);
    if (r->export_qan)
        say(&l, false, "QAN data is not exported: this server keeps no QAN store\n");
    size_t services = 0;
    long series = 0;
    char *inventory = NULL, *meta = NULL;
    int ok = 0;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, sizeof err, "%s: %s", dir, strerror(errno));
    } else if (!(inventory = inventory_json(dp, r, &services))) {
        snprintf(err, sizeof err, "cannot read the inventory");
    } else if (export_metrics(dp, r, tmp, &series, err, sizeof err) == 0) {
        say(&l, false, "exported %ld series of %zu service(s) from VictoriaMetrics\n", series, services);
        json_t *names = json_array();
        for (size_t i = 0; i < r->n_service_names; i++)
            json_array_append_new(names, json_string(r->service_names[i]));
        json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:I}", "version", PMM_VERSION, "dump_id", r->id,
                              "start_time", from, "end_time", to, "service_names", names, "export_qan", 0, "series",
                              (json_int_t)series);
        meta = m ? json_dumps(m, JSON_INDENT(2)) : NULL;
        json_decref(m);
        tarball *t = meta ? tarball_open(path, err, sizeof err) : NULL;
        if (t) {
            int rc = tarball_add_mem(t, "meta.json", meta, strlen(meta), err, sizeof err);
            if (rc == 0)
                rc = tarball_add_mem(t, "inventory.json", inventory, strlen(inventory), err, sizeof err);
            if (rc == 0)
                rc = tarball_add_file(t, "vm/export.jsonl", tmp, err, sizeof err);
            ok = tarball_close(t, rc == 0, rc == 0 ? err : (char[256]){ 0 }, 256) == 0 && rc == 0;
        }
    }
    unlink(tmp);
    free(inventory);
    free(meta);
    rpc_status st = { 0 };
    if (ok) {
        struct stat sb;
        stat(path, &sb);
        say(&l, false, "wrote %s (%lld bytes)\n", path, (long long)sb.st_size);
        store_dump_set_status(dp->d, r->id, "success", &st);
    } else {
        say(&l, false, "error: %s\n", err);
        store_dump_set_status(dp->d, r->id, "error", &st);
        log_warn("dump %s failed: %s", r->id, err);
    }
    say(&l, true, "%s", "");
}

static void *run(void *arg)
{
    dumper *dp = arg;
    pthread_mutex_lock(&dp->mu);
    while (!dp->stop) {
        if (!dp->has_work) {
            pthread_cond_wait(&dp->cv, &dp->mu);
            continue;
        }
        dump_row w = dp->work;
        memset(&dp->work, 0, sizeof dp->work);
        dp->has_work = false;
        pthread_mutex_unlock(&dp->mu);
        run_dump(dp, &w);
        dump_row_free(&w);
        pthread_mutex_lock(&dp->mu);
        dp->busy = false;
        dp->running_id[0] = '\0';
    }
    pthread_mutex_unlock(&dp->mu);
    return NULL;
}

int dumper_start(app *a)
{
    dumper *dp = calloc(1, sizeof *dp);
    if (!dp)
        return -1;
    dp->a = a;
    pthread_mutex_init(&dp->mu, NULL);
    pthread_cond_init(&dp->cv, NULL);
    dp->d = db_new(&a->db);
    rpc_status st = { 0 };
    if (!dp->d || pthread_create(&dp->thread, NULL, run, dp) != 0) {
        db_destroy(dp->d);
        free(dp);
        return -1;
    }
    a->dumps = dp;
    /* dumps a killed backupd left running can never finish */
    db *d = db_new(&a->db);
    if (d && store_dump_fail_unfinished(d, &st) != RPC_OK)
        log_warn("dumps left in progress not settled: %s", st.message);
    db_destroy(d);
    return 0;
}

void dumper_stop(app *a)
{
    dumper *dp = a->dumps;
    if (!dp)
        return;
    pthread_mutex_lock(&dp->mu);
    dp->stop = true;
    pthread_cond_signal(&dp->cv);
    pthread_mutex_unlock(&dp->mu);
    pthread_join(dp->thread, NULL);
    dump_row_free(&dp->work);
    db_destroy(dp->d);
    pthread_cond_destroy(&dp->cv);
    pthread_mutex_destroy(&dp->mu);
    free(dp);
    a->dumps = NULL;
}

bool dumper_reserve(app *a)
{
    dumper *dp = a->dumps;
    pthread_mutex_lock(&dp->mu);
    bool ok = !dp->busy;
    dp->busy = true;
    pthread_mutex_unlock(&dp->mu);
    return ok;
}

void dumper_release(app *a)
{
    dumper *dp = a->dumps;
    pthread_mutex_lock(&dp->mu);
    dp->busy = false;
    pthread_mutex_unlock(&dp->mu);
}

int dumper_submit(app *a, const dump_row *r, rpc_status *st)
{
    dumper *dp = a->dumps;
    dump_row copy = { 0 };
    copy.id = strdup(r->id);
    copy.status = strdup(r->status);
    copy.service_names = calloc(r->n_service_names ? r->n_service_names : 1, sizeof *copy.service_names);
    for (size_t i = 0; copy.service_names && i < r->n_service_names; i++)
        if ((copy.service_names[i] = strdup(r->service_names[i])))
            copy.n_service_names++;
    copy.start_time = r->start_time;
    copy.end_time = r->end_time;
    copy.export_qan = r->export_qan;
    if (!copy.id || !copy.status || copy.n_service_names != r->n_service_names) {
        dump_row_free(&copy);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    pthread_mutex_lock(&dp->mu);
    dump_row_free(&dp->work);
    dp->work = copy;
    dp->has_work = true;
    snprintf(dp->running_id, sizeof dp->running_id, "%s", copy.id);
    pthread_cond_signal(&dp->cv);
    pthread_mutex_unlock(&dp->mu);
    return RPC_OK;
}

bool dumper_running(app *a, const char *dump_id)
{
    dumper *dp = a->dumps;
    pthread_mutex_lock(&dp->mu);
    bool r = dp->busy && strcmp(dp->running_id, dump_id) == 0;
    pthread_mutex_unlock(&dp->mu);
    return r;
}
