/* vm: dry run, atomic write and reload of VictoriaMetrics' scrape file
 * (see vm.h). */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "proc.h"

#define OUTPUT_MAX 65536

int vm_check_file(const vm_params *p, const char *path, rpc_status *st)
{
    char cfg[PATH_MAX + 32];
    snprintf(cfg, sizeof cfg, "-promscrape.config=%s", path);
    const char *argv[] = { p->binary, cfg, "-promscrape.config.dryRun", "-loggerLevel=ERROR", NULL };
    proc_result r;
    int code = RPC_OK;
    if (proc_run(argv, p->check_timeout_ms, OUTPUT_MAX, &r) != 0) {
        /* upstream: checkFailedRE `(?s)cannot unmarshal data: (.+)` -> Aborted */
        const char *m = r.out ? strstr(r.out, "cannot unmarshal data: ") : NULL;
        if (m)
            code = rpc_fail(st, RPC_ABORTED, "%s", m + strlen("cannot unmarshal data: "));
        else if (r.timed_out)
            code = rpc_fail(st, RPC_INTERNAL, "%s -promscrape.config.dryRun took more than %d ms", p->binary,
                            p->check_timeout_ms);
        else
            code = rpc_fail(st, RPC_INTERNAL, "%s: %s", r.error, r.out && r.out[0] ? r.out : "dry run failed");
    }
    proc_result_clear(&r);
    return code;
}

/* ---- files --------------------------------------------------------------- */

/* writev in batches of IOV_MAX: a file of 20,000 agents' jobs is written
 * in a few dozen calls. Partial writes resume where they stopped. */
static int write_all(int fd, const struct iovec *parts, int n)
{
    struct iovec batch[IOV_MAX];
    int i = 0;
    size_t off = 0; /* already written of parts[i] */
    while (i < n) {
        int k = 0;
        for (int j = i; j < n && k < IOV_MAX; j++, k++) {
            size_t skip = j == i ? off : 0;
            batch[k] = (struct iovec){ (char *)parts[j].iov_base + skip, parts[j].iov_len - skip };
        }
        ssize_t w = writev(fd, batch, k);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        size_t left = (size_t)w;
        while (i < n && left >= parts[i].iov_len - off) {
            left -= parts[i].iov_len - off;
            off = 0;
            i++;
        }
        off += left;
        if (w == 0 && k > 0 && batch[0].iov_len > 0)
            return -1;
    }
    return 0;
}

/* "<dir of config_path>/.<name><suffix>": the files staged next to it. */
static void sibling_path(const vm_params *p, const char *suffix, char *out, size_t outlen)
{
    char copy[PATH_MAX], copy2[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", p->config_path);
    snprintf(copy2, sizeof copy2, "%s", p->config_path);
    snprintf(out, outlen, "%s/.%s%s", dirname(copy), basename(copy2), suffix);
}

/* Writes the parts to fd (open on path), cuts the file to their length
 * when truncate, sets mode and closes fd; path is removed on failure. */
static int write_parts(int fd, const char *path, const struct iovec *parts, int n, int truncate, mode_t mode,
                       rpc_status *st)
{
    off_t total = 0;
    for (int i = 0; i < n; i++)
        total += (off_t)parts[i].iov_len;
    if (write_all(fd, parts, n) != 0 || (truncate && ftruncate(fd, total) != 0) || fchmod(fd, mode) != 0) {
        int err = errno;
        close(fd);
        unlink(path);
        return rpc_fail(st, RPC_INTERNAL, "cannot write %s: %s", path, strerror(err));
    }
    if (close(fd) != 0) {
        unlink(path);
        return rpc_fail(st, RPC_INTERNAL, "cannot write %s: %s", path, strerror(errno));
    }
    return RPC_OK;
}

/* A new file "<dir of config_path>/.<name>.XXXXXX" holding the parts; its
 * name in tmp. No fsync: the file is derived from the database and is
 * written again at every start, and rename-over-existing is ordered after
 * the data on ext4/xfs. */
static int write_temp(const vm_params *p, const struct iovec *parts, int n, mode_t mode, char *tmp, size_t tmplen,
                      rpc_status *st)
{
    sibling_path(p, ".XXXXXX", tmp, tmplen);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return rpc_fail(st, RPC_INTERNAL, "cannot create a file next to %s: %s", p->config_path, strerror(errno));
    return write_parts(fd, tmp, parts, n, 0, mode, st);
}

int vm_check(const vm_params *p, const struct iovec *parts, int n, rpc_status *st)
{
    char tmp[PATH_MAX + 32];
    int rc = write_temp(p, parts, n, 0600, tmp, sizeof tmp, st);
    if (rc != RPC_OK)
        return rc;
    rc = vm_check_file(p, tmp, st);
    unlink(tmp);
    return rc;
}

/* "<dir>/.<name>.next": the spare file. After each install the replaced
 * file becomes the spare, and the next update overwrites it in place:
 * rewriting pages already in the page cache costs a copy, while a new
 * 60 MB file costs page allocation and unlinking the old one freeing
 * them, which made a one-agent update three times slower. */
int vm_stage(const vm_params *p, const struct iovec *parts, int n, char *tmp, size_t tmplen, rpc_status *st)
{
    struct stat sb;
    mode_t mode = stat(p->config_path, &sb) == 0 ? sb.st_mode & 07777 : 0644;
    sibling_path(p, ".next", tmp, tmplen);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return rpc_fail(st, RPC_INTERNAL, "cannot open %s: %s", tmp, strerror(errno));
    return write_parts(fd, tmp, parts, n, 1, mode, st);
}

int vm_install(const vm_params *p, const char *tmp, int check, rpc_status *st)
{
    int rc;
    if (check && (rc = vm_check_file(p, tmp, st)) != RPC_OK) {
        unlink(tmp);
        return rc;
    }
    /* Keep the previous file under a second name (a hard link costs
     * nothing), so that it can be put back in one rename. */
    char prev[PATH_MAX + 32];
    snprintf(prev, sizeof prev, "%s.prev", p->config_path);
    unlink(prev);
    bool kept = link(p->config_path, prev) == 0;
    if (rename(tmp, p->config_path) != 0) {
        int err = errno;
        unlink(tmp);
        if (kept)
            unlink(prev);
        return rpc_fail(st, RPC_INTERNAL, "cannot replace %s: %s", p->config_path, strerror(err));
    }
    rc = p->url ? vm_reload(p, st) : RPC_OK;
    if (rc != RPC_OK) {
        if (kept && rename(prev, p->config_path) == 0) {
            rpc_status st2;
            if (vm_reload(p, &st2) != RPC_OK)
                log_error("reload of the restored %s failed: %s", p->config_path, st2.message);
        } else if (kept) {
            log_error("cannot restore %s: %s", p->config_path, strerror(errno));
        }
        return rc;
    }
    /* the replaced file is the next update's spare */
    if (kept && rename(prev, tmp) != 0)
        unlink(prev);
    return RPC_OK;
}

int vm_apply(const vm_params *p, const struct iovec *parts, int n, int check, rpc_status *st)
{
    char tmp[PATH_MAX + 32];
    int rc = vm_stage(p, parts, n, tmp, sizeof tmp, st);
    return rc == RPC_OK ? vm_install(p, tmp, check, st) : rc;
}

/* ---- HTTP ---------------------------------------------------------------- */

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

/* GET <url>/<path>; returns the HTTP status, or -1 with st filled. */
static long http_get(const vm_params *p, const char *path, rpc_status *st)
{
    char url[2048];
    size_t n = strlen(p->url);
    snprintf(url, sizeof url, "%s%s%s", p->url, n && p->url[n - 1] == '/' ? "" : "/", path);
    CURL *c = curl_easy_init();
    if (!c) {
        rpc_fail(st, RPC_INTERNAL, "out of memory");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)p->http_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode cc = curl_easy_perform(c);
    long status = -1;
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        rpc_fail(st, RPC_UNAVAILABLE, "GET %s: %s", url, curl_easy_strerror(cc));
    curl_easy_cleanup(c);
    return status;
}

int vm_reload(const vm_params *p, rpc_status *st)
{
    long status = http_get(p, "-/reload", st);
    if (status < 0)
        return st->code;
    if (status != 200 && status != 204)
        return rpc_fail(st, RPC_INTERNAL, "expected 204, got %ld", status);
    return RPC_OK;
}

int vm_ready(const vm_params *p, rpc_status *st)
{
    long status = http_get(p, "health", st);
    if (status < 0)
        return st->code;
    if (status != 200)
        return rpc_fail(st, RPC_UNAVAILABLE, "expected 200, got %ld", status);
    return RPC_OK;
}
