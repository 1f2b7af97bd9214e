/* vmtest: a throwaway VictoriaMetrics for integration tests (see vmtest.h). */
#include "vmtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#define VM_BIN "/usr/bin/victoria-metrics"

int vmtest_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

typedef struct {
    char buf[4096];
    size_t len;
} answer;

static size_t keep(char *p, size_t size, size_t n, void *ud)
{
    answer *a = ud;
    size_t add = size * n, room = sizeof a->buf - 1 - a->len;
    memcpy(a->buf + a->len, p, add < room ? add : room);
    a->len += add < room ? add : room;
    a->buf[a->len] = '\0';
    return size * n;
}

/* The HTTP status of GET/POST url (body: POST), or -1; the start of the
 * answer in *out when out is not NULL. */
static long http_answer(const char *url, const char *body, answer *out)
{
    answer scratch;
    if (!out)
        out = &scratch;
    out->len = 0;
    out->buf[0] = '\0';
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

static long http(const char *url, const char *body)
{
    return http_answer(url, body, NULL);
}

/* How many series VictoriaMetrics answers for right now, or -1. */
static long series_count(const vmtest *v)
{
    char url[200];
    snprintf(url, sizeof url, "%sapi/v1/query", v->url);
    answer a;
    if (http_answer(url, "query=count(%7B__name__%3D~%22.%2B%22%7D)", &a) != 200)
        return -1;
    json_t *root = json_loads(a.buf, 0, NULL);
    json_t *result = json_object_get(json_object_get(root, "data"), "result");
    const char *n = json_string_value(json_array_get(json_object_get(json_array_get(result, 0), "value"), 1));
    long count = json_is_array(result) && json_array_size(result) == 0 ? 0 : n ? strtol(n, NULL, 10) : -1;
    json_decref(root);
    return count;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int vmtest_start(vmtest *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->dir, sizeof v->dir, "/tmp/vmtest.XXXXXX");
    if (access(VM_BIN, X_OK) != 0 || !mkdtemp(v->dir) || (v->port = vmtest_free_port()) < 0) {
        fprintf(stderr, "vmtest: cannot start %s: %s\n", VM_BIN, strerror(errno));
        return -1;
    }
    snprintf(v->url, sizeof v->url, "http://127.0.0.1:%d/prometheus/", v->port);
    char listen[64], data[300];
    snprintf(listen, sizeof listen, "-httpListenAddr=127.0.0.1:%d", v->port);
    snprintf(data, sizeof data, "-storageDataPath=%s", v->dir);
    v->pid = fork();
    if (v->pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        /* samples stamped now are answered at once (no 30 s latency offset) */
        execl(VM_BIN, VM_BIN, listen, data, "-http.pathPrefix=/prometheus", "-search.latencyOffset=0s",
              "-search.disableCache", "-loggerLevel=ERROR", (char *)NULL);
        _exit(127);
    }
    if (v->pid < 0) {
        fprintf(stderr, "vmtest: fork: %s\n", strerror(errno));
        return -1;
    }
    char health[200];
    snprintf(health, sizeof health, "%shealth", v->url);
    for (int i = 0; i < 200; i++) {
        if (http(health, NULL) == 200)
            return 0;
        if (waitpid(v->pid, NULL, WNOHANG) == v->pid) {
            v->pid = 0;
            break;
        }
        sleep_ms(100);
    }
    fprintf(stderr, "vmtest: %s did not answer %s\n", VM_BIN, health);
    vmtest_stop(v);
    return -1;
}

int vmtest_import(const vmtest *v, const char *lines)
{
    long before = series_count(v), added = 0;
    for (const char *p = lines; *p; p++)
        added += *p == '\n' || (!p[1] && *p != '\n');
    char url[200];
    snprintf(url, sizeof url, "%sapi/v1/import/prometheus", v->url);
    long s = http(url, lines);
    if (s / 100 != 2) {
        fprintf(stderr, "vmtest: import: HTTP %ld\n", s);
        return -1;
    }
    snprintf(url, sizeof url, "%sinternal/force_flush", v->url);
    s = http(url, NULL);
    if (s != 200) {
        fprintf(stderr, "vmtest: force_flush: HTTP %ld\n", s);
        return -1;
    }
    /* new series reach the index about a second after the flush */
    for (int i = 0; i < 100; i++) {
        if (before >= 0 && series_count(v) >= before + added)
            return 0;
        sleep_ms(50);
    }
    fprintf(stderr, "vmtest: the imported series did not show up\n");
    return -1;
}

void vmtest_stop(vmtest *v)
{
    if (v->pid > 0) {
        kill(v->pid, SIGTERM);
        int i = 0;
        while (waitpid(v->pid, NULL, WNOHANG) == 0 && i++ < 100)
            sleep_ms(100);
        if (i > 100) {
            kill(v->pid, SIGKILL);
            waitpid(v->pid, NULL, 0);
        }
        v->pid = 0;
    }
    if (v->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", v->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "vmtest: cannot remove %s\n", v->dir);
        v->dir[0] = '\0';
    }
}
